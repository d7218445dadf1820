//! The worker: claims batches, runs each job in its own task (a panic fails that job
//! only), renews its leases while jobs run, returns abandoned jobs to the queue, and
//! on shutdown finishes what it can within the grace period and releases the rest.
//! It sleeps on `LISTEN mandi_jobs` (woken by the insert trigger), polling as a
//! fallback, so a job starts within milliseconds of its commit.

use super::backoff::Backoff;
use super::{Job, JobError, Registry, store};
use rand::Rng;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub queues: Vec<app::jobs::Queue>,
    pub concurrency: usize,
    pub lease: Duration,
    /// Longest sleep between polls when no notification arrives.
    pub poll: Duration,
    /// How long shutdown waits for running jobs before releasing them.
    pub grace: Duration,
    pub backoff: Backoff,
}

impl WorkerConfig {
    pub fn new(concurrency: usize, lease: Duration) -> WorkerConfig {
        WorkerConfig {
            queues: app::jobs::Queue::ALL.to_vec(),
            concurrency: concurrency.max(1),
            lease,
            poll: Duration::from_secs(1),
            grace: Duration::from_secs(10),
            backoff: Backoff::default(),
        }
    }
}

pub struct Worker {
    pub id: Uuid,
    pool: PgPool,
    registry: Arc<Registry>,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(pool: PgPool, registry: Registry, config: WorkerConfig) -> Worker {
        Worker { id: Uuid::now_v7(), pool, registry: Arc::new(registry), config }
    }

    /// Runs until `stop` turns true, then drains (see the module note).
    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        let Worker { id, pool, registry, config } = self;
        let queues: Vec<String> = config.queues.iter().map(|q| q.as_str().to_string()).collect();
        let wake = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(pool.clone(), wake.clone()));
        let upkeep = tokio::spawn(upkeep(pool.clone(), id, config.lease));
        let slots = Arc::new(Semaphore::new(config.concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        tracing::info!(worker = %id, concurrency = config.concurrency, "job worker started");

        while !*stop.borrow() {
            while tasks.try_join_next().is_some() {}
            // Claim in batches: with jobs running, wait until half the slots are free, so
            // a busy worker makes one claim per several jobs rather than one per job.
            let available = slots.available_permits();
            let free = if tasks.is_empty() || available * 2 >= config.concurrency { available } else { 0 };
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match store::claim(&pool, &queues, id, free as i64, config.lease).await {
                    Ok(jobs) => jobs,
                    Err(e) => {
                        tracing::warn!(worker = %id, error = %e, "claiming jobs failed; retrying");
                        Vec::new()
                    }
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    _ = stop.changed() => {}
                    _ = wake.notified() => {}
                    // A slot freed up while every slot was busy.
                    _ = tasks.join_next(), if free == 0 => {}
                    _ = tokio::time::sleep(config.poll) => {}
                }
                continue;
            }
            let full = claimed.len() == free;
            for job in claimed {
                let permit = slots.clone().acquire_owned().await.expect("semaphore open");
                let (pool, registry, backoff) = (pool.clone(), registry.clone(), config.backoff);
                tasks.spawn(async move {
                    run_one(&pool, &registry, job, backoff).await;
                    drop(permit);
                });
            }
            if !full {
                // Took everything that was ready: wait for more rather than spin.
                tokio::select! {
                    _ = stop.changed() => {}
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(config.poll) => {}
                }
            }
        }

        tracing::info!(worker = %id, running = tasks.len(), "job worker stopping");
        let drained = tokio::time::timeout(config.grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tasks.abort_all();
        }
        match store::release(&pool, id).await {
            Ok(n) if n > 0 => tracing::info!(worker = %id, released = n, "unfinished jobs returned to the queue"),
            Ok(_) => {}
            Err(e) => tracing::warn!(worker = %id, error = %e, "could not release jobs; their leases will expire"),
        }
        listener.abort();
        upkeep.abort();
        tracing::info!(worker = %id, "job worker stopped");
    }
}

/// Wakes the claim loop on each `NOTIFY mandi_jobs`. PgListener reconnects by itself
/// after the database restarts; the poll covers whatever was missed meanwhile.
async fn listen(pool: PgPool, wake: Arc<Notify>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "job listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen("mandi_jobs").await {
            tracing::warn!(error = %e, "LISTEN mandi_jobs failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => wake.notify_one(),
                // The connection dropped and will be re-established on the next call.
                Ok(None) => wake.notify_one(),
                Err(e) => {
                    tracing::warn!(error = %e, "job listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

/// Lease renewal for this worker's running jobs, and recovery of jobs whose worker died.
async fn upkeep(pool: PgPool, worker: Uuid, lease: Duration) {
    let mut every = tokio::time::interval((lease / 3).max(Duration::from_millis(200)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = store::renew_leases(&pool, worker, lease).await {
            tracing::warn!(worker = %worker, error = %e, "lease renewal failed");
        }
        match store::reclaim_expired(&pool).await {
            Ok(n) if n > 0 => {
                metrics::counter!("jobs_leases_expired_total").increment(n);
                tracing::warn!(reclaimed = n, "jobs of a vanished worker returned to the queue");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reclaiming expired leases failed"),
        }
    }
}

/// One attempt of one job, start to recorded outcome.
pub async fn run_one(pool: &PgPool, registry: &Registry, job: Job, backoff: Backoff) {
    let labels = [("queue", job.queue.clone()), ("kind", job.kind.clone())];
    let waited = (chrono::Utc::now() - job.run_at).to_std().unwrap_or_default();
    metrics::histogram!("job_wait_seconds", &labels[..1]).record(waited.as_secs_f64());
    metrics::counter!("jobs_started_total", &labels).increment(1);
    let started = Instant::now();

    let outcome = match registry.get(&job.kind) {
        None => Err(JobError::Retry(format!("no handler for job kind {:?} in this process", job.kind))),
        Some(handler) => {
            let attempt = tokio::spawn({
                let (pool, job) = (pool.clone(), job.clone());
                async move { attempt(&pool, handler.as_ref(), &job).await }
            });
            // Shutdown aborts this task after the grace period; the attempt goes with it
            // (its transaction rolls back) instead of running on detached.
            struct AbortOnDrop(tokio::task::AbortHandle);
            impl Drop for AbortOnDrop {
                fn drop(&mut self) {
                    self.0.abort();
                }
            }
            let _guard = AbortOnDrop(attempt.abort_handle());
            match attempt.await {
                Ok(result) => result,
                Err(e) if e.is_panic() => Err(JobError::Retry(format!("handler panicked: {}", panic_message(e)))),
                Err(e) => Err(JobError::Retry(format!("handler task ended: {e}"))),
            }
        }
    };
    metrics::histogram!("job_run_seconds", &labels).record(started.elapsed().as_secs_f64());

    let recorded = match outcome {
        Ok(true) => {
            metrics::counter!("jobs_succeeded_total", &labels).increment(1);
            Ok(())
        }
        Ok(false) => {
            tracing::warn!(job = job.id, kind = %job.kind, "job was taken over by another worker; this attempt's writes were rolled back");
            Ok(())
        }
        Err(JobError::Defer { delay, reason }) => {
            metrics::counter!("jobs_deferred_total", &labels).increment(1);
            store::defer(pool, &job, delay, &reason).await
        }
        Err(e) => {
            let fatal = matches!(e, JobError::Fatal(_));
            let delay = backoff.delay(job.attempt, rand::rng().random::<f64>());
            let message = e.to_string();
            metrics::counter!("jobs_failed_total", &labels).increment(1);
            match store::fail(pool, &job, &message, delay, fatal).await {
                Ok(store::AfterFailure::Dead) => {
                    metrics::counter!("jobs_dead_lettered_total", &labels).increment(1);
                    tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempt, error = %message, "job moved to the dead letters");
                    announce_dead(pool, job.tenant, &job).await
                }
                Ok(_) => {
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, retry_in_secs = delay.as_secs_f64(), error = %message, "job failed; will retry");
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
    };
    if let Err(e) = recorded {
        // The lease will expire and the job will run again: at-least-once holds.
        tracing::warn!(job = job.id, error = %e, "could not record the job's outcome");
    }
}

/// Begin, run the handler, complete fenced on the lease, commit. `Ok(false)`: the lease
/// was lost, everything rolled back.
async fn attempt(pool: &PgPool, handler: &dyn super::Handler, job: &Job) -> Result<bool, JobError> {
    let mut tx = pool.begin().await?;
    if let Some(tenant) = job.tenant {
        sqlx::query("SELECT set_config('mandi.tenant_id', $1, true)")
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await?;
    }
    handler.run(job, &mut tx).await?;
    if !store::complete(&mut tx, job).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

fn panic_message(e: tokio::task::JoinError) -> String {
    let payload = e.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic".into())
}

/// Tells the tenant's control tower (the platform's, for a job of no tenant) that one
/// of its jobs became a dead letter.
async fn announce_dead(pool: &sqlx::PgPool, tenant: Option<uuid::Uuid>, job: &Job) -> Result<(), sqlx::Error> {
    let (mut tx, topic) = match tenant {
        Some(tenant) => (app::db::tenant_tx(pool, tenant).await?, app::live::Topic::Operations { tenant }),
        None => (pool.begin().await?, app::live::Topic::Platform),
    };
    let event = serde_json::json!({ "id": job.id, "queue": job.queue, "kind": job.kind });
    app::live::publish(&mut tx, &topic, "job.dead", &event).await?;
    tx.commit().await
}
