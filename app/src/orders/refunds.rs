//! Refunds as the order services record them, in the caller's transaction; the
//! gateway is called later by the `payments.refund` job.

use crate::domain::money::Money;
use crate::jobs::{self, NewJob, Queue};
use sqlx::PgConnection;
use uuid::Uuid;

/// Records a refund and queues its gateway call (the `payments.refund` job), in the
/// caller's transaction: the refund happens if and only if this commits.
pub(super) async fn queue_refund(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    payment: Uuid,
    amount: Money,
    reason: &str,
    requested_by: Option<Uuid>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO refunds (tenant_id, id, order_id, payment_id, amount, reason, status, requested_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
    )
    .bind(tenant)
    .bind(id)
    .bind(order)
    .bind(payment)
    .bind(amount.amount())
    .bind(reason)
    .bind(requested_by)
    .execute(&mut *tx)
    .await?;
    jobs::enqueue(
        &mut *tx,
        NewJob::new(Queue::Payments, "payments.refund", serde_json::json!({ "refundId": id }))
            .tenant(tenant)
            .dedupe_key(format!("refund:{id}")),
    )
    .await?;
    Ok(id)
}

pub(super) async fn captured_payment(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM payments WHERE tenant_id = $1 AND order_id = $2 AND disposition = 'captured'")
        .bind(tenant)
        .bind(order)
        .fetch_optional(&mut *tx)
        .await
}

pub(super) async fn set_refunded(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    amount: Money,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET refunded_amount = refunded_amount + $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(order)
        .bind(amount.amount())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
