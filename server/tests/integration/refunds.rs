//! Refunds as shops do them: a shopper asks for some lines back, an admin approves in
//! parts or refuses, and the money returned never passes what was paid, even when two
//! admins approve at once.
use crate::checkout::{add, checkout, customer, order_state, pay, shop, staff_token, stocked};
use crate::support::{self, TestApp, wait_for};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

struct Delivered {
    order: String,
    token: String,
    admin: String,
    total: Decimal,
}

async fn act(app: &TestApp, order: &str, who: &str, body: Value) -> (u16, Value) {
    app.post_json(&format!("/api/v1/orders/{order}/actions"), &body, Some(who)).await
}

/// A paid order of two lines (2 × ₹300 and 1 × ₹100), delivered.
async fn delivered(app: &TestApp, pool: &PgPool) -> Delivered {
    let shop = shop(pool).await;
    let (_, v) = stocked(pool, &shop, 40, &[(1, "300.00"), (2, "100.00")]).await;
    let (_, token) = customer(pool).await;
    add(app, &token, v[0], json!(2)).await;
    add(app, &token, v[1], json!(1)).await;
    let (_, placed) = checkout(app, &token).await;
    let order = placed["data"]["orderId"].as_str().expect("the order is placed").to_string();
    pay(app, &token, &order, true).await;
    let staff = staff_token(pool, "staff").await;
    for step in ["pack", "ship", "send_out_for_delivery", "deliver"] {
        let (status, body) = act(app, &order, &staff, json!({ "action": step })).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    let (_, detail) = app.get_json_as(&format!("/api/v1/orders/{order}"), &token).await;
    let total = Decimal::from_str(detail["data"]["total"].as_str().unwrap()).unwrap();
    Delivered { order, token, admin: staff_token(pool, "admin").await, total }
}

async fn detail(app: &TestApp, d: &Delivered) -> Value {
    let (status, body) = app.get_json_as(&format!("/api/v1/orders/{}", d.order), &d.token).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

#[sqlx::test(migrations = false)]
async fn lines_come_back_in_parts_until_everything_paid_is_returned(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let d = delivered(&app, &pool).await;
    let (o, t, a) = (d.order.as_str(), d.token.as_str(), d.admin.as_str());
    let ask = |lines: Value| json!({ "action": "request_refund", "reason": "Bruised", "lines": lines });

    // Every bad request names what is wrong and changes nothing.
    for (lines, field) in [
        (json!([{ "lineNo": 9, "quantity": 1 }]), "lines"),
        (json!([{ "lineNo": 1, "quantity": 3 }]), "lines"),
        (json!([{ "lineNo": 1, "quantity": 0 }]), "lines"),
        (json!([{ "lineNo": 1, "quantity": 1 }, { "lineNo": 1, "quantity": 1 }]), "lines"),
    ] {
        let (status, body) = act(&app, o, t, ask(lines.clone())).await;
        assert_eq!(status, 400, "{lines}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{lines}: {body}");
    }
    let (status, body) = act(&app, o, t, ask(json!([{ "lineNo": 1, "quantity": "two" }]))).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) =
        act(&app, o, t, json!({ "action": "request_refund", "lines": [{ "lineNo": 1, "quantity": 1 }] })).await;
    assert_eq!(status, 400, "a reason is needed");
    assert_eq!(order_state(&app, t, o).await, "delivered");

    // One pack of line 1: worth ₹300; a second request waits for the first.
    let (status, body) = act(&app, o, t, ask(json!([{ "lineNo": 1, "quantity": 1 }]))).await;
    assert_eq!((status, body["data"]["state"].as_str()), (200, Some("refund_requested")), "{body}");
    assert_eq!(act(&app, o, t, ask(json!([{ "lineNo": 2, "quantity": 1 }]))).await.0, 409);
    let staff = staff_token(&pool, "staff").await;
    assert_eq!(act(&app, o, &staff, json!({ "action": "approve_refund" })).await.0, 403, "only admins approve");
    let (_, stranger) = customer(&pool).await;
    assert_eq!(act(&app, o, &stranger, ask(json!([{ "lineNo": 2, "quantity": 1 }]))).await.0, 404);

    // Approved as asked: the order stays delivered with its refund listed.
    let (status, body) = act(&app, o, a, json!({ "action": "approve_refund", "reason": "Sorry" })).await;
    assert_eq!((status, body["data"]["state"].as_str()), (200, Some("delivered")), "{body}");
    let now = detail(&app, &d).await;
    assert_eq!(now["refundedAmount"], "300.00");
    assert_eq!(now["refundRequests"][0]["status"], "approved");
    assert_eq!(now["refundRequests"][0]["amount"], "300.00");
    assert_eq!(now["refundRequests"][0]["decisionNote"], "Sorry");
    assert_eq!(now["refunds"][0]["requestId"], now["refundRequests"][0]["id"]);
    assert_eq!(now["lines"][0]["returned"], 1);

    // The admin's own part refund, then one above what remains.
    let (status, body) =
        act(&app, o, a, json!({ "action": "approve_refund", "amount": "50.00", "reason": "Late" })).await;
    assert_eq!((status, body["data"]["state"].as_str()), (200, Some("delivered")), "{body}");
    let left = d.total - Decimal::from(350);
    let (status, body) =
        act(&app, o, a, json!({ "action": "approve_refund", "amount": (left + Decimal::ONE).to_string() })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["fields"]["amount"].as_str().unwrap().contains(&format!("{left:.2}")), "{body}");
    let (status, _) = act(&app, o, a, json!({ "action": "approve_refund", "amount": "-5" })).await;
    assert_eq!(status, 400);

    // The rest asked for (no lines: everything not yet asked for), then refused: the
    // lines are free again and the order is delivered.
    let (status, body) = act(&app, o, t, json!({ "action": "request_refund", "reason": "All of it was bad" })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = act(&app, o, a, json!({ "action": "reject_refund", "reason": "Photos show it fine" })).await;
    assert_eq!((status, body["data"]["state"].as_str()), (200, Some("delivered")), "{body}");
    let now = detail(&app, &d).await;
    let statuses: Vec<&str> =
        now["refundRequests"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["approved", "rejected"]);
    assert_eq!(
        now["refundRequests"][1]["lines"],
        json!([{ "lineNo": 1, "quantity": 1 }, { "lineNo": 2, "quantity": 1 }])
    );
    assert_eq!(now["lines"][1]["returned"], 0, "a refused request frees its lines");

    // Everything that remains: the order is refunded, and nothing more can go back.
    let (status, body) = act(&app, o, a, json!({ "action": "approve_refund" })).await;
    assert_eq!((status, body["data"]["state"].as_str()), (200, Some("refunded")), "{body}");
    assert_eq!(act(&app, o, a, json!({ "action": "approve_refund", "amount": "1.00" })).await.0, 409);
    let paise = i64::try_from(d.total * Decimal::ONE_HUNDRED).unwrap();
    wait_for("every refund paid back by the gateway", Duration::from_secs(30), async || {
        let refunded: i64 = sqlx::query_scalar(
            "SELECT coalesce(sum(amount_refunded), 0)::bigint FROM sandbox_gateway_payments WHERE amount_refunded > 0 AND id NOT LIKE 'pay_demo%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        refunded == paise
    })
    .await;
    // The gateway answers before the job that asked it records the answer.
    wait_for("every refund recorded as processed", Duration::from_secs(30), async || {
        let now = detail(&app, &d).await;
        now["refunds"].as_array().unwrap().iter().all(|r| r["status"] == "processed")
    })
    .await;
    let now = detail(&app, &d).await;
    let refunds = now["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 3);
    assert!(refunds.iter().all(|r| r["status"] == "processed"), "{refunds:?}");
    let sum: Decimal = refunds.iter().map(|r| Decimal::from_str(r["amount"].as_str().unwrap()).unwrap()).sum();
    assert_eq!(sum, d.total);

    // The order page shows each request and refund with where it stands.
    let page = app.get_html_with_cookies(&format!("/orders/{o}"), &format!("mandi_session={t}")).await;
    let html = page.text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"refund\" data-status=\"processed\"").count(), 3, "{html}");
    assert!(html.contains("data-testid=\"refund-request\" data-status=\"rejected\""));
}

#[sqlx::test(migrations = false)]
async fn two_refunds_approved_at_once_never_exceed_what_remains(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let d = delivered(&app, &pool).await;
    let second_admin = staff_token(&pool, "admin").await;
    // Each asks for 60 % of the total: both together would pass it.
    let part = (d.total * Decimal::new(6, 1)).round_dp(2).to_string();
    let body = json!({ "action": "approve_refund", "amount": part });
    let (one, two) =
        tokio::join!(act(&app, &d.order, &d.admin, body.clone()), act(&app, &d.order, &second_admin, body.clone()));
    let mut statuses = [one.0, two.0];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "{one:?} {two:?}");
    let mut tx = support::operator(&pool).await;
    let (refunded, total, state): (Decimal, Decimal, String) =
        sqlx::query_as("SELECT refunded_amount, total, state FROM orders WHERE id = $1::uuid")
            .bind(&d.order)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let queued: Decimal = sqlx::query_scalar("SELECT sum(amount) FROM refunds WHERE order_id = $1::uuid")
        .bind(&d.order)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(refunded, queued);
    assert!(refunded < total);
    assert_eq!(state, "delivered");
}
