//! The order row as the services that change an order read, lock and move it.

use crate::domain::order_state::OrderState;
use crate::error::AppError;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A state read back from the database (its CHECK admits only valid ones).
pub(super) fn state_of(text: &str) -> Result<OrderState, AppError> {
    text.parse().map_err(|e: String| AppError::internal("order state", e))
}

#[derive(FromRow)]
pub(super) struct OrderHead {
    pub(super) customer_id: Uuid,
    pub(super) state: String,
    pub(super) subtotal: Decimal,
    pub(super) discount: Decimal,
    pub(super) total: Decimal,
    pub(super) refunded_amount: Decimal,
    pub(super) paid_payment_id: Option<String>,
}

pub(super) async fn lock_order(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
) -> Result<Option<(OrderHead, OrderState)>, AppError> {
    let head: Option<OrderHead> = sqlx::query_as(
        "SELECT customer_id, state, subtotal, discount, total, refunded_amount, paid_payment_id FROM orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tenant)
    .bind(order)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match head {
        Some(h) => {
            let state = state_of(&h.state)?;
            Some((h, state))
        }
        None => None,
    })
}

pub(super) async fn set_state(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    to: OrderState,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET state = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(order)
        .bind(to.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
