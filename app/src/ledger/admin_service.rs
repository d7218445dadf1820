//! The admin's side of the ledger's reference data (PRODUCT.md §4): growers, flower
//! types, time slots, the market's terms, and advances. Reads are for staff too (the
//! tablet shows them); writes are the admin's: growers, terms and advances need
//! `UsersManage`, flower types and slots `RatesConfigure`.
//!
//! Every write runs in the market's tenant transaction, takes the ledger lock
//! (`context::lock_counters`, so checks such as "is this number free" cannot race),
//! moves `reference_version` (tablets reload their lists), and is audited with its
//! before and after. Bad input is answered field by field; a number, code or time
//! already taken is a conflict (409).

use super::admin_model::*;
use super::context::{LedgerCaller, lock_counters};
use crate::account::credentials::Phone;
use crate::audit::{self, Entry};
use crate::domain::kilograms::Kg;
use crate::domain::ledger_reference as rules;
use crate::domain::market_slot::{MarketSlot, market_date};
use crate::domain::money::Money;
use crate::domain::permissions::Action;
use crate::error::{AppError, FieldErrors};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

fn require(caller: &LedgerCaller, action: Action) -> Result<(), AppError> {
    caller.grant(action).map(|_| ()).ok_or(AppError::Forbidden)
}

fn json(value: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

fn fail_if_any(fields: FieldErrors) -> Result<(), AppError> {
    if fields.is_empty() { Ok(()) } else { Err(AppError::Validation { fields }) }
}

/// Moves the market's reference version (the ledger lock is held); returns the new one.
async fn bump_reference(tx: &mut PgConnection, tenant: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("UPDATE ledger_counters SET reference_version = reference_version + 1 WHERE tenant_id = $1 RETURNING reference_version")
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await?)
}

#[allow(clippy::too_many_arguments)]
async fn audit(
    tx: &mut PgConnection,
    caller: &LedgerCaller,
    action: &str,
    target: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        Entry {
            tenant: Some(caller.tenant),
            actor: Some(caller.user),
            action,
            target: Some(target),
            before,
            after,
            ip,
        },
    )
    .await?;
    Ok(())
}

/// `%`, `_` and `\` typed into a search match themselves.
fn like_pattern(q: &str) -> String {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

// ---------------------------------------------------------------- growers

type GrowerRow = (Uuid, i32, String, String, String, Option<String>, Option<String>, String, bool, bool);
const GROWER_COLUMNS: &str =
    "id, farmer_no, name_en, name_ta, village, phone, whatsapp, language, active, user_id IS NOT NULL";

fn grower(
    (id, farmer_no, name_en, name_ta, village, phone, whatsapp, language, active, has_sign_in): GrowerRow,
) -> GrowerView {
    GrowerView { id, farmer_no, name_en, name_ta, village, phone, whatsapp, language, active, has_sign_in }
}

/// The market's growers by number, inactive ones too; `q` finds by number, name in
/// either script, village or phone.
pub async fn list_growers(pool: &PgPool, caller: &LedgerCaller, q: Option<&str>) -> Result<Vec<GrowerView>, AppError> {
    require(caller, Action::LedgerCreateEntry)?;
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::validation("q", "must be at most 100 characters"));
    }
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let rows: Vec<GrowerRow> = sqlx::query_as(&format!(
        "SELECT {GROWER_COLUMNS} FROM ledger_farmers WHERE tenant_id = $1 AND ($2::text IS NULL
            OR farmer_no::text = $3 OR name_en ILIKE $2 OR name_ta ILIKE $2 OR village ILIKE $2 OR phone LIKE $2 OR whatsapp LIKE $2)
         ORDER BY farmer_no LIMIT 2000"
    ))
    .bind(caller.tenant)
    .bind(q.map(like_pattern))
    .bind(q.unwrap_or_default())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(grower).collect())
}

/// A grower input, parsed: `None` leaves a field as it is; `Some(None)` clears a phone.
#[derive(Default)]
struct GrowerFields {
    farmer_no: Option<i32>,
    name_en: Option<String>,
    name_ta: Option<String>,
    village: Option<String>,
    phone: Option<Option<String>>,
    whatsapp: Option<Option<String>>,
    language: Option<String>,
    active: Option<bool>,
}

fn parse_phone(raw: &str) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    Phone::parse(raw)
        .map(|p| Some(p.as_str().to_string()))
        .map_err(|_| "must be a phone number with country code, such as +919840012345".into())
}

fn parse_grower(input: &GrowerInput) -> Result<GrowerFields, AppError> {
    let mut fields = FieldErrors::new();
    let mut out = GrowerFields { active: input.active, ..Default::default() };
    if let Some(raw) = input.farmer_no.as_deref().filter(|s| !s.trim().is_empty()) {
        match raw.trim().parse::<i32>().ok().filter(|n| (1..=999_999).contains(n)) {
            Some(n) => out.farmer_no = Some(n),
            None => {
                fields.insert("farmerNo".into(), "must be a whole number from 1 to 999999".into());
            }
        }
    }
    for (key, raw, slot) in [
        ("nameEn", &input.name_en, &mut out.name_en),
        ("nameTa", &input.name_ta, &mut out.name_ta),
        ("village", &input.village, &mut out.village),
    ] {
        if let Some(raw) = raw {
            match rules::bounded_text(raw, 120) {
                Ok(s) => *slot = Some(s),
                Err(e) => {
                    fields.insert(key.into(), e);
                }
            }
        }
    }
    for (key, raw, slot) in [("phone", &input.phone, &mut out.phone), ("whatsapp", &input.whatsapp, &mut out.whatsapp)]
    {
        if let Some(raw) = raw {
            match parse_phone(raw) {
                Ok(p) => *slot = Some(p),
                Err(e) => {
                    fields.insert(key.into(), e);
                }
            }
        }
    }
    if let Some(lang) = &input.language {
        match lang.trim() {
            "en" | "ta" => out.language = Some(lang.trim().to_string()),
            _ => {
                fields.insert("language".into(), "must be en (English) or ta (Tamil)".into());
            }
        }
    }
    fail_if_any(fields)?;
    Ok(out)
}

async fn grower_by_id(tx: &mut PgConnection, tenant: Uuid, id: Uuid) -> Result<Option<GrowerView>, AppError> {
    let row: Option<GrowerRow> =
        sqlx::query_as(&format!("SELECT {GROWER_COLUMNS} FROM ledger_farmers WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(row.map(grower))
}

async fn farmer_no_taken(tx: &mut PgConnection, tenant: Uuid, no: i32, except: Uuid) -> Result<(), AppError> {
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM ledger_farmers WHERE tenant_id = $1 AND farmer_no = $2 AND id <> $3)",
    )
    .bind(tenant)
    .bind(no)
    .bind(except)
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        Err(AppError::conflict_on(&["farmerNo"], format!("Grower number {no} is already in use")))
    } else {
        Ok(())
    }
}

fn names_given(g: &GrowerView) -> Result<(), AppError> {
    if g.name_en.is_empty() && g.name_ta.is_empty() {
        let message = "give the grower's name in English or Tamil (or both)".to_string();
        return Err(AppError::Validation {
            fields: FieldErrors::from([("nameEn".into(), message.clone()), ("nameTa".into(), message)]),
        });
    }
    Ok(())
}

async fn write_grower(tx: &mut PgConnection, tenant: Uuid, g: &GrowerView) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO ledger_farmers (tenant_id, id, farmer_no, name_en, name_ta, village, phone, whatsapp, language, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, id) DO UPDATE SET farmer_no = EXCLUDED.farmer_no, name_en = EXCLUDED.name_en, name_ta = EXCLUDED.name_ta,
             village = EXCLUDED.village, phone = EXCLUDED.phone, whatsapp = EXCLUDED.whatsapp, language = EXCLUDED.language,
             active = EXCLUDED.active, updated_at = now()",
    )
    .bind(tenant)
    .bind(g.id)
    .bind(g.farmer_no)
    .bind(&g.name_en)
    .bind(&g.name_ta)
    .bind(&g.village)
    .bind(&g.phone)
    .bind(&g.whatsapp)
    .bind(&g.language)
    .bind(g.active)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn create_grower(
    pool: &PgPool,
    caller: &LedgerCaller,
    input: &GrowerInput,
    ip: Option<&str>,
) -> Result<GrowerView, AppError> {
    require(caller, Action::UsersManage)?;
    let f = parse_grower(input)?;
    let mut g = GrowerView {
        id: Uuid::now_v7(),
        farmer_no: 0,
        name_en: f.name_en.unwrap_or_default(),
        name_ta: f.name_ta.unwrap_or_default(),
        village: f.village.unwrap_or_default(),
        phone: f.phone.flatten(),
        whatsapp: f.whatsapp.flatten(),
        language: f.language.unwrap_or_else(|| "ta".into()),
        active: f.active.unwrap_or(true),
        has_sign_in: false,
    };
    names_given(&g)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    g.farmer_no = match f.farmer_no {
        Some(no) => {
            farmer_no_taken(&mut tx, caller.tenant, no, g.id).await?;
            no
        }
        None => {
            sqlx::query_scalar("SELECT coalesce(max(farmer_no), 0) + 1 FROM ledger_farmers WHERE tenant_id = $1")
                .bind(caller.tenant)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    write_grower(&mut tx, caller.tenant, &g).await?;
    bump_reference(&mut tx, caller.tenant).await?;
    audit(&mut tx, caller, "ledger.farmer.created", format!("ledger_farmers:{}", g.id), None, json(&g), ip).await?;
    tx.commit().await?;
    Ok(g)
}

pub async fn update_grower(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    input: &GrowerInput,
    ip: Option<&str>,
) -> Result<GrowerView, AppError> {
    require(caller, Action::UsersManage)?;
    let f = parse_grower(input)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    let before = grower_by_id(&mut tx, caller.tenant, id).await?.ok_or_else(|| AppError::not_found("Grower"))?;
    let mut g = before.clone();
    if let Some(no) = f.farmer_no {
        g.farmer_no = no;
    }
    g.name_en = f.name_en.unwrap_or(g.name_en);
    g.name_ta = f.name_ta.unwrap_or(g.name_ta);
    g.village = f.village.unwrap_or(g.village);
    g.phone = f.phone.unwrap_or(g.phone);
    g.whatsapp = f.whatsapp.unwrap_or(g.whatsapp);
    g.language = f.language.unwrap_or(g.language);
    g.active = f.active.unwrap_or(g.active);
    names_given(&g)?;
    if g.farmer_no != before.farmer_no {
        farmer_no_taken(&mut tx, caller.tenant, g.farmer_no, id).await?;
    }
    if g != before {
        write_grower(&mut tx, caller.tenant, &g).await?;
        bump_reference(&mut tx, caller.tenant).await?;
        audit(&mut tx, caller, "ledger.farmer.updated", format!("ledger_farmers:{id}"), json(&before), json(&g), ip)
            .await?;
    }
    tx.commit().await?;
    Ok(g)
}

// ---------------------------------------------------------------- flower types

type FlowerRow = (Uuid, String, String, String, i32, bool);

fn flower((id, code, name_en, name_ta, position, active): FlowerRow) -> FlowerTypeView {
    FlowerTypeView { id, code, name_en, name_ta, position, active }
}

pub async fn list_flower_types(pool: &PgPool, caller: &LedgerCaller) -> Result<Vec<FlowerTypeView>, AppError> {
    require(caller, Action::LedgerCreateEntry)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let rows: Vec<FlowerRow> = sqlx::query_as(
        "SELECT id, code, name_en, name_ta, position, active FROM ledger_flower_types WHERE tenant_id = $1 ORDER BY position, code",
    )
    .bind(caller.tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(flower).collect())
}

#[derive(Default)]
struct FlowerFields {
    code: Option<String>,
    name_en: Option<String>,
    name_ta: Option<String>,
    position: Option<i32>,
}

fn parse_flower(input: &FlowerTypeInput, creating: bool) -> Result<FlowerFields, AppError> {
    let mut fields = FieldErrors::new();
    let mut out = FlowerFields::default();
    match (&input.code, creating) {
        (Some(raw), _) => match rules::parse_flower_code(raw) {
            Ok(c) => out.code = Some(c),
            Err(e) => {
                fields.insert("code".into(), e);
            }
        },
        (None, true) => {
            fields.insert("code".into(), "is required: 2 to 6 letters A–Z".into());
        }
        (None, false) => {}
    }
    for (key, raw, slot) in [("nameEn", &input.name_en, &mut out.name_en), ("nameTa", &input.name_ta, &mut out.name_ta)]
    {
        match raw {
            Some(raw) => match rules::bounded_text(raw, 80) {
                Ok(s) if s.is_empty() => {
                    fields.insert(key.into(), "is required".into());
                }
                Ok(s) => *slot = Some(s),
                Err(e) => {
                    fields.insert(key.into(), e);
                }
            },
            None if creating => {
                fields.insert(key.into(), "is required".into());
            }
            None => {}
        }
    }
    if let Some(raw) = input.position.as_deref().filter(|s| !s.trim().is_empty()) {
        match raw.trim().parse::<i32>().ok().filter(|n| (0..=10_000).contains(n)) {
            Some(n) => out.position = Some(n),
            None => {
                fields.insert("position".into(), "must be a whole number from 0 to 10000".into());
            }
        }
    }
    fail_if_any(fields)?;
    Ok(out)
}

async fn code_taken(tx: &mut PgConnection, tenant: Uuid, code: &str, except: Uuid) -> Result<(), AppError> {
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM ledger_flower_types WHERE tenant_id = $1 AND code = $2 AND id <> $3)",
    )
    .bind(tenant)
    .bind(code)
    .bind(except)
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        Err(AppError::conflict_on(&["code"], format!("The flower code {code} is already in use")))
    } else {
        Ok(())
    }
}

async fn write_flower(tx: &mut PgConnection, tenant: Uuid, f: &FlowerTypeView) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO ledger_flower_types (tenant_id, id, code, name_en, name_ta, position, active) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, id) DO UPDATE SET code = EXCLUDED.code, name_en = EXCLUDED.name_en, name_ta = EXCLUDED.name_ta,
             position = EXCLUDED.position, active = EXCLUDED.active",
    )
    .bind(tenant)
    .bind(f.id)
    .bind(&f.code)
    .bind(&f.name_en)
    .bind(&f.name_ta)
    .bind(f.position)
    .bind(f.active)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn create_flower_type(
    pool: &PgPool,
    caller: &LedgerCaller,
    input: &FlowerTypeInput,
    ip: Option<&str>,
) -> Result<FlowerTypeView, AppError> {
    require(caller, Action::RatesConfigure)?;
    let f = parse_flower(input, true)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    let position = match f.position {
        Some(p) => p,
        None => {
            sqlx::query_scalar("SELECT coalesce(max(position), 0) + 1 FROM ledger_flower_types WHERE tenant_id = $1")
                .bind(caller.tenant)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    let view = FlowerTypeView {
        id: Uuid::now_v7(),
        code: f.code.unwrap_or_default(),
        name_en: f.name_en.unwrap_or_default(),
        name_ta: f.name_ta.unwrap_or_default(),
        position,
        active: input.active.unwrap_or(true),
    };
    code_taken(&mut tx, caller.tenant, &view.code, view.id).await?;
    write_flower(&mut tx, caller.tenant, &view).await?;
    bump_reference(&mut tx, caller.tenant).await?;
    audit(
        &mut tx,
        caller,
        "ledger.flower_type.created",
        format!("ledger_flower_types:{}", view.id),
        None,
        json(&view),
        ip,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn update_flower_type(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    input: &FlowerTypeInput,
    ip: Option<&str>,
) -> Result<FlowerTypeView, AppError> {
    require(caller, Action::RatesConfigure)?;
    let f = parse_flower(input, false)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    let row: Option<FlowerRow> = sqlx::query_as(
        "SELECT id, code, name_en, name_ta, position, active FROM ledger_flower_types WHERE tenant_id = $1 AND id = $2",
    )
    .bind(caller.tenant)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let before = row.map(flower).ok_or_else(|| AppError::not_found("Flower type"))?;
    let after = FlowerTypeView {
        id,
        code: f.code.unwrap_or_else(|| before.code.clone()),
        name_en: f.name_en.unwrap_or_else(|| before.name_en.clone()),
        name_ta: f.name_ta.unwrap_or_else(|| before.name_ta.clone()),
        position: f.position.unwrap_or(before.position),
        active: input.active.unwrap_or(before.active),
    };
    if after.code != before.code {
        code_taken(&mut tx, caller.tenant, &after.code, id).await?;
    }
    if after != before {
        write_flower(&mut tx, caller.tenant, &after).await?;
        bump_reference(&mut tx, caller.tenant).await?;
        audit(
            &mut tx,
            caller,
            "ledger.flower_type.updated",
            format!("ledger_flower_types:{id}"),
            json(&before),
            json(&after),
            ip,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

// ---------------------------------------------------------------- time slots

type SlotRow = (Uuid, NaiveTime, NaiveTime, bool);

fn slot_view((id, starts_at, ends_at, active): SlotRow) -> SlotView {
    SlotView { id, starts_at: hhmm(starts_at), ends_at: hhmm(ends_at), active }
}

pub async fn list_slots(pool: &PgPool, caller: &LedgerCaller) -> Result<Vec<SlotView>, AppError> {
    require(caller, Action::LedgerCreateEntry)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let rows: Vec<SlotRow> = sqlx::query_as(
        "SELECT id, starts_at, ends_at, active FROM ledger_time_slots WHERE tenant_id = $1 ORDER BY starts_at",
    )
    .bind(caller.tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(slot_view).collect())
}

fn parse_time(raw: &Option<String>, key: &str, required: bool, fields: &mut FieldErrors) -> Option<NaiveTime> {
    match raw {
        Some(raw) => rules::parse_hhmm(raw).map_err(|e| fields.insert(key.into(), e)).ok(),
        None => {
            if required {
                fields.insert(key.into(), "is required, as HH:MM".into());
            }
            None
        }
    }
}

/// Whether `candidate` fits: runs forwards, overlaps no other active slot, and starts
/// at a time no other slot (active or not) starts at.
async fn check_slot_fits(
    tx: &mut PgConnection,
    tenant: Uuid,
    candidate: &MarketSlot,
    active: bool,
) -> Result<(), AppError> {
    if candidate.ends_at <= candidate.starts_at {
        return Err(AppError::validation("endsAt", "must be after the start"));
    }
    let others: Vec<SlotRow> = sqlx::query_as(
        "SELECT id, starts_at, ends_at, active FROM ledger_time_slots WHERE tenant_id = $1 AND id <> $2",
    )
    .bind(tenant)
    .bind(candidate.id)
    .fetch_all(&mut *tx)
    .await?;
    if let Some(same) = others.iter().find(|s| s.1 == candidate.starts_at) {
        let state = if same.3 { "" } else { " (switched off; switch it on instead)" };
        return Err(AppError::conflict_on(
            &["startsAt"],
            format!("Another slot already starts at {}{state}", hhmm(same.1)),
        ));
    }
    if !active {
        return Ok(());
    }
    let live: Vec<MarketSlot> =
        others.iter().filter(|s| s.3).map(|s| MarketSlot { id: s.0, starts_at: s.1, ends_at: s.2 }).collect();
    match rules::check_slot(&live, candidate) {
        Ok(()) => Ok(()),
        Err(rules::SlotProblem::EndsBeforeStart) => Err(AppError::validation("endsAt", "must be after the start")),
        Err(rules::SlotProblem::Overlaps(s)) => Err(AppError::conflict_on(
            &["startsAt", "endsAt"],
            format!("This slot overlaps the slot {}–{}", hhmm(s.starts_at), hhmm(s.ends_at)),
        )),
    }
}

async fn write_slot(tx: &mut PgConnection, tenant: Uuid, s: &MarketSlot, active: bool) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO ledger_time_slots (tenant_id, id, starts_at, ends_at, active) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, id) DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, active = EXCLUDED.active",
    )
    .bind(tenant)
    .bind(s.id)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(active)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn create_slot(
    pool: &PgPool,
    caller: &LedgerCaller,
    input: &SlotInput,
    ip: Option<&str>,
) -> Result<SlotView, AppError> {
    require(caller, Action::RatesConfigure)?;
    let mut fields = FieldErrors::new();
    let starts_at = parse_time(&input.starts_at, "startsAt", true, &mut fields);
    let ends_at = parse_time(&input.ends_at, "endsAt", true, &mut fields);
    fail_if_any(fields)?;
    let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at) else {
        return Err(AppError::validation("startsAt", "is required"));
    };
    let candidate = MarketSlot { id: Uuid::now_v7(), starts_at, ends_at };
    let active = input.active.unwrap_or(true);
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    check_slot_fits(&mut tx, caller.tenant, &candidate, active).await?;
    write_slot(&mut tx, caller.tenant, &candidate, active).await?;
    bump_reference(&mut tx, caller.tenant).await?;
    let view = slot_view((candidate.id, starts_at, ends_at, active));
    audit(&mut tx, caller, "ledger.slot.created", format!("ledger_time_slots:{}", candidate.id), None, json(&view), ip)
        .await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn update_slot(
    pool: &PgPool,
    caller: &LedgerCaller,
    id: Uuid,
    input: &SlotInput,
    ip: Option<&str>,
) -> Result<SlotView, AppError> {
    require(caller, Action::RatesConfigure)?;
    let mut fields = FieldErrors::new();
    let starts_at = parse_time(&input.starts_at, "startsAt", false, &mut fields);
    let ends_at = parse_time(&input.ends_at, "endsAt", false, &mut fields);
    fail_if_any(fields)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    let row: Option<SlotRow> =
        sqlx::query_as("SELECT id, starts_at, ends_at, active FROM ledger_time_slots WHERE tenant_id = $1 AND id = $2")
            .bind(caller.tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let before = row.ok_or_else(|| AppError::not_found("Time slot"))?;
    let candidate = MarketSlot { id, starts_at: starts_at.unwrap_or(before.1), ends_at: ends_at.unwrap_or(before.2) };
    let active = input.active.unwrap_or(before.3);
    let after = (id, candidate.starts_at, candidate.ends_at, active);
    if after != before {
        check_slot_fits(&mut tx, caller.tenant, &candidate, active).await?;
        write_slot(&mut tx, caller.tenant, &candidate, active).await?;
        bump_reference(&mut tx, caller.tenant).await?;
        audit(
            &mut tx,
            caller,
            "ledger.slot.updated",
            format!("ledger_time_slots:{id}"),
            json(&slot_view(before)),
            json(&slot_view(after)),
            ip,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(slot_view(after))
}

// ---------------------------------------------------------------- terms

type TermsRow = (Decimal, Decimal, Decimal, Decimal, i32, Option<DateTime<Utc>>);

async fn terms_row(tx: &mut PgConnection, tenant: Uuid) -> Result<TermsRow, AppError> {
    let row: Option<TermsRow> = sqlx::query_as(
        "SELECT commission_percent, fee_per_entry, fee_per_kg, max_entry_kg, backdate_days, updated_at FROM ledger_settings WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(&mut *tx)
    .await?;
    // The table's defaults, until an admin sets the terms.
    Ok(row.unwrap_or((Decimal::TEN, Decimal::ZERO, Decimal::ZERO, Decimal::from(500), 3, None)))
}

fn terms_view((pct, per_entry, per_kg, max_kg, backdate, updated_at): TermsRow) -> Result<TermsView, AppError> {
    Ok(TermsView {
        commission_percent: format!("{:.2}", pct),
        fee_per_entry: Money::from_decimal(per_entry),
        fee_per_kg: Money::from_decimal(per_kg),
        max_entry_kg: Kg::from_decimal(max_kg).map_err(|e| AppError::internal("ledger_settings.max_entry_kg", e))?,
        backdate_days: backdate,
        updated_at,
    })
}

pub async fn terms(pool: &PgPool, caller: &LedgerCaller) -> Result<TermsView, AppError> {
    require(caller, Action::LedgerCreateEntry)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let row = terms_row(&mut tx, caller.tenant).await?;
    tx.commit().await?;
    terms_view(row)
}

fn parse_field<T>(
    raw: &Option<String>,
    key: &str,
    parse: impl Fn(&str) -> Result<T, String>,
    fields: &mut FieldErrors,
) -> Option<T> {
    raw.as_deref().and_then(|r| parse(r).map_err(|e| fields.insert(key.into(), e)).ok())
}

pub async fn save_terms(
    pool: &PgPool,
    caller: &LedgerCaller,
    input: &TermsInput,
    ip: Option<&str>,
) -> Result<TermsView, AppError> {
    require(caller, Action::UsersManage)?;
    let mut fields = FieldErrors::new();
    let pct = parse_field(&input.commission_percent, "commissionPercent", rules::parse_percent, &mut fields);
    let per_entry = parse_field(&input.fee_per_entry, "feePerEntry", rules::parse_fee, &mut fields);
    let per_kg = parse_field(&input.fee_per_kg, "feePerKg", rules::parse_fee, &mut fields);
    let max_kg = parse_field(&input.max_entry_kg, "maxEntryKg", rules::parse_max_kg, &mut fields);
    let backdate = parse_field(&input.backdate_days, "backdateDays", rules::parse_backdate_days, &mut fields);
    fail_if_any(fields)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    let before = terms_row(&mut tx, caller.tenant).await?;
    let after = (
        pct.unwrap_or(before.0),
        per_entry.map(Money::amount).unwrap_or(before.1),
        per_kg.map(Money::amount).unwrap_or(before.2),
        max_kg.map(Kg::amount).unwrap_or(before.3),
        backdate.unwrap_or(before.4),
    );
    let saved: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO ledger_settings (tenant_id, commission_percent, fee_per_entry, fee_per_kg, max_entry_kg, backdate_days, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id) DO UPDATE SET commission_percent = EXCLUDED.commission_percent, fee_per_entry = EXCLUDED.fee_per_entry,
             fee_per_kg = EXCLUDED.fee_per_kg, max_entry_kg = EXCLUDED.max_entry_kg, backdate_days = EXCLUDED.backdate_days,
             updated_by = EXCLUDED.updated_by, updated_at = now()
         RETURNING updated_at",
    )
    .bind(caller.tenant)
    .bind(after.0)
    .bind(after.1)
    .bind(after.2)
    .bind(after.3)
    .bind(after.4)
    .bind(caller.user)
    .fetch_one(&mut *tx)
    .await?;
    let before_view = terms_view(before)?;
    let after_view = terms_view((after.0, after.1, after.2, after.3, after.4, Some(saved)))?;
    bump_reference(&mut tx, caller.tenant).await?;
    audit(&mut tx, caller, "ledger.terms.updated", "ledger_settings".into(), json(&before_view), json(&after_view), ip)
        .await?;
    tx.commit().await?;
    Ok(after_view)
}

// ---------------------------------------------------------------- advances

type AdvanceRow = (Uuid, Uuid, i32, String, String, NaiveDate, Decimal, Decimal, String, String, DateTime<Utc>);

fn advance_view(
    (id, farmer_id, farmer_no, farmer_name_en, farmer_name_ta, given_on, amount, outstanding, kind, note, created_at): AdvanceRow,
) -> AdvanceView {
    AdvanceView {
        id,
        farmer_id,
        farmer_no,
        farmer_name_en,
        farmer_name_ta,
        given_on,
        amount: Money::from_decimal(amount),
        outstanding: Money::from_decimal(outstanding),
        kind,
        note,
        created_at,
    }
}

const ADVANCE_SELECT: &str = "SELECT b.id, b.farmer_id, f.farmer_no, f.name_en, f.name_ta, b.given_on, b.amount, b.outstanding, b.kind, a.note, a.created_at
     FROM ledger_advance_balances b
     JOIN ledger_advances a ON a.tenant_id = b.tenant_id AND a.id = b.id
     JOIN ledger_farmers f ON f.tenant_id = b.tenant_id AND f.id = b.farmer_id";

/// Advances newest first, with what each still owes; of one grower, or only those
/// still owing, when asked.
pub async fn list_advances(
    pool: &PgPool,
    caller: &LedgerCaller,
    farmer: Option<Uuid>,
    owing_only: bool,
) -> Result<Vec<AdvanceView>, AppError> {
    require(caller, Action::UsersManage)?;
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    let rows: Vec<AdvanceRow> = sqlx::query_as(&format!(
        "{ADVANCE_SELECT} WHERE b.tenant_id = $1 AND ($2::uuid IS NULL OR b.farmer_id = $2) AND (NOT $3 OR b.outstanding > 0)
         ORDER BY b.given_on DESC, a.created_at DESC LIMIT 1000"
    ))
    .bind(caller.tenant)
    .bind(farmer)
    .bind(owing_only)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(advance_view).collect())
}

pub async fn give_advance(
    pool: &PgPool,
    caller: &LedgerCaller,
    input: &AdvanceInput,
    now: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<AdvanceView, AppError> {
    require(caller, Action::UsersManage)?;
    let mut fields = FieldErrors::new();
    let today = market_date(now);
    let farmer = match input.farmer_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            fields.insert("farmerId".into(), "is required: choose the grower".into());
            None
        }
        Some(raw) => {
            Uuid::parse_str(raw).map_err(|_| fields.insert("farmerId".into(), "must be a grower's id".into())).ok()
        }
    };
    let given_on = match input.given_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(today),
        Some(raw) => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) if d > today => {
                fields.insert("givenOn".into(), "cannot be in the future".into());
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                fields.insert("givenOn".into(), "must be a date as YYYY-MM-DD".into());
                None
            }
        },
    };
    let amount = match input.amount.as_deref() {
        None => {
            fields.insert("amount".into(), "is required: rupees above zero, such as 2000".into());
            None
        }
        Some(raw) => rules::parse_advance(raw).map_err(|e| fields.insert("amount".into(), e)).ok(),
    };
    let note = rules::bounded_text(input.note.as_deref().unwrap_or_default(), 500)
        .map_err(|e| fields.insert("note".into(), e))
        .ok();
    fail_if_any(fields)?;
    let (Some(farmer), Some(given_on), Some(amount), Some(note)) = (farmer, given_on, amount, note) else {
        return Err(AppError::validation("request", "is incomplete"));
    };
    let mut tx = crate::db::tenant_tx(pool, caller.tenant).await?;
    lock_counters(&mut tx, caller.tenant).await?;
    if grower_by_id(&mut tx, caller.tenant, farmer).await?.is_none() {
        return Err(AppError::validation("farmerId", "is not a grower of this market"));
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO ledger_advances (tenant_id, id, farmer_id, given_on, amount, kind, note, created_by) VALUES ($1, $2, $3, $4, $5, 'advance', $6, $7)",
    )
    .bind(caller.tenant)
    .bind(id)
    .bind(farmer)
    .bind(given_on)
    .bind(amount.amount())
    .bind(&note)
    .bind(caller.user)
    .execute(&mut *tx)
    .await?;
    let row: AdvanceRow = sqlx::query_as(&format!("{ADVANCE_SELECT} WHERE b.tenant_id = $1 AND b.id = $2"))
        .bind(caller.tenant)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let view = advance_view(row);
    bump_reference(&mut tx, caller.tenant).await?;
    audit(&mut tx, caller, "ledger.advance.given", format!("ledger_advances:{id}"), None, json(&view), ip).await?;
    tx.commit().await?;
    Ok(view)
}
