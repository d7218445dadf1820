//! The control tower's KPI rollup: every minute, the days marked since the last run are
//! recomputed from their sources (`app::control::kpi_service::rollup`), so a tower
//! reads daily rows and never the orders.

use super::schedules::Schedule;
use super::{BoxFuture, Handler, Job, JobError};
use app::jobs::Queue;
use sqlx::PgConnection;

pub const ROLLUP_JOB: &str = "kpi.rollup";

pub const SCHEDULES: &[Schedule] =
    &[Schedule { name: "kpi-rollup", cron: "0 * * * * *", queue: Queue::Reports, kind: ROLLUP_JOB }];

pub fn register(registry: super::Registry) -> super::Registry {
    registry.register(ROLLUP_JOB, Rollup)
}

struct Rollup;

impl Handler for Rollup {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            // Every tenant's marked days in one pass.
            sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *tx).await?;
            let days = app::control::kpi_service::rollup(tx).await?;
            if days > 0 {
                tracing::info!(days, "KPI days recomputed");
            }
            Ok(())
        })
    }
}
