//! Paying for an order: the gateway order of an unpaid order, and applying a captured
//! payment exactly once (from the signed callback, a verified webhook or reconciliation).

use super::order_events::{EventInput, record_event};
use super::order_rows::{lock_order, set_state};
use super::refunds::{NewRefund, queue_refund};
use super::stock_holds::{release_reservations, sell_reserved_stock};
use crate::domain::money::Money;
use crate::domain::order_state::{Actor, OrderAction, OrderState, transition};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

/// A payment the gateway says it captured, from the signed callback, a verified
/// webhook, or reconciliation.
#[derive(Debug, Clone)]
pub struct CapturedPayment {
    pub gateway: String,
    pub gateway_order_id: String,
    pub gateway_payment_id: String,
    pub amount_paise: i64,
    pub method: Option<String>,
    /// `callback`, `webhook` or `reconciliation`.
    pub source: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// The order is now paid and its stock sold.
    Paid { tenant: Uuid, order: Uuid },
    /// This payment was applied before; nothing changed.
    AlreadyApplied { tenant: Uuid, order: Uuid },
    /// Money the order cannot use (paid twice, cancelled, stock gone, wrong amount):
    /// kept on record and refunded in full.
    Refunding { tenant: Uuid, order: Uuid, why: String },
    /// No order of ours has this gateway order.
    UnknownOrder,
}

/// Applies a captured payment exactly once. The order row lock serializes the
/// callback, the webhook and reconciliation racing for one order; the unique gateway
/// payment id makes each payment count once; `paid_payment_id` (unique) makes one
/// payment complete the order.
pub async fn complete_payment(pool: &PgPool, p: &CapturedPayment) -> Result<Completion, AppError> {
    let Some((tenant, order)) = order_by_gateway_order(pool, &p.gateway_order_id).await? else {
        return Ok(Completion::UnknownOrder);
    };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let Some((head, state)) = lock_order(&mut tx, tenant, order).await? else {
        return Ok(Completion::UnknownOrder);
    };
    let seen: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM payments WHERE gateway_payment_id = $1)")
        .bind(&p.gateway_payment_id)
        .fetch_one(&mut *tx)
        .await?;
    if seen {
        tx.commit().await?;
        return Ok(Completion::AlreadyApplied { tenant, order });
    }
    let amount = Money::from_paise(p.amount_paise);
    let total = Money::from_decimal(head.total);
    let why: Option<String> = if state != OrderState::PendingPayment {
        Some(match head.paid_payment_id {
            Some(ref other) => format!("the order was already paid by {other}"),
            None => format!("the order was already {state}"),
        })
    } else if amount != total {
        Some(format!("{} was paid but the order total is {}", amount.format_inr(), total.format_inr()))
    } else {
        let short = sell_reserved_stock(&mut tx, tenant, order).await?;
        (!short.is_empty()).then(|| "stock ran out before the payment arrived".to_string())
    };
    let payment_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payments (tenant_id, id, order_id, gateway, gateway_payment_id, gateway_order_id, amount, method, disposition, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant)
    .bind(payment_id)
    .bind(order)
    .bind(&p.gateway)
    .bind(&p.gateway_payment_id)
    .bind(&p.gateway_order_id)
    .bind(amount.amount())
    .bind(&p.method)
    .bind(if why.is_none() { "captured" } else { "surplus" })
    .bind(p.source)
    .execute(&mut *tx)
    .await?;
    let outcome = match why {
        None => {
            let to = transition(state, OrderAction::ConfirmPayment, Actor::System)
                .map_err(|e| AppError::internal("confirm", e))?;
            sqlx::query("UPDATE orders SET state = $3, paid_payment_id = $4, paid_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(order)
                .bind(to.as_str())
                .bind(&p.gateway_payment_id)
                .execute(&mut *tx)
                .await?;
            record_event(
                &mut tx,
                tenant,
                head.customer_id,
                order,
                EventInput {
                    from: Some(state),
                    to,
                    action: "confirm_payment",
                    actor: Actor::System,
                    actor_id: None,
                    reason: Some(format!("payment {} received ({})", p.gateway_payment_id, p.source)),
                    data: Some(serde_json::json!({ "paymentId": p.gateway_payment_id, "amount": amount })),
                },
            )
            .await?;
            Completion::Paid { tenant, order }
        }
        Some(why) => {
            let mut to = state;
            if state == OrderState::PendingPayment && why.starts_with("stock") {
                to = transition(state, OrderAction::Cancel, Actor::System)
                    .map_err(|e| AppError::internal("cancel", e))?;
                set_state(&mut tx, tenant, order, to).await?;
                release_reservations(&mut tx, tenant, order).await?;
            }
            let reason = format!("automatic: {why}");
            let refund =
                NewRefund { order, payment: payment_id, amount, reason: &reason, requested_by: None, request: None };
            queue_refund(&mut tx, tenant, refund).await?;
            record_event(
                &mut tx,
                tenant,
                head.customer_id,
                order,
                EventInput {
                    from: Some(state),
                    to,
                    action: if to == state { "refund_surplus_payment" } else { "cancel" },
                    actor: Actor::System,
                    actor_id: None,
                    reason: Some(format!("payment {} will be refunded in full: {why}", p.gateway_payment_id)),
                    data: Some(serde_json::json!({ "paymentId": p.gateway_payment_id, "amount": amount })),
                },
            )
            .await?;
            Completion::Refunding { tenant, order, why }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Records the gateway's order for an unpaid order (first payment attempt), or
/// returns the one it already has. `None`: the order cannot be paid now.
pub async fn payable(pool: &PgPool, tenant: Uuid, order: Uuid, customer: Uuid) -> Result<Payable, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<(String, Decimal, Option<String>, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT state, total, gateway_order_id, reserved_until, number FROM orders WHERE tenant_id = $1 AND id = $2 AND customer_id = $3",
    )
    .bind(tenant)
    .bind(order)
    .bind(customer)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let (state, total, gateway_order_id, reserved_until, number) = row.ok_or_else(|| AppError::not_found("Order"))?;
    if state != OrderState::PendingPayment.as_str() {
        return Err(AppError::conflict(format!("This order is {} and cannot be paid", state.replace('_', " "))));
    }
    Ok(Payable { order, number, total: Money::from_decimal(total), gateway_order_id, reserved_until })
}

#[derive(Debug, Clone)]
pub struct Payable {
    pub order: Uuid,
    pub number: i64,
    pub total: Money,
    pub gateway_order_id: Option<String>,
    pub reserved_until: DateTime<Utc>,
}

pub async fn attach_gateway_order(
    pool: &PgPool,
    tenant: Uuid,
    order: Uuid,
    gateway_order_id: &str,
) -> Result<String, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    // First writer wins: two tabs paying at once share one gateway order.
    let id: String = sqlx::query_scalar(
        "UPDATE orders SET gateway_order_id = coalesce(gateway_order_id, $3), updated_at = now()
         WHERE tenant_id = $1 AND id = $2 RETURNING gateway_order_id",
    )
    .bind(tenant)
    .bind(order)
    .bind(gateway_order_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Our (tenant, order) for a gateway order id.
pub async fn order_by_gateway_order(pool: &PgPool, gateway_order_id: &str) -> Result<Option<(Uuid, Uuid)>, AppError> {
    let tenant: Option<Uuid> =
        sqlx::query_scalar("SELECT order_tenant_by_gateway_order($1)").bind(gateway_order_id).fetch_one(pool).await?;
    let Some(tenant) = tenant else { return Ok(None) };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let order: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM orders WHERE tenant_id = $1 AND gateway_order_id = $2")
            .bind(tenant)
            .bind(gateway_order_id)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(order.map(|o| (tenant, o)))
}
