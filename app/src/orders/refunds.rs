//! Refunds as the order services record them, in the caller's transaction; the
//! gateway is called later by the `payments.refund` job.

use crate::domain::money::Money;
use crate::domain::refund::{AskedLine, BoughtLine};
use crate::jobs::{self, NewJob, Queue};
use sqlx::PgConnection;
use uuid::Uuid;

/// Money going back to the payment it came from.
pub(super) struct NewRefund<'a> {
    pub(super) order: Uuid,
    pub(super) payment: Uuid,
    pub(super) amount: Money,
    pub(super) reason: &'a str,
    /// Who approved it (none when the platform refunds a surplus payment by itself).
    pub(super) requested_by: Option<Uuid>,
    /// The shopper's request it answers, if any.
    pub(super) request: Option<Uuid>,
}

/// Records a refund and queues its gateway call (the `payments.refund` job), in the
/// caller's transaction: the refund happens if and only if this commits.
pub(super) async fn queue_refund(tx: &mut PgConnection, tenant: Uuid, r: NewRefund<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO refunds (tenant_id, id, order_id, payment_id, amount, reason, status, requested_by, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)",
    )
    .bind(tenant)
    .bind(id)
    .bind(r.order)
    .bind(r.payment)
    .bind(r.amount.amount())
    .bind(r.reason)
    .bind(r.requested_by)
    .bind(r.request)
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

/// How much of order line `l` refund requests claim (waiting or approved; a refused
/// request frees its quantity), as a column of a query over `order_lines l`.
pub(super) const CLAIMED: &str = "coalesce((SELECT sum(rl.quantity) FROM refund_request_lines rl
        JOIN refund_requests r ON r.tenant_id = rl.tenant_id AND r.id = rl.request_id
        WHERE rl.tenant_id = l.tenant_id AND rl.order_id = l.order_id AND rl.line_no = l.line_no
          AND r.status <> 'rejected'), 0)::bigint";

/// The order's lines with how much of each earlier requests claim (waiting or
/// approved; a refused request frees its quantity).
pub(super) async fn bought_lines(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
) -> Result<Vec<BoughtLine>, sqlx::Error> {
    let rows: Vec<(i32, rust_decimal::Decimal, i32, i64)> = sqlx::query_as(&format!(
        "SELECT l.line_no, l.unit_price, l.quantity, {CLAIMED}
             FROM order_lines l WHERE l.tenant_id = $1 AND l.order_id = $2 ORDER BY l.line_no"
    ))
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(line_no, unit_price, quantity, claimed)| BoughtLine {
            line_no,
            unit_price: Money::from_decimal(unit_price),
            quantity,
            claimed: i32::try_from(claimed).unwrap_or(i32::MAX),
        })
        .collect())
}

/// The request waiting for a decision, if any: its id and what its lines are worth.
pub(super) async fn open_request(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
) -> Result<Option<(Uuid, Money)>, sqlx::Error> {
    let row: Option<(Uuid, rust_decimal::Decimal)> = sqlx::query_as(
        "SELECT id, amount FROM refund_requests WHERE tenant_id = $1 AND order_id = $2 AND status = 'requested'",
    )
    .bind(tenant)
    .bind(order)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|(id, amount)| (id, Money::from_decimal(amount))))
}

pub(super) struct NewRequest<'a> {
    pub(super) order: Uuid,
    pub(super) by: Uuid,
    pub(super) reason: &'a str,
    pub(super) amount: Money,
    pub(super) lines: &'a [AskedLine],
}

pub(super) async fn record_request(
    tx: &mut PgConnection,
    tenant: Uuid,
    r: NewRequest<'_>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO refund_requests (tenant_id, id, order_id, requested_by, reason, amount) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant)
    .bind(id)
    .bind(r.order)
    .bind(r.by)
    .bind(r.reason)
    .bind(r.amount.amount())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO refund_request_lines (tenant_id, request_id, order_id, line_no, quantity)
         SELECT $1, $2, $3, * FROM UNNEST($4::int[], $5::int[])",
    )
    .bind(tenant)
    .bind(id)
    .bind(r.order)
    .bind(r.lines.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind(r.lines.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Approves or refuses the waiting request (`status`: `approved` or `rejected`).
pub(super) async fn decide_request(
    tx: &mut PgConnection,
    tenant: Uuid,
    request: Uuid,
    status: &str,
    by: Uuid,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refund_requests SET status = $3, decided_by = $4, decided_at = now(), decision_note = $5
         WHERE tenant_id = $1 AND id = $2 AND status = 'requested'",
    )
    .bind(tenant)
    .bind(request)
    .bind(status)
    .bind(by)
    .bind(note)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
