//! `/api/v1/webhooks/*`: providers calling us. Each body is verified against its
//! signature over the raw bytes before anything is parsed or stored.

use super::routes::Routes;
use crate::notify::status;
use app::domain::permissions::Access::Public;
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

pub fn routes() -> Routes {
    Routes::new().post("/webhooks/whatsapp", Public, whatsapp_status)
}

/// WhatsApp delivery statuses (`X-Hub-Signature-256`). A forged body is a 401 and
/// changes nothing; a replayed or duplicated one is accepted and changes nothing.
async fn whatsapp_status(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let signature = headers.get(status::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if !status::verify(state.config.notify.webhook_secret(), &body, signature) {
        tracing::warn!("delivery webhook with a missing or wrong signature refused");
        metrics::counter!("webhooks_rejected_total", "provider" => "whatsapp").increment(1);
        return Err(AppError::InvalidSignature);
    }
    let webhook: status::Webhook =
        serde_json::from_slice(&body).map_err(|e| AppError::validation("body", format!("is not a WhatsApp webhook: {e}")))?;
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
    Ok(ok(serde_json::json!({ "received": updates.len(), "applied": applied })))
}
