//! Reading ingest under load, against the app (release build) on a scratch database
//! next to `DATABASE_URL`: batches of 1,000 readings from 100 sensors of one farm
//! (1 % of them out of the crop's range, so the alert rule runs), each request with
//! its own `Idempotency-Key`, from 8 connections of a client in this process, for
//! 15 s. Target: at least 50,000 readings/s.
//!
//! Run by `bench/run field`; plain timing, no harness.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod support;
use support::{app_config, scratch_database, token};

const SENSORS: usize = 100;
const PER_SENSOR: usize = 10;
const CONNECTIONS: usize = 8;
const SECONDS: u64 = 15;

/// Batch `n`: each sensor's next ten seconds, a reading in a hundred dry.
fn batch(n: usize, start: chrono::DateTime<chrono::Utc>) -> String {
    let mut readings = Vec::with_capacity(SENSORS * PER_SENSOR);
    for s in 0..SENSORS {
        for j in 0..PER_SENSOR {
            let i = n * PER_SENSOR + j;
            let dry = (s * PER_SENSOR + j).is_multiple_of(100);
            readings.push(serde_json::json!({
                "sensor": format!("bench-{s}"), "metric": "soil_moisture", "unit": "%",
                "value": if dry { "9.5" } else { "41.25" },
                "time": (start + chrono::Duration::seconds(i as i64)).to_rfc3339(),
            }));
        }
    }
    serde_json::json!({ "readings": readings }).to_string()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, url) = scratch_database("mandi_bench_field").await;
        let config = app_config(&url, "field", &[("MANDI_JOBS_CONCURRENCY", "1"), ("MANDI_WEATHER_PROVIDER", "off")]);
        let app = server::startup::Application::with_pool(config, pool.clone()).await.expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        let agent = token(&client, &base, "field_agent@darjberry.demo").await;
        let mut tx = app::db::cross_tenant_tx(&pool).await.unwrap();
        let (slug, crop): (String, String) = sqlx::query_as(
            "SELECT f.slug, f.crops[1] FROM farms f JOIN tenants t ON t.id = f.tenant_id
             WHERE t.slug = 'darjberry' AND cardinality(f.crops) > 0 ORDER BY f.slug LIMIT 1",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let ops = token(&client, &base, "ops@darjberry.demo").await;
        let set = client
            .put(format!("{base}/api/v1/reading-thresholds/{crop}/soil_moisture"))
            .bearer_auth(&ops)
            .json(&serde_json::json!({ "min": "20", "max": "70", "consecutive": 3 }))
            .send()
            .await
            .unwrap();
        assert!(set.status().is_success());

        // Bodies made before the clock starts, so the client's own JSON is not timed.
        let start = chrono::Utc::now() - chrono::Duration::hours(30);
        let bodies: Arc<Vec<String>> = Arc::new((0..2_000).map(|n| batch(n, start)).collect());
        let next = Arc::new(AtomicUsize::new(0));
        let url = format!("{base}/api/v1/farms/{slug}/readings");
        let deadline = Instant::now() + Duration::from_secs(SECONDS);
        let started = Instant::now();
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let (client, url, agent, bodies, next) =
                    (client.clone(), url.clone(), agent.clone(), bodies.clone(), next.clone());
                tokio::spawn(async move {
                    let (mut stored, mut opened, mut failures, mut latencies) = (0u64, 0u64, 0u32, Vec::new());
                    while Instant::now() < deadline {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(body) = bodies.get(n) else { break };
                        let sent = Instant::now();
                        let r = client
                            .post(&url)
                            .bearer_auth(&agent)
                            .header("content-type", "application/json")
                            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
                            .body(body.clone())
                            .send()
                            .await;
                        match r {
                            Ok(r) if r.status().is_success() => {
                                let v: serde_json::Value = r.json().await.unwrap();
                                stored += v["data"]["stored"].as_u64().unwrap_or(0);
                                opened += v["data"]["alertsOpened"].as_u64().unwrap_or(0);
                                latencies.push(sent.elapsed());
                            }
                            _ => failures += 1,
                        }
                    }
                    (stored, opened, failures, latencies)
                })
            })
            .collect();
        let (mut stored, mut opened, mut failures, mut latencies) = (0, 0, 0, Vec::new());
        for t in tasks {
            let (s, o, f, l) = t.await.unwrap();
            stored += s;
            opened += o;
            failures += f;
            latencies.extend(l);
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
        println!(
            "reading ingest, batches of 1,000 from {SENSORS} sensors, {CONNECTIONS} connections: {:.0} readings/s \
             ({stored} stored in {elapsed:.1} s, {} batches), batch p50 {:.0} ms, p99 {:.0} ms, {opened} alert(s) opened, \
             {failures} failures (target >= 50000 readings/s)",
            stored as f64 / elapsed,
            latencies.len(),
            pct(0.50),
            pct(0.99),
        );
        let _ = stop.send(());
        let _ = serving.await;
    });
}
