//! Orders as the order pages and the API read them: lists, one order in full, and its
//! history.

use super::model::*;
use super::order_rows::state_of;
use crate::domain::delivery_slot::Slot;
use crate::domain::money::Money;
use crate::domain::order_state::OrderState;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

#[derive(FromRow)]
struct SummaryRow {
    id: Uuid,
    number: i64,
    state: String,
    total: Decimal,
    item_count: i64,
    created_at: DateTime<Utc>,
}

fn summary(r: SummaryRow) -> Result<OrderSummary, AppError> {
    Ok(OrderSummary {
        id: r.id,
        number: r.number,
        state: state_of(&r.state)?,
        total: Money::from_decimal(r.total),
        item_count: r.item_count,
        created_at: r.created_at,
    })
}

/// Newest first; `customer` limits to one person's orders, `state` to one state.
/// Keyset pagination on (created_at, id) via `before`.
pub async fn list(
    pool: &PgPool,
    tenant: Uuid,
    customer: Option<Uuid>,
    state: Option<OrderState>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<OrderSummary>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT o.id, o.number, o.state, o.total, o.created_at,
                (SELECT coalesce(sum(quantity), 0)::int8 FROM order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id) AS item_count
         FROM orders o
         WHERE o.tenant_id = $1 AND ($2::uuid IS NULL OR o.customer_id = $2) AND ($3::text IS NULL OR o.state = $3)
           AND ($4::timestamptz IS NULL OR (o.created_at, o.id) < ($4, $5))
         ORDER BY o.created_at DESC, o.id DESC LIMIT $6",
    )
    .bind(tenant)
    .bind(customer)
    .bind(state.map(OrderState::as_str))
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.into_iter().map(summary).collect()
}

/// One order with its lines, history and refunds. `customer`: only if it is theirs
/// (someone else's order is "not found", not "forbidden": its existence is private).
pub async fn detail(pool: &PgPool, tenant: Uuid, order: Uuid, customer: Option<Uuid>) -> Result<OrderDetail, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    #[derive(FromRow)]
    struct Row {
        number: i64,
        customer_id: Uuid,
        state: String,
        subtotal: Decimal,
        discount: Decimal,
        delivery_fee: Decimal,
        tax_included: Decimal,
        total: Decimal,
        refunded_amount: Decimal,
        coupon_code: Option<String>,
        address: serde_json::Value,
        slot_starts_at: DateTime<Utc>,
        slot_ends_at: DateTime<Utc>,
        reserved_until: DateTime<Utc>,
        created_at: DateTime<Utc>,
        paid_at: Option<DateTime<Utc>>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT number, customer_id, state, subtotal, discount, delivery_fee, tax_included, total, refunded_amount,
                coupon_code, address, slot_starts_at, slot_ends_at, reserved_until, created_at, paid_at
         FROM orders WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR customer_id = $3)",
    )
    .bind(tenant)
    .bind(order)
    .bind(customer)
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Order"))?;
    let lines: Vec<(Uuid, String, String, String, String, Decimal, i32, Decimal)> = sqlx::query_as(
        "SELECT variant_id, product_name, product_slug, variant_label, sku, unit_price, quantity, line_total
         FROM order_lines WHERE tenant_id = $1 AND order_id = $2 ORDER BY line_no",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    let events = events_in(&mut tx, tenant, order, 0).await?;
    let refunds: Vec<(Uuid, Decimal, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, amount, reason, status, created_at FROM refunds r
         WHERE tenant_id = $1 AND order_id = $2
           AND EXISTS (SELECT 1 FROM payments p WHERE p.tenant_id = r.tenant_id AND p.id = r.payment_id AND p.disposition = 'captured')
         ORDER BY created_at",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let slot = Slot { starts_at: row.slot_starts_at, ends_at: row.slot_ends_at };
    Ok(OrderDetail {
        id: order,
        number: row.number,
        customer_id: row.customer_id,
        state: state_of(&row.state)?,
        lines: lines
            .into_iter()
            .map(|(variant_id, product_name, product_slug, variant_label, sku, unit_price, quantity, line_total)| {
                OrderLineView {
                    variant_id,
                    product_name,
                    product_slug,
                    variant_label,
                    sku,
                    unit_price: Money::from_decimal(unit_price),
                    quantity,
                    line_total: Money::from_decimal(line_total),
                }
            })
            .collect(),
        subtotal: Money::from_decimal(row.subtotal),
        discount: Money::from_decimal(row.discount),
        delivery_fee: Money::from_decimal(row.delivery_fee),
        tax_included: Money::from_decimal(row.tax_included),
        total: Money::from_decimal(row.total),
        refunded_amount: Money::from_decimal(row.refunded_amount),
        coupon: row.coupon_code,
        address: serde_json::from_value(row.address).map_err(|e| AppError::internal("address", e))?,
        slot_starts_at: slot.starts_at,
        slot_ends_at: slot.ends_at,
        slot_label: slot.label(),
        reserved_until: row.reserved_until,
        created_at: row.created_at,
        paid_at: row.paid_at,
        events,
        refunds: refunds
            .into_iter()
            .map(|(id, amount, reason, status, created_at)| RefundView {
                id,
                amount: Money::from_decimal(amount),
                reason,
                status,
                created_at,
            })
            .collect(),
    })
}

async fn events_in(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    after: i64,
) -> Result<Vec<OrderEventView>, AppError> {
    let rows: Vec<(i64, Option<String>, String, String, String, Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT seq, from_state, to_state, action, actor, reason, created_at FROM order_events
         WHERE tenant_id = $1 AND order_id = $2 AND seq > $3 ORDER BY seq",
    )
    .bind(tenant)
    .bind(order)
    .bind(after)
    .fetch_all(&mut *tx)
    .await?;
    rows.into_iter()
        .map(|(seq, from, to, action, actor, reason, at)| {
            Ok(OrderEventView {
                seq,
                from_state: from.as_deref().map(state_of).transpose()?,
                to_state: state_of(&to)?,
                action,
                actor,
                reason,
                at,
            })
        })
        .collect()
}

/// The order's history after `after` (for polling clients and the API).
pub async fn events(
    pool: &PgPool,
    tenant: Uuid,
    order: Uuid,
    customer: Option<Uuid>,
    after: i64,
) -> Result<Vec<OrderEventView>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR customer_id = $3))")
        .bind(tenant)
        .bind(order)
        .bind(customer)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(AppError::not_found("Order"));
    }
    let events = events_in(&mut tx, tenant, order, after).await?;
    tx.commit().await?;
    Ok(events)
}
