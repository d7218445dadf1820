//! The back office of traceability: the tenant's lots (list, search, a new lot with its
//! harvest), recording events, a lot's verified history and its EPCIS export, and each
//! crop's cold chain. Everything runs in the caller's tenant; another tenant's lot is
//! as unknown as one that does not exist.

use super::chain_service::{self, ChainSubject, EventRow, LockedBatch};
use super::model::*;
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::domain::batch_event::{self, ColdChainLimits, EventKind, NewBatchEvent};
use crate::domain::epcis::{self, Lot};
use crate::error::AppError;
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{FromRow, PgConnection, PgPool};
use std::str::FromStr;
use uuid::Uuid;

pub const PAGE: i64 = 50;

#[derive(FromRow)]
struct SummaryRow {
    code: String,
    crop: String,
    farm_name: String,
    harvested_on: NaiveDate,
    quantity: Decimal,
    unit: String,
    chain_length: i32,
    last_event: Option<String>,
    excursion: bool,
}

/// The tenant's lots, newest harvest first, `PAGE` at a time. `search` matches the
/// start of a code, a crop or a farm's name; `after` is the last code of the page
/// before (codes are unique, so the order is total).
pub async fn list(
    pool: &PgPool,
    claims: &Claims,
    search: Option<&str>,
    after: Option<&str>,
) -> Result<BatchList, AppError> {
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 60) {
        return Err(AppError::validation("q", "must be at most 60 characters"));
    }
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let cursor: Option<(NaiveDate, String)> = match after {
        Some(code) => Some(
            sqlx::query_as("SELECT harvested_on, code FROM batches WHERE tenant_id = $1 AND code = $2")
                .bind(tenant)
                .bind(normalize_code(code).unwrap_or_default())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| AppError::validation("after", "is not a lot of this list"))?,
        ),
        None => None,
    };
    let pattern = search.map(|s| format!("{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT b.code, b.crop, f.name AS farm_name, b.harvested_on, b.quantity, b.unit, b.chain_length,
                (SELECT e.kind FROM batch_events e WHERE e.tenant_id = b.tenant_id AND e.batch_id = b.id
                 ORDER BY e.seq DESC LIMIT 1) AS last_event,
                EXISTS (SELECT 1 FROM batch_events e WHERE e.tenant_id = b.tenant_id AND e.batch_id = b.id
                        AND (e.details -> 'coldChain' ->> 'excursion') = 'true') AS excursion
         FROM batches b JOIN farms f ON f.tenant_id = b.tenant_id AND f.id = b.farm_id
         WHERE b.tenant_id = $1
           AND ($2::text IS NULL OR b.code LIKE upper($2) OR b.crop ILIKE $2 OR f.name ILIKE $2)
           AND ($3::date IS NULL OR (b.harvested_on, b.code) < ($3, $4))
         ORDER BY b.harvested_on DESC, b.code DESC
         LIMIT $5",
    )
    .bind(tenant)
    .bind(&pattern)
    .bind(cursor.as_ref().map(|c| c.0))
    .bind(cursor.as_ref().map(|c| c.1.clone()))
    .bind(PAGE + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let more = rows.len() as i64 > PAGE;
    let batches: Vec<BatchSummary> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| BatchSummary {
            code: r.code,
            crop: r.crop,
            farm_name: r.farm_name,
            harvested_on: r.harvested_on,
            quantity: r.quantity.normalize().to_string(),
            unit: r.unit,
            events: r.chain_length as i64,
            last_event: r.last_event,
            excursion: r.excursion,
        })
        .collect();
    let next = more.then(|| batches.last().map(|b| b.code.clone())).flatten();
    Ok(BatchList { batches, next })
}

/// The label the public sees for whoever recorded an event, when the request names
/// nobody: the recorder's organisation and role, never their name.
async fn default_actor(conn: &mut PgConnection, tenant: Uuid, claims: &Claims) -> Result<String, sqlx::Error> {
    let org: String = sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1").bind(tenant).fetch_one(conn).await?;
    let role = if claims.roles.iter().any(|r| r == "field_agent") {
        "field team"
    } else if claims.roles.iter().any(|r| r == "ops") {
        "operations"
    } else {
        "staff"
    };
    Ok(format!("{org} {role}"))
}

fn field_errors(errors: Vec<(String, String)>) -> AppError {
    AppError::Validation { fields: errors.into_iter().collect() }
}

/// Records `raw` on the tenant's lot `code`.
pub async fn record(
    pool: &PgPool,
    claims: &Claims,
    code: &str,
    raw: &NewBatchEvent,
    ip: Option<&str>,
) -> Result<RecordedEvent, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let mut batch = chain_service::lock_batch(&mut tx, tenant, code).await?;
    let limits = chain_service::limits_for(&mut tx, tenant, &batch.crop).await?;
    let actor = default_actor(&mut tx, tenant, claims).await?;
    let facts = batch_event::parse_event(raw, batch.harvested_on, Utc::now(), limits, &actor).map_err(field_errors)?;
    let appended = chain_service::append(&mut tx, tenant, &mut batch, &facts, Some(claims.sub)).await?;
    if appended.created {
        audit::record(
            &mut *tx,
            Entry {
                tenant: Some(tenant),
                actor: Some(claims.sub),
                action: "batch.event_recorded",
                target: Some(batch.code.clone()),
                before: None,
                after: Some(json!({ "seq": appended.view.seq, "kind": facts.kind.as_str(), "eventId": facts.id })),
                ip,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(RecordedEvent { event: appended.view, created: appended.created, alert_id: appended.alert })
}

fn parse_new_batch(raw: &NewBatch, today: NaiveDate) -> Result<(String, NaiveDate, Decimal), AppError> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let code = normalize_code(&raw.code);
    if code.is_none() {
        errors.push(("code".into(), "must be 3–40 letters, digits and dashes, e.g. GH-VEG-000123".into()));
    }
    let crop = raw.crop.trim();
    if crop.is_empty() || crop.chars().count() > 120 {
        errors.push(("crop".into(), "must be 1 to 120 characters".into()));
    }
    let harvested = NaiveDate::parse_from_str(raw.harvested_on.trim(), "%Y-%m-%d").ok();
    match harvested {
        None => errors.push(("harvestedOn".into(), "must be a date, e.g. 2026-12-06".into())),
        Some(d) if d > today => errors.push(("harvestedOn".into(), "is in the future".into())),
        _ => {}
    }
    let quantity = Decimal::from_str(raw.quantity_kg.trim())
        .ok()
        .filter(|q| *q > Decimal::ZERO && q.scale() <= 3 && *q <= Decimal::from(1_000_000));
    if quantity.is_none() {
        errors.push(("quantityKg".into(), "must be more than 0 and at most 1,000,000 kg, to the gram".into()));
    }
    match (code, harvested, quantity) {
        (Some(c), Some(h), Some(q)) if errors.is_empty() => Ok((c, h, q)),
        _ => Err(field_errors(errors)),
    }
}

/// A new lot and its first event, the harvest.
pub async fn create(
    pool: &PgPool,
    claims: &Claims,
    raw: &NewBatch,
    ip: Option<&str>,
) -> Result<RecordedEvent, AppError> {
    let today = crate::domain::distribution::ist_date(Utc::now());
    let (code, harvested_on, quantity) = parse_new_batch(raw, today)?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (farm_id, _) = crate::farms::distribution_service::resolve_farm(&mut tx, raw.farm.trim())
        .await
        .map_err(|_| AppError::validation("farm", "is not a farm of yours"))?;
    let taken: bool = sqlx::query_scalar("SELECT batch_tenant($1) IS NOT NULL").bind(&code).fetch_one(&mut *tx).await?;
    if taken {
        return Err(AppError::conflict_on(&["code"], "a lot with this code exists"));
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO batches (tenant_id, id, code, farm_id, crop, harvested_on, quantity, unit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'kg')",
    )
    .bind(tenant)
    .bind(id)
    .bind(&code)
    .bind(farm_id)
    .bind(raw.crop.trim())
    .bind(harvested_on)
    .bind(quantity)
    .execute(&mut *tx)
    .await?;
    let harvest = NewBatchEvent {
        kind: EventKind::Harvested.as_str().into(),
        // Noon IST of the harvest day unless that is still to come.
        occurred_at: (harvested_on.and_hms_opt(6, 30, 0).expect("time").and_utc()).min(Utc::now()).to_rfc3339(),
        place: raw.place.clone(),
        actor: raw.actor.clone(),
        quantity_kg: Some(quantity.to_string()),
        ..Default::default()
    };
    let mut batch = chain_service::lock_batch(&mut tx, tenant, &code).await?;
    let actor = default_actor(&mut tx, tenant, claims).await?;
    let facts = batch_event::parse_event(&harvest, harvested_on, Utc::now(), None, &actor).map_err(field_errors)?;
    let appended = chain_service::append(&mut tx, tenant, &mut batch, &facts, Some(claims.sub)).await?;
    audit::record(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor: Some(claims.sub),
            action: "batch.created",
            target: Some(code.clone()),
            before: None,
            after: Some(json!({ "crop": raw.crop.trim(), "harvestedOn": harvested_on, "quantityKg": quantity })),
            ip,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RecordedEvent { event: appended.view, created: true, alert_id: None })
}

/// The tenant's lot `code`, with its history read and verified.
pub struct History {
    pub batch: LockedBatch,
    pub rows: Vec<EventRow>,
    pub chain: ChainState,
}

pub async fn history(pool: &PgPool, claims: &Claims, code: &str) -> Result<History, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let code = normalize_code(code).ok_or_else(|| AppError::not_found("Batch"))?;
    let batch: LockedBatch = sqlx::query_as(
        "SELECT id, code, farm_id, crop, harvested_on, chain_length, chain_head FROM batches
         WHERE tenant_id = $1 AND code = $2",
    )
    .bind(tenant)
    .bind(&code)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found("Batch"))?;
    let rows = chain_service::events(&mut tx, tenant, batch.id).await?;
    tx.commit().await?;
    let subject = ChainSubject {
        id: batch.id,
        lot: Lot { code: &batch.code, farm_id: batch.farm_id, crop: &batch.crop },
        chain_length: batch.chain_length as i64,
        chain_head: batch.chain_head.as_deref(),
    };
    let chain = chain_service::chain_state(&chain_service::verify_rows(&subject, &rows));
    Ok(History { batch, rows, chain })
}

impl History {
    pub fn view(&self) -> BatchHistory {
        BatchHistory {
            code: self.batch.code.clone(),
            crop: self.batch.crop.clone(),
            harvested_on: self.batch.harvested_on,
            events: self.rows.iter().map(EventRow::view).collect(),
            chain: self.chain.clone(),
        }
    }
}

/// The lot's history as an EPCIS 2.0 document.
pub async fn epcis_document(pool: &PgPool, claims: &Claims, code: &str) -> Result<serde_json::Value, AppError> {
    let h = history(pool, claims, code).await?;
    let lot = Lot { code: &h.batch.code, farm_id: h.batch.farm_id, crop: &h.batch.crop };
    let events = h
        .rows
        .iter()
        .filter_map(|r| {
            let facts = r.facts()?;
            let mut e = epcis::event(&lot, &facts, r.recorded_at);
            // The digest as the event's id (as CBV 2.0 allows): a receiver recomputes
            // it from the event, and chains the digests in the document's order to
            // reach the head our verification reports.
            e["eventID"] = json!(r.event_hash);
            Some(e)
        })
        .collect();
    Ok(epcis::document(events, Utc::now()))
}

/// Each crop's cold chain.
pub async fn limits(pool: &PgPool, claims: &Claims) -> Result<Vec<ColdChainView>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(String, Decimal, Decimal)> =
        sqlx::query_as("SELECT crop, min_c, max_c FROM cold_chain_limits WHERE tenant_id = $1 ORDER BY crop")
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(crop, lo, hi)| ColdChainView {
            crop,
            min_c: lo.normalize().to_string(),
            max_c: hi.normalize().to_string(),
        })
        .collect())
}

/// Sets a crop's cold chain (audited with what it was).
pub async fn set_limits(
    pool: &PgPool,
    claims: &Claims,
    crop: &str,
    min_c: &str,
    max_c: &str,
    ip: Option<&str>,
) -> Result<ColdChainView, AppError> {
    let crop = crop.trim();
    if crop.is_empty() || crop.chars().count() > 120 {
        return Err(AppError::validation("crop", "must be 1 to 120 characters"));
    }
    let ColdChainLimits { min_c, max_c } = batch_event::parse_limits(min_c, max_c).map_err(field_errors)?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before: Option<(Decimal, Decimal)> =
        sqlx::query_as("SELECT min_c, max_c FROM cold_chain_limits WHERE tenant_id = $1 AND crop = $2 FOR UPDATE")
            .bind(tenant)
            .bind(crop)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query(
        "INSERT INTO cold_chain_limits (tenant_id, crop, min_c, max_c, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, crop) DO UPDATE SET min_c = $3, max_c = $4, updated_by = $5, updated_at = now()",
    )
    .bind(tenant)
    .bind(crop)
    .bind(min_c)
    .bind(max_c)
    .bind(claims.sub)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor: Some(claims.sub),
            action: "cold_chain.set",
            target: Some(crop.to_string()),
            before: before.map(|(lo, hi)| json!({ "minC": lo, "maxC": hi })),
            after: Some(json!({ "minC": min_c, "maxC": max_c })),
            ip,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ColdChainView {
        crop: crop.to_string(),
        min_c: min_c.normalize().to_string(),
        max_c: max_c.normalize().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_lot_is_checked_field_by_field() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let ok = NewBatch {
            code: "gh-veg-900001".into(),
            farm: "x".into(),
            crop: "Carrot".into(),
            harvested_on: "2026-12-05".into(),
            quantity_kg: "120.5".into(),
            ..Default::default()
        };
        let (code, _, q) = parse_new_batch(&ok, today).unwrap();
        assert_eq!((code.as_str(), q), ("GH-VEG-900001", Decimal::new(1205, 1)));
        let bad = NewBatch {
            code: "x".into(),
            crop: " ".into(),
            harvested_on: "2026-12-07".into(),
            quantity_kg: "-1".into(),
            ..ok
        };
        let Err(AppError::Validation { fields }) = parse_new_batch(&bad, today) else { panic!() };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["code", "crop", "harvestedOn", "quantityKg"]);
    }
}
