//! The payment jobs: refunds through the gateway, the sweep that cancels orders whose
//! hold ran out, and reconciliation of the gateway's books with ours.

use super::Payments;
use super::razorpay::GatewayError;
use crate::jobs::schedules::Schedule;
use crate::jobs::{BoxFuture, Handler, Job, JobError};
use app::jobs::Queue;
use app::orders::payment_service::{self, CapturedPayment};
use app::orders::{expiry_service, order_events};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub const REFUND_JOB: &str = "payments.refund";
pub const EXPIRE_JOB: &str = "orders.expire_reservations";
pub const RECONCILE_JOB: &str = "payments.reconcile";

pub const SCHEDULES: &[Schedule] = &[
    Schedule { name: "expire-reservations", cron: "0 * * * * *", queue: Queue::Inventory, kind: EXPIRE_JOB },
    Schedule { name: "reconcile-payments", cron: "0 25 * * * *", queue: Queue::Payments, kind: RECONCILE_JOB },
];

/// An unpaid order waits this long past its hold for a payment already in flight.
pub const PAYMENT_GRACE: chrono::Duration = chrono::Duration::minutes(2);

async fn act_in_tenant(tx: &mut PgConnection, tenant: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('mandi.tenant_id', $1, true)").bind(tenant.to_string()).execute(&mut *tx).await?;
    Ok(())
}

pub struct RefundHandler {
    pub payments: Payments,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundJob {
    refund_id: Uuid,
}

impl Handler for RefundHandler {
    fn run<'a>(&'a self, job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let RefundJob { refund_id } = job.payload()?;
            let tenant = job.tenant.ok_or_else(|| JobError::Fatal("refund job without a tenant".into()))?;
            act_in_tenant(tx, tenant).await?;
            let row: Option<(String, Decimal, String, Uuid, Uuid)> = sqlx::query_as(
                "SELECT r.status, r.amount, p.gateway_payment_id, r.order_id, r.payment_id FROM refunds r
                 JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
                 WHERE r.tenant_id = $1 AND r.id = $2 FOR UPDATE OF r",
            )
            .bind(tenant)
            .bind(refund_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((status, amount, gateway_payment, order, payment)) = row else {
                return Err(JobError::Fatal(format!("refund {refund_id} does not exist")));
            };
            if status != "pending" {
                return Ok(());
            }
            let paise = app::domain::money::Money::from_decimal(amount).paise();
            match self.payments.gateway.refund(&gateway_payment, paise, &refund_id.to_string()).await {
                Ok(done) => {
                    settle_refund(tx, tenant, refund_id, payment, amount, &done.id).await?;
                    note_refund(
                        tx,
                        tenant,
                        order,
                        &format!(
                            "refund of {} processed ({})",
                            app::domain::money::Money::from_decimal(amount).format_inr(),
                            done.id
                        ),
                    )
                    .await?;
                    Ok(())
                }
                Err(GatewayError::Transient(why)) => Err(JobError::Retry(why)),
                Err(GatewayError::Refused(why)) => {
                    sqlx::query(
                        "UPDATE refunds SET status = 'failed', last_error = $3 WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant)
                    .bind(refund_id)
                    .bind(&why)
                    .execute(&mut *tx)
                    .await?;
                    note_refund(
                        tx,
                        tenant,
                        order,
                        &format!("refund failed at the gateway: {why}; operations will follow up"),
                    )
                    .await?;
                    app::live::publish(
                        tx,
                        &app::live::Topic::Operations { tenant },
                        "refund_failed",
                        &serde_json::json!({ "refundId": refund_id, "orderId": order, "why": why }),
                    )
                    .await?;
                    Ok(())
                }
            }
        })
    }
}

async fn settle_refund(
    tx: &mut PgConnection,
    tenant: Uuid,
    refund: Uuid,
    payment: Uuid,
    amount: Decimal,
    gateway_refund_id: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE refunds SET status = 'processed', gateway_refund_id = $3, processed_at = now()
         WHERE tenant_id = $1 AND id = $2 AND status = 'pending'",
    )
    .bind(tenant)
    .bind(refund)
    .bind(gateway_refund_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 1 {
        sqlx::query("UPDATE payments SET refunded_amount = refunded_amount + $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(payment)
            .bind(amount)
            .execute(&mut *tx)
            .await?;
    }
    Ok(updated == 1)
}

/// A note on the order's timeline (its state does not change).
async fn note_refund(tx: &mut PgConnection, tenant: Uuid, order: Uuid, note: &str) -> Result<(), sqlx::Error> {
    let (customer, state): (Uuid, String) =
        sqlx::query_as("SELECT customer_id, state FROM orders WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(order)
            .fetch_one(&mut *tx)
            .await?;
    let state: app::domain::order_state::OrderState = state.parse().map_err(|e: String| sqlx::Error::Protocol(e))?;
    order_events::note(tx, tenant, customer, order, state, "refund_processed", note).await
}

/// `refund.processed` from the gateway: the refund job usually got there first.
pub async fn mark_refund_processed(
    pool: &PgPool,
    refund: Uuid,
    gateway_refund_id: &str,
) -> Result<String, sqlx::Error> {
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    let row: Option<(Uuid, Uuid, Decimal, Uuid)> =
        sqlx::query_as("SELECT tenant_id, payment_id, amount, order_id FROM refunds WHERE id = $1 FOR UPDATE")
            .bind(refund)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((tenant, payment, amount, order)) = row else {
        return Ok(format!("refund {refund} is not ours"));
    };
    let changed = settle_refund(&mut tx, tenant, refund, payment, amount, gateway_refund_id).await?;
    if changed {
        note_refund(&mut tx, tenant, order, &format!("refund processed ({gateway_refund_id})")).await?;
    }
    tx.commit().await?;
    Ok(if changed { format!("refund {refund} processed") } else { format!("refund {refund} was already processed") })
}

pub struct ExpireHandler {
    pub pool: PgPool,
}

impl Handler for ExpireHandler {
    fn run<'a>(&'a self, _job: &'a Job, _tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            // Each order is cancelled in its own transaction, so one slow order does
            // not hold the others; the sweep is safe to run twice.
            loop {
                let n = expiry_service::expire_unpaid(&self.pool, PAYMENT_GRACE, 200)
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                if n < 200 {
                    return Ok(());
                }
            }
        })
    }
}

pub struct ReconcileHandler {
    pub pool: PgPool,
    pub payments: Payments,
}

impl Handler for ReconcileHandler {
    fn run<'a>(&'a self, _job: &'a Job, _tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            reconcile(&self.pool, &self.payments, chrono::Duration::days(3))
                .await
                .map(|_| ())
                .map_err(|e| JobError::Retry(e.to_string()))
        })
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciliation {
    pub orders_checked: usize,
    pub completed: usize,
    pub mismatches: usize,
}

/// Asks the gateway about every order that went to it in the window: a captured
/// payment we never heard of is applied now (a lost webhook, a crash between payment
/// and confirmation); disagreements are recorded once and shown to operations.
pub async fn reconcile(pool: &PgPool, payments: &Payments, window: chrono::Duration) -> Result<Reconciliation, String> {
    let orders: Vec<(Uuid, Uuid, String, String, Decimal, Option<String>)> = {
        let mut tx = app::db::cross_tenant_tx(pool).await.map_err(|e| e.to_string())?;
        let rows = sqlx::query_as(
            "SELECT tenant_id, id, gateway_order_id, state, total, paid_payment_id FROM orders
             WHERE gateway_order_id IS NOT NULL AND gateway = $1 AND created_at > now() - $2::interval",
        )
        .bind(payments.name)
        .bind(format!("{} seconds", window.num_seconds()))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        rows
    };
    let mut report = Reconciliation { orders_checked: orders.len(), ..Default::default() };
    for (tenant, order, gateway_order_id, _state, total, paid_payment_id) in orders {
        let list = payments.gateway.order_payments(&gateway_order_id).await.map_err(|e| e.to_string())?;
        let known: Vec<String> = {
            let mut tx = app::db::tenant_tx(pool, tenant).await.map_err(|e| e.to_string())?;
            let k =
                sqlx::query_scalar("SELECT gateway_payment_id FROM payments WHERE tenant_id = $1 AND order_id = $2")
                    .bind(tenant)
                    .bind(order)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            k
        };
        // Only money the gateway still holds pays for an order: a payment refunded at the
        // gateway (its dashboard) before we heard of it is, for the order, like a failed
        // one: nothing to apply, and the hold runs out as for any unpaid order.
        for p in list.iter().filter(|p| p.status == "captured") {
            if !known.contains(&p.id) {
                let captured = CapturedPayment {
                    gateway: payments.name.to_string(),
                    gateway_order_id: gateway_order_id.clone(),
                    gateway_payment_id: p.id.clone(),
                    amount_paise: p.amount,
                    method: p.method.clone(),
                    source: "reconciliation",
                };
                payment_service::complete_payment(pool, &captured).await.map_err(|e| e.to_string())?;
                report.completed += 1;
            }
        }
        if let Some(paid) = paid_payment_id {
            let at_gateway = list.iter().find(|p| p.id == paid);
            let total_paise = app::domain::money::Money::from_decimal(total).paise();
            let finding = match at_gateway {
                None => Some((
                    "recorded_not_captured",
                    serde_json::json!({ "paymentId": paid, "gatewayOrderId": gateway_order_id }),
                )),
                Some(p) if p.amount != total_paise => Some((
                    "amount_differs",
                    serde_json::json!({ "paymentId": paid, "gatewayPaise": p.amount, "orderPaise": total_paise }),
                )),
                _ => None,
            };
            if let Some((kind, detail)) = finding
                && flag(pool, tenant, order, kind, &paid, detail).await.map_err(|e| e.to_string())?
            {
                report.mismatches += 1;
            }
        }
    }
    Ok(report)
}

async fn flag(
    pool: &PgPool,
    tenant: Uuid,
    order: Uuid,
    kind: &str,
    reference: &str,
    detail: serde_json::Value,
) -> Result<bool, sqlx::Error> {
    let mut tx = app::db::tenant_tx(pool, tenant).await?;
    let new = sqlx::query(
        "INSERT INTO payment_mismatches (tenant_id, id, kind, reference, order_id, detail) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (kind, reference) DO NOTHING",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(kind)
    .bind(reference)
    .bind(order)
    .bind(&detail)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if new {
        tracing::warn!(%order, kind, "payment mismatch found by reconciliation");
        // The control tower's alert queue is where someone sees it and acts.
        app::alerts::service::open_in(
            &mut tx,
            app::alerts::service::NewAlert {
                tenant,
                kind: app::alerts::model::kinds::PAYMENT_MISMATCH,
                severity: app::alerts::model::Severity::Critical,
                subject_type: app::alerts::model::SubjectType::Payment,
                subject_id: reference.chars().take(100).collect(),
                title: format!("Payment mismatch ({}) on an order, reference {reference}", kind.replace('_', " "))
                    .chars()
                    .take(300)
                    .collect(),
                details: serde_json::json!({ "orderId": order, "kind": kind, "reference": reference, "detail": detail }),
            },
        )
        .await?;
        app::live::publish(
            &mut tx,
            &app::live::Topic::Operations { tenant },
            "payment_mismatch",
            &serde_json::json!({ "orderId": order, "kind": kind, "detail": detail }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(new)
}
