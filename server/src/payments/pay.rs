//! Starting a payment and coming back from it. The gateway is called here, outside
//! any stock transaction: the order and its hold were committed at checkout.
//!
//! - `GET /orders/{id}/pay` (browser): creates the gateway order on first use, then
//!   sends the shopper to the gateway's checkout.
//! - `GET|POST /payments/callback`: where the gateway returns the shopper, with
//!   Razorpay's signed `razorpay_payment_id`/`razorpay_order_id`/`razorpay_signature`.
//! - `POST /api/v1/orders/{id}/payment` (mobile): what a Razorpay SDK needs to open
//!   its checkout for the order.

use super::Payments;
use super::razorpay::GatewayError;
use super::signature;
use app::account::session::Session;
use app::envelope::ok;
use app::error::AppError;
use app::orders::payment_service::{self, CapturedPayment, Payable};
use app::state::AppState;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

use std::collections::HashMap;
use uuid::Uuid;

/// The order's gateway order, created on the first payment attempt.
async fn gateway_order(state: &AppState, payments: &Payments, payable: &Payable) -> Result<String, AppError> {
    if let Some(id) = &payable.gateway_order_id {
        return Ok(id.clone());
    }
    let created = payments
        .gateway
        .create_order(
            payable.total.paise(),
            &payable.order.to_string(),
            serde_json::json!({ "orderNumber": payable.number }),
        )
        .await
        .map_err(|e| match e {
            GatewayError::Transient(why) => {
                tracing::warn!(%why, order = %payable.order, "payment gateway unavailable");
                AppError::Unavailable { retry_after_secs: Some(5) }
            }
            GatewayError::Refused(why) => AppError::internal("gateway refused an order", why),
        })?;
    payment_service::attach_gateway_order(&state.pool, state.store_tenant, payable.order, &created.id).await
}

pub async fn start(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    session: Option<Extension<Session>>,
    Path(id): Path<String>,
) -> Response {
    let Ok(order) = Uuid::parse_str(&id) else { return Redirect::to("/orders").into_response() };
    let Some(Extension(session)) = session else {
        return Redirect::to(&format!("/login?next=/orders/{order}/pay")).into_response();
    };
    let payable = match payment_service::payable(&state.pool, state.store_tenant, order, session.claims.sub).await {
        Ok(p) => p,
        Err(AppError::NotFound { .. }) => return Redirect::to("/orders").into_response(),
        Err(_) => return Redirect::to(&format!("/orders/{order}")).into_response(),
    };
    let gateway_order_id = match gateway_order(&state, &payments, &payable).await {
        Ok(id) => id,
        Err(_) => return Redirect::to(&format!("/orders/{order}?payment=unavailable")).into_response(),
    };
    let callback = format!("{}/payments/callback", payments.public_base);
    let cancel = format!("/orders/{order}?payment=cancelled");
    if payments.sandbox {
        let url = format!(
            "{}/{gateway_order_id}?callback_url={}&cancel_url={}",
            payments.checkout_base,
            urlencode(&callback),
            urlencode(&cancel)
        );
        return Redirect::to(&url).into_response();
    }
    // Razorpay's hosted checkout takes a form POST; the shopper presses the button.
    let esc = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><title>Pay order #{n}</title></head>\
         <body><form method=post action=\"{action}\"><input type=hidden name=key_id value=\"{key}\"><input type=hidden name=order_id value=\"{oid}\">\
         <input type=hidden name=name value=\"Mandi\"><input type=hidden name=description value=\"Order #{n}\">\
         <input type=hidden name=callback_url value=\"{cb}\"><input type=hidden name=cancel_url value=\"{cancel}\">\
         <button>Pay {amount} securely with Razorpay</button></form></body></html>",
        n = payable.number,
        action = esc(&payments.checkout_base),
        key = esc(&payments.key_id),
        oid = esc(&gateway_order_id),
        cb = esc(&callback),
        cancel = esc(&format!("{}{cancel}", payments.public_base)),
        amount = payable.total.format_inr(),
    ))
    .into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Razorpay returns with a GET (redirect) or a form POST; both carry the same fields.
pub async fn callback(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let mut fields = query;
    if let Ok(posted) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        fields.extend(posted);
    }
    let get = |k: &str| fields.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let gateway_order_id = get("razorpay_order_id").or_else(|| get("error[metadata][order_id]"));
    let ours = match &gateway_order_id {
        Some(g) => payment_service::order_by_gateway_order(&state.pool, g).await.ok().flatten(),
        None => None,
    };
    let order_page = |suffix: &str| match ours {
        Some((_, order)) => Redirect::to(&format!("/orders/{order}{suffix}")).into_response(),
        None => Redirect::to("/orders").into_response(),
    };
    let (Some(payment_id), Some(gateway_order_id), Some(sig)) =
        (get("razorpay_payment_id"), gateway_order_id.clone(), get("razorpay_signature"))
    else {
        return order_page("?payment=failed");
    };
    if !signature::verify(
        &payments.key_secret,
        &signature::callback_payload(&gateway_order_id, &payment_id),
        Some(&sig),
    ) {
        tracing::warn!(%gateway_order_id, "payment callback with a bad signature ignored");
        return order_page("?payment=unverified");
    }
    // The signature proves the gateway sent the shopper back; the amount comes from
    // the gateway itself. If it cannot be asked now, the webhook completes the order.
    match payments.gateway.order_payments(&gateway_order_id).await {
        Ok(list) => {
            if let Some(p) = list.into_iter().find(|p| p.id == payment_id && p.status == "captured") {
                let captured = CapturedPayment {
                    gateway: payments.name.to_string(),
                    gateway_order_id,
                    gateway_payment_id: p.id,
                    amount_paise: p.amount,
                    method: p.method,
                    source: "callback",
                };
                if let Err(e) = payment_service::complete_payment(&state.pool, &captured).await {
                    tracing::error!(error = %e, "completing a payment from its callback failed; the webhook or reconciliation will");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "gateway not reachable on callback; leaving completion to the webhook"),
    }
    order_page("")
}

/// What a Razorpay SDK needs to open its checkout for an order.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStart {
    order_id: Uuid,
    /// `razorpay`, or `sandbox` in development and tests.
    gateway: &'static str,
    /// The gateway key id the SDK is opened with.
    key_id: String,
    /// The gateway's order (the same one on every call for this order).
    gateway_order_id: String,
    amount: app::domain::money::Money,
    /// `amount` in paise, as the gateway counts it.
    amount_paise: i64,
    /// Always `INR`.
    currency: &'static str,
    /// The stock is held, and the order payable, until then.
    reserved_until: chrono::DateTime<chrono::Utc>,
    /// The sandbox gateway's checkout page; `null` with Razorpay (use the SDK).
    checkout_url: Option<String>,
    /// Where the gateway sends the shopper back.
    callback_url: String,
}

crate::rest::v1::responses::envelope! {
    PaymentStartEnvelope(PaymentStart);
}

/// `POST /api/v1/orders/{id}/payment`: the gateway order for a mobile SDK.
#[utoipa::path(post, path = "/orders/{id}/payment", operation_id = "startPayment",
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The gateway order to pay", body = PaymentStartEnvelope),
        (status = 404, response = crate::rest::v1::responses::NotFound),
        (status = 409, description = "`CONFLICT`: the order is no longer waiting for payment (paid, or cancelled); \
            or `REQUEST_IN_PROGRESS` while a request with the same `Idempotency-Key` runs", body = app::envelope::ErrorEnvelope),
        (status = 503, response = crate::rest::v1::responses::Unavailable),
    ))]
pub async fn for_mobile(
    State(state): State<AppState>,
    Extension(payments): Extension<Payments>,
    crate::rest::v1::extract::Authenticated(claims): crate::rest::v1::extract::Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let order = crate::rest::v1::extract::parse_id(&id, "id")?;
    let payable = payment_service::payable(&state.pool, state.store_tenant, order, claims.sub).await?;
    let gateway_order_id = gateway_order(&state, &payments, &payable).await?;
    Ok(ok(PaymentStart {
        order_id: order,
        gateway: payments.name,
        key_id: payments.key_id.clone(),
        amount: payable.total,
        amount_paise: payable.total.paise(),
        currency: "INR",
        reserved_until: payable.reserved_until,
        checkout_url: payments.sandbox.then(|| format!("{}/{gateway_order_id}", payments.checkout_base)),
        callback_url: format!("{}/payments/callback", payments.public_base),
        gateway_order_id,
    }))
}
