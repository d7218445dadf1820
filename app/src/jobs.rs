//! Enqueueing durable jobs. A job is a row in `jobs` written with the caller's own
//! executor, so inside the caller's transaction it commits or rolls back with the
//! change that caused it (the transactional outbox). The workers that run jobs live in
//! the server crate (`server::jobs`).

use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

/// The named queues. Each has its own depth metric and can be given its own workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    Notifications,
    Payments,
    Inventory,
    Reports,
    Maintenance,
}

impl Queue {
    pub const ALL: [Queue; 5] =
        [Queue::Notifications, Queue::Payments, Queue::Inventory, Queue::Reports, Queue::Maintenance];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Notifications => "notifications",
            Queue::Payments => "payments",
            Queue::Inventory => "inventory",
            Queue::Reports => "reports",
            Queue::Maintenance => "maintenance",
        }
    }

    pub fn parse(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// A job to enqueue: `kind` names the handler (`notification.send`), `payload` is its
/// JSON input.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: Queue,
    pub kind: String,
    pub payload: serde_json::Value,
    pub tenant: Option<Uuid>,
    pub priority: i16,
    pub run_at: Option<chrono::DateTime<chrono::Utc>>,
    pub max_attempts: i32,
    pub dedupe_key: Option<String>,
}

impl NewJob {
    pub fn new(queue: Queue, kind: impl Into<String>, payload: impl Serialize) -> NewJob {
        NewJob {
            queue,
            kind: kind.into(),
            payload: serde_json::to_value(payload).expect("job payloads serialize to JSON"),
            tenant: None,
            priority: 0,
            run_at: None,
            max_attempts: 10,
            dedupe_key: None,
        }
    }

    pub fn tenant(mut self, tenant: Uuid) -> NewJob {
        self.tenant = Some(tenant);
        self
    }

    /// Higher runs first (-100..=100).
    pub fn priority(mut self, priority: i16) -> NewJob {
        self.priority = priority.clamp(-100, 100);
        self
    }

    pub fn run_at(mut self, at: chrono::DateTime<chrono::Utc>) -> NewJob {
        self.run_at = Some(at);
        self
    }

    pub fn max_attempts(mut self, n: i32) -> NewJob {
        self.max_attempts = n.clamp(1, 100);
        self
    }

    /// A second enqueue with the same key is ignored (the first job's id is returned).
    pub fn dedupe_key(mut self, key: impl Into<String>) -> NewJob {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// Writes the job; returns its id (the existing job's id when `dedupe_key` matched).
pub async fn enqueue(db: impl PgExecutor<'_>, job: NewJob) -> Result<i64, sqlx::Error> {
    // The no-op update on conflict makes RETURNING yield the existing row's id.
    sqlx::query_scalar(
        "INSERT INTO jobs (queue, kind, payload, tenant_id, priority, run_at, max_attempts, dedupe_key)
         VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8)
         ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key
         RETURNING id",
    )
    .bind(job.queue.as_str())
    .bind(job.kind)
    .bind(job.payload)
    .bind(job.tenant)
    .bind(job.priority)
    .bind(job.run_at)
    .bind(job.max_attempts)
    .bind(job.dedupe_key)
    .fetch_one(db)
    .await
}

/// Many jobs of one kind in one statement (bulk work, the benchmark).
pub async fn enqueue_many(
    db: impl PgExecutor<'_>,
    queue: Queue,
    kind: &'static str,
    payloads: Vec<serde_json::Value>,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (queue, kind, payload)
         SELECT $1, $2, p FROM unnest($3::jsonb[]) AS p",
    )
    .bind(queue.as_str())
    .bind(kind)
    .bind(payloads)
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// Gives a dead letter a fresh set of attempts, now; `false` when the job is not dead.
pub async fn retry_dead(db: impl PgExecutor<'_>, id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), finished_at = NULL
         WHERE id = $1 AND status = 'dead'",
    )
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}
