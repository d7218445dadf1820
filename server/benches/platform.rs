//! The platform under load, against the real PostgreSQL named by `DATABASE_URL` (a
//! scratch database is created next to it): job throughput with a trivial handler
//! (each job's effect counted, so lost and duplicated jobs show), enqueue-to-start
//! latency of single jobs on idle workers, and Server-Sent Events fan-out to 1,000
//! subscribers over HTTP. Run by `bench/run`; plain timing, no harness.

use app::jobs::{NewJob, Queue};
use serde_json::json;
use server::jobs::worker::{Worker, WorkerConfig};
use server::jobs::{Registry, maintenance};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

mod support;
use support::{percentile, scratch_database};

fn workers(
    pool: &PgPool,
    count: usize,
    concurrency: usize,
) -> (tokio::sync::watch::Sender<bool>, Vec<tokio::task::JoinHandle<()>>) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handles = (0..count)
        .map(|_| {
            let mut config = WorkerConfig::new(concurrency, Duration::from_secs(30));
            config.poll = Duration::from_millis(500);
            Worker::new(pool.clone(), maintenance::register(Registry::new()), config).spawn(stopped.clone())
        })
        .collect();
    (stop, handles)
}

async fn throughput(pool: &PgPool, jobs: i64, worker_count: usize, concurrency: usize) {
    sqlx::query("TRUNCATE jobs, job_probes").execute(pool).await.unwrap();
    for chunk in 0..jobs / 1000 {
        let payloads = (0..1000).map(|i| json!({ "label": format!("t{}", chunk * 1000 + i) })).collect();
        app::jobs::enqueue_many(pool, Queue::Maintenance, "diagnostics.probe", payloads).await.unwrap();
    }
    // Start from a vacuumed table, as a queue in steady state is.
    sqlx::query("VACUUM ANALYZE jobs").execute(pool).await.unwrap();
    let started = Instant::now();
    let (stop, handles) = workers(pool, worker_count, concurrency);
    // Polls through the partial indexes of unfinished jobs, so watching costs little.
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
            .fetch_one(pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    stop.send(true).unwrap();
    for h in handles {
        h.await.unwrap();
    }
    let (effects, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT job_id) FROM job_probes").fetch_one(pool).await.unwrap();
    // finished_at is the completing transaction's start: this is claim to handler start.
    let claim_to_start: f64 =
        sqlx::query_scalar("SELECT avg(extract(epoch FROM finished_at - started_at))::float8 * 1000 FROM jobs")
            .fetch_one(pool)
            .await
            .unwrap();
    println!(
        "{jobs} jobs, {worker_count} worker(s) x {concurrency}: {:>7.0} jobs/s  ({:.2} s; lost {}, duplicated {}; claim to start {claim_to_start:.2} ms)",
        jobs as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        jobs - distinct,
        effects - distinct
    );
}

async fn latency(pool: &PgPool, samples: usize) {
    sqlx::query("TRUNCATE jobs, job_probes").execute(pool).await.unwrap();
    let (stop, handles) = workers(pool, 1, 8);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..samples {
        app::jobs::enqueue(
            pool,
            NewJob::new(Queue::Notifications, "diagnostics.probe", json!({ "label": format!("l{i}") })),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send(true).unwrap();
    for h in handles {
        h.await.unwrap();
    }
    let mut ms: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM started_at - created_at)::float8 * 1000 FROM jobs WHERE status = 'succeeded'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    ms.sort_by(f64::total_cmp);
    println!(
        "enqueue-to-start, {} single jobs on idle workers: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms.last().unwrap()
    );
}

async fn fan_out(pool: PgPool, subscribers: usize, rounds: usize) {
    use futures::StreamExt;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let mut leptos = leptos::config::get_config_from_str(&text).unwrap();
    leptos.site_addr = "127.0.0.1:0".parse().unwrap();
    let env: BTreeMap<&str, String> = BTreeMap::from([
        ("DATABASE_URL", "postgres://unused@127.0.0.1/unused".to_string()),
        ("MANDI_ENV", "test".into()),
        ("MANDI_DEMO_AUTOLOAD", "true".into()),
        ("MANDI_DATA_DIR", std::env::temp_dir().join("mandi-bench").display().to_string()),
        ("MANDI_JOBS_CONCURRENCY", "0".into()),
        ("MANDI_RATE_LIMIT_USER_PER_MINUTE", "100000000".into()),
    ]);
    let config = app::config::Config::from_parts(&text, "Leptos.toml", leptos, &move |k| env.get(k).cloned()).unwrap();
    let app = server::startup::Application::with_pool(config, pool.clone()).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));

    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "ops@greenharvest.demo", "password": "mandi-demo" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["data"]["accessToken"].as_str().unwrap().to_string();
    let tenant: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'greenharvest'").fetch_one(&pool).await.unwrap();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, i64, Instant)>();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for s in 0..subscribers {
        let (client, url, token, tx, ready) =
            (client.clone(), format!("{base}/api/v1/events?topic=ops"), token.clone(), tx.clone(), ready_tx.clone());
        tokio::spawn(async move {
            let response = client.get(url).bearer_auth(token).send().await.expect("subscribe");
            assert_eq!(response.status(), 200, "{:?}", response.text().await);
            let mut stream = response.bytes_stream();
            let mut buffer = String::new();
            let mut confirmed = false;
            while let Some(Ok(bytes)) = stream.next().await {
                let now = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(end) = buffer.find("\n\n") {
                    let frame: String = buffer.drain(..end + 2).collect();
                    if !confirmed && frame.contains(": subscribed") {
                        confirmed = true;
                        let _ = ready.send(());
                    }
                    if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                        let round = serde_json::from_str::<serde_json::Value>(data).unwrap()["round"].as_i64().unwrap();
                        let _ = tx.send((s, round, now));
                    }
                }
            }
        });
    }
    for _ in 0..subscribers {
        ready_rx.recv().await.unwrap();
    }
    let mut latencies = Vec::new();
    for round in 0..rounds as i64 {
        let sent = Instant::now();
        let mut db = app::db::tenant_tx(&pool, tenant).await.unwrap();
        app::live::publish(&mut db, &app::live::Topic::Operations { tenant }, "bench", &json!({ "round": round }))
            .await
            .unwrap();
        db.commit().await.unwrap();
        let deadline = sent + Duration::from_secs(10);
        let mut got = 0;
        while got < subscribers {
            let Ok(Some((_, r, at))) = tokio::time::timeout_at(deadline.into(), rx.recv()).await else { break };
            if r == round {
                got += 1;
                latencies.push(at.duration_since(sent).as_secs_f64() * 1000.0);
            }
        }
        if got < subscribers {
            println!("round {round}: only {got} of {subscribers} subscribers received the event within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "SSE fan-out, {subscribers} subscribers x {rounds} events: received p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} deliveries)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().unwrap(),
        latencies.len()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, _) = scratch_database("mandi_bench_platform").await;
        let jobs: i64 = std::env::var("BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
        let shapes = std::env::var("BENCH_WORKERS").unwrap_or_else(|_| "1x16,1x32,2x16".into());
        for shape in shapes.split(',') {
            let (count, concurrency) = shape.split_once('x').expect("BENCH_WORKERS like 2x16");
            throughput(&pool, jobs, count.parse().unwrap(), concurrency.parse().unwrap()).await;
        }
        latency(&pool, 300).await;
        fan_out(pool, 1000, 5).await;
    });
}
