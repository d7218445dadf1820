//! Tablet sync, the pull: changes by others since a cursor.
//!
//! Pull: every change takes the next number of the market's `change_seq`, under the
//! counter row's lock, so numbers become visible in order and "after N" misses none.

use super::context::LedgerCaller;
use super::entry_rows::{ENTRY_COLUMNS, EntryRow};
use super::model::*;
use super::sync_conflicts::open_conflicts;
use crate::domain::market_slot;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Changes made by others (other devices, admins' repricing) since `since`, oldest
/// first, on market days from `days` ago up to today.
pub async fn changes(
    pool: &PgPool,
    caller: &LedgerCaller,
    device: Option<Uuid>,
    since: i64,
    days: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<ChangesPage, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    // Read first: every change numbered up to it is committed (numbers and counter
    // commit together under the counter lock), so the cursor never skips one.
    let (upto, reference_version): (i64, i64) =
        sqlx::query_as("SELECT change_seq, reference_version FROM ledger_counters WHERE tenant_id = $1")
            .bind(caller.tenant)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((0, 1));
    let from_day = market_slot::market_date(now) - Duration::days(days.clamp(1, 31) - 1);
    let mut rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries
         WHERE tenant_id = $1 AND change_seq > $2 AND change_seq <= $3 AND market_date >= $4
           AND last_device_id IS DISTINCT FROM $5
         ORDER BY change_seq LIMIT $6"
    ))
    .bind(caller.tenant)
    .bind(since)
    .bind(upto)
    .bind(from_day)
    .bind(device)
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = if has_more { rows.last().map_or(since, |r| r.change_seq) } else { upto.max(since) };
    let open_conflicts = match device {
        Some(device) => open_conflicts(&mut tx, caller.tenant, device).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok(ChangesPage {
        entries: rows.iter().map(EntryRow::view).collect(),
        cursor,
        has_more,
        reference_version,
        open_conflicts,
    })
}
