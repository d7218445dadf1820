//! Field operations' jobs: keeping the readings' monthly partitions ahead of the clock,
//! the daily alert rules (farms unvisited, tasks past due), and telling a farm's
//! owners and the tenant's ops of an alert just opened.

use super::schedules::Schedule;
use super::{BoxFuture, Handler, Job, JobError};
use app::alerts::service::{NOTIFY_OPENED, notify_opened};
use app::jobs::Queue;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

pub const PARTITIONS_JOB: &str = "readings.partitions";

/// Months of partitions kept ahead of the current one.
pub const PARTITION_MONTHS_AHEAD: i32 = 3;

/// Partitions at 07:50 IST; the rules at 07:00 IST, before the field day's plans.
pub const SCHEDULES: &[Schedule] = &[
    Schedule { name: "reading-partitions", cron: "0 20 2 * * *", queue: Queue::Maintenance, kind: PARTITIONS_JOB },
    Schedule { name: "field-rules", cron: "0 30 1 * * *", queue: Queue::Maintenance, kind: RULES_JOB },
];

pub fn register(registry: super::Registry) -> super::Registry {
    registry.register(PARTITIONS_JOB, Partitions).register(NOTIFY_OPENED, NotifyOpened).register(RULES_JOB, Rules)
}

struct Partitions;

impl Handler for Partitions {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let made: i32 = sqlx::query_scalar("SELECT ensure_reading_partitions($1)")
                .bind(PARTITION_MONTHS_AHEAD)
                .fetch_one(&mut *tx)
                .await?;
            tracing::info!(made, "reading partitions kept ahead");
            Ok(())
        })
    }
}

struct NotifyOpened;

#[derive(Deserialize)]
struct AlertRef {
    tenant: Uuid,
    alert: Uuid,
}

impl Handler for NotifyOpened {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let AlertRef { tenant, alert } = job.payload()?;
            sqlx::query("SELECT set_config('mandi.tenant_id', $1, true)")
                .bind(tenant.to_string())
                .execute(&mut *tx)
                .await?;
            let told = notify_opened(tx, tenant, alert).await?;
            tracing::info!(%alert, told, "people told of the alert");
            Ok(())
        })
    }
}

pub const RULES_JOB: &str = "field.rules";

struct Rules;

impl Handler for Rules {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            // Every estate's farms in one pass.
            sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *tx).await?;
            let today = app::domain::distribution::ist_date(chrono::Utc::now());
            let run = app::field::rules_service::run(tx, today).await?;
            tracing::info!(opened = run.opened, resolved = run.resolved, "field alert rules");
            Ok(())
        })
    }
}
