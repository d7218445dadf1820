//! How long records that pile up are kept, and the purges that remove what has aged
//! out, of every tenant.
//!
//! Purges run as jobs without a tenant. Under row-level security such a transaction
//! sees only the rows that belong to no tenant, so a plain `DELETE` kept every
//! tenant's rows forever. A purge therefore puts its own transaction in the
//! cross-tenant scope (`mandi.cross_tenant`, as `app::db::cross_tenant_tx` does), the
//! way this codebase crosses tenants on purpose. A `SECURITY DEFINER` function would
//! add nothing: the app's role owns the tables and runs the migrations, so such a
//! function would run as the same role under the same forced policies.
//!
//! Each run deletes one bounded batch, in the job's transaction (so it commits with
//! the job's completion), and when the batch was full it enqueues its continuation in
//! that same transaction: a backlog is worked off in short transactions, never in one
//! that holds locks and WAL for millions of rows. Rows another transaction has locked
//! are skipped, for the next run.

use super::{BoxFuture, Handler, Job, JobError};
use app::jobs::{NewJob, Queue};
use sqlx::PgConnection;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

/// Rows one run deletes unless its payload says `{"batch": n}`.
pub const BATCH: i64 = 5_000;
/// The most a payload may ask for in one run.
pub const MAX_BATCH: i64 = 50_000;

/// One kind of record's retention.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// The job kind that purges it.
    pub kind: &'static str,
    /// How long after its last activity a row may go.
    pub keep: Duration,
    /// Deletes one batch: `$1` is `keep` in seconds, `$2` the batch size.
    sql: &'static str,
}

/// Live events: subscribers resume from at most three days back.
pub const LIVE_EVENTS: Retention = Retention {
    kind: "maintenance.purge_live_events",
    keep: DAY.saturating_mul(3),
    sql: "DELETE FROM live_events WHERE id IN (
              SELECT id FROM live_events WHERE created_at < now() - make_interval(secs => $1)
              ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
};

/// Messages whose delivery is over (sent, delivered, read or failed) and whose status
/// has not changed for 90 days. A queued message is never purged however old, and
/// neither is one a settlement slip points to: it is part of the ledger's books.
pub const NOTIFICATION_OUTBOX: Retention = Retention {
    kind: "maintenance.purge_notification_outbox",
    keep: DAY.saturating_mul(90),
    sql: "DELETE FROM notification_outbox WHERE id IN (
              SELECT o.id FROM notification_outbox o
              WHERE o.status IN ('sent', 'delivered', 'read', 'failed')
                AND o.created_at < now() - make_interval(secs => $1)
                AND o.updated_at < now() - make_interval(secs => $1)
                AND NOT EXISTS (SELECT 1 FROM ledger_settlements s WHERE s.message_id = o.id)
              ORDER BY o.created_at LIMIT $2 FOR UPDATE OF o SKIP LOCKED)",
};

/// Gateway webhooks applied 90 days ago: the gateway stopped retrying them long
/// before. One never applied stays for an operator to look at.
pub const PAYMENT_WEBHOOK_EVENTS: Retention = Retention {
    kind: "maintenance.purge_payment_webhook_events",
    keep: DAY.saturating_mul(90),
    sql: "DELETE FROM payment_webhook_events WHERE event_id IN (
              SELECT event_id FROM payment_webhook_events
              WHERE applied_at IS NOT NULL AND received_at < now() - make_interval(secs => $1)
              ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
};

/// Guest carts untouched for 30 days (every change to a cart moves `updated_at`); their
/// items go with them. A person's cart is theirs to keep. No order refers to a cart:
/// an order copies its lines at checkout.
pub const GUEST_CARTS: Retention = Retention {
    kind: "maintenance.purge_guest_carts",
    keep: DAY.saturating_mul(30),
    sql: "DELETE FROM carts WHERE (tenant_id, id) IN (
              SELECT tenant_id, id FROM carts
              WHERE user_id IS NULL AND updated_at < now() - make_interval(secs => $1)
              ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
};

pub const ALL: &[Retention] = &[LIVE_EVENTS, NOTIFICATION_OUTBOX, PAYMENT_WEBHOOK_EVENTS, GUEST_CARTS];

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Input {
    batch: Option<i64>,
}

/// The batch a run deletes: the default, or what the payload asked for within bounds.
pub fn batch_size(requested: Option<i64>) -> Result<i64, String> {
    match requested {
        None => Ok(BATCH),
        Some(n) if (1..=MAX_BATCH).contains(&n) => Ok(n),
        Some(n) => Err(format!("batch must be between 1 and {MAX_BATCH}, not {n}")),
    }
}

/// A full batch may have left more behind; a short one did not.
pub fn more_may_remain(deleted: u64, batch: i64) -> bool {
    deleted >= batch as u64
}

impl Handler for Retention {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let input: Input = job.payload()?;
            let batch = batch_size(input.batch).map_err(JobError::Fatal)?;
            // Retention is about every tenant's rows: this job's transaction only.
            sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *tx).await?;
            let deleted = sqlx::query(self.sql)
                .bind(self.keep.as_secs_f64())
                .bind(batch)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            metrics::counter!("retention_purged_total", "kind" => self.kind).increment(deleted);
            let more = more_may_remain(deleted, batch);
            if more {
                // Keyed on this run: a retried run enqueues its continuation once.
                let mut next = NewJob::new(Queue::Maintenance, self.kind, job.payload.clone())
                    .dedupe_key(format!("{}:after:{}", self.kind, job.id));
                next.max_attempts = 3;
                app::jobs::enqueue(&mut *tx, next).await?;
            }
            tracing::info!(kind = self.kind, purged = deleted, continues = more, "retention purge");
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_bounded() {
        assert_eq!(batch_size(None), Ok(BATCH));
        assert_eq!(batch_size(Some(2)), Ok(2));
        assert_eq!(batch_size(Some(MAX_BATCH)), Ok(MAX_BATCH));
        for bad in [0, -1, MAX_BATCH + 1, i64::MAX] {
            assert!(batch_size(Some(bad)).unwrap_err().contains("batch must be"), "{bad}");
        }
    }

    #[test]
    fn only_a_full_batch_continues() {
        assert!(more_may_remain(5, 5));
        assert!(!more_may_remain(4, 5));
        assert!(!more_may_remain(0, 5));
    }

    #[test]
    fn every_retention_has_its_own_kind_and_a_sensible_period() {
        let mut kinds: Vec<_> = ALL.iter().map(|r| r.kind).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), ALL.len());
        for r in ALL {
            assert!(r.keep >= DAY && r.keep <= DAY * 366, "{}", r.kind);
        }
    }
}
