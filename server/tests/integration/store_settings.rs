//! Prices and delivery as the store's admin sets them: checkout follows at once, bad
//! settings are refused by field and change nothing, and a coupon's dates and use
//! limits hold, even when shoppers press "Pay" at the same moment.
use crate::checkout::{add, customer, shop, staff_token, stocked};
use crate::support::{TestApp, access_token};
use serde_json::{Value, json};
use sqlx::PgPool;

fn body_with(slot: &str, coupon: Option<&str>) -> Value {
    json!({ "name": "Ananya Iyer", "phone": "9840010001", "line1": "12 Lake View Road", "city": "Chennai",
            "pincode": "600028", "state": "Tamil Nadu", "slot": slot, "coupon": coupon.unwrap_or("") })
}

async fn first_slot(app: &TestApp) -> String {
    let (_, slots) = app.get_json("/api/v1/checkout/slots").await;
    slots["data"][0]["key"].as_str().unwrap().to_string()
}

async fn checkout_with(app: &TestApp, token: &str, coupon: Option<&str>) -> (u16, Value) {
    let slot = first_slot(app).await;
    app.post_json("/api/v1/checkout", &body_with(&slot, coupon), Some(token)).await
}

#[sqlx::test(migrations = false)]
async fn the_store_admin_sets_delivery_and_checkout_follows(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@greenharvest.demo").await;
    let put = |who: String, body: Value| {
        let app = &app;
        async move {
            let r =
                app.client.put(app.url("/api/v1/store-settings")).bearer_auth(who).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let good = json!({ "deliveryFee": "30.00", "freeDeliveryFrom": "800", "windows": [{ "starts": "08:00", "ends": "11:00" }],
                       "cutOffHours": "2", "daysAhead": "3" });
    // Only the store's admin sets them.
    for who in
        [staff_token(&pool, "staff").await, customer(&pool).await.1, access_token(&app, "admin@darjberry.demo").await]
    {
        assert_eq!(put(who, good.clone()).await.0, 403);
    }
    // Every bad field is named and nothing changes.
    let bad = json!({ "deliveryFee": "-1", "freeDeliveryFrom": "lots", "windows": [{ "starts": "07:00", "ends": "10:00" },
                      { "starts": "09:00", "ends": "12:00" }], "cutOffHours": "99", "daysAhead": "0" });
    let (status, body) = put(admin.clone(), bad).await;
    assert_eq!(status, 400, "{body}");
    let fields: Vec<&String> = body["error"]["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["cutOffHours", "daysAhead", "deliveryFee", "freeDeliveryFrom", "windows"], "{body}");
    let (_, now) = app.get_json_as("/api/v1/store-settings", &admin).await;
    assert_eq!(now["data"]["deliveryFee"], "49.00", "unchanged: {now}");

    let (status, body) = put(admin.clone(), good).await;
    assert_eq!(status, 200, "{body}");
    // The slots follow: one window a day, at 08:00 store time, three days ahead at most.
    let (_, slots) = app.get_json("/api/v1/checkout/slots").await;
    let slots = slots["data"].as_array().unwrap();
    assert!(!slots.is_empty() && slots.len() <= 4, "{slots:?}");
    assert!(slots.iter().all(|s| s["startsAt"].as_str().unwrap().ends_with("T02:30:00Z")), "{slots:?}");
    // So do the cart's delivery fee and checkout's total.
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 10, &[(1, "120.00")]).await;
    let (_, token) = customer(&pool).await;
    let (_, cart) = add(&app, &token, v[0], json!(2)).await;
    assert_eq!(cart["data"]["quote"]["deliveryFee"], "30.00", "{cart}");
    let (status, placed) = checkout_with(&app, &token, None).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["data"]["total"], "270.00");
    // A window the store no longer has is refused by field.
    add(&app, &token, v[0], json!(1)).await;
    let old = app::domain::delivery_slot::open_slots(chrono::Utc::now(), &Default::default())
        .into_iter()
        .find(|s| s.label().contains("5–8 pm"))
        .unwrap()
        .key();
    let (status, body) = app.post_json("/api/v1/checkout", &body_with(&old, None), Some(&token)).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["slot"].is_string(), "{body}");
    assert_eq!(crate::support::audit_count(&pool, "store.settings_changed").await, 1);
}

#[sqlx::test(migrations = false)]
async fn coupons_hold_their_dates_and_limits_even_when_shoppers_pay_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@greenharvest.demo").await;
    let create = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move { app.post_json("/api/v1/coupons", &body, Some(&admin)).await }
    };
    let (status, body) = create(json!({ "code": "last2", "kind": "fixed", "value": "20", "totalLimit": "2" })).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["code"], "LAST2");
    let (status, body) = create(json!({ "code": "LAST2", "kind": "fixed", "value": "20" })).await;
    assert_eq!((status, body["error"]["fields"]["code"].is_string()), (400, true), "{body}");
    let (status, body) = create(
        json!({ "code": "x", "kind": "bogof", "value": "-5", "validFrom": "2026-12-31", "validUntil": "2026-12-01" }),
    )
    .await;
    assert_eq!(status, 400);
    let fields: Vec<&String> = body["error"]["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["code", "kind", "validUntil"], "{body}");
    let staff = staff_token(&pool, "staff").await;
    assert_eq!(
        app.post_json("/api/v1/coupons", &json!({ "code": "MINE", "kind": "fixed", "value": "5" }), Some(&staff))
            .await
            .0,
        403
    );
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(2)).date_naive();
    let next_week = (chrono::Utc::now() + chrono::Duration::days(7)).date_naive();
    create(json!({ "code": "OLD", "kind": "percent", "value": "5", "validUntil": yesterday.to_string() })).await;
    create(json!({ "code": "SOON", "kind": "percent", "value": "5", "validFrom": next_week.to_string() })).await;
    create(json!({ "code": "ONCE", "kind": "percent", "value": "5", "perCustomerLimit": "1" })).await;

    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 100, &[(1, "100.00")]).await;
    let mut shoppers = Vec::new();
    for _ in 0..4 {
        let (_, token) = customer(&pool).await;
        add(&app, &token, v[0], json!(1)).await;
        shoppers.push(token);
    }
    let coupon_error = |body: &Value| body["error"]["fields"]["coupon"].as_str().unwrap_or_default().to_string();
    let (status, body) = checkout_with(&app, &shoppers[0], Some("OLD")).await;
    assert_eq!(status, 400);
    assert!(coupon_error(&body).starts_with("expired on"), "{body}");
    let (_, body) = checkout_with(&app, &shoppers[0], Some("SOON")).await;
    assert!(coupon_error(&body).starts_with("can be used from"), "{body}");
    let (_, body) = checkout_with(&app, &shoppers[0], Some("NOPE")).await;
    assert_eq!(coupon_error(&body), "is not a coupon we know");

    // Four shoppers, two uses left: exactly two orders get it.
    let results = futures::future::join_all(shoppers.iter().map(|t| checkout_with(&app, t, Some("last2")))).await;
    let won: Vec<&(u16, Value)> = results.iter().filter(|r| r.0 == 201).collect();
    assert_eq!(won.len(), 2, "{results:?}");
    for (status, body) in results.iter().filter(|r| r.0 != 201) {
        assert_eq!(*status, 400);
        assert_eq!(coupon_error(body), "has been used as many times as it may be");
    }
    assert!(won.iter().all(|(_, b)| b["data"]["total"] == "129.00"), "₹100 − ₹20 + ₹49 delivery: {won:?}");
    // A cancelled order gives its use back.
    let order = won[0].1["data"]["orderId"].as_str().unwrap();
    let winner = results.iter().position(|r| r.1["data"]["orderId"].as_str() == Some(order)).unwrap();
    let (status, _) = app
        .post_json(&format!("/api/v1/orders/{order}/actions"), &json!({ "action": "cancel" }), Some(&shoppers[winner]))
        .await;
    assert_eq!(status, 200);
    let loser = results.iter().position(|r| r.0 != 201).unwrap();
    assert_eq!(checkout_with(&app, &shoppers[loser], Some("LAST2")).await.0, 201);
    let (_, list) = app.get_json_as("/api/v1/coupons", &admin).await;
    let last2 = list["data"].as_array().unwrap().iter().find(|c| c["code"] == "LAST2").unwrap().clone();
    assert_eq!(last2["uses"], 2, "{last2}");

    // Once per shopper.
    let (_, token) = customer(&pool).await;
    add(&app, &token, v[0], json!(1)).await;
    assert_eq!(checkout_with(&app, &token, Some("once")).await.0, 201);
    add(&app, &token, v[0], json!(1)).await;
    let (status, body) = checkout_with(&app, &token, Some("ONCE")).await;
    assert_eq!(status, 400);
    assert!(coupon_error(&body).contains("you have used it as many times as it allows (1)"), "{body}");
}

/// The settings screen, and its forms posted as a browser posts them (URL-encoded,
/// the windows on one line).
#[sqlx::test(migrations = false)]
async fn the_settings_screen_saves_its_forms_and_names_bad_fields(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = format!("mandi_session={}", access_token(&app, "admin@greenharvest.demo").await);
    let html = app.get_html_with_cookies("/admin/settings", &admin).await.text().await.unwrap();
    assert!(html.contains("data-testid=\"delivery-form\""), "{html}");
    assert!(html.contains("value=\"07:00-10:00, 10:00-13:00, 17:00-20:00\""));
    assert!(html.contains("data-code=\"MONSOON50\""), "the demo's coupons are listed");
    let staff = format!("mandi_session={}", access_token(&app, "staff@greenharvest.demo").await);
    let html = app.get_html_with_cookies("/admin/settings", &staff).await.text().await.unwrap();
    assert!(!html.contains("data-testid=\"delivery-form\""));

    let form = |fee: &'static str, windows: &'static str| {
        vec![
            ("settings[deliveryFee]", fee),
            ("settings[freeDeliveryFrom]", "600"),
            ("settings[windows]", windows),
            ("settings[cutOffHours]", "3"),
            ("settings[daysAhead]", "5"),
        ]
    };
    let r = app.call_fn("/_fn/store/settings/save", &form("abc", "07:00-10:00, 9am"), Some(&admin)).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["fields"]["deliveryFee"].is_string() && body["fields"]["windows"].is_string(), "{body}");
    let r = app.call_fn("/_fn/store/settings/save", &form("25", "06:30-09:00, 18:00-20:30"), Some(&admin)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, slots) = app.get_json("/api/v1/checkout/slots").await;
    assert!(
        slots["data"].as_array().unwrap().iter().all(|s| s["label"].as_str().unwrap().contains("6:30–9 am")
            || s["label"].as_str().unwrap().contains("6–8:30 pm")),
        "{slots}"
    );
    let r = app.call_fn("/_fn/store/settings/save", &form("25", "06:30-09:00"), Some(&staff)).await;
    assert_eq!(r.status(), 403);

    let coupon = [
        ("coupon[code]", "rain20"),
        ("coupon[kind]", "percent"),
        ("coupon[value]", "20"),
        ("coupon[maxOff]", "150"),
        ("coupon[active]", "true"),
        ("create", "true"),
    ];
    let r = app.call_fn("/_fn/store/coupons/save", &coupon, Some(&admin)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app.call_fn("/_fn/store/coupons/save", &coupon, Some(&admin)).await;
    assert_eq!(r.status(), 400, "the code exists");
    let html = app.get_html_with_cookies("/admin/settings", &admin).await.text().await.unwrap();
    assert!(html.contains("data-code=\"RAIN20\""));
}
