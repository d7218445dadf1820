//! The sandbox provider (development and tests only; configuration refuses it in
//! production): imitates the WhatsApp Business Cloud API and the SMS/e-mail gateways
//! inside the app, accepts messages, and posts signed delivery-status webhooks back to
//! the app the way Meta does. It can be told to fail or to be slow, and to repeat
//! its webhooks, so the app's retries, circuit breaker and deduplication are
//! exercised for real.
//!
//! `PUT /sandbox/behaviour` `{"mode": "ok"|"fail"|"slow", "delayMs", "statuses": [...],
//! "duplicateWebhooks"}`; `GET /sandbox/messages` lists what it accepted.

use super::status;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TOKEN: &str = "sandbox-token";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Behaviour {
    pub mode: Mode,
    #[serde(default)]
    pub delay_ms: u64,
    /// The statuses each WhatsApp message goes through, in order.
    #[serde(default = "default_statuses")]
    pub statuses: Vec<String>,
    /// Send every webhook twice (providers do).
    #[serde(default)]
    pub duplicate_webhooks: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Ok,
    Fail,
    Slow,
}

fn default_statuses() -> Vec<String> {
    vec!["sent".into(), "delivered".into(), "read".into()]
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour { mode: Mode::Ok, delay_ms: 0, statuses: default_statuses(), duplicate_webhooks: false }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub provider_id: String,
    pub channel: String,
    pub to: String,
    pub reference: String,
    pub request: serde_json::Value,
}

pub struct Sandbox {
    behaviour: Mutex<Behaviour>,
    accepted: Mutex<Vec<Accepted>>,
    by_reference: Mutex<HashMap<String, String>>,
    webhook_url: String,
    app_secret: String,
    client: reqwest::Client,
}

impl Sandbox {
    pub fn new(app_base: &str, app_secret: &str) -> Arc<Sandbox> {
        Arc::new(Sandbox {
            behaviour: Mutex::new(Behaviour::default()),
            accepted: Mutex::new(Vec::new()),
            by_reference: Mutex::new(HashMap::new()),
            webhook_url: format!("{app_base}/api/v1/webhooks/whatsapp"),
            app_secret: app_secret.to_string(),
            client: super::providers::http_client(),
        })
    }

    pub fn router(self: Arc<Sandbox>) -> Router {
        Router::new()
            .route("/sandbox/whatsapp/{phone_number_id}/messages", post(whatsapp))
            .route("/sandbox/sms", post(gateway))
            .route("/sandbox/email", post(gateway))
            .route("/sandbox/behaviour", get(get_behaviour).put(put_behaviour))
            .route("/sandbox/messages", get(messages))
            .with_state(self)
    }

    /// Waits or fails as told; `Some(response)` is a failure to return instead.
    async fn misbehave(&self) -> Option<Response> {
        let behaviour = self.behaviour.lock().expect("sandbox lock").clone();
        match behaviour.mode {
            Mode::Ok => None,
            Mode::Slow => {
                tokio::time::sleep(Duration::from_millis(behaviour.delay_ms)).await;
                None
            }
            Mode::Fail => Some(
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(
                        json!({ "error": { "message": "sandbox told to fail", "type": "OAuthException", "code": 2 } }),
                    ),
                )
                    .into_response(),
            ),
        }
    }

    /// The provider id for a reference, new unless this reference was accepted before.
    fn accept(&self, channel: &str, to: &str, reference: &str, request: serde_json::Value) -> (String, bool) {
        let mut seen = self.by_reference.lock().expect("sandbox lock");
        if let Some(id) = seen.get(reference) {
            return (id.clone(), false);
        }
        let prefix = if channel == "whatsapp" { "wamid" } else { channel };
        let id = format!("{prefix}.sandbox.{}", uuid::Uuid::now_v7().simple());
        seen.insert(reference.to_string(), id.clone());
        self.accepted.lock().expect("sandbox lock").push(Accepted {
            provider_id: id.clone(),
            channel: channel.into(),
            to: to.into(),
            reference: reference.into(),
            request,
        });
        (id, true)
    }

    fn post_statuses(self: &Arc<Sandbox>, provider_id: String, to: String) {
        let me = self.clone();
        tokio::spawn(async move {
            let behaviour = me.behaviour.lock().expect("sandbox lock").clone();
            for s in behaviour.statuses {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let mut update = json!({
                    "id": provider_id, "status": s, "timestamp": chrono::Utc::now().timestamp().to_string(),
                    "recipient_id": to,
                });
                if s == "failed" {
                    update["errors"] = json!([{ "code": 131026, "title": "Message undeliverable" }]);
                }
                let body = json!({
                    "object": "whatsapp_business_account",
                    "entry": [{ "id": "sandbox-waba", "changes": [{ "field": "messages", "value": {
                        "messaging_product": "whatsapp",
                        "metadata": { "display_phone_number": "15550000000", "phone_number_id": "100200300" },
                        "statuses": [update],
                    }}]}],
                })
                .to_string();
                let signature = status::sign(&me.app_secret, body.as_bytes());
                for _ in 0..if behaviour.duplicate_webhooks { 2 } else { 1 } {
                    let sent = me
                        .client
                        .post(&me.webhook_url)
                        .header("content-type", "application/json")
                        .header(status::SIGNATURE_HEADER, &signature)
                        .body(body.clone())
                        .send()
                        .await;
                    if let Err(e) = sent {
                        tracing::warn!(error = %e, "sandbox could not deliver a status webhook");
                    }
                }
            }
        });
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn graph_error(status: StatusCode, message: &str, code: i64) -> Response {
    (status, Json(json!({ "error": { "message": message, "type": "OAuthException", "code": code } }))).into_response()
}

async fn whatsapp(
    State(sandbox): State<Arc<Sandbox>>,
    Path(_phone): Path<String>,
    headers: HeaderMap,
    body: Json<serde_json::Value>,
) -> Response {
    if !authorized(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, "Invalid OAuth access token", 190);
    }
    let request = body.0;
    let to = request["to"].as_str().unwrap_or_default().to_string();
    let language = request.pointer("/template/language/code").and_then(|v| v.as_str()).unwrap_or_default();
    if request["messaging_product"] != "whatsapp"
        || request["type"] != "template"
        || to.is_empty()
        || !to.chars().all(|c| c.is_ascii_digit())
        || request.pointer("/template/name").and_then(|v| v.as_str()).is_none()
        || !["en", "ta"].contains(&language)
    {
        return graph_error(StatusCode::BAD_REQUEST, "(#100) Invalid parameter", 100);
    }
    if let Some(failure) = sandbox.misbehave().await {
        return failure;
    }
    let reference = request["biz_opaque_callback_data"].as_str().unwrap_or_default().to_string();
    let (id, new) = sandbox.accept("whatsapp", &to, &reference, request.clone());
    if new {
        sandbox.post_statuses(id.clone(), to.clone());
    }
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": id }],
    }))
    .into_response()
}

async fn gateway(
    State(sandbox): State<Arc<Sandbox>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Json<serde_json::Value>,
) -> Response {
    if !authorized(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, "bad token", 401);
    }
    let request = body.0;
    let (Some(to), Some(reference)) = (request["to"].as_str(), request["reference"].as_str()) else {
        return graph_error(StatusCode::BAD_REQUEST, "to and reference are required", 400);
    };
    if let Some(failure) = sandbox.misbehave().await {
        return failure;
    }
    let channel = uri.path().trim_start_matches("/sandbox/").to_string();
    let (id, _) = sandbox.accept(&channel, to, reference, request.clone());
    Json(json!({ "id": id })).into_response()
}

async fn get_behaviour(State(sandbox): State<Arc<Sandbox>>) -> Json<Behaviour> {
    Json(sandbox.behaviour.lock().expect("sandbox lock").clone())
}

async fn put_behaviour(State(sandbox): State<Arc<Sandbox>>, body: Json<Behaviour>) -> Json<Behaviour> {
    let mut b = sandbox.behaviour.lock().expect("sandbox lock");
    *b = body.0;
    Json(b.clone())
}

async fn messages(State(sandbox): State<Arc<Sandbox>>) -> Json<Vec<Accepted>> {
    Json(sandbox.accepted.lock().expect("sandbox lock").clone())
}
