//! `POST /api/v1/webhooks/payments`: Razorpay's webhooks. Verified against the raw
//! body (`X-Razorpay-Signature`), stored once by event id, then applied; applying is
//! idempotent by payment id, so a replay, a duplicate or a reordered delivery changes
//! nothing that was already done. A bad signature is refused and changes nothing.

use super::Payments;
use super::signature::{self, WEBHOOK_EVENT_ID_HEADER, WEBHOOK_SIGNATURE_HEADER};
use app::envelope::ok;
use app::error::AppError;
use app::orders::payment_service::{self, CapturedPayment, Completion};
use app::state::AppState;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;
use sqlx::PgPool;

/// What became of a payment webhook.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentWebhookReceipt {
    /// The `X-Razorpay-Event-Id` it was stored under.
    event_id: String,
    /// What applying it did, in words (`order … paid`; `duplicate: …` for a delivery
    /// seen before).
    outcome: String,
}

crate::rest::v1::responses::envelope! {
    PaymentWebhookReceiptEnvelope(PaymentWebhookReceipt);
}

/// Razorpay's payment webhooks (`payment.captured`, `order.paid`, `refund.processed`;
/// other events are stored and ignored). Safe to deliver more than once.
#[utoipa::path(post, path = "/webhooks/payments", operation_id = "razorpayWebhook",
    params(
        ("X-Razorpay-Signature" = String, Header, description = "Hex HMAC-SHA256 of the raw body under the webhook secret"),
        ("X-Razorpay-Event-Id" = String, Header, description = "The event's id (up to 100 characters): a delivery seen before changes nothing"),
    ),
    request_body(content = serde_json::Value, description = "A Razorpay webhook event (`event`, `payload.payment.entity` or `payload.refund.entity`)"),
    responses(
        (status = 200, description = "Stored, and applied unless it had been", body = PaymentWebhookReceiptEnvelope),
        (status = 401, response = crate::rest::v1::responses::InvalidSignature),
    ))]
pub async fn receive(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if !signature::verify(&payments.webhook_secret, &body, header(WEBHOOK_SIGNATURE_HEADER)) {
        tracing::warn!("payment webhook with a bad or missing signature refused");
        return Err(AppError::InvalidSignature);
    }
    let event_id = header(WEBHOOK_EVENT_ID_HEADER)
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 100)
        .ok_or_else(|| AppError::validation(WEBHOOK_EVENT_ID_HEADER, "is required"))?
        .to_string();
    let event: Value = serde_json::from_slice(&body).map_err(|_| AppError::validation("body", "is not valid JSON"))?;
    let name = event["event"].as_str().ok_or_else(|| AppError::validation("event", "is required"))?.to_string();
    let outcome = apply(&state.pool, &payments, &event_id, &name, &event).await?;
    Ok(ok(PaymentWebhookReceipt { event_id, outcome }))
}

/// Stores the event (once) and applies it unless it was applied before.
pub async fn apply(
    pool: &PgPool,
    payments: &Payments,
    event_id: &str,
    name: &str,
    event: &Value,
) -> Result<String, AppError> {
    // Stored first, in its own statement: no connection is held while the event is
    // applied (applying takes connections of its own). Two deliveries of one event
    // may both apply it; applying is idempotent by payment and refund id.
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    sqlx::query("INSERT INTO payment_webhook_events (event_id, event, payload) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING")
        .bind(event_id)
        .bind(name)
        .bind(event)
        .execute(&mut *tx)
        .await?;
    let applied: Option<String> = sqlx::query_scalar("SELECT outcome FROM payment_webhook_events WHERE event_id = $1")
        .bind(event_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    if let Some(outcome) = applied {
        return Ok(format!("duplicate: {outcome}"));
    }
    let entity = &event["payload"]["payment"]["entity"];
    let (outcome, tenant) = match name {
        "payment.captured" | "order.paid" if entity["status"] == "captured" => {
            let captured = CapturedPayment {
                gateway: payments.name.to_string(),
                gateway_order_id: entity["order_id"].as_str().unwrap_or_default().to_string(),
                gateway_payment_id: entity["id"].as_str().unwrap_or_default().to_string(),
                amount_paise: entity["amount"].as_i64().unwrap_or(0),
                method: entity["method"].as_str().map(str::to_string),
                source: "webhook",
            };
            if captured.gateway_order_id.is_empty()
                || captured.gateway_payment_id.is_empty()
                || captured.amount_paise <= 0
            {
                return Err(AppError::validation("payload.payment.entity", "needs id, order_id and a positive amount"));
            }
            match payment_service::complete_payment(pool, &captured).await? {
                Completion::Paid { tenant, order } => (format!("order {order} paid"), Some(tenant)),
                Completion::AlreadyApplied { tenant, order } => {
                    (format!("order {order} already had this payment"), Some(tenant))
                }
                Completion::Refunding { tenant, order, why } => {
                    (format!("order {order}: refunding ({why})"), Some(tenant))
                }
                Completion::UnknownOrder => {
                    record_unknown(pool, &captured).await?;
                    ("no order of ours has this gateway order; flagged for reconciliation".to_string(), None)
                }
            }
        }
        "refund.processed" => {
            let refund = &event["payload"]["refund"]["entity"];
            let id = refund["receipt"].as_str().and_then(|r| uuid::Uuid::parse_str(r).ok());
            match id {
                Some(id) => (
                    super::jobs::mark_refund_processed(pool, id, refund["id"].as_str().unwrap_or_default()).await?,
                    None,
                ),
                None => ("refund without our receipt; ignored".to_string(), None),
            }
        }
        other => (format!("{other}: nothing to do"), None),
    };
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    sqlx::query("UPDATE payment_webhook_events SET applied_at = now(), outcome = $2, tenant_id = $3 WHERE event_id = $1 AND applied_at IS NULL")
        .bind(event_id)
        .bind(&outcome)
        .bind(tenant)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// A payment no order claims: recorded once, and shown on the platform's tower.
async fn record_unknown(pool: &PgPool, p: &CapturedPayment) -> Result<(), sqlx::Error> {
    let mut tx = app::db::cross_tenant_tx(pool).await?;
    let recorded = sqlx::query(
        "INSERT INTO payment_mismatches (id, kind, reference, detail) VALUES ($1, 'captured_not_recorded', $2, $3)
         ON CONFLICT (kind, reference) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(&p.gateway_payment_id)
    .bind(
        serde_json::json!({ "gatewayOrderId": p.gateway_order_id, "amountPaise": p.amount_paise, "source": p.source }),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if recorded > 0 {
        let event = serde_json::json!({ "reference": p.gateway_payment_id });
        app::live::publish(&mut tx, &app::live::Topic::Platform, "payment.unmatched", &event).await?;
    }
    tx.commit().await?;
    Ok(())
}
