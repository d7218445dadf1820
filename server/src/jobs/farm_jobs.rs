//! Farm ownership's jobs: the daily health snapshot of every estate farm (so an owner's
//! trend is a cheap read), and telling owners of an approved distribution.

use super::schedules::Schedule;
use super::{BoxFuture, Handler, Job, JobError};
use app::domain::distribution::ist_date;
use app::farms::distribution_service::{NOTIFY_APPROVED, notify_approved};
use app::farms::health_service::snapshot_day;
use app::jobs::Queue;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

pub const SNAPSHOT_JOB: &str = "farms.health_snapshot";

/// 00:40 IST, after the day has turned in India (19:10 UTC).
pub const SCHEDULES: &[Schedule] =
    &[Schedule { name: "farm-health-snapshot", cron: "0 10 19 * * *", queue: Queue::Reports, kind: SNAPSHOT_JOB }];

pub fn register(registry: super::Registry) -> super::Registry {
    registry.register(SNAPSHOT_JOB, Snapshot).register(NOTIFY_APPROVED, NotifyApproved)
}

struct Snapshot;

impl Handler for Snapshot {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            // Every estate's farms in one pass.
            sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *tx).await?;
            let day = ist_date(chrono::Utc::now());
            let farms = snapshot_day(tx, day).await?;
            tracing::info!(farms, %day, "farm health snapshot");
            Ok(())
        })
    }
}

struct NotifyApproved;

#[derive(Deserialize)]
struct RunRef {
    tenant: Uuid,
    run: Uuid,
}

impl Handler for NotifyApproved {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let RunRef { tenant, run } = job.payload()?;
            sqlx::query("SELECT set_config('mandi.tenant_id', $1, true)")
                .bind(tenant.to_string())
                .execute(&mut *tx)
                .await?;
            let owners = notify_approved(tx, tenant, run).await?;
            tracing::info!(%run, owners, "owners told of the approved distribution");
            Ok(())
        })
    }
}
