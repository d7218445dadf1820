//! The market's reference data (terms, growers, flower types, slots, rates): what a
//! tablet caches to work offline, and the admin's rate changes, which price the
//! entries that were waiting for them.

use super::context::{LedgerCaller, lock_counters};
use super::model::*;
use crate::audit::{self, Entry};
use crate::domain::kilograms::Kg;
use crate::domain::ledger_entry::EntryLimits;
use crate::domain::market_slot::{self, MarketSlot};
use crate::domain::money::Money;
use crate::domain::settlement::{MarketTerms, entry_total};
use crate::error::{AppError, FieldErrors};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use uuid::Uuid;

/// The market's terms and limits, as stored (defaults until an admin sets them).
#[derive(Debug, Clone)]
pub struct Settings {
    pub terms: MarketTerms,
    pub limits: EntryLimits,
}

/// A tablet's clock may run this far ahead of the server's.
const FUTURE_SKEW_MINUTES: i64 = 10;

pub async fn settings(tx: &mut PgConnection, tenant: Uuid) -> Result<Settings, AppError> {
    let row: Option<(Decimal, Decimal, Decimal, Decimal, i32)> = sqlx::query_as(
        "SELECT commission_percent, fee_per_entry, fee_per_kg, max_entry_kg, backdate_days FROM ledger_settings WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(&mut *tx)
    .await?;
    let (pct, per_entry, per_kg, max_kg, backdate) =
        row.unwrap_or((Decimal::TEN, Decimal::ZERO, Decimal::ZERO, Decimal::from(500), 3));
    Ok(Settings {
        terms: MarketTerms {
            commission_percent: pct,
            fee_per_entry: Money::from_decimal(per_entry),
            fee_per_kg: Money::from_decimal(per_kg),
        },
        limits: EntryLimits {
            max_kg: Kg::from_decimal(max_kg).map_err(|e| AppError::internal("ledger_settings.max_entry_kg", e))?,
            backdate_days: i64::from(backdate),
            future_skew: Duration::minutes(FUTURE_SKEW_MINUTES),
        },
    })
}

pub async fn slots(tx: &mut PgConnection, tenant: Uuid) -> Result<Vec<MarketSlot>, AppError> {
    let rows: Vec<(Uuid, NaiveTime, NaiveTime)> = sqlx::query_as(
        "SELECT id, starts_at, ends_at FROM ledger_time_slots WHERE tenant_id = $1 AND active ORDER BY starts_at",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|(id, starts_at, ends_at)| MarketSlot { id, starts_at, ends_at }).collect())
}

/// Rates of the given market days, by (day, flower type, slot).
pub async fn rates(
    tx: &mut PgConnection,
    tenant: Uuid,
    days: &[NaiveDate],
) -> Result<HashMap<(NaiveDate, Uuid, Uuid), Money>, AppError> {
    let rows: Vec<(NaiveDate, Uuid, Uuid, Decimal)> = sqlx::query_as(
        "SELECT market_date, flower_type_id, slot_id, rate FROM ledger_rates WHERE tenant_id = $1 AND market_date = ANY($2)",
    )
    .bind(tenant)
    .bind(days)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|(d, f, s, r)| ((d, f, s), Money::from_decimal(r))).collect())
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

pub async fn reference(pool: &PgPool, caller: &LedgerCaller, now: DateTime<Utc>) -> Result<ReferenceData, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let s = settings(&mut tx, caller.tenant).await?;
    let reference_version: i64 =
        sqlx::query_scalar("SELECT reference_version FROM ledger_counters WHERE tenant_id = $1")
            .bind(caller.tenant)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(1);
    let farmers = sqlx::query_as::<_, (Uuid, i32, String, String, String, Option<String>, Option<String>, String)>(
        "SELECT id, farmer_no, name_en, name_ta, village, phone, whatsapp, language FROM ledger_farmers
         WHERE tenant_id = $1 AND active ORDER BY farmer_no",
    )
    .bind(caller.tenant)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(id, farmer_no, name_en, name_ta, village, phone, whatsapp, language)| FarmerRef {
        id,
        farmer_no,
        name_en,
        name_ta,
        village,
        phone,
        whatsapp,
        language,
    })
    .collect();
    let flower_types = sqlx::query_as::<_, (Uuid, String, String, String)>(
        "SELECT id, code, name_en, name_ta FROM ledger_flower_types WHERE tenant_id = $1 AND active ORDER BY position, code",
    )
    .bind(caller.tenant)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(id, code, name_en, name_ta)| FlowerTypeRef { id, code, name_en, name_ta })
    .collect();
    let slots = slots(&mut tx, caller.tenant)
        .await?
        .into_iter()
        .map(|s| SlotRef { id: s.id, starts_at: hhmm(s.starts_at), ends_at: hhmm(s.ends_at) })
        .collect();
    let today = market_slot::market_date(now);
    let days = [today - Duration::days(1), today, today + Duration::days(1)];
    let mut rates: Vec<RateRef> = rates(&mut tx, caller.tenant, &days)
        .await?
        .into_iter()
        .map(|((date, flower_type_id, slot_id), rate)| RateRef { date, flower_type_id, slot_id, rate })
        .collect();
    rates.sort_by_key(|r| (r.date, r.flower_type_id, r.slot_id));
    tx.commit().await?;
    Ok(ReferenceData {
        market_name: caller.market_name.clone(),
        settings: LedgerSettings {
            commission_percent: format!("{:.2}", s.terms.commission_percent),
            fee_per_entry: s.terms.fee_per_entry,
            fee_per_kg: s.terms.fee_per_kg,
            max_entry_kg: s.limits.max_kg,
            backdate_days: s.limits.backdate_days as i32,
        },
        farmers,
        flower_types,
        slots,
        rates,
        reference_version,
        market_date: today,
        server_time: now,
        protocol_version: PROTOCOL_VERSION,
    })
}

/// A market day typed by a person or client: `YYYY-MM-DD`.
pub fn parse_day(raw: &str, field: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::validation(field, "must be a date as YYYY-MM-DD"))
}

/// Sets rates for one market day (an admin's grid). Entries of that day that were
/// waiting for a rate get it now, in the same transaction, as a new version each.
pub async fn save_rates(
    pool: &PgPool,
    caller: &LedgerCaller,
    input: &RatesInput,
    ip: Option<&str>,
) -> Result<RatesSaved, AppError> {
    let date = parse_day(&input.date, "date")?;
    if input.rates.is_empty() || input.rates.len() > 500 {
        return Err(AppError::validation("rates", "give between 1 and 500 rates"));
    }
    let mut fields = FieldErrors::new();
    let mut parsed: Vec<(Uuid, Uuid, Money)> = Vec::new();
    for (i, r) in input.rates.iter().enumerate() {
        let flower = Uuid::parse_str(r.flower_type_id.trim()).map_err(|_| format!("rates.{i}.flowerTypeId"));
        let slot = Uuid::parse_str(r.slot_id.trim()).map_err(|_| format!("rates.{i}.slotId"));
        let rate = Money::parse(&r.rate).ok().filter(|m| *m > Money::ZERO && m.amount() < Decimal::from(10_000_000));
        match (flower, slot, rate) {
            (Ok(f), Ok(s), Some(m)) => parsed.push((f, s, m)),
            (Err(field), _, _) | (_, Err(field), _) => {
                fields.insert(field, "must be a UUID".into());
            }
            (_, _, None) => {
                fields.insert(
                    format!("rates.{i}.rate"),
                    "must be an amount in rupees above zero, such as 420 or 420.50".into(),
                );
            }
        }
    }
    if !fields.is_empty() {
        return Err(AppError::Validation { fields });
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let counters = lock_counters(&mut tx, caller.tenant).await?;
    let known: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT f.id, s.id FROM unnest($2::uuid[], $3::uuid[]) AS r(f, s)
         JOIN ledger_flower_types f ON f.tenant_id = $1 AND f.id = r.f
         JOIN ledger_time_slots s ON s.tenant_id = $1 AND s.id = r.s",
    )
    .bind(caller.tenant)
    .bind(parsed.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind(parsed.iter().map(|p| p.1).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    for (i, (f, s, _)) in parsed.iter().enumerate() {
        if !known.contains(&(*f, *s)) {
            fields.insert(format!("rates.{i}"), "names a flower type or slot this market does not have".into());
        }
    }
    if !fields.is_empty() {
        return Err(AppError::Validation { fields });
    }
    let before: Vec<(Uuid, Uuid, Decimal)> = sqlx::query_as(
        "SELECT flower_type_id, slot_id, rate FROM ledger_rates WHERE tenant_id = $1 AND market_date = $2",
    )
    .bind(caller.tenant)
    .bind(date)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO ledger_rates (tenant_id, market_date, flower_type_id, slot_id, rate, set_by)
         SELECT $1, $2, r.f, r.s, r.rate, $3 FROM unnest($4::uuid[], $5::uuid[], $6::numeric[]) AS r(f, s, rate)
         ON CONFLICT (tenant_id, market_date, flower_type_id, slot_id)
         DO UPDATE SET rate = EXCLUDED.rate, set_by = EXCLUDED.set_by, set_at = now()",
    )
    .bind(caller.tenant)
    .bind(date)
    .bind(caller.user)
    .bind(parsed.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind(parsed.iter().map(|p| p.1).collect::<Vec<_>>())
    .bind(parsed.iter().map(|p| p.2.amount()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let repriced = reprice_pending(&mut tx, caller, date, counters.change_seq).await?;
    let reference_version = counters.reference_version + 1;
    sqlx::query("UPDATE ledger_counters SET reference_version = $2, change_seq = change_seq + $3 WHERE tenant_id = $1")
        .bind(caller.tenant)
        .bind(reference_version)
        .bind(repriced as i64)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Entry {
            tenant: Some(caller.tenant),
            actor: Some(caller.user),
            action: "ledger.rates.saved",
            target: Some(format!("ledger_rates:{date}")),
            before: Some(serde_json::json!(before.iter().map(|(f, s, r)| serde_json::json!({"flowerTypeId": f, "slotId": s, "rate": r.to_string()})).collect::<Vec<_>>())),
            after: Some(serde_json::json!({
                "rates": parsed.iter().map(|(f, s, r)| serde_json::json!({"flowerTypeId": f, "slotId": s, "rate": r.to_api_string()})).collect::<Vec<_>>(),
                "repriced": repriced,
            })),
            ip,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RatesSaved { date, saved: parsed.len(), rated_now: repriced, reference_version })
}

/// Prices the day's pending entries whose slot now has a rate; returns how many.
async fn reprice_pending(
    tx: &mut PgConnection,
    caller: &LedgerCaller,
    date: NaiveDate,
    seq: i64,
) -> Result<usize, AppError> {
    let rows: Vec<(Uuid, Decimal, Decimal)> = sqlx::query_as(
        "SELECT e.client_id, e.quantity_kg, r.rate
         FROM ledger_entries e
         JOIN ledger_rates r ON r.tenant_id = e.tenant_id AND r.market_date = e.market_date
                            AND r.flower_type_id = e.flower_type_id AND r.slot_id = e.slot_id
         WHERE e.tenant_id = $1 AND e.market_date = $2 AND e.rate_source = 'pending'
         ORDER BY e.client_id FOR UPDATE OF e",
    )
    .bind(caller.tenant)
    .bind(date)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut totals = Vec::with_capacity(rows.len());
    for (_, q, rate) in &rows {
        let kg = Kg::from_decimal(*q).map_err(|e| AppError::internal("ledger_entries.quantity_kg", e))?;
        totals.push(entry_total(Money::from_decimal(*rate), kg).amount());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let seqs: Vec<i64> = (1..=rows.len() as i64).map(|i| seq + i).collect();
    sqlx::query(
        "WITH u AS (SELECT * FROM unnest($3::uuid[], $4::numeric[], $5::numeric[], $6::int8[]) AS u(client_id, rate, total, seq)),
         changed AS (
            UPDATE ledger_entries e SET rate = u.rate, total = u.total, rate_source = 'slot', version = e.version + 1,
                   change_seq = u.seq, updated_by = $7, last_device_id = NULL, updated_at = now()
            FROM u WHERE e.tenant_id = $1 AND e.market_date = $2 AND e.client_id = u.client_id
            RETURNING e.*)
         INSERT INTO ledger_entry_history (tenant_id, market_date, client_id, version, change, farmer_id, flower_type_id,
                                           quantity_kg, rate, total, rate_source, status, actor_id)
         SELECT tenant_id, market_date, client_id, version, 'repriced', farmer_id, flower_type_id, quantity_kg, rate, total,
                rate_source, status, $7 FROM changed",
    )
    .bind(caller.tenant)
    .bind(date)
    .bind(&ids)
    .bind(rows.iter().map(|r| r.2).collect::<Vec<_>>())
    .bind(&totals)
    .bind(&seqs)
    .bind(caller.user)
    .execute(&mut *tx)
    .await?;
    Ok(rows.len())
}

/// One market day's rates as the admin's grid shows them (flower types × slots).
pub async fn rates_for_day(pool: &PgPool, caller: &LedgerCaller, date: NaiveDate) -> Result<Vec<RateRef>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let mut out: Vec<RateRef> = rates(&mut tx, caller.tenant, &[date])
        .await?
        .into_iter()
        .map(|((date, flower_type_id, slot_id), rate)| RateRef { date, flower_type_id, slot_id, rate })
        .collect();
    tx.commit().await?;
    out.sort_by_key(|r| (r.flower_type_id, r.slot_id));
    Ok(out)
}

/// Yesterday's prices as a start for today's: copies `from`'s rates onto `to` (keeping
/// any `to` already has), through `save_rates`, so it is audited and prices pending
/// entries like any other change.
pub async fn copy_rates(
    pool: &PgPool,
    caller: &LedgerCaller,
    from: NaiveDate,
    to: NaiveDate,
    ip: Option<&str>,
) -> Result<RatesSaved, AppError> {
    if from == to {
        return Err(AppError::validation("from", "must be another day than the one to fill"));
    }
    let source = rates_for_day(pool, caller, from).await?;
    let existing: std::collections::HashSet<(Uuid, Uuid)> =
        rates_for_day(pool, caller, to).await?.into_iter().map(|r| (r.flower_type_id, r.slot_id)).collect();
    let copied: Vec<RateInput> = source
        .iter()
        .filter(|r| !existing.contains(&(r.flower_type_id, r.slot_id)))
        .map(|r| RateInput {
            flower_type_id: r.flower_type_id.to_string(),
            slot_id: r.slot_id.to_string(),
            rate: r.rate.to_api_string(),
        })
        .collect();
    if copied.is_empty() {
        return Err(AppError::validation(
            "from",
            if source.is_empty() { "that day has no rates to copy" } else { "every rate is already set for the day" },
        ));
    }
    save_rates(pool, caller, &RatesInput { date: to.to_string(), rates: copied }, ip).await
}
