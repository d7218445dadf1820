//! Reading entries: a market day's book, a grower's entries, one entry by its id.

use super::context::{LedgerCaller, own_farmer};
use super::entry_rows::{ENTRY_COLUMNS, EntryRow};
use super::model::*;
use super::reference_service::parse_day;
use crate::domain::market_slot;
use crate::domain::permissions::Action;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Most entries one page returns.
pub const MAX_PAGE: i64 = 1000;

/// Entries of one market day (today by default), oldest first, after `cursor` (the
/// last `recordedAt|clientId` seen). Farmers see only their own.
pub async fn list(
    pool: &PgPool,
    caller: &LedgerCaller,
    q: &EntriesQuery,
    cursor: Option<&str>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<EntryView>, AppError> {
    let day = match q.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_day(d, "date")?,
        None => market_slot::market_date(now),
    };
    let parse = |raw: Option<&str>, field: &str| -> Result<Option<Uuid>, AppError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Uuid::parse_str(s).map(Some).map_err(|_| AppError::validation(field, "must be a UUID")),
            None => Ok(None),
        }
    };
    let mut farmer = parse(q.farmer_id.as_deref(), "farmerId")?;
    let client = parse(q.client_id.as_deref(), "clientId")?;
    let after: Option<(DateTime<Utc>, Uuid)> = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => {
            let (at, id) =
                c.split_once('|').ok_or_else(|| AppError::validation("cursor", "is not a cursor this API gave"))?;
            let at = DateTime::parse_from_rfc3339(at)
                .map_err(|_| AppError::validation("cursor", "is not a cursor this API gave"))?;
            let id =
                Uuid::parse_str(id).map_err(|_| AppError::validation("cursor", "is not a cursor this API gave"))?;
            Some((at.with_timezone(&Utc), id))
        }
        None => None,
    };
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    if caller.only_own(Action::ReportsView) {
        let own = own_farmer(&mut tx, caller).await?.unwrap_or_default();
        if farmer.is_some_and(|f| f != own) {
            return Err(AppError::Forbidden);
        }
        farmer = Some(own);
    }
    // By client id alone, any day: the tablet asking "did this one arrive?".
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries
         WHERE tenant_id = $1 AND ($2::uuid IS NOT NULL OR market_date = $3)
           AND ($2::uuid IS NULL OR client_id = $2) AND ($4::uuid IS NULL OR farmer_id = $4)
           AND ($5::timestamptz IS NULL OR (recorded_at, client_id) > ($5, $6))
         ORDER BY recorded_at, client_id LIMIT $7"
    ))
    .bind(caller.tenant)
    .bind(client)
    .bind(day)
    .bind(farmer)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit.clamp(1, MAX_PAGE) + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.iter().map(EntryRow::view).collect())
}

pub fn cursor_of(e: &EntryView) -> String {
    format!("{}|{}", e.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), e.client_id)
}
