//! The providers behind each channel: the WhatsApp Business Cloud API (template
//! messages) and JSON SMS/e-mail gateways, spoken over HTTP. In development and tests
//! the same clients talk to the app's own sandbox (`notify::sandbox`).

use super::BoxFuture;
use app::outbox::Channel;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// A message on its way out.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: Uuid,
    /// The idempotency key the provider sees: one per delivery job of the message, the
    /// same on each of that job's retries, so the provider can deduplicate them.
    pub reference: String,
    pub channel: Channel,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub body: String,
    pub params: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: the provider is down, slow, or throttling us.
    #[error("provider unavailable: {0}")]
    Transient(String),
    /// The provider refused this message (bad number, unknown template): retrying
    /// cannot help, and it says nothing about the provider's health.
    #[error("provider refused the message: {0}")]
    Permanent(String),
}

pub trait Provider: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Sends; returns the provider's id for the message. `Outgoing::reference` travels
    /// with it, so a repeat of the same attempt can be recognised.
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<String, SendError>>;
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("HTTP client builds")
}

/// Status and body to a result: 2xx parsed by `ok`; 408, 429 and 5xx transient; other
/// 4xx permanent.
async fn classify<T>(
    response: Result<reqwest::Response, reqwest::Error>,
    ok: impl FnOnce(serde_json::Value) -> Option<T>,
) -> Result<T, SendError> {
    let response = response.map_err(|e| SendError::Transient(format!("cannot reach the provider: {e}")))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return ok(body.clone()).ok_or_else(|| SendError::Transient(format!("unexpected provider answer: {body}")));
    }
    let message = body.pointer("/error/message").and_then(|m| m.as_str()).unwrap_or("no error message").to_string();
    let text = format!("HTTP {}: {message}", status.as_u16());
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        Err(SendError::Transient(text))
    } else {
        Err(SendError::Permanent(text))
    }
}

/// WhatsApp Business Cloud API: `POST {base}/{phone-number-id}/messages` with a
/// template, its language and body parameters; our message id rides along as
/// `biz_opaque_callback_data` and comes back on the status webhooks.
pub struct WhatsAppCloud {
    pub client: reqwest::Client,
    pub api_base: String,
    pub phone_number_id: String,
    pub token: String,
}

pub fn whatsapp_request(message: &Outgoing) -> serde_json::Value {
    let parameters: Vec<serde_json::Value> =
        message.params.iter().map(|p| json!({ "type": "text", "text": p })).collect();
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.recipient.trim_start_matches('+'),
        "type": "template",
        "template": {
            "name": message.template,
            "language": { "code": message.language },
            "components": [{ "type": "body", "parameters": parameters }],
        },
        "biz_opaque_callback_data": message.reference,
    })
}

impl Provider for WhatsAppCloud {
    fn name(&self) -> &'static str {
        "whatsapp"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(async move {
            let url = format!("{}/{}/messages", self.api_base.trim_end_matches('/'), self.phone_number_id);
            let response = self.client.post(url).bearer_auth(&self.token).json(&whatsapp_request(message)).send().await;
            classify(response, |body| body.pointer("/messages/0/id").and_then(|v| v.as_str()).map(str::to_string)).await
        })
    }
}

/// An SMS or e-mail gateway taking `{"to", "subject", "body", "reference"}`.
pub struct Gateway {
    pub name: &'static str,
    pub client: reqwest::Client,
    pub url: String,
    pub token: String,
}

impl Provider for Gateway {
    fn name(&self) -> &'static str {
        self.name
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(async move {
            let body = json!({
                "to": message.recipient,
                "subject": format!("Mandi: {}", message.template.replace('_', " ")),
                "body": message.body,
                "reference": message.reference,
            });
            let response = self.client.post(&self.url).bearer_auth(&self.token).json(&body).send().await;
            classify(response, |body| body.get("id").and_then(|v| v.as_str()).map(str::to_string)).await
        })
    }
}
