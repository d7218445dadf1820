//! Checkout under load, over HTTP against the real app (release build) on a scratch
//! database next to `DATABASE_URL`: many shoppers, each with one line in their cart,
//! check out at once through `POST /api/v1/checkout` from 64 concurrent clients. Each
//! shopper first fills their cart through `POST /api/v1/cart/items`, as a shopper
//! does, so the app has seen their token before they check out; only the checkouts
//! are timed.
//! Two shapes: every shopper after one hot lot (all serialize on its row lock), and
//! shoppers spread over 200 lots. Afterwards the books are checked: orders placed never
//! exceed stock, holds equal what the orders hold, nothing is negative. Run by
//! `bench/run`; plain timing, no harness.

use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use uuid::Uuid;

mod support;
use support::scratch_database;

fn config(url: &str) -> app::config::Config {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let text = std::fs::read_to_string(format!("{root}/Leptos.toml")).expect("Leptos.toml");
    let mut leptos = leptos::config::get_config_from_str(&text).expect("leptos section");
    leptos.site_addr = "127.0.0.1:0".parse().unwrap();
    let data_dir = std::env::temp_dir().join("mandi-bench-checkout");
    let env: std::collections::BTreeMap<String, String> = [
        ("DATABASE_URL", url.to_string()),
        ("MANDI_ENV", "test".into()),
        ("MANDI_DEMO_AUTOLOAD", "true".into()),
        ("MANDI_DATA_DIR", data_dir.display().to_string()),
        ("MANDI_DB_MAX_CONNECTIONS", std::env::var("BENCH_DB_CONNECTIONS").unwrap_or_else(|_| "40".into())),
        ("MANDI_RATE_LIMIT_USER_PER_MINUTE", "100000000".into()),
        ("MANDI_LOG_FORMAT", "json".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    app::config::Config::from_parts(&text, "Leptos.toml", leptos, &move |k| env.get(k).cloned()).expect("config")
}

/// `lots` lots of `per_lot` units, one variant each, and `shoppers` customers. Returns
/// their bearer tokens and what each puts in their cart: one unit of lot `i % lots`.
async fn shop(
    pool: &PgPool,
    keys: &app::account::tokens::SigningKeys,
    lots: usize,
    per_lot: i64,
    shoppers: usize,
) -> (Vec<String>, Vec<Uuid>) {
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let tenant: Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'greenharvest'").fetch_one(&mut *tx).await.unwrap();
    let product: Uuid = sqlx::query_scalar("SELECT id FROM products WHERE tenant_id = $1 LIMIT 1")
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let items: Vec<Uuid> = (0..lots).map(|_| Uuid::now_v7()).collect();
    let variants: Vec<Uuid> = (0..lots).map(|_| Uuid::now_v7()).collect();
    sqlx::query("INSERT INTO stock_items (tenant_id, id, sku, unit, on_hand) SELECT $1, i, 'B-' || i::text, 'unit', $3 FROM UNNEST($2::uuid[]) AS i")
        .bind(tenant)
        .bind(&items)
        .bind(per_lot)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO product_variants (tenant_id, id, product_id, sku, label, net_grams, price, stock_item_id, stock_per_unit)
         SELECT $1, v, $2, 'BV-' || v::text, '1 pack', 100, 120, i, 1 FROM UNNEST($3::uuid[], $4::uuid[]) AS x (v, i)",
    )
    .bind(tenant)
    .bind(product)
    .bind(&variants)
    .bind(&items)
    .execute(&mut *tx)
    .await
    .unwrap();
    let users: Vec<Uuid> = (0..shoppers).map(|_| Uuid::now_v7()).collect();
    let picks: Vec<Uuid> = (0..shoppers).map(|i| variants[i % lots]).collect();
    sqlx::query("INSERT INTO users (id, email, display_name) SELECT u, u::text || '@bench.example', 'Bench shopper' FROM UNNEST($1::uuid[]) AS u")
        .bind(&users)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role) SELECT $1, u, 'customer' FROM UNNEST($2::uuid[]) AS u",
    )
    .bind(tenant)
    .bind(&users)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let tokens = users
        .iter()
        .map(|u| keys.issue(*u, Uuid::now_v7(), "greenharvest", vec!["customer".into()], now).unwrap().0)
        .collect();
    (tokens, picks)
}

/// Each shopper puts their pick in their cart, 64 at a time.
async fn fill_carts(client: &reqwest::Client, base: &str, tokens: &[String], picks: &[Uuid]) {
    let work: Arc<Vec<(String, Uuid)>> = Arc::new(tokens.iter().cloned().zip(picks.iter().copied()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{base}/api/v1/cart/items");
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (client, work, next, url) = (client.clone(), work.clone(), next.clone(), url.clone());
            tokio::spawn(async move {
                while let Some((token, variant)) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let r = client
                        .post(&url)
                        .bearer_auth(token)
                        .json(&json!({ "variantId": variant, "quantity": 1 }))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

async fn run(
    pool: &PgPool,
    keys: &app::account::tokens::SigningKeys,
    base: &str,
    label: &str,
    lots: usize,
    per_lot: i64,
    shoppers: usize,
) {
    let (tokens, picks) = shop(pool, keys, lots, per_lot, shoppers).await;
    let slot = app::domain::delivery_slot::open_slots(chrono::Utc::now(), &Default::default())[0].key();
    let body =
        Arc::new(json!({ "name": "Bench Shopper", "phone": "9840010001", "line1": "1 Market Road", "city": "Madurai",
                                "pincode": "625001", "state": "Tamil Nadu", "slot": slot }));
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    fill_carts(&client, base, &tokens, &picks).await;
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let (placed, refused, other) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut latencies = Vec::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (client, tokens, next, body, placed, refused, other) = (
            client.clone(),
            tokens.clone(),
            next.clone(),
            body.clone(),
            placed.clone(),
            refused.clone(),
            other.clone(),
        );
        let url = format!("{base}/api/v1/checkout");
        tasks.push(tokio::spawn(async move {
            let mut own = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(token) = tokens.get(i) else { return own };
                let t = Instant::now();
                let r = client.post(&url).bearer_auth(token).json(&*body).send().await.unwrap();
                own.push(t.elapsed().as_secs_f64() * 1000.0);
                match r.status().as_u16() {
                    201 => placed.fetch_add(1, Ordering::Relaxed),
                    409 => refused.fetch_add(1, Ordering::Relaxed),
                    _ => other.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    // The books: holds never exceed stock, and equal what the orders placed.
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let (oversold, negative, held, orders): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM stock_levels WHERE available < 0),
                (SELECT count(*) FROM stock_items WHERE on_hand < 0),
                (SELECT coalesce(sum(quantity), 0)::int8 FROM stock_reservations),
                (SELECT count(*) FROM orders WHERE state = 'pending_payment')",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    // The next shape starts from clean books.
    sqlx::query("DELETE FROM stock_reservations").execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE orders SET state = 'cancelled' WHERE state = 'pending_payment'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let placed = placed.load(Ordering::Relaxed);
    println!(
        "checkout, {label}: {shoppers} shoppers, 64 clients: {placed} placed, {} told out of stock, {} other; {:.0} checkouts/s ({:.0} orders/s) in {elapsed:.1} s; p50 {:.1} ms, p99 {:.1} ms; oversold lots {oversold}, negative stock {negative}, held {held} = orders {orders}: {}",
        refused.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed),
        shoppers as f64 / elapsed,
        placed as f64 / elapsed,
        p(0.5),
        p(0.99),
        if oversold == 0 && negative == 0 && held == orders && placed as i64 <= (lots as i64) * per_lot {
            "consistent"
        } else {
            "INCONSISTENT"
        },
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, url) = scratch_database("mandi_bench_checkout").await;
        let config = config(&url);
        let keys = app::account::tokens::SigningKeys::load_or_generate(&config.signing_key_path(), true).unwrap();
        let app = server::startup::Application::with_pool(config, pool.clone()).await.expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let shoppers: usize = std::env::var("BENCH_SHOPPERS").ok().and_then(|v| v.parse().ok()).unwrap_or(12_000);
        run(&pool, &keys, &base, "200 lots", 200, (shoppers as i64 * 5 / 6) / 200, shoppers).await;
        run(&pool, &keys, &base, "one hot lot", 1, shoppers as i64 * 5 / 6, shoppers).await;
        let _ = stop.send(());
        let _ = serving.await;
    });
}
