//! The store's stock as its staff work it: each item's count, what is held and what can
//! be sold, changes by hand with a reason, and the low-stock threshold that opens an
//! alert in the shared `alerts` table. Every change is a `stock_movements` row and an
//! audit entry, written under the item's row lock (the lock every writer of stock takes).

use crate::alerts::model::{Severity, SubjectType, kinds};
use crate::alerts::service::{NewAlert, open_in};
use crate::audit::{self, Entry};
use crate::domain::stock_adjustment::{self, Adjustment, StockError};
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// One stock item as the stock screen and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StockLevel {
    pub id: Uuid,
    pub sku: String,
    /// `g` or `unit`.
    pub unit: String,
    /// The products whose packs draw on it.
    pub products: String,
    pub on_hand: i64,
    /// Held for orders being paid.
    pub held: i64,
    pub available: i64,
    pub low_stock_threshold: i64,
    pub low: bool,
}

const LEVELS: &str = "
    SELECT s.id, s.sku, s.unit, coalesce(p.names, '') AS products, s.on_hand, h.held,
           s.on_hand - h.held AS available, s.low_stock_threshold,
           (s.low_stock_threshold > 0 AND s.on_hand <= s.low_stock_threshold) AS low
    FROM stock_items s
    CROSS JOIN LATERAL (SELECT coalesce(sum(r.quantity), 0)::bigint AS held FROM stock_reservations r
                        WHERE r.tenant_id = s.tenant_id AND r.stock_item_id = s.id AND r.reserved_until > now()) h
    LEFT JOIN LATERAL (SELECT string_agg(DISTINCT pr.name, ', ') AS names FROM product_variants v
                       JOIN products pr ON pr.tenant_id = v.tenant_id AND pr.id = v.product_id
                       WHERE v.tenant_id = s.tenant_id AND v.stock_item_id = s.id) p ON true";

/// Items by SKU, optionally only those whose SKU or products match `q`, or only low ones.
pub async fn levels(pool: &PgPool, tenant: Uuid, q: Option<&str>, low_only: bool) -> Result<Vec<StockLevel>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let pattern = q.map(str::trim).filter(|q| !q.is_empty()).map(|q| format!("%{}%", q.replace(['%', '_'], "")));
    let rows: Vec<StockLevel> = sqlx::query_as(&format!(
        "SELECT * FROM ({LEVELS} WHERE s.tenant_id = $1) l
         WHERE ($2::text IS NULL OR l.sku ILIKE $2 OR l.products ILIKE $2) AND (NOT $3 OR l.low)
         ORDER BY l.low DESC, l.sku LIMIT 200"
    ))
    .bind(tenant)
    .bind(pattern)
    .bind(low_only)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

async fn level_in(tx: &mut PgConnection, tenant: Uuid, item: Uuid) -> Result<Option<StockLevel>, sqlx::Error> {
    sqlx::query_as(&format!("{LEVELS} WHERE s.tenant_id = $1 AND s.id = $2"))
        .bind(tenant)
        .bind(item)
        .fetch_optional(&mut *tx)
        .await
}

/// Locks the item (the lock every writer of stock takes) and reads it.
async fn lock_item(tx: &mut PgConnection, tenant: Uuid, item: Uuid) -> Result<StockLevel, AppError> {
    let locked: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM stock_items WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(tenant)
            .bind(item)
            .fetch_optional(&mut *tx)
            .await?;
    if locked.is_none() {
        return Err(AppError::not_found("Stock item"));
    }
    level_in(tx, tenant, item).await?.ok_or_else(|| AppError::not_found("Stock item"))
}

/// After a change: the item's audit entry, its low-stock alert opened or resolved, and
/// the item as it now stands.
async fn settle(tx: &mut PgConnection, tenant: Uuid, item: Uuid, audit: Entry<'_>) -> Result<StockLevel, AppError> {
    audit::record(&mut *tx, audit).await?;
    watch_low(tx, tenant, &[item]).await?;
    level_in(tx, tenant, item).await?.ok_or_else(|| AppError::not_found("Stock item"))
}

/// Changes an item's count by hand, with its reason.
pub async fn adjust(pool: &PgPool, tenant: Uuid, by: Uuid, item: Uuid, a: &Adjustment) -> Result<StockLevel, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before = lock_item(&mut tx, tenant, item).await?;
    let after = stock_adjustment::apply(before.on_hand, before.held, a.delta).map_err(|e| match e {
        StockError::BelowZero { on_hand, .. } => {
            AppError::validation("delta", format!("would take the count below zero (there are {on_hand})"))
        }
        StockError::BelowHeld { .. } => AppError::validation("delta", e.to_string()),
    })?;
    sqlx::query("UPDATE stock_items SET on_hand = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(item)
        .bind(after)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO stock_movements (tenant_id, stock_item_id, delta, reason, actor_id, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant)
    .bind(item)
    .bind(a.delta)
    .bind(a.reason.movement())
    .bind(by)
    .bind(&a.note)
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        tenant: Some(tenant),
        actor: Some(by),
        action: "stock.adjusted",
        target: Some(before.sku.clone()),
        before: Some(serde_json::json!({ "onHand": before.on_hand })),
        after: Some(serde_json::json!({ "onHand": after, "delta": a.delta, "reason": a.reason, "note": a.note })),
        ip: None,
    };
    let level = settle(&mut tx, tenant, item, entry).await?;
    tx.commit().await?;
    Ok(level)
}

/// Sets the count at or under which the item is low (0: not watched).
pub async fn set_threshold(
    pool: &PgPool,
    tenant: Uuid,
    by: Uuid,
    item: Uuid,
    threshold: i64,
) -> Result<StockLevel, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before = lock_item(&mut tx, tenant, item).await?;
    sqlx::query("UPDATE stock_items SET low_stock_threshold = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(item)
        .bind(threshold)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        tenant: Some(tenant),
        actor: Some(by),
        action: "stock.threshold_set",
        target: Some(before.sku),
        before: Some(serde_json::json!({ "lowStockThreshold": before.low_stock_threshold })),
        after: Some(serde_json::json!({ "lowStockThreshold": threshold })),
        ip: None,
    };
    let level = settle(&mut tx, tenant, item, entry).await?;
    tx.commit().await?;
    Ok(level)
}

/// Opens a low-stock alert for each of `items` whose count on hand is at or under its
/// threshold (holds for unpaid orders expire, so they do not make an item low; the sale
/// does). One
/// open alert per item; the open one of an item above it again is resolved.
/// In the caller's transaction, after it changed the counts.
pub async fn watch_low(tx: &mut PgConnection, tenant: Uuid, items: &[Uuid]) -> Result<(), sqlx::Error> {
    let levels: Vec<StockLevel> = sqlx::query_as(&format!("{LEVELS} WHERE s.tenant_id = $1 AND s.id = ANY($2)"))
        .bind(tenant)
        .bind(items)
        .fetch_all(&mut *tx)
        .await?;
    for l in levels {
        if l.low {
            open_in(
                &mut *tx,
                NewAlert {
                    tenant,
                    kind: kinds::LOW_STOCK,
                    severity: if l.on_hand <= 0 { Severity::Critical } else { Severity::Warning },
                    subject_type: SubjectType::StockItem,
                    subject_id: l.id.to_string(),
                    title: format!("Low stock: {} ({} {} left)", l.sku, l.on_hand, l.unit),
                    details: serde_json::json!({ "sku": l.sku, "products": l.products, "available": l.on_hand,
                                                 "threshold": l.low_stock_threshold, "unit": l.unit }),
                },
            )
            .await?;
        } else {
            sqlx::query(
                "UPDATE alerts SET resolved_at = now(), resolution = 'stock back above its threshold'
                 WHERE tenant_id = $1 AND subject_type = $2 AND subject_id = $3 AND kind = $4 AND resolved_at IS NULL",
            )
            .bind(tenant)
            .bind(SubjectType::StockItem.as_str())
            .bind(l.id.to_string())
            .bind(kinds::LOW_STOCK)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}
