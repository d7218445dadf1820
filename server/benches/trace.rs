//! Traceability's targets (bench/README.md):
//! - verify a 10,000-event chain, uncached (< 50 ms): every event's GS1 digest
//!   recomputed from its row and the chain walked, with and without reading the rows;
//! - the public trace page of a lot with 200 events under 64 connections
//!   (p99 < 50 ms), anonymous (as a phone scanning a label), from a client in this
//!   process.
//!
//! The lots are made as history recorded before the chain and sealed into it, the way
//! an upgraded database gets its chains.

#[path = "support/mod.rs"]
mod support;

use sqlx::PgPool;
use std::time::{Duration, Instant};
use support::{app_config, scratch_database};
use uuid::Uuid;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A greenharvest lot `code` of a cold-chain crop with `events` checkpoints, sealed.
async fn lot(pool: &PgPool, code: &str, events: i64) -> (Uuid, Uuid) {
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let (tenant, farm, crop): (Uuid, Uuid, String) = sqlx::query_as(
        "SELECT b.tenant_id, b.farm_id, b.crop FROM batches b JOIN tenants t ON t.id = b.tenant_id
         JOIN cold_chain_limits l ON l.tenant_id = b.tenant_id AND l.crop = b.crop
         WHERE t.slug = 'greenharvest' LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO batches (tenant_id, id, code, farm_id, crop, harvested_on, quantity, unit)
         VALUES ($1, $2, $3, $4, $5, current_date - 30, 5000, 'kg')",
    )
    .bind(tenant)
    .bind(id)
    .bind(code)
    .bind(farm)
    .bind(&crop)
    .execute(&mut *tx)
    .await
    .unwrap();
    // A reefer's log: a stop every ten minutes, 2.0–7.9 °C.
    sqlx::query(
        "INSERT INTO handling_checkpoints (tenant_id, id, batch_id, stage, occurred_at, place, temperature_c, recorded_by)
         SELECT $1, gen_random_uuid(), $2, (ARRAY['cold_store','in_transit','received'])[1 + i % 3],
                now() - interval '29 days' + i * interval '10 minutes', 'Reefer ' || (i % 7), 2 + (i % 60) / 10.0,
                'Cold chain desk'
         FROM generate_series(1, $3) AS i",
    )
    .bind(tenant)
    .bind(id)
    .bind(events)
    .execute(&mut *tx)
    .await
    .unwrap();
    let sealed = app::trace::chain_service::seal_legacy(&mut tx).await.unwrap();
    assert_eq!(sealed as i64, events);
    tx.commit().await.unwrap();
    (tenant, id)
}

async fn verify(pool: &PgPool) {
    let (tenant, id) = lot(pool, "BENCH-LONG-000001", 10_000).await;
    let mut totals = Vec::new();
    let mut pure = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        let mut tx = app::db::tenant_tx(pool, tenant).await.unwrap();
        let batch: app::trace::chain_service::LockedBatch = sqlx::query_as(
            "SELECT id, code, farm_id, crop, harvested_on, chain_length, chain_head FROM batches WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let rows = app::trace::chain_service::events(&mut tx, tenant, id).await.unwrap();
        tx.commit().await.unwrap();
        let computing = Instant::now();
        let subject = app::trace::chain_service::ChainSubject {
            id,
            lot: app::domain::epcis::Lot { code: &batch.code, farm_id: batch.farm_id, crop: &batch.crop },
            chain_length: batch.chain_length as i64,
            chain_head: batch.chain_head.as_deref(),
        };
        let verdict = app::trace::chain_service::verify_uncached(&subject, &rows);
        pure.push(computing.elapsed());
        totals.push(started.elapsed());
        assert!(verdict.intact() && verdict.events == 10_000, "{verdict:?}");
    }
    totals.sort();
    pure.sort();
    println!(
        "verify a 10,000-event chain, uncached: digests and links p50 {:.1} ms, max {:.1} ms; with reading the rows p50 {:.1} ms, max {:.1} ms (target < 50 ms)",
        ms(pure[7]),
        ms(pure[14]),
        ms(totals[7]),
        ms(totals[14])
    );
}

async fn trace_page(base: &str, client: &reqwest::Client, kept: &str) {
    let url = format!("{base}/trace/BENCH-PAGE-000001");
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let html = first.text().await.unwrap();
    assert!(html.contains("History (200 events)") && html.contains(r#"data-status="intact""#));
    let load = support::load(client, &url, None, 15).await;
    println!(
        "trace page of a lot with 200 events, anonymous, {kept}, 64 connections, 15 s: {:.0} pages/s, p50 {:.1} ms, p99 {:.1} ms, {} failures (target p99 < 50 ms)",
        load.per_second(),
        load.ms(0.50),
        load.ms(0.99),
        load.failures
    );
}

async fn serve(url: &str, kept_ms: &str, client: &reqwest::Client, kept: &str) {
    // Its own pool: an app that stops closes the pool it was given.
    let pool = server::db::connect(url, 40).await.unwrap();
    let app = server::startup::Application::with_pool(
        app_config(url, "trace", &[("MANDI_JOBS_CONCURRENCY", "0"), ("MANDI_CATALOG_LISTING_CACHE_MS", kept_ms)]),
        pool.clone(),
    )
    .await
    .expect("app starts");
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    trace_page(&base, client, kept).await;
    let _ = stop.send(());
    let _ = serving.await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, url) = scratch_database("mandi_bench_trace").await;
        // The first start loads the demo world the lots hang off.
        let app = server::startup::Application::with_pool(
            app_config(&url, "trace", &[("MANDI_JOBS_CONCURRENCY", "0")]),
            server::db::connect(&url, 10).await.unwrap(),
        )
        .await
        .expect("app starts");
        drop(app);
        verify(&pool).await;
        lot(&pool, "BENCH-PAGE-000001", 200).await;
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
        // As deployed (pages kept 2 s for anonymous visitors), and rendered every time.
        serve(&url, "2000", &client, "kept as deployed (2 s)").await;
        serve(&url, "0", &client, "rendered for every request").await;
    });
}
