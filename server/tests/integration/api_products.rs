//! `/api/v1/products` and `/api/v1/categories` against the real server and database.

use crate::support;

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
    for key in
        ["slug", "name", "farmName", "farmRegion", "categorySlug", "categoryName", "imageUrl", "packFrom", "inStock"]
    {
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
    let names: Vec<String> =
        body["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
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
        "%27%20OR%201%3D1%20--",                         // ' OR 1=1 --
        "tea%20%26%20!pepper%20%7C%20(x",                // tsquery operators
        "%3A*%3A*%3A*",                                  // :*:*:*
        "%F0%9F%8D%85",                                  // 🍅
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

// ---- Filters, sorts, typo tolerance, provenance and trace (issue 7) ----

use std::collections::{BTreeSet, HashSet};

fn items(body: &Value) -> &Vec<Value> {
    body["data"].as_array().unwrap_or_else(|| panic!("a list: {body}"))
}

fn money(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap_or_else(|| panic!("decimal string: {v}")).parse().unwrap()
}

/// Every item of a filtered listing, walking its pages; checks the pages agree.
async fn all_pages(app: &TestApp, query: &str) -> (Vec<Value>, u64) {
    let mut out = Vec::new();
    let mut total = None;
    for page in 1.. {
        let (status, body) = app.get_json(&format!("/api/v1/products?{query}&limit=100&page={page}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        let t = body["pagination"]["total"].as_u64().unwrap();
        assert_eq!(*total.get_or_insert(t), t, "total stable across pages");
        out.extend(items(&body).iter().cloned());
        if body["pagination"]["hasMore"] == false {
            break;
        }
    }
    (out, total.unwrap())
}

async fn store_ids(pool: &PgPool, sql: &str) -> BTreeSet<String> {
    let rows: Vec<uuid::Uuid> = sqlx::query_scalar(sql).fetch_all(&mut *support::operator(pool).await).await.unwrap();
    rows.into_iter().map(|u| u.to_string()).collect()
}

fn ids(list: &[Value]) -> BTreeSet<String> {
    list.iter().map(|p| p["id"].as_str().unwrap().to_string()).collect()
}

const GH: &str = "(SELECT id FROM tenants WHERE slug = 'greenharvest')";

#[sqlx::test(migrations = false)]
async fn list_items_carry_price_farm_and_stock(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (_, body) = app.get_json("/api/v1/products?limit=5").await;
    for item in items(&body) {
        assert_eq!(item["price"], item["priceFrom"], "price is the lowest pack price: {item}");
        assert!(app::domain::money::Money::parse(item["price"].as_str().unwrap()).is_ok());
        assert_eq!(item["farm"]["name"], item["farmName"]);
        assert!(item["farm"]["slug"].as_str().is_some_and(|s| !s.is_empty()), "{item}");
        assert!(item["inStock"].is_boolean() && item["imageUrl"].is_string());
    }
}

#[sqlx::test(migrations = false)]
async fn price_range_filter_uses_the_lowest_pack_price(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (list, total) = all_pages(&app, "minPrice=100&maxPrice=300").await;
    assert!(!list.is_empty());
    assert_eq!(list.len() as u64, total);
    let (lo, hi) = (rust_decimal::Decimal::from(100), rust_decimal::Decimal::from(300));
    for p in &list {
        let price = money(&p["price"]);
        assert!(price >= lo && price <= hi, "{} at {price}", p["name"]);
    }
    let expected = store_ids(
        &pool,
        &format!(
            "SELECT p.id FROM products p WHERE p.tenant_id = {GH} AND p.active
             AND (SELECT min(price) FROM product_variants v WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id) BETWEEN 100 AND 300"
        ),
    )
    .await;
    assert_eq!(ids(&list), expected);
    // Bounds are inclusive: a product's exact price finds it from both sides.
    let price = list[0]["price"].as_str().unwrap();
    let (_, body) = app.get_json(&format!("/api/v1/products?minPrice={price}&maxPrice={price}&limit=100")).await;
    assert!(items(&body).iter().any(|p| p["id"] == list[0]["id"]));
    assert!(items(&body).iter().all(|p| p["price"] == price));
}

#[sqlx::test(migrations = false)]
async fn farm_category_and_certification_filters_hold_for_every_item(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (list, total) = all_pages(&app, "farm=coonoor-spice-garden").await;
    assert!(total > 0);
    assert!(list.iter().all(|p| p["farm"]["slug"] == "coonoor-spice-garden"), "{list:?}");
    let expected = store_ids(
        &pool,
        &format!("SELECT p.id FROM products p JOIN farms f ON f.tenant_id = p.tenant_id AND f.id = p.farm_id WHERE p.tenant_id = {GH} AND p.active AND f.slug = 'coonoor-spice-garden'"),
    )
    .await;
    assert_eq!(ids(&list), expected);
    // Combined with category and text.
    let (_, body) = app.get_json("/api/v1/products?farm=coonoor-spice-garden&category=tea").await;
    assert_eq!(body["pagination"]["total"], 0);
    // An unknown (well-formed) farm is an empty listing, not an error.
    let (status, body) = app.get_json("/api/v1/products?farm=no-such-farm").await;
    assert_eq!((status, &body["pagination"]["total"]), (200, &serde_json::json!(0)));

    // Certification: the farm holds a certificate valid today, or one of the lots does.
    for scheme in ["rainforest-alliance", "npop-transaction-certificate", "india-organic-npop"] {
        let (list, total) = all_pages(&app, &format!("certification={scheme}")).await;
        let expected = store_ids(
            &pool,
            &format!(
                "SELECT p.id FROM products p WHERE p.tenant_id = {GH} AND p.active AND (
                   EXISTS (SELECT 1 FROM certifications c WHERE c.tenant_id = p.tenant_id AND c.farm_id = p.farm_id
                           AND c.scheme_slug = '{scheme}' AND current_date BETWEEN c.valid_from AND c.valid_until)
                   OR EXISTS (SELECT 1 FROM product_variants v JOIN stock_items s ON s.tenant_id = v.tenant_id AND s.id = v.stock_item_id
                              JOIN certifications c ON c.tenant_id = s.tenant_id AND c.batch_id = s.batch_id
                              WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id
                                AND c.scheme_slug = '{scheme}' AND current_date BETWEEN c.valid_from AND c.valid_until))"
            ),
        )
        .await;
        assert!(!expected.is_empty(), "the demo world has {scheme} products");
        assert_eq!(ids(&list), expected, "{scheme}");
        assert_eq!(total as usize, expected.len());
    }
    // Every store farm is certified organic today, so that filter keeps everything.
    let (_, body) = app.get_json("/api/v1/products?certification=india-organic-npop").await;
    assert_eq!(body["pagination"]["total"], 60);
    let (_, body) = app.get_json("/api/v1/products?certification=no-such-scheme").await;
    assert_eq!(body["pagination"]["total"], 0);
}

#[sqlx::test(migrations = false)]
async fn in_stock_filter_agrees_with_stock_levels(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let in_stock_sql = format!(
        "SELECT p.id FROM products p WHERE p.tenant_id = {GH} AND p.active AND EXISTS (
           SELECT 1 FROM product_variants v JOIN stock_levels sl ON sl.tenant_id = v.tenant_id AND sl.stock_item_id = v.stock_item_id
           WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND sl.available >= v.stock_per_unit)"
    );
    let expected = store_ids(&pool, &in_stock_sql).await;
    assert!(expected.len() < 60, "the demo world has products out of stock");
    let (list, total) = all_pages(&app, "inStock=true").await;
    assert_eq!(ids(&list), expected);
    assert_eq!(total as usize, expected.len());
    assert!(list.iter().all(|p| p["inStock"] == true));
    let (everything, _) = all_pages(&app, "inStock=false").await;
    assert_eq!(everything.len(), 60, "inStock=false does not filter");
    assert!(everything.iter().filter(|p| p["inStock"] == false).all(|p| !expected.contains(p["id"].as_str().unwrap())));

    // Hold every gram of one in-stock product: it leaves the filtered listing at once.
    let victim = list[0]["id"].as_str().unwrap().to_string();
    let mut tx = support::operator(&pool).await;
    sqlx::query(
        "INSERT INTO stock_reservations (tenant_id, stock_item_id, order_id, quantity, reserved_until)
         SELECT s.tenant_id, s.id, gen_random_uuid(), s.on_hand, now() + interval '15 minutes'
         FROM stock_items s WHERE s.on_hand > 0 AND s.id IN (SELECT stock_item_id FROM product_variants WHERE product_id = $1::uuid)",
    )
    .bind(&victim)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (after, total_after) = all_pages(&app, "inStock=true").await;
    assert_eq!(total_after, total - 1);
    assert!(!ids(&after).contains(&victim));
    assert_eq!(ids(&after), store_ids(&pool, &in_stock_sql).await);
}

#[sqlx::test(migrations = false)]
async fn sorts_order_every_page(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (by_price, _) = all_pages(&app, "sort=price").await;
    assert_eq!(by_price.len(), 60);
    let prices: Vec<_> = by_price.iter().map(|p| money(&p["price"])).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "ascending: {prices:?}");
    let (by_price_desc, _) = all_pages(&app, "sort=-price").await;
    let prices_desc: Vec<_> = by_price_desc.iter().map(|p| money(&p["price"])).collect();
    assert!(prices_desc.windows(2).all(|w| w[0] >= w[1]), "descending: {prices_desc:?}");
    assert_ne!(prices.first(), prices.last());
    let (newest, _) = all_pages(&app, "sort=newest").await;
    let dates: Vec<_> = newest
        .iter()
        .map(|p| chrono::DateTime::parse_from_rfc3339(p["createdAt"].as_str().unwrap()).unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(dates.first() != dates.last());
    // The same products in every order, each once.
    assert_eq!(ids(&by_price), ids(&newest));
    assert_eq!(ids(&by_price).len(), 60);
    // Sorting composes with filters (and text search).
    let (list, _) = all_pages(&app, "category=tea&sort=-price&inStock=true").await;
    assert!(list.iter().all(|p| p["categorySlug"] == "tea" && p["inStock"] == true));
    let ps: Vec<_> = list.iter().map(|p| money(&p["price"])).collect();
    assert!(ps.windows(2).all(|w| w[0] >= w[1]));
    let (list, _) = all_pages(&app, "q=darjeeling&sort=price").await;
    let ps: Vec<_> = list.iter().map(|p| money(&p["price"])).collect();
    assert!(list.len() >= 4 && ps.windows(2).all(|w| w[0] <= w[1]));
    // relevance without text is alphabetical, like no sort at all.
    let (_, a) = app.get_json("/api/v1/products?sort=relevance").await;
    let (_, b) = app.get_json("/api/v1/products").await;
    assert_eq!(ids(items(&a)), ids(items(&b)));
}

#[sqlx::test(migrations = false)]
async fn typos_still_find_the_product(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (typed, expected) in [
        ("cardamon", "Green Cardamom (8 mm bold)"),
        ("tomatos", "Heirloom Tomatoes"),
        ("peper", "Tellicherry Black Pepper"),
        ("darjeling", "Darjeeling First Flush"),
        ("tumeric", "Lakadong Turmeric Powder"),
        ("cinammon", "Cinnamon Quills"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/products?q={typed}")).await;
        assert_eq!(status, 200);
        let names: Vec<&str> = items(&body).iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert!(names.contains(&expected), "{typed} should find {expected}: {names:?}");
    }
    // Exact words still rank their own products first, and nonsense finds nothing.
    let (_, body) = app.get_json("/api/v1/products?q=cardamom").await;
    assert!(items(&body)[0]["name"].as_str().unwrap().contains("Cardamom"));
    let (_, body) = app.get_json("/api/v1/products?q=zzzzqqq").await;
    assert_eq!(body["pagination"]["total"], 0);
    // Typo search composes with filters.
    let (_, body) = app.get_json("/api/v1/products?q=cardamon&category=tea").await;
    assert_eq!(body["pagination"]["total"], 0);
}

#[sqlx::test(migrations = false)]
async fn pagination_totals_hold_under_filters(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for query in [
        "inStock=true",
        "minPrice=50&maxPrice=400&sort=price",
        "certification=npop-transaction-certificate",
        "q=tea&inStock=true",
    ] {
        let (_, first) = app.get_json(&format!("/api/v1/products?{query}&limit=7")).await;
        let total = first["pagination"]["total"].as_u64().unwrap();
        let mut seen = HashSet::new();
        let pages = total.div_ceil(7).max(1);
        for page in 1..=pages {
            let (_, body) = app.get_json(&format!("/api/v1/products?{query}&limit=7&page={page}")).await;
            assert_eq!(body["pagination"]["total"], total, "{query} page {page}");
            assert_eq!(body["pagination"]["hasMore"], page < pages, "{query} page {page}");
            for p in items(&body) {
                assert!(seen.insert(p["id"].as_str().unwrap().to_string()), "{query}: duplicate on page {page}");
            }
        }
        assert_eq!(seen.len() as u64, total, "{query}");
        let (_, past) = app.get_json(&format!("/api/v1/products?{query}&limit=7&page={}", pages + 1)).await;
        assert!(items(&past).is_empty());
    }
}

#[sqlx::test(migrations = false)]
async fn bad_filter_values_are_400_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (query, field) in [
        ("minPrice=-1", "minPrice"),
        ("minPrice=NaN", "minPrice"),
        ("maxPrice=abc", "maxPrice"),
        ("maxPrice=1e9", "maxPrice"),
        ("maxPrice=99999999999999999999", "maxPrice"),
        ("minPrice=10.001", "minPrice"),
        ("minPrice=500&maxPrice=100", "minPrice"),
        ("sort=cheapest", "sort"),
        ("sort=PRICE", "sort"),
        ("inStock=maybe", "inStock"),
        ("farm=Not%20A%20Slug", "farm"),
        ("certification=%27%3B%20DROP%20TABLE%20products", "certification"),
        ("limit=1000", "limit"),
        ("page=0", "page"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/products?{query}")).await;
        assert_validation_error(status, &body, field);
    }
}

#[sqlx::test(migrations = false)]
async fn product_detail_carries_its_lots_provenance(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (_, list) = app.get_json("/api/v1/products?q=cardamom").await;
    let id = items(&list)[0]["id"].as_str().unwrap().to_string();
    let (_, body) = app.get_json(&format!("/api/v1/products/{id}")).await;
    let batches = body["data"]["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 1, "{body}");
    let b = &batches[0];
    assert!(b["code"].as_str().unwrap().starts_with("GH-SPI-"));
    assert!(chrono::NaiveDate::parse_from_str(b["harvestedOn"].as_str().unwrap(), "%Y-%m-%d").is_ok());
    assert_eq!(b["farm"]["name"], body["data"]["farm"]["name"]);
    let certs = b["certifications"].as_array().unwrap();
    assert!(
        certs.iter().any(|c| c["scheme"] == "India Organic (NPOP)" && c["scope"] == "farm" && c["expired"] == false)
    );
    for c in certs {
        for key in ["issuer", "number", "validFrom", "validUntil"] {
            assert!(c[key].is_string(), "{key}: {c}");
        }
    }
    let labs = b["labResults"].as_array().unwrap();
    assert!((2..=4).contains(&labs.len()));
    for l in labs {
        let (value, limit) = (money(&l["value"]), money(&l["limit"]));
        let passed = if l["limitKind"] == "max" { value <= limit } else { value >= limit };
        assert_eq!(l["passed"], passed, "verdict follows value and limit: {l}");
    }
    let stops = b["checkpoints"].as_array().unwrap();
    assert!((3..=6).contains(&stops.len()));
    assert_eq!(stops[0]["stage"], "harvested");
    assert!(stops.iter().all(|c| c["temperatureC"].is_string() && c["place"].is_string()));
}

async fn a_batch_code(pool: &PgPool, tenant: &str) -> String {
    sqlx::query_scalar(
        "SELECT b.code FROM batches b JOIN tenants t ON t.id = b.tenant_id WHERE t.slug = $1 ORDER BY b.code LIMIT 1",
    )
    .bind(tenant)
    .fetch_one(&mut *support::operator(pool).await)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn trace_api_by_batch_code_and_its_404s(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = a_batch_code(&pool, "greenharvest").await;
    let (status, body) = app.get_json(&format!("/api/v1/trace/{code}")).await;
    assert_eq!(status, 200, "{body}");
    assert_envelope_meta(&body);
    let t = &body["data"];
    assert_eq!(t["batch"]["code"], code.as_str());
    assert!(t["batch"]["farm"]["name"].is_string());
    assert!(!t["batch"]["labResults"].as_array().unwrap().is_empty());
    assert!(!t["batch"]["checkpoints"].as_array().unwrap().is_empty());
    assert!(!t["batch"]["certifications"].as_array().unwrap().is_empty());
    let store_name: String =
        sqlx::query_scalar("SELECT name FROM tenants WHERE slug = 'greenharvest'").fetch_one(&pool).await.unwrap();
    assert_eq!(t["seller"], store_name.as_str());
    let product = &t["products"][0];
    assert_eq!(product["href"], format!("/products/{}", product["slug"].as_str().unwrap()));
    // A hand-typed lowercase code reads the same lot.
    let (status, lower) = app.get_json(&format!("/api/v1/trace/{}", code.to_lowercase())).await;
    assert_eq!((status, &lower["data"]["batch"]["code"]), (200, &t["batch"]["code"]));
    for bad in ["GH-NOPE-000000", "x", "..%2F..%2Fetc", "GH_TEA", "%27%20OR%201%3D1"] {
        let (status, body) = app.get_json(&format!("/api/v1/trace/{bad}")).await;
        assert_eq!(status, 404, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND");
    }
}

#[sqlx::test(migrations = false)]
async fn another_tenants_lot_is_traceable_but_its_products_never_listed(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = a_batch_code(&pool, "darjberry").await;
    assert!(code.starts_with("DJ-"));
    // Trace is public per lot: darjberry's own label works...
    let (status, body) = app.get_json(&format!("/api/v1/trace/{code}")).await;
    assert_eq!(status, 200, "{body}");
    let store_name: String =
        sqlx::query_scalar("SELECT name FROM tenants WHERE slug = 'greenharvest'").fetch_one(&pool).await.unwrap();
    assert_ne!(body["data"]["seller"], store_name.as_str());
    // ...but the store links none of its products, and lists none of them anywhere.
    assert!(body["data"]["products"].as_array().unwrap().iter().all(|p| p["href"].is_null()));
    let farm_slug = body["data"]["batch"]["farm"]["slug"].as_str().unwrap().to_string();
    let (_, list) = app.get_json(&format!("/api/v1/products?farm={farm_slug}")).await;
    assert_eq!(list["pagination"]["total"], 0, "{list}");
    let darjberry_products =
        store_ids(&pool, "SELECT p.id FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'darjberry'")
            .await;
    for query in [
        "certification=india-organic-npop",
        "certification=rainforest-alliance",
        "inStock=true",
        "q=tea",
        "q=glenmora",
        "sort=newest",
    ] {
        let (listed, _) = all_pages(&app, query).await;
        assert!(ids(&listed).is_disjoint(&darjberry_products), "{query} leaked another tenant's product");
    }
    let (_, farms) = app.get_json("/api/v1/farms").await;
    assert!(items(&farms).iter().all(|f| f["slug"] != farm_slug.as_str()));
    let (status, _) = app.get_json(&format!("/api/v1/farms/{farm_slug}")).await;
    assert_eq!(status, 404);

    // batch_tenant() answers the owner and leaves the caller's scope as it was.
    let gh: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'greenharvest'").fetch_one(&pool).await.unwrap();
    let mut tx = app::db::tenant_tx(&pool, gh).await.unwrap();
    let owner: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT batch_tenant($1)").bind(&code).fetch_one(&mut *tx).await.unwrap();
    assert!(owner.is_some_and(|o| o != gh));
    let visible_owners: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT DISTINCT tenant_id FROM batches").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(visible_owners, [gh], "the lookup must not widen the transaction's scope");
    let scope: Option<String> =
        sqlx::query_scalar("SELECT current_setting('mandi.cross_tenant', true)").fetch_one(&mut *tx).await.unwrap();
    assert_ne!(scope.as_deref(), Some("on"));
}

#[sqlx::test(migrations = false)]
async fn lab_results_and_checkpoints_are_append_only(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    {
        let mut tx = support::operator(&pool).await;
        let edit = sqlx::query("UPDATE lab_results SET value = 0 WHERE id = (SELECT id FROM lab_results LIMIT 1)")
            .execute(&mut *tx)
            .await;
        assert!(edit.unwrap_err().to_string().contains("append-only"));
    }
    {
        let mut tx = support::operator(&pool).await;
        let delete =
            sqlx::query("DELETE FROM handling_checkpoints WHERE id = (SELECT id FROM handling_checkpoints LIMIT 1)")
                .execute(&mut *tx)
                .await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
    }
    // A verdict cannot be written against its numbers: it is computed.
    {
        let mut tx = support::operator(&pool).await;
        let forged = sqlx::query(
            "INSERT INTO lab_results (tenant_id, id, batch_id, test, analyte_group, value, unit, limit_value, lab_name, tested_on, report_number, passed)
             SELECT tenant_id, gen_random_uuid(), batch_id, 'Lead', 'heavy_metal', 9, 'mg/kg', 1, 'Lab', current_date, 'R-1', true FROM lab_results LIMIT 1",
        )
        .execute(&mut *tx)
        .await;
        assert!(forged.is_err());
    }
    let mut tx = support::operator(&pool).await;
    let passed: bool = sqlx::query_scalar(
        "INSERT INTO lab_results (tenant_id, id, batch_id, test, analyte_group, value, unit, limit_value, lab_name, tested_on, report_number)
         SELECT tenant_id, gen_random_uuid(), batch_id, 'Lead', 'heavy_metal', 9, 'mg/kg', 1, 'Lab', current_date, 'R-1' FROM lab_results LIMIT 1
         RETURNING passed",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(!passed);
}

#[sqlx::test(migrations = false)]
async fn farms_list_and_profile(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, body) = app.get_json("/api/v1/farms").await;
    assert_eq!(status, 200);
    let farms = items(&body);
    assert!(farms.len() >= 12);
    let sum: i64 = farms.iter().map(|f| f["productCount"].as_i64().unwrap()).sum();
    assert_eq!(sum, 60);
    let coonoor = farms.iter().find(|f| f["slug"] == "coonoor-spice-garden").unwrap();
    assert!(coonoor["certifications"].as_array().unwrap().iter().any(|c| c == "India Organic (NPOP)"));
    let (status, by_slug) = app.get_json("/api/v1/farms/coonoor-spice-garden").await;
    assert_eq!(status, 200);
    let (_, by_id) = app.get_json(&format!("/api/v1/farms/{}", coonoor["id"].as_str().unwrap())).await;
    assert_eq!(by_slug["data"]["farm"], by_id["data"]["farm"]);
    let products = by_slug["data"]["products"]["items"].as_array().unwrap();
    assert_eq!(products.len() as i64, coonoor["productCount"].as_i64().unwrap());
    assert!(products.iter().all(|p| p["farm"]["slug"] == "coonoor-spice-garden"));
    for bad in ["no-such-farm", "Bad%20Slug"] {
        let (status, _) = app.get_json(&format!("/api/v1/farms/{bad}")).await;
        assert_eq!(status, 404, "{bad}");
    }
}

/// Outside tests, a listing is kept in memory for a moment: stock sold meanwhile shows
/// on the next read after that, never later, and other queries are not held back by it.
/// A change to the catalogue itself is announced (`NOTIFY mandi_catalog`) and shows at
/// once, even when made straight in the database.
#[sqlx::test(migrations = false)]
async fn a_listing_is_served_from_memory_for_its_moment_then_read_again(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), &[("MANDI_CATALOG_LISTING_CACHE_MS", "1500")]).await;
    let first =
        |body: &Value| (body["data"][0]["name"].as_str().unwrap().to_string(), body["data"][0]["inStock"].clone());
    let (_, before) = app.get_json("/api/v1/products?limit=5").await;
    assert_eq!(first(&before).1, true, "{before}");
    let id = before["data"][0]["id"].as_str().unwrap().to_string();
    let mut tx = support::operator(&pool).await;
    sqlx::query(
        "UPDATE stock_items SET on_hand = 0 WHERE id IN (SELECT stock_item_id FROM product_variants WHERE product_id = $1::uuid)",
    )
    .bind(&id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (_, cached) = app.get_json("/api/v1/products?limit=5").await;
    assert_eq!(first(&cached), first(&before), "the same listing within its moment comes from memory");
    let (_, other) = app.get_json("/api/v1/products?limit=6").await;
    assert_eq!(first(&other).1, false, "another query reads the database");
    support::wait_for("the cached listing to expire", std::time::Duration::from_secs(5), async || {
        let (_, body) = app.get_json("/api/v1/products?limit=5").await;
        first(&body).1 == false
    })
    .await;

    let (_, kept) = app.get_json("/api/v1/products?limit=5").await;
    let mut tx = support::operator(&pool).await;
    sqlx::query("UPDATE products SET name = 'Aaa renamed just now' WHERE id = $1::uuid")
        .bind(kept["data"][1]["id"].as_str().unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    support::wait_for("the announced rename", std::time::Duration::from_millis(1000), async || {
        let (_, body) = app.get_json("/api/v1/products?limit=5").await;
        first(&body).0 == "Aaa renamed just now"
    })
    .await;
}

/// Adds `count` published products to a GreenHarvest tea shelf, copying the pack of
/// one of its teas: `Garden Tea Blend NNN` (the word in the name) when `in_name`,
/// else `Morning Cup NNN` with the word only in the description.
async fn add_tea_products(pool: &PgPool, count: i32, in_name: bool) {
    let mut tx = support::operator(pool).await;
    let (name, description, slug) = if in_name {
        ("Garden Tea Blend ", "Leaves from the garden.", "garden-tea-blend-")
    } else {
        ("Morning Cup ", "A biscuit to dunk in your tea.", "morning-cup-")
    };
    sqlx::query(&format!(
        "WITH source AS (
             SELECT p.tenant_id, p.farm_id, p.category_id, v.stock_item_id, v.price
             FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
             JOIN product_variants v ON v.tenant_id = p.tenant_id AND v.product_id = p.id
             WHERE p.tenant_id = {GH} AND c.slug = 'tea' AND p.active AND v.stock_item_id IS NOT NULL
             ORDER BY p.name LIMIT 1),
         made AS (
             INSERT INTO products (tenant_id, id, farm_id, category_id, slug, name, description)
             SELECT s.tenant_id, gen_random_uuid(), s.farm_id, s.category_id,
                    $1 || lpad(n::text, 3, '0'), $2 || lpad(n::text, 3, '0'), $3
             FROM source s, generate_series(1, $4) n
             RETURNING tenant_id, id, slug)
         INSERT INTO product_variants (tenant_id, id, product_id, sku, label, net_grams, price, stock_item_id)
         SELECT m.tenant_id, gen_random_uuid(), m.id, upper(m.slug), '100 g', 100, s.price, s.stock_item_id
         FROM made m, source s"
    ))
    .bind(slug)
    .bind(name)
    .bind(description)
    .bind(count)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Whether some word of `name` starts with `prefix` (what `prefix:*` matches in a name).
fn name_has_word(name: &str, prefix: &str) -> bool {
    name.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(prefix))
}

/// The names of a search's matches, checked to list first those whose name holds every
/// word, then the rest (at least one of each), each group in name order.
fn assert_grouped(list: &[Value], words: &[&str]) -> Vec<String> {
    let names: Vec<String> = list.iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    let in_name = |n: &String| words.iter().all(|w| name_has_word(n, w));
    let split = names.iter().position(|n| !in_name(n)).expect("some match only by description");
    let (first, rest) = names.split_at(split);
    assert!(split > 0 && rest.iter().all(|n| !in_name(n)), "name matches come first: {names:?}");
    for group in [first, rest] {
        let mut sorted = group.to_vec();
        sorted.sort();
        assert_eq!(group, &sorted[..], "each group by name");
    }
    names
}

#[sqlx::test(migrations = false)]
async fn a_broad_search_lists_name_matches_then_description_matches_each_by_name(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    add_tea_products(&pool, 210, true).await;
    add_tea_products(&pool, 130, false).await;
    let expected = store_ids(
        &pool,
        &format!(
            "SELECT id FROM products WHERE tenant_id = {GH} AND active AND search @@ to_tsquery('english', 'tea:*')"
        ),
    )
    .await;
    assert!(expected.len() > 340, "broad enough to take the broad path: {}", expected.len());

    let (list, total) = all_pages(&app, "q=tea").await;
    assert_eq!(total as usize, expected.len());
    assert_eq!(list.len(), expected.len(), "each match once");
    assert_eq!(ids(&list), expected);
    let names = assert_grouped(&list, &["tea"]);
    assert!(names.contains(&"Garden Tea Blend 001".to_string()) && names.contains(&"Morning Cup 001".to_string()));

    // Small pages cross from one group to the other without losing or repeating one.
    let (_, first) = app.get_json("/api/v1/products?q=tea&limit=7").await;
    let mut walked = Vec::new();
    for page in 1..=total.div_ceil(7) {
        let (status, body) = app.get_json(&format!("/api/v1/products?q=tea&limit=7&page={page}")).await;
        assert_eq!(status, 200);
        assert_eq!(body["pagination"]["total"], first["pagination"]["total"]);
        walked.extend(items(&body).iter().map(|p| p["id"].as_str().unwrap().to_string()));
    }
    let by_hundred: Vec<String> = list.iter().map(|p| p["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(walked, by_hundred, "the same order whatever the page size");
    let (status, past) = app.get_json(&format!("/api/v1/products?q=tea&limit=7&page={}", total.div_ceil(7) + 1)).await;
    assert_eq!(status, 200);
    assert!(items(&past).is_empty());

    // Within a shelf, and with two words (both must be in the name for the first group).
    let (shelf, shelf_total) = all_pages(&app, "q=tea&category=tea").await;
    assert!(shelf.iter().all(|p| p["categorySlug"] == "tea"));
    let on_shelf = store_ids(
        &pool,
        &format!(
            "SELECT p.id FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
             WHERE p.tenant_id = {GH} AND p.active AND c.slug = 'tea' AND p.search @@ to_tsquery('english', 'tea:*')"
        ),
    )
    .await;
    assert_eq!((ids(&shelf), shelf_total as usize), (on_shelf.clone(), on_shelf.len()));
    let (two, _) = all_pages(&app, "q=garden+tea").await;
    let both = store_ids(
        &pool,
        &format!(
            "SELECT id FROM products WHERE tenant_id = {GH} AND active
             AND search @@ to_tsquery('english', 'garden:* & tea:*')"
        ),
    )
    .await;
    assert_eq!(ids(&two), both);
    assert_grouped(&two, &["garden", "tea"]);

    // A product taken off the shelves leaves the search at once; a renamed one moves.
    let mut tx = support::operator(&pool).await;
    sqlx::query(&format!(
        "UPDATE products SET status = 'archived', active = false WHERE tenant_id = {GH} AND name = 'Garden Tea Blend 001'"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(&format!(
        "UPDATE products SET name = 'Aardvark Tea' WHERE tenant_id = {GH} AND name = 'Morning Cup 130'"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, body) = app.get_json("/api/v1/products?q=tea&limit=1").await;
    assert_eq!(items(&body)[0]["name"], "Aardvark Tea");
    assert_eq!(body["pagination"]["total"].as_u64().unwrap(), total - 1);
    let (after, _) = all_pages(&app, "q=tea").await;
    assert!(after.iter().all(|p| p["name"] != "Garden Tea Blend 001"));
}
