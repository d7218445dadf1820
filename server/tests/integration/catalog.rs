//! The catalogue as staff run it: products from draft to the shelves with sanitised
//! descriptions, packs refused field by field, stock received as a new lot (a movement
//! and an audit entry), lots linked, pictures uploaded by tus and served to anyone;
//! and CSV imports in the shape of a Shopify export, checked in a dry run that names
//! every problem's line, then imported all at once, or not at all.

use crate::checkout::{customer, shop, staff_token};
use crate::support::{self, TestApp, access_token, send, wait_for};
use base64::Engine;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A farm's and a category's slug of the store, and a SKU one of its packs already has.
async fn store_names(pool: &PgPool) -> (String, String, String, String) {
    let mut tx = support::operator(pool).await;
    let row: (String, String, String, String) = sqlx::query_as(
        "SELECT f.slug, f.name, c.slug, v.sku FROM products p
         JOIN farms f ON f.tenant_id = p.tenant_id AND f.id = p.farm_id
         JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
         JOIN product_variants v ON v.tenant_id = p.tenant_id AND v.product_id = p.id
         JOIN tenants t ON t.id = p.tenant_id AND t.slug = 'greenharvest'
         ORDER BY p.name, v.sku LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    row
}

/// Sends a whole file by tus with `metadata`; answers the last PATCH's status and body.
async fn upload(app: &TestApp, token: &str, id: Uuid, metadata: &str, bytes: &[u8]) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", format!("id {},{metadata}", b64(&id.to_string())))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status != 201 {
        return (status, r.json().await.unwrap_or(Value::Null));
    }
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let mut offset = 0;
    let mut last = (0, Value::Null);
    for chunk in bytes.chunks(256 * 1024) {
        let r = app
            .client
            .patch(app.url(&location))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        last = (status, serde_json::from_str(&text).unwrap_or(Value::Null));
        if status != 204 {
            return last;
        }
        offset += chunk.len();
    }
    last
}

async fn count(pool: &PgPool, sql: &str, bind: &str) -> i64 {
    let mut tx = support::operator(pool).await;
    let n = sqlx::query_scalar(sql).bind(bind).fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    n
}

#[sqlx::test(migrations = false)]
async fn staff_take_a_product_from_draft_to_the_shelves_with_packs_pictures_and_stock(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = staff_token(&pool, "staff").await;
    let (farm, farm_name, category, taken_sku) = store_names(&pool).await;
    let _ = shop(&pool).await;

    // Only the store's staff and admins.
    let body = json!({ "name": "Hill honey", "category": category, "farm": farm });
    assert_eq!(
        send(&app, "POST", "/api/v1/catalog/products", Some(body.clone()), &customer(&pool).await.1).await.0,
        403
    );
    let estate_admin = access_token(&app, "admin@darjberry.demo").await;
    assert_eq!(send(&app, "GET", "/api/v1/catalog/products", None, &estate_admin).await.0, 403);

    // A name that is markup stays text; a description keeps its formatting and loses
    // what could run.
    let name = "</title><script>alert(1)</script> Hill honey";
    let body = json!({ "name": name, "category": category, "farm": farm,
        "description": "<p>Raw <b>honey</b> from <a href=\"https://example.org\" onclick=\"x()\">Kotagiri</a></p><script>alert(1)</script><img src=x onerror=alert(1)>" });
    let (status, created) = send(&app, "POST", "/api/v1/catalog/products", Some(body.clone()), &staff).await;
    assert_eq!(status, 201, "{created}");
    let product = created["data"]["id"].as_str().unwrap().to_string();
    let description = created["data"]["description"].as_str().unwrap();
    assert!(description.starts_with("<p>Raw <b>honey</b> from <a href=\"https://example.org\""), "{description}");
    for gone in ["script", "onerror", "onclick", "<img"] {
        assert!(!description.contains(gone), "{gone} left in {description}");
    }
    assert_eq!(created["data"]["status"], "draft");
    assert_eq!(created["data"]["slug"], "title-script-alert-1-script-hill-honey");

    // Bad products are refused by field, and change nothing.
    for (bad, field) in [
        (json!({ "name": "", "category": category, "farm": farm }), "name"),
        (json!({ "name": "X", "category": "nope", "farm": farm }), "category"),
        (json!({ "name": "X", "category": category, "farm": "nope" }), "farm"),
        (json!({ "name": "Y", "category": category, "farm": farm, "status": "live" }), "status"),
        (json!({ "name": "Z", "category": category, "farm": farm, "status": "published" }), "status"),
        (json!({ "name": name, "category": category, "farm": farm }), "slug"),
    ] {
        let (status, body) = send(&app, "POST", "/api/v1/catalog/products", Some(bad.clone()), &staff).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{bad}: {body}");
    }
    // Publishing without a pack is refused.
    let publish = json!({ "name": name, "category": category, "farm": farm, "status": "published",
                          "description": created["data"]["description"] });
    let path = format!("/api/v1/catalog/products/{product}");
    let (status, body) = send(&app, "PUT", &path, Some(publish.clone()), &staff).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["fields"]["status"].is_string());

    // Packs: every bad field named; a SKU in use refused.
    let pack = json!({ "label": "250 g", "sku": "HONEY-250", "price": "180.00", "compareAtPrice": "200", "grams": "250", "gstRate": "5" });
    let packs = format!("{path}/variants");
    for (change, field) in [
        (json!({ "price": "-5" }), "price"),
        (json!({ "price": "ten" }), "price"),
        (json!({ "price": "99999999" }), "price"),
        (json!({ "compareAtPrice": "100" }), "compareAtPrice"),
        (json!({ "grams": "0" }), "grams"),
        (json!({ "gstRate": "7" }), "gstRate"),
        (json!({ "sku": taken_sku }), "sku"),
        (json!({ "sku": "has space" }), "sku"),
    ] {
        let mut bad = pack.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let (status, body) = send(&app, "POST", &packs, Some(bad.clone()), &staff).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{bad}: {body}");
    }
    let (status, body) = send(&app, "POST", &packs, Some(pack.clone()), &staff).await;
    assert_eq!(status, 201, "{body}");
    let variant = body["data"]["variants"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["variants"][0]["onHand"], 0);
    assert_eq!(body["data"]["variants"][0]["gstRate"], "5");

    // Stock arrives as a new lot: a `received` movement and an audit entry.
    let today = app::domain::distribution::ist_date(chrono::Utc::now());
    let receipts = format!("/api/v1/catalog/variants/{variant}/receipts");
    for (bad, field) in [
        (json!({ "quantity": "40", "harvestedOn": (today + chrono::Days::new(1)).to_string() }), "harvestedOn"),
        (json!({ "quantity": "-3", "harvestedOn": today.to_string() }), "quantity"),
        (json!({ "quantity": "forty", "harvestedOn": today.to_string() }), "quantity"),
        (json!({ "quantity": "40", "harvestedOn": today.to_string(), "farm": "nope" }), "farm"),
    ] {
        let (status, body) = send(&app, "POST", &receipts, Some(bad.clone()), &staff).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{bad}: {body}");
    }
    let (status, body) =
        send(&app, "POST", &receipts, Some(json!({ "quantity": "40", "harvestedOn": today.to_string() })), &staff)
            .await;
    assert_eq!(status, 201, "{body}");
    let v = &body["data"]["variants"][0];
    assert_eq!(v["onHand"], 40);
    let lot = v["lot"].as_str().unwrap().to_string();
    assert!(lot.starts_with("LOT-"), "{lot}");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM stock_movements m JOIN batches b ON b.id = m.batch_id WHERE b.code = $1 AND m.reason = 'received' AND m.delta = 40", &lot).await,
        1
    );
    assert_eq!(support::audit_count(&pool, "stock.received").await, 1);
    // The lot is the farm's, named after the product.
    assert_eq!(count(&pool, "SELECT count(*) FROM batches WHERE code = $1 AND crop LIKE '%Hill honey'", &lot).await, 1);

    // A pack links only to a lot of its product's farm.
    let lots = format!("/api/v1/catalog/variants/{variant}/lot");
    let (status, body) = send(&app, "PUT", &lots, Some(json!({ "lot": "NOPE-123" })), &staff).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = send(&app, "PUT", &lots, Some(json!({ "lot": lot.to_lowercase() })), &staff).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["variants"][0]["lot"], lot.as_str());

    // A picture by tus: cleaned, stored, served to anyone; a file that is not one, refused.
    let photo = server::files::test_images::phone_jpeg(64, 48, 1);
    let image = Uuid::now_v7();
    let meta = format!("purpose {},product {},filename {}", b64("product_image"), b64(&product), b64("honey.jpg"));
    let (status, body) = upload(&app, &staff, image, &meta, &photo).await;
    assert_eq!(status, 204, "{body}");
    let (status, not_image) = upload(&app, &staff, Uuid::now_v7(), &meta, &[b'x'; 4096]).await;
    assert_eq!(status, 400, "{not_image}");
    assert!(not_image["error"]["fields"]["file"].is_string(), "{not_image}");
    let (status, no_product) = upload(
        &app,
        &staff,
        Uuid::now_v7(),
        &format!("purpose {},product {}", b64("product_image"), b64(&Uuid::now_v7().to_string())),
        &photo,
    )
    .await;
    assert_eq!(status, 404, "{no_product}");
    let shopper_upload = upload(&app, &customer(&pool).await.1, Uuid::now_v7(), &meta, &photo).await;
    assert_eq!(shopper_upload.0, 403, "{}", shopper_upload.1);
    let served = app.client.get(app.url(&format!("/catalog/images/{image}"))).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert!(served.headers()["cache-control"].to_str().unwrap().contains("public"));
    assert_eq!(app.get(&format!("/catalog/images/{}", Uuid::now_v7())).await.status(), 404);

    // Published, it is on the shelves, found by search, its name shown as text.
    let (status, body) = send(&app, "PUT", &path, Some(publish), &staff).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "published");
    let (status, found) = app.get_json("/api/v1/products?q=hill%20honey").await;
    assert_eq!(status, 200, "{found}");
    let card = found["data"].as_array().unwrap().iter().find(|c| c["id"] == product.as_str()).expect("found by search");
    assert_eq!(card["imageUrl"], format!("/catalog/images/{image}"));
    assert_eq!(card["farmName"], farm_name.as_str());
    let (status, page) = app.get_html("/products/title-script-alert-1-script-hill-honey").await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert(1)"), "the name is escaped everywhere");
    assert!(
        page.contains("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; Hill honey"),
        "the title says it as text"
    );
    assert!(page.contains("<b>honey</b>"), "the description keeps its formatting");

    // The back office lists it (every status), and finds it by SKU.
    let (status, list) = send(&app, "GET", "/api/v1/catalog/products?q=HONEY-250", None, &staff).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"]["items"][0]["id"], product.as_str());
    let (status, _) = send(&app, "GET", "/api/v1/catalog/products?status=gone", None, &staff).await;
    assert_eq!(status, 400);

    // Archived, it leaves the shelves.
    let archive = json!({ "name": name, "category": category, "farm": farm, "status": "archived" });
    assert_eq!(send(&app, "PUT", &path, Some(archive), &staff).await.0, 200);
    assert_eq!(app.get_html("/products/title-script-alert-1-script-hill-honey").await.0, 404);
    assert!(support::audit_count(&pool, "product.updated").await >= 2);
    assert_eq!(support::audit_count(&pool, "product.image_added").await, 1);
}

const HEADER: &str = "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,Variant Compare At Price,Image Src,Status";

async fn import(app: &TestApp, token: &str, csv: &str) -> (Uuid, Value) {
    import_bytes(app, token, csv.as_bytes()).await
}

async fn import_bytes(app: &TestApp, token: &str, csv: &[u8]) -> (Uuid, Value) {
    let id = Uuid::now_v7();
    let meta = format!("purpose {},filename {}", b64("catalog_import"), b64("products.csv"));
    let (status, body) = upload(app, token, id, &meta, csv).await;
    assert_eq!(status, 204, "{body}");
    let done = wait_until(app, token, id, &["checked", "invalid"]).await;
    (id, done)
}

async fn wait_until(app: &TestApp, token: &str, id: Uuid, states: &[&str]) -> Value {
    let mut last = Value::Null;
    wait_for("the import's step", Duration::from_secs(30), async || {
        let (_, body) = send(app, "GET", &format!("/api/v1/catalog/imports/{id}"), None, token).await;
        last = body["data"].clone();
        states.iter().any(|s| last["status"] == *s)
    })
    .await;
    last
}

#[sqlx::test(migrations = false)]
async fn a_csv_import_names_every_problem_then_imports_all_or_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = staff_token(&pool, "staff").await;
    let (farm, farm_name, _, taken_sku) = store_names(&pool).await;
    let products_before = count(
        &pool,
        "SELECT count(*) FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = $1",
        "greenharvest",
    )
    .await;

    // A wrong column is named on line 1.
    let (_, wrong) = import(&app, &staff, "Handle,Title,Variant SKU,Variant Prise\nx,X,X-1,10\n").await;
    assert_eq!(wrong["status"], "invalid", "{wrong}");
    assert!(
        wrong["problems"].as_array().unwrap().iter().any(|p| p["line"] == 1 && p["field"] == "Variant Prise"),
        "{wrong}"
    );

    // Every problem with its line: a price as text, a handle whose rows disagree on the
    // title, an unknown farm, a SKU another product sells under, a quoted body with a
    // comma and a line break read as one field.
    let bad = format!(
        "{HEADER}\n\
         mango-jam,Mango jam,\"<p>Sweet, thick\nand golden</p>\",{farm_name},Preserves,,TRUE,,250 g,JAM-250,250,10,ten,,,active\n\
         mango-jam,Mango jelly,,,,,,,500 g,JAM-500,500,5,300,,,\n\
         ghee,Ghee,,Nobody's Farm,Dairy,,TRUE,,500 g,GHEE-500,500,3,450,,,active\n\
         pickle,Pickle,,{farm},Preserves,,TRUE,,200 g,{taken_sku},200,3,150,,,active\n"
    );
    let (id, checked) = import(&app, &staff, &bad).await;
    assert_eq!(checked["status"], "invalid", "{checked}");
    let at: Vec<(i64, String)> = checked["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_i64().unwrap(), p["field"].as_str().unwrap().to_string()))
        .collect();
    for want in [(2, "Variant Price"), (4, "Title"), (5, "Vendor"), (6, "Variant SKU")] {
        assert!(at.contains(&(want.0, want.1.to_string())), "{want:?} in {at:?}");
    }
    let (status, body) = send(&app, "POST", &format!("/api/v1/catalog/imports/{id}/commit"), None, &staff).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM products p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = $1",
            "greenharvest"
        )
        .await,
        products_before,
        "a dry run changes nothing"
    );

    // A clean file: checked, nothing written until committed; then all of it.
    let good = format!(
        "{HEADER}\n\
         mango-jam,Mango jam,\"<p>Sweet, thick</p><script>x()</script>\",{farm_name},Preserves,,TRUE,Size,250 g,JAM-250,250,10,180.00,200,,active\n\
         mango-jam,,,,,,,,500 g,JAM-500,500,5,300,,,\n\
         ghee,Ghee,,{farm},Dairy,,FALSE,Title,Default Title,GHEE-500,500,0,450,,,\n\
         amla-candy,Amla candy,,{farm},Preserves,,TRUE,,100 g,AMLA-100,100,,90,,,archived\n"
    );
    let (id, checked) = import(&app, &staff, &good).await;
    assert_eq!(checked["status"], "checked", "{checked}");
    assert_eq!((checked["productsNew"].as_i64(), checked["variants"].as_i64()), (Some(3), Some(4)), "{checked}");
    assert_eq!(count(&pool, "SELECT count(*) FROM products WHERE slug = $1", "mango-jam").await, 0);
    let (status, body) = send(&app, "POST", &format!("/api/v1/catalog/imports/{id}/commit"), None, &staff).await;
    assert_eq!(status, 202, "{body}");
    let done = wait_until(&app, &staff, id, &["imported", "failed", "invalid"]).await;
    assert_eq!(done["status"], "imported", "{done}");
    assert_eq!(done["rowsDone"], done["rowsTotal"]);
    let (status, found) = app.get_json("/api/v1/products?q=mango").await;
    assert_eq!(status, 200);
    assert!(found["data"].as_array().unwrap().iter().any(|c| c["slug"] == "mango-jam"), "{found}");
    assert_eq!(count(&pool, "SELECT count(*) FROM products WHERE slug = $1 AND status = 'draft'", "ghee").await, 1);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM products WHERE slug = $1 AND status = 'archived'", "amla-candy").await,
        1
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM products WHERE slug = $1 AND description NOT LIKE '%script%'", "mango-jam")
            .await,
        1
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM categories WHERE slug = $1", "dairy").await,
        1,
        "a new shelf for a new type"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT s.on_hand FROM stock_items s JOIN product_variants v ON v.stock_item_id = s.id WHERE v.sku = $1",
            "JAM-250"
        )
        .await,
        10
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM stock_movements m JOIN product_variants v ON v.stock_item_id = m.stock_item_id WHERE v.sku = $1 AND m.reason = 'received'", "JAM-500").await,
        1
    );
    assert_eq!(support::audit_count(&pool, "catalog.imported").await, 1);

    // Imported again with a new price and count: the same products, changed; the count
    // moved by a correction, never rewritten.
    let again = good.replace("JAM-250,250,10,180.00", "JAM-250,250,7,185.00");
    let (id, checked) = import(&app, &staff, &again).await;
    assert_eq!((checked["productsNew"].as_i64(), checked["productsUpdated"].as_i64()), (Some(0), Some(3)), "{checked}");
    send(&app, "POST", &format!("/api/v1/catalog/imports/{id}/commit"), None, &staff).await;
    assert_eq!(wait_until(&app, &staff, id, &["imported", "failed"]).await["status"], "imported");
    assert_eq!(
        count(&pool, "SELECT (price * 100)::int8 FROM product_variants WHERE sku = $1", "JAM-250").await,
        18_500
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM stock_movements m JOIN product_variants v ON v.stock_item_id = m.stock_item_id WHERE v.sku = $1 AND m.reason = 'count_corrected' AND m.delta = -3", "JAM-250").await,
        1
    );

    // A file that is not text is refused by line, and another store's staff see nothing.
    let mut latin1 = format!("{HEADER}\n").into_bytes();
    latin1.extend_from_slice(b"jam,Jam \xe9t\xe9,,F,T,,,,,J-1,100,1,10,,,\n");
    let (_, binary) = import_bytes(&app, &staff, &latin1).await;
    assert_eq!(binary["status"], "invalid", "{binary}");
    assert_eq!(binary["problems"][0]["line"], 2, "{binary}");
    assert!(binary["problems"][0]["message"].as_str().unwrap().contains("UTF-8"), "{binary}");
    let estate_admin = access_token(&app, "admin@darjberry.demo").await;
    assert_eq!(send(&app, "GET", &format!("/api/v1/catalog/imports/{id}"), None, &estate_admin).await.0, 403);
}
