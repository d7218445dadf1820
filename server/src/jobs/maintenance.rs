//! The platform's own job handlers: retention purges run on schedules (those of
//! records that belong to tenants are in `retention`), and the probe operators (and
//! the benchmark) use to check the pipeline end to end.

use super::{BoxFuture, Handler, Job, JobError, Registry};
use sqlx::PgConnection;

/// Every platform handler, for `Registry` building.
pub fn register(registry: Registry) -> Registry {
    let registry = registry
        .register("maintenance.purge_idempotency_keys", PurgeIdempotencyKeys)
        .register("maintenance.purge_expired_tokens", PurgeTokens)
        .register(
            "maintenance.purge_finished_jobs",
            // Dead letters stay for operators a good while longer than successes.
            Purge(
                "DELETE FROM jobs WHERE (status = 'succeeded' AND finished_at < now() - interval '7 days')
                                     OR (status IN ('dead', 'discarded') AND finished_at < now() - interval '90 days')",
            ),
        )
        .register("maintenance.ledger_partitions", LedgerPartitions)
        .register("diagnostics.probe", Probe);
    // Live events, the outbox, webhooks and guest carts, across tenants (`retention`).
    super::retention::ALL.iter().fold(registry, |registry, r| registry.register(r.kind, *r))
}

/// Ledger entries are partitioned by month: keep a year of partitions ready ahead, so
/// an entry never lands in the catch-all default partition.
struct LedgerPartitions;

/// Months prepared ahead of the current one.
pub const LEDGER_MONTHS_AHEAD: i32 = 12;

impl Handler for LedgerPartitions {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            sqlx::query("SELECT ledger_ensure_partitions(date_trunc('month', now())::date, $1)")
                .bind(LEDGER_MONTHS_AHEAD + 1)
                .execute(&mut *tx)
                .await?;
            // Rows in a default partition were dated outside every prepared month, and
            // they stop that month's partition from being created: watch for them.
            // Maintenance reads across markets.
            sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *tx).await?;
            let stray: i64 = sqlx::query_scalar(
                "SELECT (SELECT count(*) FROM ledger_entries_default) + (SELECT count(*) FROM ledger_entry_history_default)",
            )
            .fetch_one(&mut *tx)
            .await?;
            metrics::gauge!("ledger_default_partition_rows").set(stray as f64);
            if stray > 0 {
                tracing::warn!(rows = stray, "ledger rows in a default partition: move them to a monthly partition");
            }
            tracing::info!(months = LEDGER_MONTHS_AHEAD + 1, "ledger partitions ensured");
            Ok(())
        })
    }
}

struct Purge(&'static str);

impl Handler for Purge {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let n = sqlx::query(self.0).execute(&mut *tx).await?.rows_affected();
            tracing::info!(kind = %job.kind, purged = n, "retention purge");
            Ok(())
        })
    }
}

struct PurgeIdempotencyKeys;

impl Handler for PurgeIdempotencyKeys {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let n = crate::http::idempotency::purge_expired(tx).await?;
            tracing::info!(purged = n, "expired idempotency keys purged");
            Ok(())
        })
    }
}

struct PurgeTokens;

impl Handler for PurgeTokens {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let n = app::account::service::purge_expired_tokens(&mut *tx)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            tracing::info!(purged = n, "expired tokens purged");
            Ok(())
        })
    }
}

/// `{"label": "...", "sleepMs": 0, "fail": "never"|"always"|"panic"|"once"}`: writes
/// one `job_probes` row in the job's transaction, after sleeping or failing as told.
/// The failure modes let operators and tests exercise retries and dead letters
/// through the real pipeline.
struct Probe;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProbeInput {
    label: String,
    #[serde(default)]
    sleep_ms: u64,
    #[serde(default)]
    fail: ProbeFailure,
}

#[derive(serde::Deserialize, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
enum ProbeFailure {
    #[default]
    Never,
    Always,
    Panic,
    Once,
}

impl Handler for Probe {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let input: ProbeInput = job.payload()?;
            if input.sleep_ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(input.sleep_ms.min(600_000))).await;
            }
            match input.fail {
                ProbeFailure::Always => return Err(JobError::Retry("probe told to fail".into())),
                ProbeFailure::Panic => panic!("probe told to panic"),
                ProbeFailure::Once if job.attempt == 1 => {
                    return Err(JobError::Retry("probe told to fail once".into()));
                }
                _ => {}
            }
            sqlx::query("INSERT INTO job_probes (job_id, label, worker) VALUES ($1, $2, $3)")
                .bind(job.id)
                .bind(&input.label)
                .bind(job.worker)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }
}
