//! The demo estate's past, computed by the real services rather than invented: each
//! farm's completed months distributed (the last one approved and awaiting payment,
//! the earlier ones paid), and 90 days of health snapshots for the trend.

use app::domain::distribution::Month;
use app::farms::distribution_service::{approve_in, mark_paid_in, preview_in};
use app::farms::health_service::{TREND_DAYS, snapshot_day};
use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

/// Completed months distributed in the demo.
const MONTHS: u32 = 3;

fn demo_error(e: app::error::AppError) -> sqlx::Error {
    sqlx::Error::Protocol(format!("demo distribution: {e}"))
}

/// Runs inside the loader's transaction, after the estate's records are in.
pub async fn settle(conn: &mut PgConnection, estate: Uuid, admin: Uuid, today: NaiveDate) -> Result<(), sqlx::Error> {
    let farms: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM farms WHERE tenant_id = $1 AND total_units > 0 ORDER BY slug")
            .bind(estate)
            .fetch_all(&mut *conn)
            .await?;
    let mut month = Month::containing(today);
    let mut months = Vec::new();
    for _ in 0..MONTHS {
        month = Month::containing(month.first_day() - chrono::Days::new(1));
        months.push(month);
    }
    months.reverse();
    for (i, month) in months.iter().enumerate() {
        for farm in &farms {
            let run = preview_in(conn, estate, admin, *farm, *month).await.map_err(demo_error)?;
            approve_in(conn, estate, admin, run, None).await.map_err(demo_error)?;
            if i + 1 < months.len() {
                let payouts: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM payouts WHERE run_id = $1 ORDER BY id")
                    .bind(run)
                    .fetch_all(&mut *conn)
                    .await?;
                for (n, payout) in payouts.iter().enumerate() {
                    let reference = format!("NEFT{}{:04}", month.to_string().replace('-', ""), n + 1);
                    mark_paid_in(conn, estate, admin, *payout, &reference, None).await.map_err(demo_error)?;
                }
            }
        }
    }
    for back in (0..TREND_DAYS).rev() {
        snapshot_day(conn, today - chrono::Days::new(back as u64)).await?;
    }
    Ok(())
}
