//! Several app processes on one database, as in production: a change made through one
//! reaches a live subscriber of another, and a worker process killed with SIGKILL in
//! the middle of a batch loses no job and duplicates no effect.

mod support;

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

    const JOBS: i64 = 400;
    let payloads: Vec<serde_json::Value> = (0..JOBS).map(|i| json!({ "label": format!("p{i}"), "sleepMs": 20 })).collect();
    app::jobs::enqueue_many(&pool, app::jobs::Queue::Maintenance, "diagnostics.probe", payloads).await.unwrap();

    let done = async || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM job_probes").fetch_one(&pool).await.unwrap();
    wait_for("the batch to be under way", Duration::from_secs(30), async || done().await >= 60).await;
    doomed.kill_hard();
    let orphaned: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'running'").fetch_one(&pool).await.unwrap();

    wait_for("every job", Duration::from_secs(90), async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM jobs WHERE status <> 'succeeded'").fetch_one(&pool).await.unwrap() == 0
    })
    .await;
    let (effects, distinct, workers): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker) FROM job_probes").fetch_one(&pool).await.unwrap();
    assert_eq!((effects, distinct), (JOBS, JOBS), "each job's effect exactly once");
    assert_eq!(workers, 2);
    let taken_over: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE attempts > 1").fetch_one(&pool).await.unwrap();
    assert!(orphaned >= 1 && taken_over >= 1, "the killed worker held jobs ({orphaned}) that the survivor took over ({taken_over})");
    drop(survivor);
}
