//! The shopper's address book over the API and at checkout: India's states only, a PIN
//! code of its state, one default, nobody else's addresses.
use crate::checkout::{add, customer, shop, stocked};
use crate::support::TestApp;
use serde_json::{Value, json};
use sqlx::PgPool;

fn home() -> Value {
    json!({ "name": "Meena", "phone": "9840012345", "line1": "4 Temple Street", "city": "Madurai", "pincode": "625001",
            "state": "tamil nadu" })
}

#[sqlx::test(migrations = false)]
async fn shoppers_keep_addresses_with_one_default_and_only_their_own(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, me) = customer(&pool).await;
    let (_, other) = customer(&pool).await;
    let (status, first) = app.post_json("/api/v1/me/addresses", &home(), Some(&me)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (first["data"]["state"].as_str(), first["data"]["isDefault"].as_bool()),
        (Some("Tamil Nadu"), Some(true))
    );
    let mut office = home();
    office["line1"] = json!("12 Anna Salai");
    office["city"] = json!("Chennai");
    office["pincode"] = json!("600002");
    office["makeDefault"] = json!(true);
    let (_, second) = app.post_json("/api/v1/me/addresses", &office, Some(&me)).await;
    let (_, list) = app.get_json_as("/api/v1/me/addresses", &me).await;
    let defaults: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["isDefault"] == true)
        .map(|a| a["line1"].as_str().unwrap())
        .collect();
    assert_eq!(defaults, ["12 Anna Salai"], "one default, the newest asked for: {list}");

    // Bad input is named by field.
    for (field, value, expect) in [
        ("state", json!("Madras"), "state"),
        ("pincode", json!("110001"), "pincode"),
        ("phone", json!("12345"), "phone"),
        ("line1", json!(""), "line1"),
    ] {
        let mut bad = home();
        bad[field] = value;
        let (status, body) = app.post_json("/api/v1/me/addresses", &bad, Some(&me)).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert!(body["error"]["fields"][expect].is_string(), "{field}: {body}");
    }
    // Someone else's address does not exist for them.
    let id = second["data"]["id"].as_str().unwrap();
    let r = app
        .client
        .put(app.url(&format!("/api/v1/me/addresses/{id}")))
        .bearer_auth(&other)
        .json(&home())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app.client.delete(app.url(&format!("/api/v1/me/addresses/{id}"))).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let (_, theirs) = app.get_json_as("/api/v1/me/addresses", &other).await;
    assert_eq!(theirs["data"], json!([]));
    // Removing the default passes it on.
    let r = app.client.delete(app.url(&format!("/api/v1/me/addresses/{id}"))).bearer_auth(&me).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (_, list) = app.get_json_as("/api/v1/me/addresses", &me).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["isDefault"], true);
}

#[sqlx::test(migrations = false)]
async fn checkout_keeps_the_address_when_asked_and_shows_what_is_bought(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let shop = shop(&pool).await;
    let (_, v) = stocked(&pool, &shop, 10, &[(1, "120.00")]).await;
    let (_, me) = customer(&pool).await;
    add(&app, &me, v[0], json!(2)).await;
    let (_, slots) = app.get_json("/api/v1/checkout/slots").await;
    let mut body = home();
    body["slot"] = slots["data"][0]["key"].clone();
    body["saveAddress"] = json!("true");
    body["pincode"] = json!("682001");
    let (status, bad) = app.post_json("/api/v1/checkout", &body, Some(&me)).await;
    assert_eq!(status, 400);
    assert_eq!(bad["error"]["fields"]["pincode"], "is not a PIN code of Tamil Nadu");
    body["pincode"] = json!("625001");
    let (status, placed) = app.post_json("/api/v1/checkout", &body, Some(&me)).await;
    assert_eq!(status, 201, "{placed}");
    let (_, list) = app.get_json_as("/api/v1/me/addresses", &me).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    // The same address again is not kept twice.
    add(&app, &me, v[0], json!(1)).await;
    assert_eq!(app.post_json("/api/v1/checkout", &body, Some(&me)).await.0, 201);
    let (_, list) = app.get_json_as("/api/v1/me/addresses", &me).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // The checkout page offers it and lists the items with their prices.
    add(&app, &me, v[0], json!(3)).await;
    let html = app.get_html_with_cookies("/checkout", &format!("mandi_session={me}")).await.text().await.unwrap();
    assert!(html.contains("4 Temple Street, Madurai 625001, Tamil Nadu"), "{html}");
    assert_eq!(html.matches("data-testid=\"checkout-line\"").count(), 1);
    assert!(html.contains("₹360.00"), "3 × ₹120 shown: {html}");
    let html =
        app.get_html_with_cookies("/account/addresses", &format!("mandi_session={me}")).await.text().await.unwrap();
    assert!(html.contains("data-testid=\"address-book\""));
}
