//! Farm ownership under its real loads, against the app (release build) on a scratch
//! database next to `DATABASE_URL`:
//! - a distribution for 10,000 owners of one farm, from the approve request to the
//!   committed payouts (`POST /api/v1/distributions/{id}/approve`), five months;
//! - the daily health snapshot of 10,000 estate farms (`health_service::snapshot_day`,
//!   what the scheduled job runs), five days.
//!
//! - an owner's farm page (`/my/farms/{slug}`, signed in, so never cached) under 64
//!   connections for 15 s, from a client in this process (wrk in `bench/run farms`
//!   measures the same page against the release server).
//!
//! Run by `bench/run farms`; plain timing, no harness.

use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

mod support;
use support::{app_config, scratch_database, token};

const OWNERS: i64 = 10_000;
const FARMS: i64 = 10_000;

/// A farm of 10,000 units with 10,000 owners holding one each for two years, and
/// revenue and costs in every month.
async fn big_farm(pool: &PgPool) -> Uuid {
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let estate: Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'darjberry'").fetch_one(&mut *tx).await.unwrap();
    let farm = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO farms (tenant_id, id, slug, name, region, state, total_units)
         VALUES ($1, $2, 'bench-farm', 'Bench Farm', 'Bench', 'WB', $3)",
    )
    .bind(estate)
    .bind(farm)
    .bind(OWNERS as i32)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "WITH u AS (INSERT INTO users (id, email, display_name)
                    SELECT gen_random_uuid(), 'bench-owner-' || n || '@bench.example', 'Bench owner ' || n
                    FROM generate_series(1, $3) AS n RETURNING id),
              m AS (INSERT INTO memberships (tenant_id, user_id, role) SELECT $1, id, 'customer' FROM u RETURNING user_id)
         INSERT INTO ownership_agreements (tenant_id, id, farm_id, owner_id, units, starts_on, price_paid)
         SELECT $1, gen_random_uuid(), $2, user_id, 1, current_date - 700 + (row_number() OVER () % 20)::int, 2500 FROM m",
    )
    .bind(estate)
    .bind(farm)
    .bind(OWNERS)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO farm_revenue (tenant_id, id, farm_id, earned_on, source, amount)
         SELECT $1, gen_random_uuid(), $2, d, 'auction', 123456.78 FROM generate_series(current_date - 400, current_date - 40, interval '3 days') AS d",
    )
    .bind(estate)
    .bind(farm)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO farm_costs (tenant_id, id, farm_id, incurred_on, category, amount)
         SELECT $1, gen_random_uuid(), $2, d, 'labour', 98765.43 FROM generate_series(current_date - 400, current_date - 40, interval '7 days') AS d",
    )
    .bind(estate)
    .bind(farm)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    farm
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn distribution(pool: &PgPool, base: &str, client: &reqwest::Client) {
    big_farm(pool).await;
    let admin = token(client, base, "admin@darjberry.demo").await;
    let today = app::domain::distribution::ist_date(chrono::Utc::now());
    let mut month = app::domain::distribution::Month::containing(today - chrono::Days::new(200));
    let mut times = Vec::new();
    let mut exact = true;
    for _ in 0..5 {
        let preview: Value = client
            .post(format!("{base}/api/v1/distributions"))
            .bearer_auth(&admin)
            .json(&json!({ "farm": "bench-farm", "period": month.to_string() }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = preview["data"]["id"].as_str().unwrap_or_else(|| panic!("{preview}")).to_string();
        let started = Instant::now();
        let r =
            client.post(format!("{base}/api/v1/distributions/{id}/approve")).bearer_auth(&admin).send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        times.push(started.elapsed());
        assert_eq!(status, 200, "{body}");
        let payouts = body["data"]["payouts"].as_array().unwrap();
        let sum: rust_decimal::Decimal =
            payouts.iter().map(|p| p["gross"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
        exact &= payouts.len() as i64 == OWNERS
            && sum == body["data"]["distributable"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
        month = month.next();
    }
    times.sort();
    println!(
        "distribution to {OWNERS} owners, approve request to committed payouts: p50 {:.0} ms, max {:.0} ms over 5 months (target < 1000 ms); parts sum to the paisa: {exact}",
        ms(times[2]),
        ms(times[4])
    );
}

async fn snapshot(pool: &PgPool) {
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let estate: Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'darjberry'").fetch_one(&mut *tx).await.unwrap();
    sqlx::query(
        "WITH f AS (INSERT INTO farms (tenant_id, id, slug, name, region, state, total_units)
                    SELECT $1, gen_random_uuid(), 'snapshot-farm-' || n, 'Snapshot farm ' || n, 'Bench', 'WB', 100
                    FROM generate_series(1, $2) AS n RETURNING id)
         INSERT INTO plant_counts (tenant_id, id, farm_id, crop, counted_on, planted, alive, lost, source)
         SELECT $1, gen_random_uuid(), f.id, c.crop, current_date - w * 7, 1000, 1000 - w * 3, w * 3, 'demo'
         FROM f, (VALUES ('tea'), ('cardamom')) AS c(crop), generate_series(0, 7) AS w",
    )
    .bind(estate)
    .bind(FARMS)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    let mut times = Vec::new();
    let mut scored = 0;
    for back in 0..5u64 {
        let day = chrono::Utc::now().date_naive() - chrono::Days::new(back);
        let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
        let started = Instant::now();
        scored = app::farms::health_service::snapshot_day(&mut tx, day).await.unwrap();
        tx.commit().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "daily health snapshot of {scored} estate farms (16 plant-count rows each): p50 {:.2} s, max {:.2} s over 5 days (target < 10 s)",
        times[2].as_secs_f64(),
        times[4].as_secs_f64()
    );
}

async fn owner_page(base: &str, client: &reqwest::Client) {
    let token = token(client, base, "customer@darjberry.demo").await;
    let farms: Value =
        client.get(format!("{base}/api/v1/me/farms")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let slug = farms["data"][0]["slug"].as_str().unwrap().to_string();
    let url = format!("{base}/my/farms/{slug}");
    let cookie = format!("mandi_session={token}");
    let load = support::load(client, &url, Some(&cookie), 15).await;
    println!(
        "owner's farm page /my/farms/{slug}, 64 connections, 15 s: {:.0} pages/s, p50 {:.1} ms, p99 {:.1} ms, {} failures (target >= 1500 pages/s, p99 < 50 ms)",
        load.per_second(),
        load.ms(0.50),
        load.ms(0.99),
        load.failures
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, url) = scratch_database("mandi_bench_farms").await;
        let app = server::startup::Application::with_pool(
            app_config(&url, "farms", &[("MANDI_JOBS_CONCURRENCY", "0")]),
            pool.clone(),
        )
        .await
        .expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
        owner_page(&base, &client).await;
        distribution(&pool, &base, &client).await;
        snapshot(&pool).await;
        let _ = stop.send(());
        let _ = serving.await;
    });
}
