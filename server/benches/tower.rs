//! The control tower under load, against the real PostgreSQL named by `DATABASE_URL` (a
//! scratch database is created next to it), on the demo world with a year of the
//! store's orders written by the demo loader's large-scale history (300 a day): the
//! KPI rollup of that whole year, the KPI panel read by 64 clients at once, and one
//! update reaching 200 open towers (the event over SSE, then each tower reading its
//! orders panel again, as the page's island does). Run by `bench/run tower`; plain
//! timing, no harness.

use app::config::DemoScale;
use futures::StreamExt;
use std::time::{Duration, Instant};

mod support;
use support::{app_config, percentile, scratch_database, token};

/// `reads` calls of the server function at `url` (`what`), one after another; prints their p50 and p99.
async fn one_at_a_time(client: &reqwest::Client, url: &str, cookie: &str, reads: usize, what: &str) {
    let mut ms = Vec::new();
    for _ in 0..reads {
        let started = Instant::now();
        let r = server_fn(client, url, cookie).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let _ = r.bytes().await;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "POST {what}, one tower at a time, {reads} reads: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&ms, 0.5),
        percentile(&ms, 0.99)
    );
}

/// A server function as an island calls it, signed in by `cookie`.
fn server_fn(client: &reqwest::Client, url: &str, cookie: &str) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept-encoding", "br")
        .body("")
}

async fn kpis(pool: &sqlx::PgPool, client: &reqwest::Client, base: &str, cookie: &str) {
    let started = Instant::now();
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let orders = server::demo::order_history::insert(&mut tx, DemoScale::Large, chrono::Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    println!("A year of the store's orders: {orders} written in {:.1} s", started.elapsed().as_secs_f64());
    sqlx::query("ANALYZE").execute(pool).await.unwrap();

    let started = Instant::now();
    let mut tx = app::db::cross_tenant_tx(pool).await.unwrap();
    let days = app::control::kpi_service::rollup(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    println!("KPI rollup of that year: {days} days recomputed in {} ms", started.elapsed().as_millis());

    let url = format!("{base}/_fn/control/kpis");
    one_at_a_time(client, &url, cookie, 200, "/_fn/control/kpis over the year").await;
    let (u, c) = (url.clone(), cookie.to_string());
    let load = support::load_with(client, 15, move |client| server_fn(client, &u, &c)).await;
    println!(
        "POST /_fn/control/kpis over the year, 64 connections, 15 s: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, {} failed",
        load.per_second(),
        load.ms(0.5),
        load.ms(0.99),
        load.failures
    );
}

async fn fan_out(pool: &sqlx::PgPool, client: &reqwest::Client, base: &str, bearer: &str, cookie: &str, towers: usize) {
    let tenant: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'greenharvest'").fetch_one(pool).await.unwrap();
    let panel = format!("{base}/_fn/control/orders");
    one_at_a_time(client, &panel, cookie, 100, "/_fn/control/orders").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, Instant, bool)>();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for _ in 0..towers {
        let (client, events, panel) =
            (client.clone(), format!("{base}/api/v1/events?topic=ops"), format!("{base}/_fn/control/orders"));
        let (bearer, cookie, tx, ready) = (bearer.to_string(), cookie.to_string(), tx.clone(), ready_tx.clone());
        tokio::spawn(async move {
            let response = client.get(events).bearer_auth(bearer).send().await.expect("subscribe");
            assert_eq!(response.status(), 200);
            let mut stream = response.bytes_stream();
            let mut buffer = String::new();
            let mut confirmed = false;
            while let Some(Ok(bytes)) = stream.next().await {
                buffer.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(end) = buffer.find("\n\n") {
                    let frame: String = buffer.drain(..end + 2).collect();
                    if !confirmed && frame.contains(": subscribed") {
                        confirmed = true;
                        let _ = ready.send(());
                    }
                    let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
                    let Some(round) =
                        serde_json::from_str::<serde_json::Value>(data).ok().and_then(|d| d["round"].as_i64())
                    else {
                        continue;
                    };
                    // The tower's island reads its panel again; the update is shown once it has.
                    let ok = match server_fn(&client, &panel, &cookie).send().await {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        Ok(r) => {
                            eprintln!("panel read answered {}: {}", r.status(), r.text().await.unwrap_or_default());
                            false
                        }
                        Err(e) => {
                            eprintln!("panel read failed: {e}");
                            false
                        }
                    };
                    let _ = tx.send((round, Instant::now(), ok));
                }
            }
        });
    }
    for _ in 0..towers {
        ready_rx.recv().await.unwrap();
    }
    let rounds = 5;
    let mut latencies = Vec::new();
    let mut failed = 0;
    for round in 0..rounds {
        let sent = Instant::now();
        let mut db = app::db::tenant_tx(pool, tenant).await.unwrap();
        app::live::publish(
            &mut db,
            &app::live::Topic::Operations { tenant },
            "order",
            &serde_json::json!({ "round": round }),
        )
        .await
        .unwrap();
        db.commit().await.unwrap();
        let deadline = sent + Duration::from_secs(10);
        let mut got = 0;
        while got < towers {
            let Ok(Some((r, at, ok))) = tokio::time::timeout_at(deadline.into(), rx.recv()).await else { break };
            if r == round {
                got += 1;
                if ok {
                    latencies.push(at.duration_since(sent).as_secs_f64() * 1000.0);
                } else {
                    failed += 1;
                }
            }
        }
        if got < towers {
            println!("round {round}: only {got} of {towers} towers updated within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "An order event to {towers} open towers, each reading its orders panel again, x {rounds}: updated p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {failed} reads failed",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().unwrap()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (pool, url) = scratch_database("mandi_bench_tower").await;
        let config = app_config(&url, "tower", &[("MANDI_JOBS_CONCURRENCY", "0"), ("MANDI_DB_MAX_CONNECTIONS", "40")]);
        let app = server::startup::Application::with_pool(config, pool.clone()).await.unwrap();
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until(std::future::pending()));
        let client = reqwest::Client::builder().pool_max_idle_per_host(512).build().unwrap();
        let bearer = token(&client, &base, "ops@greenharvest.demo").await;
        let cookie = format!("mandi_session={bearer}");
        kpis(&pool, &client, &base, &cookie).await;
        fan_out(&pool, &client, &base, &bearer, &cookie, 200).await;
    });
}
