//! `/api/v1/products` and `/api/v1/categories` against the real server and database.

mod support;

use serde_json::Value;
use sqlx::PgPool;
use support::TestApp;

fn assert_envelope_meta(body: &Value) {
    let meta = &body["meta"];
    assert!(meta["requestId"].as_str().is_some_and(|s| !s.is_empty()), "{body}");
    assert_eq!(meta["version"], "v1");
    assert!(chrono::DateTime::parse_from_rfc3339(meta["timestamp"].as_str().unwrap()).is_ok());
}

fn assert_validation_error(status: u16, body: &Value, field: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(body["error"]["retryable"], false);
    assert!(body["error"]["fields"][field].as_str().is_some(), "field {field} named: {body}");
    assert_envelope_meta(body);
}

#[sqlx::test(migrations = false)]
async fn lists_the_first_page_in_the_envelope(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, body) = app.get_json("/api/v1/products").await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_envelope_meta(&body);
    let items = body["data"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(body["pagination"]["page"], 1);
    assert_eq!(body["pagination"]["limit"], 20);
    assert_eq!(body["pagination"]["total"], 60);
    assert_eq!(body["pagination"]["hasMore"], true);
    let first = &items[0];
    // camelCase, ids as strings, money as decimal strings
    assert!(uuid::Uuid::parse_str(first["id"].as_str().unwrap()).is_ok());
    let price = first["priceFrom"].as_str().expect("price is a string");
    assert!(app::domain::money::Money::parse(price).is_ok(), "{price}");
    assert!(price.split('.').nth(1).is_some_and(|p| p.len() == 2));
    for key in ["slug", "name", "farmName", "farmRegion", "categorySlug", "categoryName", "imageUrl", "packFrom", "inStock"] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    // alphabetical without a query
    let names: Vec<&str> = items.iter().map(|p| p["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[sqlx::test(migrations = false)]
async fn pages_cover_the_catalogue_exactly_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut seen = std::collections::HashSet::new();
    for page in 1..=3 {
        let (_, body) = app.get_json(&format!("/api/v1/products?limit=25&page={page}")).await;
        for p in body["data"].as_array().unwrap() {
            assert!(seen.insert(p["id"].as_str().unwrap().to_string()), "duplicate across pages");
        }
        assert_eq!(body["pagination"]["hasMore"], page < 3);
    }
    assert_eq!(seen.len(), 60);
    let (status, body) = app.get_json("/api/v1/products?page=50").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 0);
    assert_eq!(body["pagination"]["total"], 60);
    assert_eq!(body["pagination"]["hasMore"], false);
}

#[sqlx::test(migrations = false)]
async fn full_text_search_with_prefixes_and_category_filter(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (_, body) = app.get_json("/api/v1/products?q=darjeeling").await;
    let names: Vec<String> = body["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    assert!(names.len() >= 4, "{names:?}");
    // Best match first: a name hit outranks a description-only hit.
    assert!(names[0].contains("Darjeeling"), "{names:?}");

    // A half-typed word still finds the product (prefix matching).
    let (_, body) = app.get_json("/api/v1/products?q=tomat").await;
    assert!(body["data"].as_array().unwrap().iter().any(|p| p["name"] == "Heirloom Tomatoes"), "{body}");
    // Stemming: the plural finds the singular and back.
    let (_, body) = app.get_json("/api/v1/products?q=carrot").await;
    assert!(body["data"].as_array().unwrap().iter().any(|p| p["name"] == "Ooty Carrots"));

    let (_, body) = app.get_json("/api/v1/products?category=spices&limit=100").await;
    let items = body["data"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|p| p["categorySlug"] == "spices"));

    let (_, body) = app.get_json("/api/v1/products?q=cardamom&category=vegetables").await;
    assert_eq!(body["pagination"]["total"], 0);

    let (status, body) = app.get_json("/api/v1/products?q=zzzzqqq").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = false)]
async fn hostile_search_input_is_harmless(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for q in [
        "%27%20OR%201%3D1%20--",            // ' OR 1=1 --
        "tea%20%26%20!pepper%20%7C%20(x",   // tsquery operators
        "%3A*%3A*%3A*",                     // :*:*:*
        "%F0%9F%8D%85",                     // 🍅
        "%E0%AE%AE%E0%AE%B2%E0%AF%8D%E0%AE%B2%E0%AE%BF", // மல்லி
        "%00",
        "%20%20%20",
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/products?q={q}")).await;
        assert_eq!(status, 200, "q={q}: {body}");
        assert_eq!(body["success"], true);
    }
    let long = "a".repeat(201);
    let (status, body) = app.get_json(&format!("/api/v1/products?q={long}")).await;
    assert_validation_error(status, &body, "q");
}

#[sqlx::test(migrations = false)]
async fn bad_parameters_are_400_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (query, field) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("category=Tea%20%26%20Co", "category"),
        ("category=..%2F..%2Fetc", "category"),
        ("q=a&q=b", "query"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/products?{query}")).await;
        assert_validation_error(status, &body, field);
    }
    // Several bad fields are reported together.
    let (status, body) = app.get_json("/api/v1/products?page=0&limit=0").await;
    assert_validation_error(status, &body, "page");
    assert!(body["error"]["fields"]["limit"].is_string());
    // Unknown parameters are ignored, not errors.
    let (status, _) = app.get_json("/api/v1/products?utm_source=x").await;
    assert_eq!(status, 200);
}

#[sqlx::test(migrations = false)]
async fn product_by_id_and_its_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (_, list) = app.get_json("/api/v1/products?q=cardamom").await;
    let id = list["data"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = app.get_json(&format!("/api/v1/products/{id}")).await;
    assert_eq!(status, 200);
    let p = &body["data"];
    assert_eq!(p["id"], id.as_str());
    assert!(p["farm"]["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(p["category"]["slug"], "spices");
    let variants = p["variants"].as_array().unwrap();
    assert!(!variants.is_empty());
    for v in variants {
        assert!(v["price"].is_string() && v["available"].is_number() && v["label"].is_string());
    }

    let (status, body) = app.get_json(&format!("/api/v1/products/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert_envelope_meta(&body);

    let (status, body) = app.get_json("/api/v1/products/not-a-uuid").await;
    assert_validation_error(status, &body, "id");
}

#[sqlx::test(migrations = false)]
async fn another_tenants_products_never_appear(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, body) = app.get_json("/api/v1/products?q=glenmora").await;
    assert_eq!(body["pagination"]["total"], 0, "darjberry's product leaked: {body}");
    let other: uuid::Uuid = sqlx::query_scalar(
        "SELECT p.id FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'darjberry' LIMIT 1",
    )
    .fetch_one(&mut *support::operator(&pool).await)
    .await
    .unwrap();
    let (status, _) = app.get_json(&format!("/api/v1/products/{other}")).await;
    assert_eq!(status, 404);
    let (_, body) = app.get_json("/api/v1/products?limit=100&page=1").await;
    assert_eq!(body["pagination"]["total"], 60);
}

#[sqlx::test(migrations = false)]
async fn stock_reflects_unexpired_reservations_shared_by_pack_sizes(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, list) = app.get_json("/api/v1/products?q=cinnamon").await;
    let id = list["data"][0]["id"].as_str().unwrap().to_string();
    let (_, before) = app.get_json(&format!("/api/v1/products/{id}")).await;
    let variant = before["data"]["variants"][0]["id"].as_str().unwrap().to_string();
    let mut tx = support::operator(&pool).await;
    // 1,000 g on hand for packs of 50 g: 20 packs. Held: 300 g live, 500 g expired.
    let (tenant, item, per_unit): (uuid::Uuid, uuid::Uuid, i32) = sqlx::query_as(
        "UPDATE stock_items s SET on_hand = 1000 FROM product_variants v
         WHERE v.id = $1::uuid AND s.tenant_id = v.tenant_id AND s.id = v.stock_item_id
         RETURNING s.tenant_id, s.id, v.stock_per_unit",
    )
    .bind(&variant)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(per_unit, 50);
    sqlx::query(
        "INSERT INTO stock_reservations (tenant_id, stock_item_id, order_id, quantity, reserved_until)
         VALUES ($1, $2, gen_random_uuid(), 300, now() + interval '15 minutes'),
                ($1, $2, gen_random_uuid(), 500, now() - interval '1 second')",
    )
    .bind(tenant)
    .bind(item)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, after) = app.get_json(&format!("/api/v1/products/{id}")).await;
    assert_eq!(after["data"]["variants"][0]["available"], 14, "(1000 - 300) / 50");
    // Every pack size of the lot sees the same grams: 700 g is 7 packs of 100 g.
    assert_eq!(after["data"]["variants"][1]["available"], 7);
    // The database itself refuses negative stock.
    let negative = sqlx::query("UPDATE stock_items SET on_hand = -1 WHERE id = $1")
        .bind(item)
        .execute(&mut *support::operator(&pool).await)
        .await;
    assert!(negative.is_err());
}

#[sqlx::test(migrations = false)]
async fn categories_list_with_counts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, body) = app.get_json("/api/v1/categories").await;
    assert_eq!(status, 200);
    let cats = body["data"].as_array().unwrap();
    let slugs: Vec<&str> = cats.iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["tea", "spices", "vegetables", "fruits", "pantry"]);
    let total: i64 = cats.iter().map(|c| c["productCount"].as_i64().unwrap()).sum();
    assert_eq!(total, 60);
}
