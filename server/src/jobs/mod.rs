//! Durable jobs in PostgreSQL: enqueued in the caller's transaction
//! (`app::jobs::enqueue`), claimed with `FOR UPDATE SKIP LOCKED` under a lease, and
//! completed in the same transaction as the handler's own writes, fenced on the lease,
//! so a job's effect happens once although delivery is at least once. Failures retry
//! with exponential backoff and jitter, then become dead letters an operator can retry.
//!
//! Why not a library: `underway` and `apalis-postgres` are pre-1.0 with their own
//! schemas and step models, and neither commits a handler's writes with the job's
//! completion, which is what makes effects exactly-once here; the whole runtime is
//! the few hundred lines below.

pub mod backoff;
pub mod farm_jobs;
pub mod field_jobs;
pub mod kpi_jobs;
pub mod maintenance;
pub mod retention;
pub mod schedules;
pub mod store;
pub mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A claimed job, as a handler sees it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub tenant: Option<Uuid>,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: chrono::DateTime<chrono::Utc>,
    /// The worker holding the lease.
    pub worker: Uuid,
}

impl Job {
    pub fn payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.payload.clone())
            .map_err(|e| JobError::Fatal(format!("payload of {} is not what the handler takes: {e}", self.kind)))
    }
}

/// How a handler failed, which decides what happens to the job.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    /// Try again later (counts an attempt; dead letter after the last).
    #[error("{0}")]
    Retry(String),
    /// Not now, and not the job's fault (a provider's circuit is open): run again after
    /// the delay without using an attempt.
    #[error("deferred for {delay:?}: {reason}")]
    Defer { delay: Duration, reason: String },
    /// Can never succeed (a malformed payload): straight to the dead letters.
    #[error("{0}")]
    Fatal(String),
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> JobError {
        JobError::Retry(format!("database: {e}"))
    }
}

/// Runs one kind of job. Its writes go through `tx`, which commits only together with
/// the job's completion; effects outside the database must be idempotent (keyed on
/// something stable such as the job or message id).
pub trait Handler: Send + Sync + 'static {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut sqlx::PgConnection) -> BoxFuture<'a, Result<(), JobError>>;
}

/// Handler kinds to handlers. An unknown kind is retried (a newer process may know it)
/// and ends as a dead letter.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub fn register(mut self, kind: &'static str, handler: impl Handler) -> Registry {
        assert!(self.handlers.insert(kind, Arc::new(handler)).is_none(), "two handlers for {kind}");
        self
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(kind).cloned()
    }

    pub fn kinds(&self) -> impl Iterator<Item = &&'static str> {
        self.handlers.keys()
    }
}
