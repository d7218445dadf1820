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
    customer_name: String,
    slot_starts_at: DateTime<Utc>,
    slot_ends_at: DateTime<Utc>,
}

fn summary(r: SummaryRow) -> Result<OrderSummary, AppError> {
    Ok(OrderSummary {
        id: r.id,
        number: r.number,
        state: state_of(&r.state)?,
        total: Money::from_decimal(r.total),
        item_count: r.item_count,
        created_at: r.created_at,
        customer_name: r.customer_name,
        slot_label: Slot { starts_at: r.slot_starts_at, ends_at: r.slot_ends_at }.label(),
    })
}

/// Newest first, as `filter` says (days are store days, Asia/Kolkata). Keyset
/// pagination on (created_at, id) via `before`.
pub async fn list(
    pool: &PgPool,
    tenant: Uuid,
    filter: &OrderFilter,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<OrderSummary>, AppError> {
    let (number, phone) = match &filter.search {
        Some(OrderSearch::Number(n)) => (Some(*n), None),
        Some(OrderSearch::Phone(p)) => (None, Some(p.as_str())),
        None => (None, None),
    };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT o.id, o.number, o.state, o.total, o.created_at, o.address->>'name' AS customer_name,
                o.slot_starts_at, o.slot_ends_at,
                (SELECT coalesce(sum(quantity), 0)::int8 FROM order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id) AS item_count
         FROM orders o
         WHERE o.tenant_id = $1 AND ($2::uuid IS NULL OR o.customer_id = $2) AND ($3::text IS NULL OR o.state = $3)
           AND ($4::timestamptz IS NULL OR (o.created_at, o.id) < ($4, $5))
           AND ($7::date IS NULL OR o.created_at >= ($7::date)::timestamp AT TIME ZONE 'Asia/Kolkata')
           AND ($8::date IS NULL OR o.created_at < ($8::date + 1)::timestamp AT TIME ZONE 'Asia/Kolkata')
           AND ($9::bigint IS NULL OR o.number = $9)
           AND ($10::text IS NULL OR o.address->>'phone' = $10)
         ORDER BY o.created_at DESC, o.id DESC LIMIT $6",
    )
    .bind(tenant)
    .bind(filter.customer)
    .bind(filter.state.map(OrderState::as_str))
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit)
    .bind(filter.from)
    .bind(filter.to)
    .bind(number)
    .bind(phone)
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
    #[derive(FromRow)]
    struct Line {
        line_no: i32,
        variant_id: Uuid,
        product_name: String,
        product_slug: String,
        variant_label: String,
        sku: String,
        unit_price: Decimal,
        quantity: i32,
        line_total: Decimal,
        returned: i64,
    }
    let lines: Vec<Line> = sqlx::query_as(&format!(
        "SELECT l.line_no, l.variant_id, l.product_name, l.product_slug, l.variant_label, l.sku, l.unit_price, l.quantity,
                l.line_total, {} AS returned
         FROM order_lines l WHERE l.tenant_id = $1 AND l.order_id = $2 ORDER BY l.line_no",
        super::refunds::CLAIMED
    ))
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    let events = events_in(&mut tx, tenant, order, 0).await?;
    let refunds: Vec<(Uuid, Decimal, String, String, DateTime<Utc>, Option<Uuid>)> = sqlx::query_as(
        "SELECT id, amount, reason, status, created_at, request_id FROM refunds r
         WHERE tenant_id = $1 AND order_id = $2
           AND EXISTS (SELECT 1 FROM payments p WHERE p.tenant_id = r.tenant_id AND p.id = r.payment_id AND p.disposition = 'captured')
         ORDER BY created_at",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    let refund_requests = requests_of(&mut tx, tenant, order).await?;
    tx.commit().await?;
    let slot = Slot { starts_at: row.slot_starts_at, ends_at: row.slot_ends_at };
    Ok(OrderDetail {
        id: order,
        number: row.number,
        customer_id: row.customer_id,
        state: state_of(&row.state)?,
        lines: lines
            .into_iter()
            .map(|l| OrderLineView {
                line_no: l.line_no,
                variant_id: l.variant_id,
                product_name: l.product_name,
                product_slug: l.product_slug,
                variant_label: l.variant_label,
                sku: l.sku,
                unit_price: Money::from_decimal(l.unit_price),
                quantity: l.quantity,
                line_total: Money::from_decimal(l.line_total),
                returned: i32::try_from(l.returned).unwrap_or(i32::MAX),
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
            .map(|(id, amount, reason, status, created_at, request_id)| RefundView {
                id,
                amount: Money::from_decimal(amount),
                reason,
                status,
                created_at,
                request_id,
            })
            .collect(),
        refund_requests,
    })
}

async fn requests_of(tx: &mut PgConnection, tenant: Uuid, order: Uuid) -> Result<Vec<RefundRequestView>, AppError> {
    #[derive(FromRow)]
    struct Row {
        id: Uuid,
        status: String,
        reason: String,
        amount: Decimal,
        line_nos: Vec<i32>,
        quantities: Vec<i32>,
        created_at: DateTime<Utc>,
        decided_at: Option<DateTime<Utc>>,
        decision_note: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, r.status, r.reason, r.amount, r.created_at, r.decided_at, r.decision_note,
                array_agg(rl.line_no ORDER BY rl.line_no) AS line_nos, array_agg(rl.quantity ORDER BY rl.line_no) AS quantities
         FROM refund_requests r
         JOIN refund_request_lines rl ON rl.tenant_id = r.tenant_id AND rl.request_id = r.id
         WHERE r.tenant_id = $1 AND r.order_id = $2
         GROUP BY r.tenant_id, r.id ORDER BY r.created_at",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RefundRequestView {
            id: r.id,
            status: r.status,
            reason: r.reason,
            amount: Money::from_decimal(r.amount),
            lines: r
                .line_nos
                .into_iter()
                .zip(r.quantities)
                .map(|(line_no, quantity)| crate::domain::refund::AskedLine { line_no, quantity })
                .collect(),
            created_at: r.created_at,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
        })
        .collect())
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
