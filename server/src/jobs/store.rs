//! The job table's statements: claim, complete, fail, defer, lease upkeep, and what
//! operators see (queue depth, dead letters, retry).

use super::Job;
use app::control::service::Scope;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// Claims up to `limit` ready jobs of `queues` for `worker`, highest priority first,
/// then oldest. Rows other workers hold are skipped, never waited for.
pub async fn claim(
    pool: &PgPool,
    queues: &[String],
    worker: Uuid,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Job>, sqlx::Error> {
    let rows: Vec<(i64, String, String, serde_json::Value, Option<Uuid>, i32, i32, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as(
            "WITH picked AS (
             SELECT id FROM jobs
             WHERE status = 'queued' AND run_at <= now() AND queue = ANY($1)
             ORDER BY priority DESC, run_at, id
             LIMIT $3
             FOR UPDATE SKIP LOCKED
         )
         UPDATE jobs j
         SET status = 'running', attempts = j.attempts + 1, lease_owner = $2,
             lease_expires_at = now() + make_interval(secs => $4), started_at = now()
         FROM picked WHERE j.id = picked.id
         RETURNING j.id, j.queue, j.kind, j.payload, j.tenant_id, j.attempts, j.max_attempts, j.run_at",
        )
        .bind(queues)
        .bind(worker)
        .bind(limit)
        .bind(lease.as_secs_f64())
        .fetch_all(pool)
        .await?;
    let mut jobs: Vec<Job> = rows
        .into_iter()
        .map(|(id, queue, kind, payload, tenant, attempt, max_attempts, run_at)| Job {
            id,
            queue,
            kind,
            payload,
            tenant,
            attempt,
            max_attempts,
            run_at,
            worker,
        })
        .collect();
    // RETURNING order is unspecified; start in the order the queue promised.
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

/// Marks the job done inside the handler's transaction. False when this worker no
/// longer holds it (its lease expired and the job was taken over): the caller must
/// roll back, so the handler's writes are dropped and the effect happens once.
pub async fn complete(tx: &mut PgConnection, job: &Job) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'succeeded', finished_at = now(), lease_owner = NULL,
                         lease_expires_at = NULL, last_error = NULL
         WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running'",
    )
    .bind(job.id)
    .bind(job.worker)
    .bind(job.attempt)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    Retrying,
    Dead,
    /// The lease had passed to another worker; nothing recorded.
    NotOurs,
}

/// Records a failed attempt: back to the queue after `delay`, or a dead letter when
/// attempts are used up (or `fatal`).
pub async fn fail(
    pool: &PgPool,
    job: &Job,
    error: &str,
    delay: Duration,
    fatal: bool,
) -> Result<AfterFailure, sqlx::Error> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE jobs SET
             status = CASE WHEN $5 OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
             finished_at = CASE WHEN $5 OR attempts >= max_attempts THEN now() END,
             run_at = now() + make_interval(secs => $4),
             last_error = left($6, 2000), lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running'
         RETURNING status",
    )
    .bind(job.id)
    .bind(job.worker)
    .bind(job.attempt)
    .bind(delay.as_secs_f64())
    .bind(fatal)
    .bind(error)
    .fetch_optional(pool)
    .await?;
    Ok(match status.as_deref() {
        Some("dead") => AfterFailure::Dead,
        Some(_) => AfterFailure::Retrying,
        None => AfterFailure::NotOurs,
    })
}

/// Puts the job back for later without using up an attempt.
pub async fn defer(pool: &PgPool, job: &Job, delay: Duration, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = attempts - 1, run_at = now() + make_interval(secs => $4),
                         last_error = left($5, 2000), lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running'",
    )
    .bind(job.id)
    .bind(job.worker)
    .bind(job.attempt)
    .bind(delay.as_secs_f64())
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}

/// Keeps this worker's leases alive while its jobs run.
pub async fn renew_leases(pool: &PgPool, worker: Uuid, lease: Duration) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $2)
         WHERE lease_owner = $1 AND status = 'running'",
    )
    .bind(worker)
    .bind(lease.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected())
}

/// Returns jobs whose worker vanished (killed, partitioned) to the queue; a job that
/// has used all its attempts this way (it keeps killing workers) becomes a dead letter.
pub async fn reclaim_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE jobs SET
             status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
             finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
             run_at = now(), lease_owner = NULL, lease_expires_at = NULL,
             last_error = 'lease expired: the worker stopped or lost the database mid-job'
         WHERE status = 'running' AND lease_expires_at < now()",
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// On shutdown: this worker's unfinished jobs go back to the queue at once, their
/// attempt not counted (a late completion is then fenced out).
pub async fn release(pool: &PgPool, worker: Uuid) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(),
                         lease_owner = NULL, lease_expires_at = NULL
         WHERE lease_owner = $1 AND status = 'running'",
    )
    .bind(worker)
    .execute(pool)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    pub queue: String,
    /// Ready now.
    pub ready: i64,
    /// Waiting for a later run time (retries, schedules).
    pub scheduled: i64,
    pub running: i64,
    pub dead: i64,
    /// Seconds the oldest ready job has waited.
    pub oldest_ready_secs: f64,
}

/// Each queue's depth: of one tenant's jobs, or (`None`) of every job.
pub async fn depth(pool: &PgPool, tenant: Option<Uuid>) -> Result<Vec<QueueDepth>, sqlx::Error> {
    let rows: Vec<(String, i64, i64, i64, i64, f64)> = sqlx::query_as(
        "SELECT q.queue,
                count(*) FILTER (WHERE j.status = 'queued' AND j.run_at <= now()),
                count(*) FILTER (WHERE j.status = 'queued' AND j.run_at > now()),
                count(*) FILTER (WHERE j.status = 'running'),
                count(*) FILTER (WHERE j.status = 'dead'),
                coalesce(extract(epoch FROM now() - min(j.run_at) FILTER (WHERE j.status = 'queued' AND j.run_at <= now())), 0)::float8
         FROM unnest($1::text[]) AS q(queue)
         LEFT JOIN jobs j ON j.queue = q.queue AND j.status IN ('queued', 'running', 'dead')
              AND ($2::uuid IS NULL OR j.tenant_id = $2)
         GROUP BY q.queue ORDER BY q.queue",
    )
    .bind(app::jobs::Queue::ALL.iter().map(|q| q.as_str()).collect::<Vec<_>>())
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(queue, ready, scheduled, running, dead, oldest_ready_secs)| QueueDepth {
            queue,
            ready,
            scheduled,
            running,
            dead,
            oldest_ready_secs,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub run_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Jobs in `status` (newest first), optionally of one queue; keyset-paged by id. With
/// a `scope`, only that tenant's jobs, or only those of no tenant.
pub async fn list(
    pool: &PgPool,
    status: &str,
    queue: Option<&str>,
    before: Option<i64>,
    limit: i64,
    scope: Option<Scope>,
) -> Result<Vec<JobRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, queue, kind, payload, status, attempts, max_attempts, last_error, created_at, run_at, finished_at
         FROM jobs
         WHERE status = $1 AND ($2::text IS NULL OR queue = $2) AND ($3::bigint IS NULL OR id < $3)
           AND ($5::uuid IS NULL OR tenant_id = $5) AND (NOT $6 OR tenant_id IS NULL)
         ORDER BY id DESC LIMIT $4",
    )
    .bind(status)
    .bind(queue)
    .bind(before)
    .bind(limit)
    .bind(scope.and_then(Scope::tenant))
    .bind(scope == Some(Scope::Platform))
    .fetch_all(pool)
    .await
}
