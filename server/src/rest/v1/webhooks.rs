//! `/api/v1/webhooks/*`: providers calling us. Each body is verified against its
//! signature over the raw bytes before anything is parsed or stored.

use super::routes::Routes;
use crate::notify::status;
use app::domain::permissions::Access::Public;
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

#[derive(utoipa::OpenApi)]
#[openapi(paths(whatsapp_subscribe, whatsapp_status, crate::payments::webhook::receive))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/webhooks/whatsapp", Public, whatsapp_subscribe)
        .post("/webhooks/whatsapp", Public, whatsapp_status)
        .post("/webhooks/payments", Public, crate::payments::webhook::receive)
}

/// What a delivery webhook did: statuses in it, and how many changed a message.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WebhookReceipt {
    received: usize,
    applied: usize,
}

super::responses::envelope! {
    WebhookReceiptEnvelope(WebhookReceipt);
}

#[derive(serde::Deserialize, Default)]
struct Subscribe {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

#[utoipa::path(get, path = "/webhooks/whatsapp", operation_id = "whatsappSubscribe",
    params(
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "The verify token configured for this server"),
        ("hub.challenge" = String, Query, description = "Echoed back: up to 200 letters and digits"),
    ),
    responses(
        (status = 200, description = "The challenge, as plain text", content_type = "text/plain", body = String),
        (status = 403, response = super::responses::Forbidden),
    ))]
/// Meta's registration handshake: echo `hub.challenge` when `hub.verify_token` is ours.
async fn whatsapp_subscribe(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let q: Subscribe = super::extract::parse_query(raw.as_deref())?;
    let (Some(mode), Some(token), Some(challenge)) = (q.mode, q.verify_token, q.challenge) else {
        return Err(AppError::validation("hub.mode", "hub.mode, hub.verify_token and hub.challenge are required"));
    };
    let expected = state.config.whatsapp_verify_token.as_deref().ok_or(AppError::Forbidden)?;
    let matches: bool = subtle::ConstantTimeEq::ct_eq(token.as_bytes(), expected.as_bytes()).into();
    if mode != "subscribe" || !matches {
        return Err(AppError::Forbidden);
    }
    if challenge.len() > 200 || !challenge.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::validation("hub.challenge", "must be up to 200 letters and digits"));
    }
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response())
}

#[utoipa::path(post, path = "/webhooks/whatsapp", operation_id = "whatsappStatus",
    params(("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC of the raw body under the app secret>`")),
    request_body(content = serde_json::Value, description = "WhatsApp Cloud API webhook (`entry[].changes[].value.statuses[]`)"),
    responses(
        (status = 200, description = "Statuses received and applied", body = WebhookReceiptEnvelope),
        (status = 401, response = super::responses::InvalidSignature),
    ))]
/// WhatsApp delivery statuses (`X-Hub-Signature-256`). A forged body is a 401 and
/// changes nothing; a replayed or duplicated one is accepted and changes nothing.
async fn whatsapp_status(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let signature = headers.get(status::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if !status::verify(state.config.notify.webhook_secret(), &body, signature) {
        tracing::warn!("delivery webhook with a missing or wrong signature refused");
        metrics::counter!("webhooks_rejected_total", "provider" => "whatsapp").increment(1);
        return Err(AppError::InvalidSignature);
    }
    let webhook: status::Webhook = serde_json::from_slice(&body)
        .map_err(|e| AppError::validation("body", format!("is not a WhatsApp webhook: {e}")))?;
    let updates: Vec<status::StatusUpdate> =
        webhook.entry.into_iter().flat_map(|e| e.changes).flat_map(|c| c.value.statuses).collect();
    for u in &updates {
        u.parse().map_err(|why| AppError::validation("status", why))?;
    }
    // Messages of every tenant are delivered through the one WhatsApp number.
    let mut tx = app::db::cross_tenant_tx(&state.pool).await?;
    let mut applied = 0;
    for u in &updates {
        if status::record(&mut tx, u).await.map_err(|e| AppError::internal("recording a delivery status", e))? {
            status::apply(&mut tx, &u.id).await?;
            applied += 1;
        }
    }
    tx.commit().await?;
    Ok(ok(WebhookReceipt { received: updates.len(), applied }))
}
