//! Several app processes on one database, as in production: a change made through one
//! reaches a live subscriber of another, and a worker process killed with SIGKILL in
//! the middle of a batch loses no job and duplicates no effect.

use crate::support;

use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;
use support::{DEMO_PASSWORD, ServerProcess, SseClient, database_url, user_id, wait_for};

async fn token(process: &ServerProcess, email: &str) -> String {
    let r = reqwest::Client::new()
        .post(process.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<serde_json::Value>().await.unwrap()["data"]["accessToken"].as_str().unwrap().to_string()
}

#[sqlx::test(migrations = false)]
async fn a_change_through_one_process_reaches_a_subscriber_of_another(pool: PgPool) {
    let url = database_url(&pool).await;
    let a = ServerProcess::start(&url, &[]).await;
    let b = ServerProcess::start(&url, &[]).await;
    let staff = token(&b, "staff@malar.demo").await;
    let mut stream = SseClient::connect(&b.url("/api/v1/events?topic=me"), Some(&staff), None).await.unwrap();

    let admin = token(&a, "admin@malar.demo").await;
    let staff_id = user_id(&pool, "staff@malar.demo").await;
    let r = reqwest::Client::new()
        .put(a.url(&format!("/api/v1/admin/users/{staff_id}/roles")))
        .bearer_auth(&admin)
        .json(&json!({ "roles": ["staff", "farmer"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let event = stream.next(Duration::from_secs(15)).await.expect("the event reaches the other process's subscriber");
    assert_eq!(event.event.as_deref(), Some("notification"));
    assert!(event.data.contains("roles_changed"), "{}", event.data);
}

#[sqlx::test(migrations = false)]
async fn a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(pool: PgPool) {
    let url = database_url(&pool).await;
    let settings = [("MANDI_JOBS_LEASE_SECS", "2"), ("MANDI_JOBS_CONCURRENCY", "4")];
    let mut doomed = ServerProcess::start(&url, &settings).await;
    let survivor = ServerProcess::start(&url, &settings).await;

    // Jobs that mostly sleep, so a worker is nearly always holding some: the kill must
    // land while the doomed process is mid-job, or there would be nothing to take over.
    const JOBS: i64 = 400;
    let payloads: Vec<serde_json::Value> =
        (0..JOBS).map(|i| json!({ "label": format!("p{i}"), "sleepMs": 150 })).collect();
    app::jobs::enqueue_many(&pool, app::jobs::Queue::Maintenance, "diagnostics.probe", payloads).await.unwrap();

    let done = async || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM job_probes").fetch_one(&pool).await.unwrap();
    wait_for("the batch to be under way", Duration::from_secs(30), async || done().await >= 40).await;
    wait_for("both workers mid-job", Duration::from_secs(30), async || {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(DISTINCT lease_owner) FROM jobs WHERE status = 'running' AND kind = 'diagnostics.probe'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
            == 2
    })
    .await;
    doomed.kill_hard();
    let held: Vec<(i64, uuid::Uuid)> =
        // The probes only: a scheduled job (the KPI rollup, every minute) may be running too.
        sqlx::query_as("SELECT id, lease_owner FROM jobs WHERE status = 'running' AND kind = 'diagnostics.probe'")
            .fetch_all(&pool)
            .await
            .unwrap();

    wait_for("every job", Duration::from_secs(90), async || {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM jobs WHERE kind = 'diagnostics.probe' AND status <> 'succeeded'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
            == 0
    })
    .await;
    let (effects, distinct, workers): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker) FROM job_probes")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((effects, distinct), (JOBS, JOBS), "each job's effect exactly once");
    assert_eq!(workers, 2);
    // Only the survivor ran anything after the kill, so the last effect is its own.
    let survivor_id: uuid::Uuid =
        sqlx::query_scalar("SELECT worker FROM job_probes ORDER BY id DESC LIMIT 1").fetch_one(&pool).await.unwrap();
    let orphaned: Vec<i64> = held.iter().filter(|(_, owner)| *owner != survivor_id).map(|(id, _)| *id).collect();
    assert!(!orphaned.is_empty(), "the killed worker held jobs when it died: {held:?}");
    let (retried, by_survivor): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM jobs WHERE id = ANY($1) AND attempts > 1),
                (SELECT count(*) FROM job_probes WHERE job_id = ANY($1) AND worker = $2)",
    )
    .bind(&orphaned)
    .bind(survivor_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let held_by_doomed = orphaned.len() as i64;
    assert_eq!(
        (retried, by_survivor),
        (held_by_doomed, held_by_doomed),
        "every job the killed worker held was taken over and done by the survivor"
    );
    drop(survivor);
}

/// The app is killed (SIGKILL) after the shopper paid and before anything confirmed
/// the payment: the browser never returns and the gateway's webhooks are still
/// waiting to be delivered. A fresh process on the same database completes the order
/// from the durable webhook deliveries: no lost payment, no double charge.
#[sqlx::test(migrations = false)]
async fn the_server_killed_between_payment_and_confirmation(pool: PgPool) {
    let url = database_url(&pool).await;
    let mut first = ServerProcess::start(&url, &[]).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let shopper = token(&first, "customer@greenharvest.demo").await;
    let variant: String = {
        let r: serde_json::Value =
            client.get(first.url("/api/v1/products?inStock=true&limit=1")).send().await.unwrap().json().await.unwrap();
        let id = r["data"][0]["id"].as_str().unwrap().to_string();
        let p: serde_json::Value =
            client.get(first.url(&format!("/api/v1/products/{id}"))).send().await.unwrap().json().await.unwrap();
        p["data"]["variants"].as_array().unwrap().iter().find(|v| v["available"].as_i64().unwrap() > 0).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = client
        .post(first.url("/api/v1/cart/items"))
        .bearer_auth(&shopper)
        .json(&json!({ "variantId": variant, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let slot = app::domain::delivery_slot::open_slots(chrono::Utc::now(), &Default::default())[0].key();
    let placed: serde_json::Value = client
        .post(first.url("/api/v1/checkout"))
        .bearer_auth(&shopper)
        .json(&json!({ "name": "A", "phone": "9840010001", "line1": "1 Road", "city": "Chennai", "pincode": "600028", "state": "Tamil Nadu", "slot": slot }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    let pay: serde_json::Value = client
        .post(first.url(&format!("/api/v1/orders/{order}/payment")))
        .bearer_auth(&shopper)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gateway_order = pay["data"]["gatewayOrderId"].as_str().unwrap().to_string();
    // Webhooks a few seconds late; the browser never comes back.
    let r = client
        .put(first.url("/sandbox/razorpay/behaviour"))
        .json(&json!({ "delayMs": 4000, "skipCallback": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(first.url(&format!("/sandbox/razorpay/checkout/{gateway_order}/pay")))
        .form(&[("callback_url", "/payments/callback")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    first.kill_hard();

    let mut ops = support::operator(&pool).await;
    let state: String = sqlx::query_scalar("SELECT state FROM orders WHERE id = $1::uuid")
        .bind(&order)
        .fetch_one(&mut *ops)
        .await
        .unwrap();
    ops.commit().await.unwrap();
    assert_eq!(state, "pending_payment", "nothing confirmed the payment before the kill");

    let second = ServerProcess::start(&url, &[]).await;
    wait_for("the order paid by the surviving deliveries", Duration::from_secs(60), async || {
        let mut tx = support::operator(&pool).await;
        let s: String = sqlx::query_scalar("SELECT state FROM orders WHERE id = $1::uuid")
            .bind(&order)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        s == "paid"
    })
    .await;
    let mut tx = support::operator(&pool).await;
    let (payments, captured): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE disposition = 'captured') FROM payments WHERE gateway_payment_id NOT LIKE 'pay_demo%'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((payments, captured), (1, 1));
    drop(second);
}

/// A product page's data is kept in memory (ten minutes here, as in production); a
/// change made through another process, or straight in the database, reaches it within
/// two seconds because every change is announced over `NOTIFY mandi_catalog`.
#[sqlx::test(migrations = false)]
async fn a_catalogue_change_through_one_process_reaches_the_pages_another_keeps(pool: PgPool) {
    let url = database_url(&pool).await;
    let keep = [("MANDI_CATALOG_DETAIL_CACHE_MS", "600000")];
    let a = ServerProcess::start(&url, &keep).await;
    let b = ServerProcess::start(&url, &keep).await;
    let client = reqwest::Client::new();
    let mut tx = app::db::cross_tenant_tx(&pool).await.unwrap();
    let product: uuid::Uuid = sqlx::query_scalar(
        "SELECT p.id FROM products p JOIN tenants t ON t.id = p.tenant_id
         WHERE t.slug = 'greenharvest' AND p.active ORDER BY p.name LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let name_on_b = async || -> String {
        let r: serde_json::Value =
            client.get(b.url(&format!("/api/v1/products/{product}"))).send().await.unwrap().json().await.unwrap();
        r["data"]["name"].as_str().unwrap_or_default().to_string()
    };
    let before = name_on_b().await;
    assert!(!before.is_empty());

    // B keeps it: a change nobody announces (the announcing trigger off, as only the
    // table's owner can do) is not seen.
    let mut tx = app::db::cross_tenant_tx(&pool).await.unwrap();
    sqlx::query("ALTER TABLE products DISABLE TRIGGER products_announce").execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE products SET name = name || ' (unannounced)' WHERE id = $1")
        .bind(product)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE products ENABLE TRIGGER products_announce").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(name_on_b().await, before, "B serves the product from memory");

    // Renamed through process A's catalogue API: B shows the new name within 2 s.
    let staff = token(&a, "staff@greenharvest.demo").await;
    let (_, editor): (u16, serde_json::Value) = {
        let r =
            client.get(a.url(&format!("/api/v1/catalog/products/{product}"))).bearer_auth(&staff).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    };
    let e = &editor["data"];
    let renamed = format!("{before} (renamed)");
    let body = json!({ "name": renamed, "slug": e["slug"], "description": e["description"], "category": e["category"],
                       "farm": e["farm"], "status": "published" });
    let r = client
        .put(a.url(&format!("/api/v1/catalog/products/{product}")))
        .bearer_auth(&staff)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let started = std::time::Instant::now();
    wait_for("B to show the new name", Duration::from_secs(2), async || name_on_b().await == renamed).await;
    println!("seen on the other process after {} ms", started.elapsed().as_millis());

    // Changed by hand in the database (no process involved): the same.
    let mut tx = app::db::cross_tenant_tx(&pool).await.unwrap();
    sqlx::query("UPDATE products SET name = $2 WHERE id = $1")
        .bind(product)
        .bind(&before)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    wait_for("B to show the name set in the database", Duration::from_secs(2), async || name_on_b().await == before)
        .await;
}

/// The control tower's orders panel through one process.
async fn tower_orders(process: &ServerProcess, token: &str) -> serde_json::Value {
    let r = reqwest::Client::new()
        .post(process.url("/_fn/control/orders"))
        .header("cookie", format!("mandi_session={token}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn two_processes_show_the_same_tower_and_an_order_through_one_reaches_a_tower_stream_of_the_other(pool: PgPool) {
    let url = database_url(&pool).await;
    let a = ServerProcess::start(&url, &[]).await;
    let b = ServerProcess::start(&url, &[]).await;
    let ops = token(&b, "ops@greenharvest.demo").await;
    let mut tower = SseClient::connect(&b.url("/api/v1/events?topic=ops"), Some(&ops), None).await.unwrap();
    let counts = |panel: &serde_json::Value| panel["by_state"].clone();
    assert_eq!(counts(&tower_orders(&a, &ops).await), counts(&tower_orders(&b, &ops).await));

    // A shopper orders through process A; process B's tower stream hears of it.
    let shopper = token(&a, "customer@greenharvest.demo").await;
    let client = reqwest::Client::new();
    let products: serde_json::Value =
        client.get(a.url("/api/v1/products?inStock=true&limit=1")).send().await.unwrap().json().await.unwrap();
    let product = products["data"][0]["id"].as_str().unwrap().to_string();
    let detail: serde_json::Value =
        client.get(a.url(&format!("/api/v1/products/{product}"))).send().await.unwrap().json().await.unwrap();
    let variant = detail["data"]["variants"][0]["id"].as_str().unwrap().to_string();
    let r = client
        .post(a.url("/api/v1/cart/items"))
        .bearer_auth(&shopper)
        .json(&json!({ "variantId": variant, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let slot = app::domain::delivery_slot::open_slots(chrono::Utc::now(), &Default::default())[0].key();
    let r = client
        .post(a.url("/api/v1/checkout"))
        .bearer_auth(&shopper)
        .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
        .json(&json!({ "name": "Ananya Iyer", "phone": "9840010001", "line1": "12 Lake View Road", "city": "Chennai",
                       "pincode": "600028", "state": "Tamil Nadu", "slot": slot }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mut kinds = Vec::new();
    while let Some(event) = tower.next(Duration::from_secs(10)).await {
        kinds.push(event.event.clone().unwrap_or_default());
        if kinds.iter().any(|k| k == "order") && kinds.iter().any(|k| k == "stock.changed") {
            break;
        }
    }
    assert!(kinds.iter().any(|k| k == "order") && kinds.iter().any(|k| k == "stock.changed"), "{kinds:?}");
    let (from_a, from_b) = (tower_orders(&a, &ops).await, tower_orders(&b, &ops).await);
    assert_eq!(counts(&from_a), counts(&from_b));
    let pending = |panel: &serde_json::Value| {
        panel["by_state"].as_array().unwrap().iter().find(|c| c["state"] == "pending_payment").unwrap()["count"]
            .as_i64()
    };
    assert!(pending(&from_b).unwrap() >= 1);
}
