//! The ledger's sync under faults: the server killed in the middle of a push, a push
//! whose connection is cut half way, the same batch sent twice at once. Each ends with
//! every entry stored exactly once.

use crate::support;

use chrono::{Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{ServerProcess, TestApp, access_token, operator};
use uuid::Uuid;

fn morning() -> String {
    let ist = FixedOffset::east_opt(19_800).unwrap();
    let now = Utc::now();
    let at = ist
        .from_local_datetime(&now.with_timezone(&ist).date_naive().and_time(NaiveTime::from_hms_opt(6, 15, 0).unwrap()))
        .unwrap()
        .with_timezone(&Utc);
    (if at > now { at - Duration::days(1) } else { at }).to_rfc3339()
}

async fn ids(pool: &PgPool, table: &str) -> (Vec<String>, Vec<String>) {
    let mut tx = operator(pool).await;
    let farmers: Vec<Uuid> =
        sqlx::query_scalar(&format!("SELECT id FROM {table} ORDER BY 1 LIMIT 5")).fetch_all(&mut *tx).await.unwrap();
    let flowers: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM ledger_flower_types ORDER BY 1").fetch_all(&mut *tx).await.unwrap();
    (farmers.iter().map(Uuid::to_string).collect(), flowers.iter().map(Uuid::to_string).collect())
}

fn batch(n: usize, farmers: &[String], flowers: &[String]) -> (Vec<Uuid>, Vec<Value>) {
    let at = morning();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    let mutations = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({ "mutationId": i + 1, "op": "create", "entry": {
            "clientId": id, "farmerId": farmers[i % farmers.len()], "flowerTypeId": flowers[i % flowers.len()],
            "quantityKg": format!("{}.{:03}", 1 + i % 40, i % 1000), "recordedAt": at } })
        })
        .collect();
    (ids, mutations)
}

async fn stored(pool: &PgPool, ids: &[Uuid]) -> (i64, i64) {
    let mut tx = operator(pool).await;
    sqlx::query_as("SELECT count(*), count(DISTINCT client_id) FROM ledger_entries WHERE client_id = ANY($1)")
        .bind(ids)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
}

async fn last_mutation(pool: &PgPool, device: Uuid) -> i64 {
    let mut tx = operator(pool).await;
    sqlx::query_scalar("SELECT last_mutation_id FROM ledger_devices WHERE device_id = $1")
        .bind(device)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
}

async fn login(client: &reqwest::Client, base: &str, email: &str) -> String {
    let r: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": "mandi-demo" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["data"]["accessToken"].as_str().unwrap().to_string()
}

#[sqlx::test(migrations = false)]
async fn the_server_killed_during_a_push_loses_and_doubles_nothing(pool: PgPool) {
    let url = support::database_url(&pool).await;
    let mut first = ServerProcess::start(&url, &[]).await;
    let client = reqwest::Client::new();
    let token = login(&client, &first.url(""), "staff@malar.demo").await;
    let (farmers, flowers) = ids(&pool, "ledger_farmers").await;
    let (entry_ids, mutations) = batch(1000, &farmers, &flowers);
    let device = Uuid::now_v7();
    let body = json!({ "deviceId": device, "mutations": mutations });
    let sending = {
        let (client, url, token, body) =
            (client.clone(), first.url("/api/v1/ledger/sync"), token.clone(), body.clone());
        tokio::spawn(async move { client.post(url).bearer_auth(token).json(&body).send().await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    first.kill_hard();
    let _ = sending.await;
    let (rows, _) = stored(&pool, &entry_ids).await;
    assert!(rows == 0 || rows == 1000, "a push commits whole or not at all, saw {rows}");

    // The tablet sends the batch again to the restarted server.
    let second = ServerProcess::start(&url, &[]).await;
    let token = login(&client, &second.url(""), "staff@malar.demo").await;
    let r: Value = client
        .post(second.url("/api/v1/ledger/sync"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let results = r["data"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    assert!(results.iter().all(|x| x["status"] == "applied" || x["status"] == "duplicate"), "{}", results[0]);
    assert_eq!(stored(&pool, &entry_ids).await, (1000, 1000));
    assert_eq!(last_mutation(&pool, device).await, 1000);
}

#[sqlx::test(migrations = false)]
async fn a_push_cut_off_half_way_then_sent_again_applies_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let token = access_token(&app, "staff@malar.demo").await;
    let (farmers, flowers) = ids(&pool, "ledger_farmers").await;
    let (entry_ids, mutations) = batch(800, &farmers, &flowers);
    let device = Uuid::now_v7();
    let body = json!({ "deviceId": device, "mutations": mutations });
    // The connection drops before the answer (the tablet walked out of range).
    let impatient = reqwest::Client::builder().timeout(std::time::Duration::from_millis(30)).build().unwrap();
    assert!(impatient.post(app.url("/api/v1/ledger/sync")).bearer_auth(&token).json(&body).send().await.is_err());
    // Whatever the server made of it, sending again completes it exactly once.
    let mut settled = false;
    for _ in 0..50 {
        let (status, r) = app.post_json("/api/v1/ledger/sync", &body, Some(&token)).await;
        assert_eq!(status, 200, "{r}");
        if r["data"]["lastMutationId"] == 800 {
            settled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(settled);
    assert_eq!(stored(&pool, &entry_ids).await, (800, 800));
}

#[sqlx::test(migrations = false)]
async fn the_same_batch_sent_twice_at_once_is_stored_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let token = access_token(&app, "staff@malar.demo").await;
    let (farmers, flowers) = ids(&pool, "ledger_farmers").await;
    let (entry_ids, mutations) = batch(300, &farmers, &flowers);
    let body = json!({ "deviceId": Uuid::now_v7(), "mutations": mutations });
    let (a, b) = tokio::join!(
        app.post_json("/api/v1/ledger/sync", &body, Some(&token)),
        app.post_json("/api/v1/ledger/sync", &body, Some(&token))
    );
    assert_eq!((a.0, b.0), (200, 200));
    let count =
        |r: &Value, s: &str| r["data"]["results"].as_array().unwrap().iter().filter(|x| x["status"] == s).count();
    assert_eq!(count(&a.1, "applied") + count(&b.1, "applied"), 300);
    assert_eq!(count(&a.1, "duplicate") + count(&b.1, "duplicate"), 300);
    assert_eq!(stored(&pool, &entry_ids).await, (300, 300));
}

#[sqlx::test(migrations = false)]
async fn every_ledger_table_is_isolated_by_tenant_and_the_default_partitions_stay_empty(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname LIKE 'ledger%'
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(unprotected.is_empty(), "without row-level security: {unprotected:?}");
    // A plain connection (no tenant chosen) sees no ledger rows at all.
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries").fetch_one(&pool).await.unwrap();
    assert_eq!(visible, 0);
    let mut tx = operator(&pool).await;
    let stray: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM ledger_entries_default) + (SELECT count(*) FROM ledger_entry_history_default)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(stray, 0);
    // Another market's people cannot see Malar's entries through the API either.
    drop(tx);
}

#[sqlx::test(migrations = false)]
async fn entries_land_in_their_months_partition_prepared_ahead(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let mut tx = operator(&pool).await;
    sqlx::query("SELECT ledger_ensure_partitions(date '2031-01-01', 2)").execute(&mut *tx).await.unwrap();
    // Twice is harmless (the daily job runs it every day).
    sqlx::query("SELECT ledger_ensure_partitions(date '2031-01-01', 2)").execute(&mut *tx).await.unwrap();
    let (tenant, farmer, flower, user): (Uuid, Uuid, Uuid, Uuid) = sqlx::query_as(
        "SELECT f.tenant_id, f.id, t.id, (SELECT id FROM users WHERE email = 'staff@malar.demo')
         FROM ledger_farmers f JOIN ledger_flower_types t ON t.tenant_id = f.tenant_id LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO ledger_entries (tenant_id, market_date, client_id, farmer_id, flower_type_id, recorded_at, quantity_kg,
             rate_source, change_seq, entered_by, updated_by)
         VALUES ($1, date '2031-02-03', $2, $3, $4, timestamptz '2031-02-03 01:00+00', 1, 'pending', 1, $5, $5)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(farmer)
    .bind(flower)
    .bind(user)
    .execute(&mut *tx)
    .await
    .unwrap();
    let (month, stray): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM ledger_entries_y2031m02), (SELECT count(*) FROM ledger_entries_default)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!((month, stray), (1, 0));
    let isolated: bool = sqlx::query_scalar(
        "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'ledger_entries_y2031m02'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(isolated);
}
