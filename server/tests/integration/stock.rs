//! The store's stock by hand: changes with a reason that never take the count below zero
//! or below what is held, each a movement and an audit entry; thresholds that open and
//! resolve low-stock alerts, and a sale that takes an item under its threshold.
use crate::checkout::{add, checkout, customer, pay, shop, staff_token, stocked};
use crate::support::{self, TestApp, access_token};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

async fn open_low_alerts(pool: &PgPool, item: Uuid) -> i64 {
    let mut tx = support::operator(pool).await;
    let n = sqlx::query_scalar(
        "SELECT count(*) FROM alerts WHERE kind = 'low_stock' AND subject_type = 'stock_item' AND subject_id = $1 AND resolved_at IS NULL",
    )
    .bind(item.to_string())
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    n
}

#[sqlx::test(migrations = false)]
async fn staff_change_stock_with_a_reason_and_low_stock_opens_an_alert(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = staff_token(&pool, "staff").await;
    let shop = shop(&pool).await;
    let (item, v) = stocked(&pool, &shop, 100, &[(10, "50.00")]).await;
    let adjust = |who: String, body: Value| {
        let app = &app;
        async move { app.post_json(&format!("/api/v1/stock/{item}/adjustments"), &body, Some(&who)).await }
    };
    // The demo opens on low items, alerts open.
    let (status, low) = app.get_json_as("/api/v1/stock?low=true", &staff).await;
    assert_eq!(status, 200, "{low}");
    assert!(low["data"].as_array().unwrap().len() >= 3, "{low}");
    let demo_low = Uuid::parse_str(low["data"][0]["id"].as_str().unwrap()).unwrap();
    assert_eq!(open_low_alerts(&pool, demo_low).await, 1);
    // Others may not.
    assert_eq!(app.get_json_as("/api/v1/stock", &customer(&pool).await.1).await.0, 403);
    assert_eq!(app.get_json_as("/api/v1/stock", &access_token(&app, "admin@darjberry.demo").await).await.0, 403);

    let (status, body) =
        adjust(staff.clone(), json!({ "reason": "damage", "delta": -30, "note": "crushed crate" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["data"]["onHand"].as_i64(), body["data"]["available"].as_i64()), (Some(70), Some(70)));
    // Every bad change is named and changes nothing.
    for (bad, field) in [
        (json!({ "reason": "damage", "delta": -71 }), "delta"),
        (json!({ "reason": "damage", "delta": 5 }), "delta"),
        (json!({ "reason": "theft", "delta": -1 }), "reason"),
        (json!({ "reason": "count_correction", "delta": "ten" }), "delta"),
        (json!({ "reason": "count_correction", "delta": 0 }), "delta"),
    ] {
        let (status, body) = adjust(staff.clone(), bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{bad}: {body}");
    }
    let r = app
        .post_json(
            &format!("/api/v1/stock/{}/adjustments", Uuid::now_v7()),
            &json!({ "reason": "return", "delta": 1 }),
            Some(&staff),
        )
        .await;
    assert_eq!(r.0, 404);
    // Stock held for an order being paid stays.
    let (_, shopper) = customer(&pool).await;
    add(&app, &shopper, v[0], json!(5)).await;
    let (_, placed) = checkout(&app, &shopper).await;
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    let (status, body) = adjust(staff.clone(), json!({ "reason": "count_correction", "delta": -30 })).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["delta"].as_str().unwrap().contains("50 are held"), "{body}");

    // A threshold at or over what is on hand opens one alert; counting more resolves it.
    let put = |t: Value| {
        let (app, staff) = (&app, staff.clone());
        async move {
            let r = app
                .client
                .put(app.url(&format!("/api/v1/stock/{item}/threshold")))
                .bearer_auth(staff)
                .json(&json!({ "threshold": t }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(put(json!(-1)).await.0, 400);
    let (status, body) = put(json!(75)).await;
    assert_eq!((status, body["data"]["low"].as_bool()), (200, Some(true)), "70 on hand, threshold 75: {body}");
    assert_eq!(open_low_alerts(&pool, item).await, 1);
    put(json!(72)).await;
    assert_eq!(open_low_alerts(&pool, item).await, 1, "still one alert");
    let (_, body) =
        adjust(staff.clone(), json!({ "reason": "count_correction", "delta": 40, "note": "found a crate" })).await;
    assert_eq!(body["data"]["low"], false, "{body}");
    assert_eq!(open_low_alerts(&pool, item).await, 0);
    // Paying sells the held stock: 110 − 50 = 60 on hand; a threshold of 60 makes it low.
    put(json!(60)).await;
    assert_eq!(open_low_alerts(&pool, item).await, 0, "110 on hand, 50 of them held: not low until sold");
    pay(&app, &shopper, &order, true).await;
    assert_eq!(open_low_alerts(&pool, item).await, 1, "the sale left 60 on hand, at its threshold");

    // Every change is a movement with its reason, and an audit entry.
    let mut tx = support::operator(&pool).await;
    let moves: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT delta, reason, note FROM stock_movements WHERE stock_item_id = $1 ORDER BY id")
            .bind(item)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        moves,
        [
            (-30, "damaged".into(), Some("crushed crate".into())),
            (40, "count_corrected".into(), Some("found a crate".into())),
            (-50, "sold".into(), None),
        ]
    );
    assert_eq!(support::audit_count(&pool, "stock.adjusted").await, 2);
}

/// The stock screen: low items first, and a change posted as its form posts it.
#[sqlx::test(migrations = false)]
async fn the_stock_screen_lists_low_items_first_and_applies_a_change(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = format!("mandi_session={}", access_token(&app, "staff@greenharvest.demo").await);
    let html = app.get_html_with_cookies("/admin/stock?low=true", &staff).await.text().await.unwrap();
    assert!(html.matches("data-testid=\"stock-item\"").count() >= 3, "{html}");
    assert!(html.contains("data-low=\"true\""));
    let shop = shop(&pool).await;
    let (item, _) = stocked(&pool, &shop, 100, &[(10, "50.00")]).await;
    let id = item.to_string();
    let r = app
        .call_fn(
            "/_fn/stock/adjust",
            &[("id", &id), ("reason", "damage"), ("delta", "-20"), ("note", "wet")],
            Some(&staff),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r =
        app.call_fn("/_fn/stock/adjust", &[("id", &id), ("reason", "damage"), ("delta", "-500")], Some(&staff)).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["fields"]["delta"].as_str().unwrap().contains("below zero"), "{body}");
    let r = app.call_fn("/_fn/stock/threshold", &[("id", &id), ("threshold", "90")], Some(&staff)).await;
    let now: Value = r.json().await.unwrap();
    assert_eq!((now["on_hand"].as_i64(), now["low"].as_bool()), (Some(80), Some(true)), "{now}");
    let customer = format!("mandi_session={}", customer(&pool).await.1);
    assert_eq!(app.call_fn("/_fn/stock/levels", &[], Some(&customer)).await.status(), 403);
}
