//! The commission ledger under its real loads, over HTTP against the app (release
//! build) on a scratch database next to `DATABASE_URL`:
//! - settling one market day of 150,000 entries from 2,000 growers
//!   (`POST /api/v1/ledger/settlements`, request to commit), five runs;
//! - one tablet pushing 10,000 queued entries in batches of 500
//!   (`POST /api/v1/ledger/sync`), then again with every batch sent twice, as a
//!   tablet that lost the answers would; both end with each entry stored once.
//!
//! Run by `bench/run`; plain timing, no harness.

use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

mod support;
use support::{app_config, scratch_database, token};

/// 2,000 more growers and 150,000 entries on `day` (slots and rates of the demo market).
async fn market_day(pool: &PgPool, day: chrono::NaiveDate) {
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let tenant: Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'malar'").fetch_one(&mut *tx).await.unwrap();
    sqlx::query(
        "INSERT INTO ledger_farmers (tenant_id, id, farmer_no, name_en, name_ta, language)
         SELECT $1, gen_random_uuid(), 1000 + n, 'Bench grower ' || n, 'விவசாயி ' || n, 'ta' FROM generate_series(1, 2000) AS n",
    )
    .bind(tenant)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO ledger_rates (tenant_id, market_date, flower_type_id, slot_id, rate, set_by)
         SELECT r.tenant_id, $2, r.flower_type_id, r.slot_id, r.rate, r.set_by FROM ledger_rates r
         WHERE r.tenant_id = $1 AND r.market_date = (SELECT max(market_date) FROM ledger_rates WHERE tenant_id = $1)
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(day)
    .execute(&mut *tx)
    .await
    .unwrap();
    let staff: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'staff@malar.demo'").fetch_one(&mut *tx).await.unwrap();
    sqlx::query(
        "WITH f AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM ledger_farmers WHERE tenant_id = $1 AND farmer_no > 1000),
              t AS (SELECT id, row_number() OVER (ORDER BY code) - 1 AS i FROM ledger_flower_types WHERE tenant_id = $1),
              s AS (SELECT id, starts_at, row_number() OVER (ORDER BY starts_at) - 1 AS i FROM ledger_time_slots WHERE tenant_id = $1),
              e AS (SELECT n, (n % 2000) AS fi, (n % 7) AS ti, (n * 5 / 150000) AS si, 0.5 + (n % 397) * 0.1 AS kg FROM generate_series(0, 149999) AS n)
         INSERT INTO ledger_entries (tenant_id, market_date, client_id, farmer_id, flower_type_id, slot_id, recorded_at, quantity_kg,
                                     rate, total, rate_source, change_seq, entered_by, updated_by)
         SELECT $1, $2, gen_random_uuid(), f.id, t.id, s.id, ($2 + s.starts_at) AT TIME ZONE 'Asia/Kolkata', e.kg,
                r.rate, round(e.kg * r.rate, 2), 'slot', 1000000 + e.n, $3, $3
         FROM e JOIN f ON f.i = e.fi JOIN t ON t.i = e.ti JOIN s ON s.i = e.si
         JOIN ledger_rates r ON r.tenant_id = $1 AND r.market_date = $2 AND r.flower_type_id = t.id AND r.slot_id = s.id",
    )
    .bind(tenant)
    .bind(day)
    .bind(staff)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE ledger_counters SET change_seq = 2000000 WHERE tenant_id = $1")
        .bind(tenant)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
}

/// Undoes a settlement run so the next one settles the same day again.
async fn unsettle(pool: &PgPool) {
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    for sql in [
        "DELETE FROM ledger_advance_recoveries",
        "DELETE FROM ledger_advances WHERE kind = 'carry_forward'",
        "DELETE FROM ledger_settlement_approvals",
        "DELETE FROM ledger_settlements",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query("VACUUM ANALYZE ledger_settlements").execute(pool).await.unwrap();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn settlement(pool: &PgPool, base: &str, client: &reqwest::Client, day: chrono::NaiveDate) {
    let admin = token(client, base, "admin@malar.demo").await;
    let mut times = Vec::new();
    let mut made = 0;
    for _ in 0..5 {
        unsettle(pool).await;
        let started = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/ledger/settlements"))
            .bearer_auth(&admin)
            .json(&json!({ "from": day.to_string(), "to": day.to_string() }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        times.push(started.elapsed());
        assert_eq!(status, 201, "{body}");
        made = body["data"]["settlements"].as_array().unwrap().len();
    }
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let (entries, unsettled): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE ledger_entry_settlement(tenant_id, farmer_id, market_date, change_seq, status) IS NULL)
         FROM ledger_entries WHERE market_date = $1",
    )
    .bind(day)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    times.sort();
    println!(
        "settle one market day: {entries} entries, {made} growers — p50 {:.0} ms, max {:.0} ms over 5 runs (target < 1000 ms); unsettled left {unsettled}",
        ms(times[2]),
        ms(times[4])
    );
}

fn batch(ids: &[Uuid], first: usize, farmers: &[String], flowers: &[String], at: &str) -> Vec<Value> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            json!({ "mutationId": first + i, "op": "create", "entry": {
                "clientId": id, "farmerId": farmers[(first + i) % farmers.len()], "flowerTypeId": flowers[(first + i) % flowers.len()],
                "quantityKg": format!("{}.{:03}", 1 + i % 30, i % 1000), "recordedAt": at } })
        })
        .collect()
}

async fn sync(pool: &PgPool, base: &str, client: &reqwest::Client, twice: bool) {
    let staff = token(client, base, "staff@malar.demo").await;
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let farmers: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM ledger_farmers WHERE farmer_no <= 40").fetch_all(&mut *tx).await.unwrap();
    let flowers: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM ledger_flower_types").fetch_all(&mut *tx).await.unwrap();
    drop(tx);
    let farmers: Vec<String> = farmers.iter().map(Uuid::to_string).collect();
    let flowers: Vec<String> = flowers.iter().map(Uuid::to_string).collect();
    let at = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let device = Uuid::now_v7();
    let ids: Vec<Uuid> = (0..10_000).map(|_| Uuid::now_v7()).collect();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for (n, chunk) in ids.chunks(500).enumerate() {
        let body = json!({ "protocolVersion": 1, "deviceId": device, "mutations": batch(chunk, n * 500 + 1, &farmers, &flowers, &at) });
        for _ in 0..if twice { 2 } else { 1 } {
            let t = Instant::now();
            let r =
                client.post(format!("{base}/api/v1/ledger/sync")).bearer_auth(&staff).json(&body).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let _: Value = r.json().await.unwrap();
            slowest = slowest.max(t.elapsed());
        }
    }
    let elapsed = started.elapsed();
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT client_id) FROM ledger_entries WHERE client_id = ANY($1)")
            .bind(&ids)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let last: i64 = sqlx::query_scalar("SELECT last_mutation_id FROM ledger_devices WHERE device_id = $1")
        .bind(device)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    println!(
        "sync 10,000 queued entries from one tablet in batches of 500{}: {:.2} s (target < 10 s), slowest batch {:.0} ms; stored {rows}, distinct {distinct}, device's last mutation {last} — {}",
        if twice { ", every batch sent twice" } else { "" },
        elapsed.as_secs_f64(),
        ms(slowest),
        if rows == 10_000 && distinct == 10_000 && last == 10_000 {
            "0 lost, 0 duplicated"
        } else {
            "LOST OR DUPLICATED"
        }
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, url) = scratch_database("mandi_bench_ledger").await;
        let app = server::startup::Application::with_pool(
            app_config(&url, "ledger", &[("MANDI_BODY_LIMIT_BYTES", "8000000")]),
            pool.clone(),
        )
        .await
        .expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let day = app::domain::market_slot::market_date(chrono::Utc::now()) - chrono::Duration::days(1);
        market_day(&pool, day).await;
        settlement(&pool, &base, &client, day).await;
        sync(&pool, &base, &client, false).await;
        sync(&pool, &base, &client, true).await;
        let _ = stop.send(());
        let _ = serving.await;
    });
}
