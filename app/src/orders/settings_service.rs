//! Prices and delivery as the store sets them: the delivery fee and free-delivery
//! threshold, the delivery windows, and coupons. The rules themselves are the pure
//! functions of `domain/pricing.rs` and `domain/delivery_slot.rs`; this reads and
//! writes what they are given.

pub use super::settings_model::{CouponWithUses, StoreSettings};
use crate::audit::{self, Entry};
use crate::domain::delivery_slot::{SlotRules, Window};
use crate::domain::money::Money;
use crate::domain::pricing::{Coupon, CouponUses, CouponValue};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

#[derive(FromRow)]
struct SettingsRow {
    delivery_fee: Decimal,
    free_delivery_from: Decimal,
    windows: serde_json::Value,
    cut_off_hours: i32,
    days_ahead: i32,
}

/// The store's settings, or the defaults when it has set none.
pub async fn load(pool: &PgPool, tenant: Uuid) -> Result<StoreSettings, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let settings = load_in(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(settings)
}

pub(crate) async fn load_in(tx: &mut PgConnection, tenant: Uuid) -> Result<StoreSettings, AppError> {
    let row: Option<SettingsRow> = sqlx::query_as(
        "SELECT delivery_fee, free_delivery_from, windows, cut_off_hours, days_ahead FROM store_settings WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(StoreSettings::default()) };
    let windows: Vec<Window> =
        serde_json::from_value(row.windows).map_err(|e| AppError::internal("store_settings.windows", e))?;
    Ok(StoreSettings {
        delivery_fee: Money::from_decimal(row.delivery_fee),
        free_delivery_from: Money::from_decimal(row.free_delivery_from),
        slots: SlotRules {
            windows,
            cut_off_hours: i64::from(row.cut_off_hours),
            days_ahead: i64::from(row.days_ahead),
        },
    })
}

/// Replaces the store's delivery settings; the change is audited with before and after.
pub async fn save(pool: &PgPool, tenant: Uuid, by: Uuid, s: &StoreSettings) -> Result<StoreSettings, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before = load_in(&mut tx, tenant).await?;
    sqlx::query(
        "INSERT INTO store_settings (tenant_id, delivery_fee, free_delivery_from, windows, cut_off_hours, days_ahead, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id) DO UPDATE SET delivery_fee = excluded.delivery_fee, free_delivery_from = excluded.free_delivery_from,
             windows = excluded.windows, cut_off_hours = excluded.cut_off_hours, days_ahead = excluded.days_ahead,
             updated_by = excluded.updated_by, updated_at = now()",
    )
    .bind(tenant)
    .bind(s.delivery_fee.amount())
    .bind(s.free_delivery_from.amount())
    .bind(serde_json::to_value(&s.slots.windows).map_err(|e| AppError::internal("windows", e))?)
    .bind(s.slots.cut_off_hours as i32)
    .bind(s.slots.days_ahead as i32)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor: Some(by),
            action: "store.settings_changed",
            target: Some("delivery".into()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(s).ok(),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(s.clone())
}

#[derive(FromRow)]
struct CouponRow {
    code: String,
    kind: String,
    value: Decimal,
    max_off: Option<Decimal>,
    min_subtotal: Decimal,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    total_limit: Option<i32>,
    per_customer_limit: Option<i32>,
    active: bool,
}

impl CouponRow {
    fn coupon(self) -> Coupon {
        Coupon {
            code: self.code,
            value: if self.kind == "percent" {
                CouponValue::Percent(self.value.normalize())
            } else {
                CouponValue::Fixed(Money::from_decimal(self.value))
            },
            max_off: self.max_off.map(Money::from_decimal),
            min_subtotal: Money::from_decimal(self.min_subtotal),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            total_limit: self.total_limit,
            per_customer_limit: self.per_customer_limit,
            active: self.active,
        }
    }
}

const COUPON_COLUMNS: &str =
    "code, kind, value, max_off, min_subtotal, valid_from, valid_until, total_limit, per_customer_limit, active";

pub async fn coupons(pool: &PgPool, tenant: Uuid) -> Result<Vec<CouponWithUses>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.code, (SELECT count(*) FROM orders o WHERE o.tenant_id = c.tenant_id AND o.coupon_code = c.code
                                                      AND o.state <> 'cancelled')
         FROM coupons c WHERE c.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    let list: Vec<CouponRow> = sqlx::query_as(&format!(
        "SELECT {COUPON_COLUMNS} FROM coupons WHERE tenant_id = $1 ORDER BY active DESC, created_at DESC"
    ))
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(list
        .into_iter()
        .map(|r| {
            let uses = rows.iter().find(|(c, _)| *c == r.code).map_or(0, |(_, n)| *n);
            CouponWithUses { coupon: r.coupon(), uses }
        })
        .collect())
}

/// Creates a coupon (`create`) or replaces the one with its code.
pub async fn save_coupon(pool: &PgPool, tenant: Uuid, by: Uuid, c: &Coupon, create: bool) -> Result<Coupon, AppError> {
    let (kind, value) = match c.value {
        CouponValue::Percent(p) => ("percent", p),
        CouponValue::Fixed(m) => ("fixed", m.amount()),
    };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before: Option<CouponRow> =
        sqlx::query_as(&format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE tenant_id = $1 AND code = $2 FOR UPDATE"))
            .bind(tenant)
            .bind(&c.code)
            .fetch_optional(&mut *tx)
            .await?;
    match (&before, create) {
        (Some(_), true) => return Err(AppError::validation("code", "a coupon with this code already exists")),
        (None, false) => return Err(AppError::not_found("Coupon")),
        _ => {}
    }
    sqlx::query(
        "INSERT INTO coupons (tenant_id, code, kind, value, max_off, min_subtotal, valid_from, valid_until, total_limit,
                              per_customer_limit, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (tenant_id, code) DO UPDATE SET kind = excluded.kind, value = excluded.value, max_off = excluded.max_off,
             min_subtotal = excluded.min_subtotal, valid_from = excluded.valid_from, valid_until = excluded.valid_until,
             total_limit = excluded.total_limit, per_customer_limit = excluded.per_customer_limit, active = excluded.active,
             updated_at = now()",
    )
    .bind(tenant)
    .bind(&c.code)
    .bind(kind)
    .bind(value)
    .bind(c.max_off.map(Money::amount))
    .bind(c.min_subtotal.amount())
    .bind(c.valid_from)
    .bind(c.valid_until)
    .bind(c.total_limit)
    .bind(c.per_customer_limit)
    .bind(c.active)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor: Some(by),
            action: if create { "coupon.created" } else { "coupon.changed" },
            target: Some(c.code.clone()),
            before: before.map(|b| serde_json::to_value(b.coupon()).unwrap_or_default()),
            after: serde_json::to_value(c).ok(),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(c.clone())
}

/// The coupon a shopper typed, locked for the rest of the caller's transaction, with
/// its uses so far: two checkouts with the same coupon take turns here, so its limits
/// hold however many shoppers press "Pay" at once.
pub(crate) async fn lock_coupon(
    tx: &mut PgConnection,
    tenant: Uuid,
    code: &str,
    customer: Uuid,
) -> Result<Option<(Coupon, CouponUses)>, sqlx::Error> {
    let row: Option<CouponRow> =
        sqlx::query_as(&format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE tenant_id = $1 AND code = $2 FOR UPDATE"))
            .bind(tenant)
            .bind(code.trim().to_ascii_uppercase())
            .fetch_optional(&mut *tx)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let (total, by_customer): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE customer_id = $3) FROM orders
         WHERE tenant_id = $1 AND coupon_code = $2 AND state <> 'cancelled'",
    )
    .bind(tenant)
    .bind(&row.code)
    .bind(customer)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some((row.coupon(), CouponUses { total, by_customer })))
}
