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
    /// The listener's own address: the sandbox gateway's API, called by this process.
    pub app_base: String,
    /// Where people and the gateway reach the app (`MANDI_PUBLIC_BASE_URL`): the return
    /// and cancel addresses given to the gateway and the shopper's browser.
    pub public_base: String,
    /// Where a browser goes to pay: the sandbox's checkout page, or Razorpay's hosted one.
    pub checkout_base: String,
    pub sandbox: bool,
}

impl Payments {
    /// Reached at `app_base` from outside too, until `reached_at` says otherwise.
    pub fn from_config(config: &app::config::PaymentGatewayConfig, app_base: &str) -> Payments {
        let api_base = config.api_base.clone().unwrap_or_else(|| format!("{app_base}/sandbox/razorpay"));
        Payments {
            gateway: Arc::new(razorpay::Razorpay::new(&api_base, &config.key_id, &config.key_secret)),
            name: if config.sandbox { "sandbox" } else { "razorpay" },
            key_id: config.key_id.clone(),
            key_secret: config.key_secret.clone(),
            webhook_secret: config.webhook_secret.clone(),
            app_base: app_base.to_string(),
            public_base: app_base.to_string(),
            checkout_base: if config.sandbox {
                format!("{app_base}/sandbox/razorpay/checkout")
            } else {
                format!("{api_base}/v1/checkout/embedded")
            },
            sandbox: config.sandbox,
        }
    }

    /// The address people and the gateway reach the app at (behind a proxy, not the
    /// listener's). The sandbox's checkout page is a page the shopper opens, so it moves too.
    pub fn reached_at(mut self, public_base: &str) -> Payments {
        self.public_base = public_base.trim_end_matches('/').to_string();
        if self.sandbox {
            self.checkout_base = format!("{}/sandbox/razorpay/checkout", self.public_base);
        }
        self
    }
}
