//! The sweep that cancels orders whose payment never came, and gives their stock back.

use super::order_events::{EventInput, record_event};
use super::order_rows::set_state;
use super::stock_holds::release_reservations;
use crate::domain::order_state::{Actor, OrderAction, OrderState, transition};
use crate::error::AppError;
use sqlx::PgPool;
use uuid::Uuid;

/// Cancels unpaid orders whose hold ended more than `grace` ago (a payment may be
/// in flight at the deadline; its stock stops counting at the deadline, but the
/// order waits a little longer for it). Returns how many were cancelled.
pub async fn expire_unpaid(pool: &PgPool, grace: chrono::Duration, batch: i64) -> Result<u64, AppError> {
    // The sweep is about every tenant's unpaid orders by design.
    let due: Vec<(Uuid, Uuid)> = {
        let mut tx = crate::db::cross_tenant_tx(pool).await?;
        let rows = sqlx::query_as(
            "SELECT tenant_id, id FROM orders WHERE state = 'pending_payment' AND reserved_until < now() - $1::interval
             ORDER BY reserved_until LIMIT $2",
        )
        .bind(format!("{} seconds", grace.num_seconds()))
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows
    };
    let mut cancelled = 0;
    for (tenant, order) in due {
        let mut tx = crate::db::tenant_tx(pool, tenant).await?;
        // SKIP LOCKED: a payment being applied right now wins; the next sweep looks again.
        let head: Option<(Uuid, String)> = sqlx::query_as(
            "SELECT customer_id, state FROM orders WHERE tenant_id = $1 AND id = $2 AND state = 'pending_payment'
             AND reserved_until < now() - $3::interval FOR UPDATE SKIP LOCKED",
        )
        .bind(tenant)
        .bind(order)
        .bind(format!("{} seconds", grace.num_seconds()))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((customer, _)) = head else { continue };
        let to = transition(OrderState::PendingPayment, OrderAction::Cancel, Actor::System)
            .map_err(|e| AppError::internal("expire", e))?;
        release_reservations(&mut tx, tenant, order).await?;
        set_state(&mut tx, tenant, order, to).await?;
        record_event(
            &mut tx,
            tenant,
            customer,
            order,
            EventInput {
                from: Some(OrderState::PendingPayment),
                to,
                action: "cancel",
                actor: Actor::System,
                actor_id: None,
                reason: Some("payment was not received in time; the items went back on the shelf".into()),
                data: None,
            },
        )
        .await?;
        tx.commit().await?;
        cancelled += 1;
    }
    // Holds of orders no longer waiting (none should exist) stop mattering at their
    // deadline anyway; delete the expired ones so the table stays small.
    let mut tx = crate::db::cross_tenant_tx(pool).await?;
    sqlx::query(
        "DELETE FROM stock_reservations r WHERE r.reserved_until < now() - $1::interval
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = r.tenant_id AND o.id = r.order_id AND o.state = 'pending_payment')",
    )
    .bind(format!("{} seconds", grace.num_seconds()))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(cancelled)
}
