//! Durable jobs against a real PostgreSQL: the transactional outbox, retries and
//! dead letters, panics, priorities and run times, leases taken over after a worker
//! vanishes, graceful shutdown, two workers sharing a queue, schedules firing once,
//! and the database dropping every connection under the workers.

use crate::support;

use app::jobs::{NewJob, Queue, enqueue};
use serde_json::json;
use server::jobs::backoff::Backoff;
use server::jobs::worker::{Worker, WorkerConfig};
use server::jobs::{Registry, maintenance, schedules, store};
use sqlx::PgPool;
use std::time::Duration;
use support::wait_for;
use tokio::sync::watch;

async fn migrated(pool: &PgPool) {
    server::db::migrate(pool).await.unwrap();
}

fn config(concurrency: usize) -> WorkerConfig {
    let mut c = WorkerConfig::new(concurrency, Duration::from_secs(2));
    c.backoff = Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(100) };
    c.poll = Duration::from_millis(200);
    c.grace = Duration::from_millis(300);
    c
}

fn start(pool: &PgPool, c: WorkerConfig) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let handle = Worker::new(pool.clone(), maintenance::register(Registry::new()), c).spawn(stopped);
    (stop, handle)
}

fn probe(label: &str, extra: serde_json::Value) -> NewJob {
    let mut payload = json!({ "label": label });
    payload.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    NewJob::new(Queue::Maintenance, "diagnostics.probe", payload)
}

async fn status_of(pool: &PgPool, id: i64) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT status, attempts, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn probes(pool: &PgPool, label: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM job_probes WHERE label = $1").bind(label).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_job_exists_only_if_its_transaction_commits(pool: PgPool) {
    migrated(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    enqueue(&mut *tx, probe("rolled-back", json!({}))).await.unwrap();
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let id = enqueue(&mut *tx, probe("committed", json!({}))).await.unwrap();
    tx.commit().await.unwrap();

    let (stop, worker) = start(&pool, config(2));
    wait_for("the committed job", Duration::from_secs(10), async || status_of(&pool, id).await.0 == "succeeded").await;
    assert_eq!(probes(&pool, "committed").await, 1);
    assert_eq!(probes(&pool, "rolled-back").await, 0);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs").fetch_one(&pool).await.unwrap();
    assert_eq!(jobs, 1);
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn failing_and_panicking_jobs_retry_then_become_dead_letters_an_operator_can_retry(pool: PgPool) {
    migrated(&pool).await;
    let poison = enqueue(&pool, probe("poison", json!({ "fail": "always" })).max_attempts(3)).await.unwrap();
    let panics = enqueue(&pool, probe("panics", json!({ "fail": "panic" })).max_attempts(2)).await.unwrap();
    let flaky = enqueue(&pool, probe("flaky", json!({ "fail": "once" }))).await.unwrap();
    let malformed =
        enqueue(&pool, NewJob::new(Queue::Maintenance, "diagnostics.probe", json!({ "lable": "typo" }))).await.unwrap();
    let unknown = enqueue(&pool, NewJob::new(Queue::Reports, "reports.not_written_yet", json!({})).max_attempts(2))
        .await
        .unwrap();

    let (stop, worker) = start(&pool, config(4));
    for id in [poison, panics, malformed, unknown] {
        wait_for("a dead letter", Duration::from_secs(15), async || status_of(&pool, id).await.0 == "dead").await;
    }
    wait_for("the flaky job", Duration::from_secs(15), async || status_of(&pool, flaky).await.0 == "succeeded").await;

    let (_, attempts, error) = status_of(&pool, poison).await;
    assert_eq!((attempts, error.as_deref()), (3, Some("probe told to fail")));
    let (_, attempts, error) = status_of(&pool, panics).await;
    assert_eq!(attempts, 2);
    assert!(error.unwrap().contains("handler panicked: probe told to panic"));
    let (_, attempts, error) = status_of(&pool, malformed).await;
    assert_eq!(attempts, 1, "a payload that cannot parse is not retried");
    assert!(error.unwrap().contains("payload of diagnostics.probe"));
    assert!(status_of(&pool, unknown).await.2.unwrap().contains("no handler for job kind"));
    assert_eq!(status_of(&pool, flaky).await.1, 2);
    assert_eq!(probes(&pool, "flaky").await, 1, "the failed attempt's effect was rolled back");
    assert_eq!(probes(&pool, "poison").await, 0);

    // The worker survived the panics and keeps working.
    let after = enqueue(&pool, probe("after", json!({}))).await.unwrap();
    wait_for("a job after the panics", Duration::from_secs(10), async || {
        status_of(&pool, after).await.0 == "succeeded"
    })
    .await;

    // Operators see the dead letters and can retry one (fixed or not).
    let dead = store::list(&pool, "dead", Some("maintenance"), None, 10, None).await.unwrap();
    assert_eq!(dead.len(), 3);
    let mut conn = pool.acquire().await.unwrap();
    assert!(app::jobs::retry_dead(&mut *conn, poison).await.unwrap());
    assert!(!app::jobs::retry_dead(&mut *conn, flaky).await.unwrap(), "only dead letters");
    wait_for("the retried poison to die again", Duration::from_secs(15), async || {
        let (s, a, _) = status_of(&pool, poison).await;
        s == "dead" && a == 3
    })
    .await;
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn higher_priority_runs_first_and_nothing_runs_before_its_time(pool: PgPool) {
    migrated(&pool).await;
    enqueue(&pool, probe("low", json!({})).priority(-10)).await.unwrap();
    enqueue(&pool, probe("normal", json!({}))).await.unwrap();
    enqueue(&pool, probe("high", json!({})).priority(50)).await.unwrap();
    let later = enqueue(&pool, probe("later", json!({})).run_at(chrono::Utc::now() + chrono::Duration::seconds(2)))
        .await
        .unwrap();

    let (stop, worker) = start(&pool, config(1));
    wait_for("the ready jobs", Duration::from_secs(10), async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM job_probes").fetch_one(&pool).await.unwrap() == 3
    })
    .await;
    let order: Vec<String> =
        sqlx::query_scalar("SELECT label FROM job_probes ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(order, ["high", "normal", "low"]);
    assert_eq!(status_of(&pool, later).await.0, "queued");
    wait_for("the scheduled job", Duration::from_secs(10), async || status_of(&pool, later).await.0 == "succeeded")
        .await;
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_vanished_workers_job_is_taken_over_after_its_lease_and_its_late_completion_is_fenced_out(pool: PgPool) {
    migrated(&pool).await;
    let id = enqueue(&pool, probe("orphan", json!({}))).await.unwrap();
    // Worker A claims it and then goes silent (no lease renewal, no completion).
    let a = uuid::Uuid::now_v7();
    let claimed = store::claim(&pool, &["maintenance".to_string()], a, 10, Duration::from_millis(500)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(status_of(&pool, id).await.0, "running");

    // Nobody else can claim it while the lease holds.
    let b = uuid::Uuid::now_v7();
    assert!(store::claim(&pool, &["maintenance".to_string()], b, 10, Duration::from_secs(2)).await.unwrap().is_empty());

    let (stop, worker) = start(&pool, config(2));
    wait_for("the takeover", Duration::from_secs(10), async || status_of(&pool, id).await.0 == "succeeded").await;
    assert_eq!(status_of(&pool, id).await.1, 2, "the lost attempt counts");
    assert_eq!(probes(&pool, "orphan").await, 1);

    // A finally wakes up and tries to complete: refused, so its writes would roll back.
    let mut tx = pool.begin().await.unwrap();
    assert!(!store::complete(&mut tx, &claimed[0]).await.unwrap());
    tx.rollback().await.unwrap();
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn shutdown_releases_jobs_still_running_after_the_grace_period(pool: PgPool) {
    migrated(&pool).await;
    let slow = enqueue(&pool, probe("slow", json!({ "sleepMs": 30_000 }))).await.unwrap();
    let quick = enqueue(&pool, probe("quick", json!({ "sleepMs": 50 }))).await.unwrap();
    let (stop, worker) = start(&pool, config(2));
    wait_for("both to start", Duration::from_secs(10), async || status_of(&pool, slow).await.0 == "running").await;
    wait_for("the quick one", Duration::from_secs(10), async || status_of(&pool, quick).await.0 == "succeeded").await;
    stop.send(true).unwrap();
    worker.await.unwrap();
    let (status, attempts, _) = status_of(&pool, slow).await;
    assert_eq!((status.as_str(), attempts), ("queued", 0), "released at once, attempt not counted");
    assert_eq!(probes(&pool, "slow").await, 0);

    // The next worker picks it up immediately rather than after a lease expiry.
    sqlx::query("UPDATE jobs SET payload = '{\"label\": \"slow\"}' WHERE id = $1")
        .bind(slow)
        .execute(&pool)
        .await
        .unwrap();
    let (stop, worker) = start(&pool, config(2));
    wait_for("the released job", Duration::from_secs(10), async || status_of(&pool, slow).await.0 == "succeeded").await;
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn two_workers_share_a_queue_and_every_effect_happens_once(pool: PgPool) {
    migrated(&pool).await;
    let payloads: Vec<serde_json::Value> = (0..600).map(|i| json!({ "label": format!("job-{i}") })).collect();
    app::jobs::enqueue_many(&pool, Queue::Maintenance, "diagnostics.probe", payloads).await.unwrap();
    let (stop1, w1) = start(&pool, config(4));
    let (stop2, w2) = start(&pool, config(4));
    wait_for("every job", Duration::from_secs(60), async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM jobs WHERE status <> 'succeeded'")
            .fetch_one(&pool)
            .await
            .unwrap()
            == 0
    })
    .await;
    let (rows, distinct, workers): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker) FROM job_probes")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((rows, distinct), (600, 600));
    assert_eq!(workers, 2, "both workers took part");
    stop1.send(true).unwrap();
    stop2.send(true).unwrap();
    w1.await.unwrap();
    w2.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_schedule_fires_once_per_run_however_many_processes_tick(pool: PgPool) {
    migrated(&pool).await;
    // Hourly, so ten ticks slowed by a loaded machine still fall within one run.
    let hourly = [schedules::Schedule {
        name: "probe-hourly",
        cron: "0 0 * * * *",
        queue: Queue::Maintenance,
        kind: "diagnostics.probe",
    }];
    schedules::install(&pool, &hourly).await.unwrap();
    sqlx::query("UPDATE job_schedules SET payload = '{\"label\": \"tick\"}', next_run_at = now() - interval '1 hour' WHERE name = 'probe-hourly'")
        .execute(&pool)
        .await
        .unwrap();
    // Ten "processes" tick at once: the missed hour folds into a single run.
    let ticks = (0..10).map(|_| schedules::tick(&pool));
    let enqueued: usize = futures::future::join_all(ticks).await.into_iter().map(Result::unwrap).sum();
    assert_eq!(enqueued, 1);
    let next: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT next_run_at FROM job_schedules WHERE name = 'probe-hourly'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(next > chrono::Utc::now() - chrono::Duration::seconds(1));

    // Installing again (a restart, another process) keeps the schedule's place.
    schedules::install(&pool, &hourly).await.unwrap();
    schedules::install(&pool, schedules::PLATFORM).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM job_schedules").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 1 + schedules::PLATFORM.len() as i64);

    let (stop, worker) = start(&pool, config(2));
    wait_for("the scheduled probe", Duration::from_secs(10), async || probes(&pool, "tick").await == 1).await;
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn workers_recover_when_the_database_drops_every_connection(pool: PgPool) {
    migrated(&pool).await;
    let (stop, worker) = start(&pool, config(2));
    let first = enqueue(&pool, probe("before", json!({}))).await.unwrap();
    wait_for("the first job", Duration::from_secs(10), async || status_of(&pool, first).await.0 == "succeeded").await;

    // What a PostgreSQL restart looks like from the app: every connection cut.
    let admin = PgPool::connect_with((*pool.connect_options()).clone()).await.unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(cut >= 1);

    let mut second = None;
    wait_for("the database to take writes again", Duration::from_secs(10), async || {
        if second.is_none() {
            second = enqueue(&admin, probe("after", json!({}))).await.ok();
        }
        second.is_some()
    })
    .await;
    let second = second.unwrap();
    wait_for("a job after the cut", Duration::from_secs(15), async || status_of(&admin, second).await.0 == "succeeded")
        .await;
    assert_eq!(probes(&admin, "after").await, 1);
    stop.send(true).unwrap();
    worker.await.unwrap();
}
