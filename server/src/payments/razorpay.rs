//! A client for the parts of Razorpay's REST API Mandi uses: create an order, list an
//! order's payments, refund a payment. Amounts are paise; basic auth with the key id
//! and secret. The sandbox gateway serves the same API under `/sandbox/razorpay`.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Razorpay's idempotency header for refunds (at least 10 characters of letters,
/// digits, `-` and `_`; the same key with another body is refused).
pub const REFUND_IDEMPOTENCY: &str = "X-Refund-Idempotency";

pub struct Razorpay {
    base: String,
    key_id: String,
    key_secret: String,
    client: reqwest::Client,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GatewayError {
    /// Worth retrying: unreachable, slow, 5xx, throttled.
    #[error("payment gateway unavailable: {0}")]
    Transient(String),
    /// The gateway refused the request; retrying the same request cannot help.
    #[error("payment gateway refused: {0}")]
    Refused(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatewayOrder {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatewayPayment {
    pub id: String,
    pub order_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub method: Option<String>,
    #[serde(default)]
    pub amount_refunded: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatewayRefund {
    pub id: String,
    pub payment_id: String,
    pub amount: i64,
    pub status: String,
}

#[derive(Deserialize)]
struct Collection<T> {
    items: Vec<T>,
}

impl Razorpay {
    pub fn new(base: &str, key_id: &str, key_secret: &str) -> Razorpay {
        Razorpay {
            base: base.trim_end_matches('/').to_string(),
            key_id: key_id.to_string(),
            key_secret: key_secret.to_string(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .connect_timeout(Duration::from_secs(5))
                .build()
                .expect("HTTP client builds"),
        }
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, GatewayError> {
        let response = request
            .basic_auth(&self.key_id, Some(&self.key_secret))
            .send()
            .await
            .map_err(|e| GatewayError::Transient(format!("cannot reach the gateway: {e}")))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| GatewayError::Transient(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_str(&body).map_err(|e| GatewayError::Transient(format!("unexpected answer: {e}")));
        }
        let description = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"]["description"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("HTTP {status}"));
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(GatewayError::Transient(description))
        } else {
            Err(GatewayError::Refused(description))
        }
    }

    /// `receipt` is our order id: Razorpay shows it, and it names the order in its books.
    pub async fn create_order(
        &self,
        amount_paise: i64,
        receipt: &str,
        notes: serde_json::Value,
    ) -> Result<GatewayOrder, GatewayError> {
        let body = serde_json::json!({ "amount": amount_paise, "currency": "INR", "receipt": receipt, "notes": notes });
        self.call(self.client.post(format!("{}/v1/orders", self.base)).json(&body)).await
    }

    pub async fn order_payments(&self, order_id: &str) -> Result<Vec<GatewayPayment>, GatewayError> {
        let c: Collection<GatewayPayment> =
            self.call(self.client.get(format!("{}/v1/orders/{order_id}/payments", self.base))).await?;
        Ok(c.items)
    }

    /// `refund_id` is our refund's id, sent as its `receipt` and as Razorpay's
    /// `X-Refund-Idempotency` key: a retry after a lost answer returns the refund
    /// already made instead of paying out twice.
    pub async fn refund(
        &self,
        payment_id: &str,
        amount_paise: i64,
        refund_id: &str,
    ) -> Result<GatewayRefund, GatewayError> {
        let body = serde_json::json!({ "amount": amount_paise, "receipt": refund_id, "speed": "normal" });
        self.call(
            self.client
                .post(format!("{}/v1/payments/{payment_id}/refund", self.base))
                .header(REFUND_IDEMPOTENCY, refund_id)
                .json(&body),
        )
        .await
    }
}
