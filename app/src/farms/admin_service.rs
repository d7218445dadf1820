//! The estate's admin runs ownership: farms' profiles and units, owners' agreements,
//! each farm's revenue and costs, and the estate's fee and TDS rates. Every change is
//! audited in its own transaction. The rules that must hold however many admins write
//! at once (units never over-subscribed, a paid month frozen) are PostgreSQL's triggers
//! (migration `farm_ownership`); their refusals come back here as typed errors.

use super::distribution_service::{resolve_farm, settings};
use super::model::*;
use super::owner_service::FarmRow;
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::domain::distribution::Month;
use crate::domain::money::Money;
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// The database's refusals of a write, in words the admin can act on.
pub fn write_error(e: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(db) = &e {
        match (db.code().as_deref(), db.constraint()) {
            (Some("MF001"), _) => {
                return AppError::conflict_on(
                    &["units"],
                    format!("Not enough units left on this farm: {}.", db.message()),
                );
            }
            (Some("MF002"), _) => {
                return AppError::conflict(format!(
                    "{}; a paid month cannot change (record a correction in an open month).",
                    capitalised(db.message())
                ));
            }
            (_, Some("ownership_agreements_tenant_id_owner_id_owner_role_fkey")) => {
                return AppError::validation("owner", "is not a customer of this estate");
            }
            (Some("23505"), Some("farms_tenant_id_slug_key")) => return AppError::validation("slug", "is taken"),
            _ => {}
        }
    }
    AppError::from(e)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[derive(FromRow)]
struct AdminFarmRow {
    #[sqlx(flatten)]
    farm: FarmRow,
    units_held: i64,
    owners: i64,
}

const FARMS: &str = "
    SELECT f.id, f.slug, f.name, f.region, f.state, f.description, f.latitude, f.longitude, f.area_acres,
           f.infrastructure, f.crops, f.total_units,
           coalesce((SELECT sum(a.units) FROM ownership_agreements a WHERE a.farm_id = f.id AND a.starts_on <= $1
                     AND (a.ends_on IS NULL OR a.ends_on >= $1)), 0)::bigint AS units_held,
           (SELECT count(DISTINCT a.owner_id) FROM ownership_agreements a WHERE a.farm_id = f.id AND a.starts_on <= $1
                     AND (a.ends_on IS NULL OR a.ends_on >= $1)) AS owners
    FROM farms f";

fn admin_farm(r: AdminFarmRow) -> AdminFarm {
    AdminFarm { profile: FarmProfile::from(r.farm), units_held: r.units_held, owners: r.owners }
}

pub async fn farms(pool: &PgPool, claims: &Claims, today: NaiveDate) -> Result<Vec<AdminFarm>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<AdminFarmRow> =
        sqlx::query_as(&format!("{FARMS} ORDER BY f.name, f.id")).bind(today).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(admin_farm).collect())
}

pub async fn farm(pool: &PgPool, claims: &Claims, farm: &str, today: NaiveDate) -> Result<AdminFarm, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (id, _) = resolve_farm(&mut tx, farm).await?;
    let row: AdminFarmRow =
        sqlx::query_as(&format!("{FARMS} WHERE f.id = $2")).bind(today).bind(id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(admin_farm(row))
}

pub async fn update_farm(
    pool: &PgPool,
    claims: &Claims,
    farm: &str,
    update: &FarmProfileUpdate,
    today: NaiveDate,
    ip: Option<&str>,
) -> Result<AdminFarm, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (id, _) = resolve_farm(&mut tx, farm).await?;
    let before: AdminFarmRow = sqlx::query_as(&format!("{FARMS} WHERE f.id = $2 FOR UPDATE OF f"))
        .bind(today)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE farms SET description = $2, latitude = $3, longitude = $4, area_acres = $5, infrastructure = $6,
             crops = $7, total_units = $8
         WHERE id = $1",
    )
    .bind(id)
    .bind(&update.description)
    .bind(update.location.map(|l| l.0))
    .bind(update.location.map(|l| l.1))
    .bind(update.area_acres)
    .bind(&update.infrastructure)
    .bind(&update.crops)
    .bind(update.total_units)
    .execute(&mut *tx)
    .await
    .map_err(|e| match write_error(e) {
        AppError::Conflict { .. } => AppError::conflict_on(
            &["totalUnits"],
            "Agreements hold more units than that on some day; end or reduce them first.",
        ),
        other => other,
    })?;
    audit::record(
        &mut *tx,
        Entry {
            before: Some(serde_json::json!({
                "totalUnits": before.farm.total_units, "latitude": before.farm.latitude, "longitude": before.farm.longitude,
                "crops": before.farm.crops,
            })),
            after: Some(serde_json::json!({
                "totalUnits": update.total_units, "latitude": update.location.map(|l| l.0),
                "longitude": update.location.map(|l| l.1), "crops": update.crops,
            })),
            ..Entry::event(Some(tenant), Some(claims.sub), "farm.updated", format!("farm:{id}"), ip)
        },
    )
    .await?;
    let row: AdminFarmRow =
        sqlx::query_as(&format!("{FARMS} WHERE f.id = $2")).bind(today).bind(id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(admin_farm(row))
}

#[derive(FromRow)]
struct AgreementRow {
    id: Uuid,
    farm_id: Uuid,
    owner_id: Uuid,
    owner_name: String,
    owner_contact: Option<String>,
    units: i32,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    price_paid: Decimal,
}

impl From<AgreementRow> for Agreement {
    fn from(r: AgreementRow) -> Agreement {
        Agreement {
            id: r.id,
            farm_id: r.farm_id,
            owner_id: r.owner_id,
            owner_name: r.owner_name,
            owner_contact: r.owner_contact,
            units: r.units,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            price_paid: Money::from_decimal(r.price_paid),
        }
    }
}

const AGREEMENTS: &str = "
    SELECT a.id, a.farm_id, a.owner_id, u.display_name AS owner_name, coalesce(u.email, u.phone) AS owner_contact,
           a.units, a.starts_on, a.ends_on, a.price_paid
    FROM ownership_agreements a JOIN users u ON u.id = a.owner_id";

pub async fn agreements(pool: &PgPool, claims: &Claims, farm: &str) -> Result<Vec<Agreement>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (id, _) = resolve_farm(&mut tx, farm).await?;
    let rows: Vec<AgreementRow> =
        sqlx::query_as(&format!("{AGREEMENTS} WHERE a.farm_id = $1 ORDER BY a.starts_on, u.display_name, a.id"))
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Agreement::from).collect())
}

/// The owner named by user id, e-mail or phone, among the estate's customers. Anyone
/// else (another estate's customer, a stranger) reads as not a customer here.
async fn owner_in_tenant(conn: &mut sqlx::PgConnection, tenant: Uuid, owner: &str) -> Result<Uuid, AppError> {
    let id = Uuid::parse_str(owner).ok();
    let found: Option<Uuid> = sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $1 AND m.role = 'customer'
         WHERE ($2::uuid IS NOT NULL AND u.id = $2) OR u.email = lower($3) OR u.phone = $3",
    )
    .bind(tenant)
    .bind(id)
    .bind(owner.trim())
    .fetch_optional(conn)
    .await?;
    found.ok_or_else(|| AppError::validation("owner", "is not a customer of this estate"))
}

pub async fn add_agreement(
    pool: &PgPool,
    claims: &Claims,
    farm: &str,
    new: &NewAgreement,
    ip: Option<&str>,
) -> Result<Agreement, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (farm, _) = resolve_farm(&mut tx, farm).await?;
    let owner = owner_in_tenant(&mut tx, tenant, &new.owner).await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO ownership_agreements (tenant_id, id, farm_id, owner_id, units, starts_on, ends_on, price_paid, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant)
    .bind(id)
    .bind(farm)
    .bind(owner)
    .bind(new.units)
    .bind(new.starts_on)
    .bind(new.ends_on)
    .bind(new.price_paid.amount())
    .bind(claims.sub)
    .execute(&mut *tx)
    .await
    .map_err(write_error)?;
    audit::record(
        &mut *tx,
        Entry {
            after: Some(serde_json::json!({
                "farm": farm, "owner": owner, "units": new.units, "startsOn": new.starts_on, "endsOn": new.ends_on,
                "pricePaid": new.price_paid,
            })),
            ..Entry::event(Some(tenant), Some(claims.sub), "agreement.created", format!("agreement:{id}"), ip)
        },
    )
    .await?;
    let row: AgreementRow =
        sqlx::query_as(&format!("{AGREEMENTS} WHERE a.id = $1")).bind(id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Ends an agreement on a day (the last day it counts). An end that falls into a paid
/// month, or before the start, is refused.
pub async fn end_agreement(
    pool: &PgPool,
    claims: &Claims,
    agreement: Uuid,
    ends_on: NaiveDate,
    ip: Option<&str>,
) -> Result<Agreement, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before: Option<AgreementRow> = sqlx::query_as(&format!("{AGREEMENTS} WHERE a.id = $1 FOR UPDATE OF a"))
        .bind(agreement)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(before) = before else { return Err(AppError::not_found("Agreement")) };
    if ends_on < before.starts_on {
        return Err(AppError::validation("endsOn", "must not be before the start"));
    }
    sqlx::query("UPDATE ownership_agreements SET ends_on = $2, updated_at = now() WHERE id = $1")
        .bind(agreement)
        .bind(ends_on)
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
    audit::record(
        &mut *tx,
        Entry {
            before: Some(serde_json::json!({ "endsOn": before.ends_on })),
            after: Some(serde_json::json!({ "endsOn": ends_on })),
            ..Entry::event(Some(tenant), Some(claims.sub), "agreement.ended", format!("agreement:{agreement}"), ip)
        },
    )
    .await?;
    let row: AgreementRow =
        sqlx::query_as(&format!("{AGREEMENTS} WHERE a.id = $1")).bind(agreement).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// A farm's revenue and cost lines of a month, by day.
pub async fn money_lines(pool: &PgPool, claims: &Claims, farm: &str, month: Month) -> Result<Vec<MoneyLine>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (farm, _) = resolve_farm(&mut tx, farm).await?;
    let rows: Vec<(Uuid, String, NaiveDate, String, Decimal, String)> = sqlx::query_as(
        "SELECT id, 'revenue', earned_on, source, amount, note FROM farm_revenue
         WHERE farm_id = $1 AND earned_on BETWEEN $2 AND $3
         UNION ALL
         SELECT id, 'cost', incurred_on, category, amount, note FROM farm_costs
         WHERE farm_id = $1 AND incurred_on BETWEEN $2 AND $3
         ORDER BY 3, 2 DESC, 1",
    )
    .bind(farm)
    .bind(month.first_day())
    .bind(month.last_day())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, on, label, amount, note)| MoneyLine {
            id,
            farm_id: farm,
            kind,
            on,
            label,
            amount: Money::from_decimal(amount),
            note,
        })
        .collect())
}

async fn insert_lines(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    farm: Uuid,
    actor: Uuid,
    lines: &[NewMoneyLine],
) -> Result<Vec<Uuid>, AppError> {
    let mut ids = Vec::with_capacity(lines.len());
    for kind in [LineKind::Revenue, LineKind::Cost] {
        let of_kind: Vec<&NewMoneyLine> = lines.iter().filter(|l| l.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let new_ids: Vec<Uuid> = of_kind.iter().map(|_| Uuid::now_v7()).collect();
        let days: Vec<NaiveDate> = of_kind.iter().map(|l| l.on).collect();
        let labels: Vec<&str> = of_kind.iter().map(|l| l.label.as_str()).collect();
        let amounts: Vec<Decimal> = of_kind.iter().map(|l| l.amount.amount()).collect();
        let notes: Vec<&str> = of_kind.iter().map(|l| l.note.as_str()).collect();
        let sql = match kind {
            LineKind::Revenue => {
                "INSERT INTO farm_revenue (tenant_id, id, farm_id, earned_on, source, amount, note, created_by)
                 SELECT $1, id, $2, d, l, a, n, $3 FROM unnest($4::uuid[], $5::date[], $6::text[], $7::numeric[], $8::text[])
                 AS x(id, d, l, a, n)"
            }
            LineKind::Cost => {
                "INSERT INTO farm_costs (tenant_id, id, farm_id, incurred_on, category, amount, note, created_by)
                 SELECT $1, id, $2, d, l, a, n, $3 FROM unnest($4::uuid[], $5::date[], $6::text[], $7::numeric[], $8::text[])
                 AS x(id, d, l, a, n)"
            }
        };
        sqlx::query(sql)
            .bind(tenant)
            .bind(farm)
            .bind(actor)
            .bind(&new_ids)
            .bind(&days)
            .bind(&labels)
            .bind(&amounts)
            .bind(&notes)
            .execute(&mut *conn)
            .await
            .map_err(write_error)?;
        ids.extend(new_ids);
    }
    Ok(ids)
}

pub async fn add_money_line(
    pool: &PgPool,
    claims: &Claims,
    farm: &str,
    line: &NewMoneyLine,
    ip: Option<&str>,
) -> Result<MoneyLine, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (farm, _) = resolve_farm(&mut tx, farm).await?;
    let id = insert_lines(&mut tx, tenant, farm, claims.sub, std::slice::from_ref(line)).await?[0];
    let kind = if line.kind == LineKind::Revenue { "revenue" } else { "cost" };
    audit::record(
        &mut *tx,
        Entry {
            after: Some(serde_json::json!({
                "farm": farm, "on": line.on, "label": line.label, "amount": line.amount, "note": line.note,
            })),
            ..Entry::event(Some(tenant), Some(claims.sub), &format!("farm.{kind}.added"), format!("{kind}:{id}"), ip)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(MoneyLine {
        id,
        farm_id: farm,
        kind: kind.into(),
        on: line.on,
        label: line.label.clone(),
        amount: line.amount,
        note: line.note.clone(),
    })
}

/// A whole CSV in one transaction: every line or none.
pub async fn import_money_lines(
    pool: &PgPool,
    claims: &Claims,
    farm: &str,
    lines: &[NewMoneyLine],
    ip: Option<&str>,
) -> Result<ImportResult, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (farm, _) = resolve_farm(&mut tx, farm).await?;
    insert_lines(&mut tx, tenant, farm, claims.sub, lines).await?;
    let revenue: Money = lines.iter().filter(|l| l.kind == LineKind::Revenue).map(|l| l.amount).sum();
    let costs: Money = lines.iter().filter(|l| l.kind == LineKind::Cost).map(|l| l.amount).sum();
    audit::record(
        &mut *tx,
        Entry {
            after: Some(serde_json::json!({ "farm": farm, "lines": lines.len(), "revenue": revenue, "costs": costs })),
            ..Entry::event(Some(tenant), Some(claims.sub), "farm.money.imported", format!("farm:{farm}"), ip)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ImportResult { imported: lines.len(), revenue, costs })
}

pub async fn ownership_settings(pool: &PgPool, claims: &Claims) -> Result<OwnershipSettings, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let s = settings(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(s)
}

/// New rates apply to previews from now on; a preview made under the old rates can no
/// longer be approved (its digest holds the rates).
pub async fn set_ownership_settings(
    pool: &PgPool,
    claims: &Claims,
    new: &OwnershipSettings,
    ip: Option<&str>,
) -> Result<OwnershipSettings, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before = settings(&mut tx, tenant).await?;
    sqlx::query(
        "INSERT INTO ownership_settings (tenant_id, platform_fee_percent, tds_percent) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET platform_fee_percent = $2, tds_percent = $3, updated_at = now()",
    )
    .bind(tenant)
    .bind(new.platform_fee_percent)
    .bind(new.tds_percent)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry {
            before: Some(serde_json::to_value(&before).expect("settings serialise")),
            after: Some(serde_json::to_value(new).expect("settings serialise")),
            ..Entry::event(
                Some(tenant),
                Some(claims.sub),
                "ownership.settings.changed",
                "ownership_settings".into(),
                ip,
            )
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new.clone())
}
