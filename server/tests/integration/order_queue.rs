//! The store's order queue: found from the header, filtered by state, day, number or
//! phone, followed live by staff, and worked several orders at a time.
use crate::checkout::{add, checkout, customer, pay, shop, staff_token, stocked};
use crate::support::{SseClient, TestApp};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

/// Three paid orders of one customer; their ids and numbers, oldest first.
async fn three_paid_orders(app: &TestApp, pool: &PgPool) -> (String, Vec<(String, i64)>) {
    let shop = shop(pool).await;
    let (_, v) = stocked(pool, &shop, 30, &[(1, "120.00")]).await;
    let (_, token) = customer(pool).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        add(app, &token, v[0], json!(1)).await;
        let (_, placed) = checkout(app, &token).await;
        let id = placed["data"]["orderId"].as_str().expect("placed").to_string();
        pay(app, &token, &id, true).await;
        orders.push((id, placed["data"]["number"].as_i64().unwrap()));
    }
    (token, orders)
}

async fn call_fn(app: &TestApp, path: &str, body: Value, bearer: Option<&str>) -> (u16, Value) {
    let mut request = app.client.post(app.url(path)).json(&body);
    if let Some(token) = bearer {
        request = request.header("cookie", format!("mandi_session={token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn numbers(page: &Value) -> Vec<i64> {
    page["data"].as_array().unwrap().iter().map(|o| o["number"].as_i64().unwrap()).collect()
}

#[sqlx::test(migrations = false)]
async fn orders_are_found_by_state_day_number_and_phone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, orders) = three_paid_orders(&app, &pool).await;
    let staff = staff_token(&pool, "staff").await;
    let list = |query: String| {
        let (app, staff) = (&app, staff.clone());
        async move { app.get_json_as(&format!("/api/v1/orders?scope=all&{query}"), &staff).await }
    };
    let (status, page) = list(format!("q=%23{}", orders[1].1)).await;
    assert_eq!((status, numbers(&page)), (200, vec![orders[1].1]), "{page}");
    let (_, page) = list("q=98400%2010001&state=paid".into()).await;
    let mine: Vec<i64> = orders.iter().rev().map(|o| o.1).collect();
    assert!(numbers(&page).starts_with(&mine), "{page}");
    assert!(page["data"][0]["customerName"].as_str().is_some_and(|n| !n.is_empty()));
    let today = chrono::Utc::now().with_timezone(&chrono_tz_ist()).date_naive();
    let (_, page) = list(format!("from={today}&to={today}&q=9840010001")).await;
    assert!(numbers(&page).starts_with(&mine), "{page}");
    let (_, page) = list(format!("from={}&q=9840010001", today.succ_opt().unwrap())).await;
    assert_eq!(numbers(&page), Vec::<i64>::new());
    // Bad filters name their field.
    for (query, field) in [
        ("q=tea", "q"),
        ("from=2026-13-01", "from"),
        ("from=2026-12-07&to=2026-12-01", "to"),
        ("state=shipping", "state"),
    ] {
        let (status, body) = list(query.into()).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{query}: {body}");
    }
    // The staff page, filtered in its address, and the header that leads there.
    let page =
        app.get_html_with_cookies(&format!("/admin/orders?q={}", orders[0].1), &format!("mandi_session={staff}")).await;
    let html = page.text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"queue-row\"").count(), 1, "{html}");
    assert!(html.contains("data-testid=\"store-orders-link\""));
    let page = app.get_html_with_cookies("/admin/orders?from=someday", &format!("mandi_session={staff}")).await;
    assert!(page.text().await.unwrap().contains("data-testid=\"error-from\""));
}

fn chrono_tz_ist() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap()
}

#[sqlx::test(migrations = false)]
async fn staff_pack_and_ship_several_orders_at_once_and_hear_of_every_change(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = staff_token(&pool, "staff").await;
    // Staff may read the order queue's stream (not the rest of operations); shoppers may not.
    let url = app.url("/api/v1/events?topic=orders");
    let mut stream = SseClient::connect(&url, Some(&staff), None).await.expect("staff read the queue");
    let (token, orders) = three_paid_orders(&app, &pool).await;
    assert_eq!(SseClient::connect(&url, Some(&token), None).await.err().unwrap().0, 403);
    assert_eq!(
        SseClient::connect(&app.url("/api/v1/events?topic=ops"), Some(&staff), None).await.err().unwrap().0,
        403
    );

    let ids: Vec<&str> = orders.iter().map(|o| o.0.as_str()).collect();
    let (status, outcomes) =
        call_fn(&app, "/_fn/orders/bulk", json!({ "ids": ids, "action": "pack" }), Some(&staff)).await;
    assert_eq!(status, 200, "{outcomes}");
    assert!(outcomes.as_array().unwrap().iter().all(|o| o["state"] == "packed"), "{outcomes}");
    // Packing again, and an id that is no order: each says why, the others move on.
    let (status, outcomes) =
        call_fn(&app, "/_fn/orders/bulk", json!({ "ids": [ids[0], "not-an-order"], "action": "ship" }), Some(&staff))
            .await;
    assert_eq!(status, 200, "{outcomes}");
    assert_eq!(outcomes[0]["state"], "shipped");
    assert!(outcomes[1]["error"].as_str().is_some_and(|e| !e.is_empty()), "{outcomes}");
    let (_, outcomes) =
        call_fn(&app, "/_fn/orders/bulk", json!({ "ids": [ids[0]], "action": "ship" }), Some(&staff)).await;
    assert!(outcomes[0]["error"].as_str().unwrap().contains("shipped"), "{outcomes}");
    // Only packing and shipping, only for those who work the orders, and not unbounded.
    let (status, body) =
        call_fn(&app, "/_fn/orders/bulk", json!({ "ids": ids, "action": "deliver" }), Some(&staff)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(call_fn(&app, "/_fn/orders/bulk", json!({ "ids": ids, "action": "pack" }), Some(&token)).await.0, 403);
    assert_eq!(call_fn(&app, "/_fn/orders/bulk", json!({ "ids": ids, "action": "pack" }), None).await.0, 401);
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    assert_eq!(call_fn(&app, "/_fn/orders/bulk", json!({ "ids": many, "action": "pack" }), Some(&staff)).await.0, 400);

    // Every change reached the queue's stream: three placed, three paid, three packed, one shipped.
    let mut seen = Vec::new();
    while let Some(event) = stream.next(Duration::from_secs(10)).await {
        let data: Value = serde_json::from_str(&event.data).unwrap();
        seen.push((data["orderId"].as_str().unwrap().to_string(), data["state"].as_str().unwrap().to_string()));
        if seen.len() == 10 {
            break;
        }
    }
    for (id, _) in &orders {
        for state in ["pending_payment", "paid", "packed"] {
            assert!(seen.contains(&(id.clone(), state.into())), "{id} {state}: {seen:?}");
        }
    }
    assert!(seen.contains(&(orders[0].0.clone(), "shipped".into())));
}

#[sqlx::test(migrations = false)]
async fn the_header_shows_the_cart_count_and_the_shoppers_orders(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 30, &[(1, "120.00")]).await;
    let (_, token) = customer(&pool).await;
    let count = |cookie: Option<String>| {
        let app = &app;
        async move {
            let r = app.call_fn("/_fn/cart/count", &[], cookie.as_deref()).await;
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let mine = Some(format!("mandi_session={token}"));
    assert_eq!(count(mine.clone()).await, (200, json!(0)));
    add(&app, &token, v[0], json!(3)).await;
    assert_eq!(count(mine.clone()).await, (200, json!(3)));
    assert_eq!(count(None).await, (200, json!(0)));
    let html = app.get_html_with_cookies("/", &format!("mandi_session={token}")).await.text().await.unwrap();
    assert!(html.contains("data-testid=\"orders-link\"") && html.contains("data-testid=\"cart-link\""));
    assert!(!html.contains("store-orders-link"), "shoppers do not work the store's orders");
    let (_, html) = app.get_html("/").await;
    assert!(html.contains("data-testid=\"cart-link\"") && html.contains("data-testid=\"sign-in-link\""));
    assert!(!html.contains("data-testid=\"orders-link\""));
}

/// The demo store opens on work: an order in every state, a request waiting, refunds
/// paid, all of it agreeing with the sandbox gateway's books, so an admin's refund of a
/// demo order is paid back like any other.
#[sqlx::test(migrations = false)]
async fn the_demo_store_has_orders_in_every_state_that_agree_with_the_gateway(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = crate::support::access_token(&app, "admin@greenharvest.demo").await;
    let (status, page) = app.get_json_as("/api/v1/orders?scope=all&limit=100", &admin).await;
    assert_eq!(status, 200, "{page}");
    let states: std::collections::BTreeSet<&str> =
        page["data"].as_array().unwrap().iter().map(|o| o["state"].as_str().unwrap()).collect();
    for s in app::domain::order_state::OrderState::ALL {
        assert!(states.contains(s.as_str()), "no demo order is {s}: {states:?}");
    }
    let config = crate::support::config_with(&[]);
    let payments = server::payments::Payments::from_config(&config.payments, &format!("http://{}", app.addr));
    let report = server::payments::jobs::reconcile(&pool, &payments, chrono::Duration::days(30)).await.unwrap();
    assert!(report.orders_checked >= 14, "{report:?}");
    assert_eq!((report.completed, report.mismatches), (0, 0), "the demo's books agree with the gateway's");

    let delivered = page["data"].as_array().unwrap().iter().find(|o| o["state"] == "delivered").unwrap();
    let id = delivered["id"].as_str().unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/orders/{id}/actions"),
            &json!({ "action": "approve_refund", "amount": "10.00" }),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    crate::support::wait_for("the demo order's refund paid back", Duration::from_secs(20), async || {
        let (_, d) = app.get_json_as(&format!("/api/v1/orders/{id}"), &admin).await;
        d["data"]["refunds"].as_array().unwrap().iter().any(|r| r["status"] == "processed" && r["amount"] == "10.00")
    })
    .await;
    // The staff queue opens on the paid orders waiting to be packed.
    let staff = crate::support::access_token(&app, "staff@greenharvest.demo").await;
    let html = app
        .get_html_with_cookies("/admin/orders?state=paid", &format!("mandi_session={staff}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.matches("data-testid=\"queue-row\"").count() >= 3, "{html}");
}
