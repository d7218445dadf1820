//! Payments: a client for Razorpay's API (which in development and tests talks to the
//! app's own sandbox imitation of Razorpay), the signed callback and webhooks, and the
//! jobs that refund, release expired holds and reconcile the gateway's books with ours.

pub mod jobs;
pub mod pay;
pub mod razorpay;
pub mod sandbox;
pub mod signature;
pub mod webhook;

use std::sync::Arc;

/// What the payment routes and jobs share.
#[derive(Clone)]
pub struct Payments {
    pub gateway: Arc<razorpay::Razorpay>,
    pub name: &'static str,
    pub key_id: String,
    pub key_secret: String,
    pub webhook_secret: String,
    /// The app's own address, for the callback URL given to the gateway.
    pub app_base: String,
    /// Where a browser goes to pay: the sandbox's checkout page, or Razorpay's hosted one.
    pub checkout_base: String,
    pub sandbox: bool,
}

impl Payments {
    pub fn from_config(config: &app::config::PaymentGatewayConfig, app_base: &str) -> Payments {
        let api_base = config.api_base.clone().unwrap_or_else(|| format!("{app_base}/sandbox/razorpay"));
        Payments {
            gateway: Arc::new(razorpay::Razorpay::new(&api_base, &config.key_id, &config.key_secret)),
            name: if config.sandbox { "sandbox" } else { "razorpay" },
            key_id: config.key_id.clone(),
            key_secret: config.key_secret.clone(),
            webhook_secret: config.webhook_secret.clone(),
            app_base: app_base.to_string(),
            checkout_base: if config.sandbox {
                format!("{app_base}/sandbox/razorpay/checkout")
            } else {
                format!("{api_base}/v1/checkout/embedded")
            },
            sandbox: config.sandbox,
        }
    }
}
