//! The demo estate's past, computed by the real services rather than invented: each
//! farm's completed months distributed (the last one approved and awaiting payment,
//! the earlier ones paid), and 90 days of health snapshots for the trend. Owners are
//! not messaged about a past they would have heard of at the time.

use app::domain::distribution::Month;
use app::farms::distribution_service::{Tell, approve_in, preview_in};
use app::farms::health_service::{TREND_DAYS, snapshot_days};
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
            let run = approve_in(conn, estate, admin, run, None, Tell::Nobody).await.map_err(demo_error)?;
            if i + 1 < months.len() {
                // Paid in the first week of the next month, with the bank's references.
                sqlx::query(
                    "UPDATE payouts SET status = 'paid', paid_by = $2,
                         bank_reference = 'NEFT' || to_char(period, 'YYYYMM') || lpad(n::text, 4, '0'),
                         paid_at = (period + interval '1 month 4 days 11 hours')
                     FROM (SELECT id AS pid, row_number() OVER (ORDER BY id) AS n FROM payouts WHERE run_id = $1) o
                     WHERE id = o.pid",
                )
                .bind(run)
                .bind(admin)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    snapshot_days(conn, today - chrono::Days::new(TREND_DAYS as u64 - 1), today).await?;
    Ok(())
}
