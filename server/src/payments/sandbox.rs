//! The sandbox gateway: Razorpay's API, checkout page and webhooks, imitated inside the
//! app for development and tests (refused in production by configuration). Its books
//! are its own tables (`sandbox_gateway_*`), as Razorpay's would be its own database,
//! so they survive a restart like a real gateway's. Webhooks go out as durable jobs
//! POSTing to `/api/v1/webhooks/payments` with Razorpay's headers and signature, and
//! can be told to arrive twice, late, or out of order.

use super::signature;
use app::jobs::{NewJob, Queue};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};

pub const WEBHOOK_JOB: &str = "sandbox.razorpay_webhook";

/// How the sandbox misbehaves, set with `PUT /sandbox/razorpay/behaviour`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Behaviour {
    /// Each webhook is sent this many extra times (same event id).
    pub duplicates: u32,
    /// Webhooks leave this long after the payment.
    pub delay_ms: u64,
    /// `order.paid` first, `payment.authorized` last.
    pub out_of_order: bool,
    /// No webhooks at all (as if they were lost).
    pub drop_webhooks: bool,
    /// The browser is not sent back to the shop (as if it closed right after paying).
    pub skip_callback: bool,
    /// The API answers 503 to everything.
    pub api_down: bool,
}

pub struct Sandbox {
    pool: PgPool,
    key_id: String,
    key_secret: String,
    /// The app's own addresses (the listener's, and the public one): a return address
    /// under either is one of our pages.
    own_bases: Vec<String>,
    behaviour: Mutex<Behaviour>,
}

impl Sandbox {
    pub fn new(pool: PgPool, payments: &super::Payments) -> Arc<Sandbox> {
        Arc::new(Sandbox {
            pool,
            key_id: payments.key_id.clone(),
            key_secret: payments.key_secret.clone(),
            own_bases: vec![payments.app_base.clone(), payments.public_base.clone()],
            behaviour: Mutex::new(Behaviour::default()),
        })
    }

    pub fn router(self: Arc<Sandbox>) -> Router {
        Router::new()
            .route("/sandbox/razorpay/v1/orders", post(create_order))
            .route("/sandbox/razorpay/v1/orders/{id}/payments", get(order_payments))
            .route("/sandbox/razorpay/v1/payments/{id}/refund", post(refund))
            .route("/sandbox/razorpay/checkout/{order_id}", get(checkout_page))
            .route("/sandbox/razorpay/checkout/{order_id}/{outcome}", post(checkout_outcome))
            .route("/sandbox/razorpay/behaviour", get(get_behaviour).put(put_behaviour))
            .with_state(self)
    }

    fn behaviour(&self) -> Behaviour {
        self.behaviour.lock().expect("sandbox lock").clone()
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.key_id, self.key_secret));
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .is_some_and(|v| subtle::ConstantTimeEq::ct_eq(v.as_bytes(), expected.as_bytes()).into())
    }

    /// Queues the webhooks of `events` (name, payload) as the behaviour says.
    async fn send_webhooks(
        &self,
        tx: &mut sqlx::PgConnection,
        mut events: Vec<(&str, serde_json::Value)>,
    ) -> Result<(), sqlx::Error> {
        let b = self.behaviour();
        if b.drop_webhooks {
            return Ok(());
        }
        if b.out_of_order {
            events.reverse();
        }
        let start = chrono::Utc::now() + chrono::Duration::milliseconds(b.delay_ms as i64);
        for (i, (event, payload)) in events.into_iter().enumerate() {
            let event_id = format!("evt_{}", random_id());
            let body = json!({
                "entity": "event",
                "account_id": "acc_sandbox",
                "event": event,
                "contains": payload.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default(),
                "payload": payload,
                "created_at": chrono::Utc::now().timestamp(),
            })
            .to_string();
            for copy in 0..=b.duplicates {
                // Spaced a little so "out of order" is the order they arrive in.
                let at = start + chrono::Duration::milliseconds(i as i64 * 150 + i64::from(copy) * 50);
                app::jobs::enqueue(
                    &mut *tx,
                    NewJob::new(Queue::Payments, WEBHOOK_JOB, json!({ "eventId": event_id, "body": body }))
                        .run_at(at)
                        .max_attempts(25),
                )
                .await?;
            }
        }
        Ok(())
    }
}

fn random_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..14).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

fn api_error(status: StatusCode, code: &str, description: &str) -> Response {
    (status, Json(json!({ "error": { "code": code, "description": description } }))).into_response()
}

fn guard(s: &Sandbox, headers: &HeaderMap) -> Option<Response> {
    if s.behaviour().api_down {
        return Some(api_error(StatusCode::SERVICE_UNAVAILABLE, "SERVER_ERROR", "sandbox told to be down"));
    }
    if !s.authorised(headers) {
        return Some(api_error(StatusCode::UNAUTHORIZED, "BAD_REQUEST_ERROR", "Authentication failed"));
    }
    None
}

#[derive(Deserialize)]
struct NewOrder {
    amount: i64,
    currency: String,
    receipt: Option<String>,
    #[serde(default)]
    notes: serde_json::Value,
}

async fn create_order(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: Option<Json<NewOrder>>) -> Response {
    if let Some(r) = guard(&s, &headers) {
        return r;
    }
    let Some(Json(o)) = body else {
        return api_error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "invalid request body");
    };
    if o.amount < 100 || o.currency != "INR" {
        return api_error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "The amount must be atleast INR 1.00");
    }
    let id = format!("order_{}", random_id());
    let result = sqlx::query("INSERT INTO sandbox_gateway_orders (id, amount, currency, receipt, notes, status) VALUES ($1, $2, $3, $4, $5, 'created')")
        .bind(&id)
        .bind(o.amount)
        .bind(&o.currency)
        .bind(&o.receipt)
        .bind(if o.notes.is_null() { json!({}) } else { o.notes })
        .execute(&s.pool)
        .await;
    match result {
        Ok(_) => Json(json!({ "id": id, "entity": "order", "amount": o.amount, "currency": o.currency, "receipt": o.receipt, "status": "created" })).into_response(),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "SERVER_ERROR", &e.to_string()),
    }
}

async fn payments_of(pool: &PgPool, order_id: &str) -> Result<Vec<serde_json::Value>, sqlx::Error> {
    let rows: Vec<(String, String, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, order_id, amount, currency, status, method, amount_refunded FROM sandbox_gateway_payments WHERE order_id = $1 ORDER BY created_at",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, order_id, amount, currency, status, method, refunded)| {
            json!({ "id": id, "entity": "payment", "order_id": order_id, "amount": amount, "currency": currency,
                    "status": status, "method": method, "amount_refunded": refunded, "captured": status == "captured" || status == "refunded" })
        })
        .collect())
}

async fn order_payments(State(s): State<Arc<Sandbox>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = guard(&s, &headers) {
        return r;
    }
    match payments_of(&s.pool, &id).await {
        Ok(items) => Json(json!({ "entity": "collection", "count": items.len(), "items": items })).into_response(),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "SERVER_ERROR", &e.to_string()),
    }
}

#[derive(Deserialize)]
struct RefundRequest {
    amount: Option<i64>,
    receipt: Option<String>,
}

async fn refund(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
    body: Option<Json<RefundRequest>>,
) -> Response {
    if let Some(r) = guard(&s, &headers) {
        return r;
    }
    let Some(Json(req)) = body else {
        return api_error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", "invalid request body");
    };
    // As Razorpay: a refund without the key is made each time it is asked for; with
    // one, a repeat returns the first, and the key with another amount is refused.
    let key = headers.get(super::razorpay::REFUND_IDEMPOTENCY).map(|v| v.to_str().unwrap_or_default().to_string());
    if let Some(key) = &key
        && (key.len() < 10 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return api_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST_ERROR",
            "The idempotency key must be at least 10 characters of letters, digits, hyphens and underscores",
        );
    }
    let run = async {
        let mut tx = s.pool.begin().await?;
        let payment: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT amount, amount_refunded, status FROM sandbox_gateway_payments WHERE id = $1 FOR UPDATE",
        )
        .bind(&payment_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((amount, refunded, status)) = payment else {
            return Ok::<_, sqlx::Error>(api_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST_ERROR",
                "The id provided does not exist",
            ));
        };
        if let Some(key) = &key {
            let existing: Option<(String, i64)> = sqlx::query_as(
                "SELECT id, amount FROM sandbox_gateway_refunds WHERE payment_id = $1 AND idempotency_key = $2",
            )
            .bind(&payment_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((id, amount)) = existing {
                if req.amount.is_some_and(|asked| asked != amount) {
                    return Ok(api_error(
                        StatusCode::BAD_REQUEST,
                        "BAD_REQUEST_ERROR",
                        "Different request with the same idempotency key has already been processed.",
                    ));
                }
                return Ok(Json(json!({ "id": id, "entity": "refund", "payment_id": payment_id, "amount": amount, "status": "processed" })).into_response());
            }
        }
        let want = req.amount.unwrap_or(amount - refunded);
        if status != "captured" || want <= 0 || want > amount - refunded {
            return Ok(api_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST_ERROR",
                "The refund amount provided is greater than amount captured",
            ));
        }
        let id = format!("rfnd_{}", random_id());
        sqlx::query(
            "INSERT INTO sandbox_gateway_refunds (id, payment_id, amount, receipt, idempotency_key) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(&payment_id)
        .bind(want)
        .bind(&req.receipt)
        .bind(&key)
        .execute(&mut *tx)
        .await?;
        // As at Razorpay, a payment refunded in full is `refunded`; in part, still `captured`.
        sqlx::query(
            "UPDATE sandbox_gateway_payments SET amount_refunded = amount_refunded + $2,
                    status = CASE WHEN amount_refunded + $2 = amount THEN 'refunded' ELSE status END
             WHERE id = $1",
        )
        .bind(&payment_id)
        .bind(want)
        .execute(&mut *tx)
        .await?;
        let refund = json!({ "id": id, "entity": "refund", "payment_id": payment_id, "amount": want, "status": "processed", "receipt": req.receipt });
        s.send_webhooks(&mut tx, vec![("refund.processed", json!({ "refund": { "entity": refund } }))]).await?;
        tx.commit().await?;
        Ok(Json(refund).into_response())
    };
    run.await.unwrap_or_else(|e| api_error(StatusCode::INTERNAL_SERVER_ERROR, "SERVER_ERROR", &e.to_string()))
}

#[derive(Deserialize)]
struct CheckoutQuery {
    callback_url: Option<String>,
    cancel_url: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Only our own pages: the sandbox never redirects a browser elsewhere.
fn local_url(s: &Sandbox, url: Option<&str>, fallback: &str) -> String {
    match url {
        Some(u) if u.starts_with('/') && !u.starts_with("//") => u.to_string(),
        Some(u) => s
            .own_bases
            .iter()
            .find_map(|base| {
                u.strip_prefix(base.as_str()).filter(|path| path.starts_with('/') && !path.starts_with("//"))
            })
            .map_or_else(|| fallback.to_string(), str::to_string),
        None => fallback.to_string(),
    }
}

async fn checkout_page(
    State(s): State<Arc<Sandbox>>,
    Path(order_id): Path<String>,
    Query(q): Query<CheckoutQuery>,
) -> Response {
    let order: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT amount, status, receipt FROM sandbox_gateway_orders WHERE id = $1")
            .bind(&order_id)
            .fetch_optional(&s.pool)
            .await
            .ok()
            .flatten();
    let Some((amount, status, _)) = order else {
        return (StatusCode::NOT_FOUND, Html("<h1>Unknown order</h1>".to_string())).into_response();
    };
    let callback = escape(&local_url(&s, q.callback_url.as_deref(), "/payments/callback"));
    let cancel = escape(&local_url(&s, q.cancel_url.as_deref(), "/orders"));
    let rupees = format!("₹{}.{:02}", amount / 100, amount % 100);
    let paid_note = if status == "paid" {
        "<p class=note>This order is already paid; paying again creates a second payment (which the shop must refund).</p>"
    } else {
        ""
    };
    let form = |outcome: &str, label: &str, class: &str| {
        format!(
            "<form method=post action=\"/sandbox/razorpay/checkout/{id}/{outcome}\"><input type=hidden name=callback_url value=\"{callback}\"><input type=hidden name=cancel_url value=\"{cancel}\"><button class={class}>{label}</button></form>",
            id = escape(&order_id)
        )
    };
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>Sandbox payment · {rupees}</title><style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1c1917}}\
         .card{{border:1px solid #d6d3d1;border-radius:1rem;padding:1.5rem}}button{{width:100%;padding:.8rem;border-radius:.6rem;font-size:1rem;margin-top:.6rem;cursor:pointer;border:1px solid #a8a29e;background:#fff}}\
         button.pay{{background:#1d4ed8;color:#fff;border-color:#1d4ed8}}.note{{color:#92400e}}small{{color:#57534e}}</style></head>\
         <body><div class=card><small>Sandbox gateway · no real money moves</small><h1>Pay {rupees}</h1><p>Order <code>{id}</code></p>{paid_note}{pay}{fail}{abandon}</div></body></html>",
        id = escape(&order_id),
        pay = form("pay", &format!("Pay {rupees} with UPI"), "pay"),
        fail = form("fail", "Make the payment fail", "fail"),
        abandon = form("abandon", "Cancel and go back", "abandon"),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct OutcomeForm {
    callback_url: Option<String>,
    cancel_url: Option<String>,
}

async fn checkout_outcome(
    State(s): State<Arc<Sandbox>>,
    Path((order_id, outcome)): Path<(String, String)>,
    Form(f): Form<OutcomeForm>,
) -> Response {
    let callback = local_url(&s, f.callback_url.as_deref(), "/payments/callback");
    let cancel = local_url(&s, f.cancel_url.as_deref(), "/orders");
    match outcome.as_str() {
        "pay" | "fail" => {}
        "abandon" => return Redirect::to(&cancel).into_response(),
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    let run = async {
        let mut tx = s.pool.begin().await?;
        let order: Option<i64> =
            sqlx::query_scalar("SELECT amount FROM sandbox_gateway_orders WHERE id = $1 FOR UPDATE")
                .bind(&order_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(amount) = order else { return Ok::<_, sqlx::Error>(StatusCode::NOT_FOUND.into_response()) };
        let payment_id = format!("pay_{}", random_id());
        let captured = outcome == "pay";
        sqlx::query(
            "INSERT INTO sandbox_gateway_payments (id, order_id, amount, currency, status, method, error_code)
             VALUES ($1, $2, $3, 'INR', $4, 'upi', $5)",
        )
        .bind(&payment_id)
        .bind(&order_id)
        .bind(amount)
        .bind(if captured { "captured" } else { "failed" })
        .bind((!captured).then_some("BAD_REQUEST_ERROR"))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE sandbox_gateway_orders SET attempts = attempts + 1, status = CASE WHEN $2 THEN 'paid' ELSE 'attempted' END WHERE id = $1")
            .bind(&order_id)
            .bind(captured)
            .execute(&mut *tx)
            .await?;
        let payment = |status: &str| {
            json!({ "payment": { "entity": { "id": payment_id, "entity": "payment", "amount": amount, "currency": "INR",
                    "status": status, "order_id": order_id, "method": "upi", "captured": status == "captured" } } })
        };
        let events = if captured {
            let mut paid = payment("captured");
            paid["order"] = json!({ "entity": { "id": order_id, "entity": "order", "amount": amount, "amount_paid": amount, "status": "paid" } });
            vec![
                ("payment.authorized", payment("authorized")),
                ("payment.captured", payment("captured")),
                ("order.paid", paid),
            ]
        } else {
            vec![("payment.failed", payment("failed"))]
        };
        s.send_webhooks(&mut tx, events).await?;
        tx.commit().await?;
        if s.behaviour().skip_callback {
            return Ok(Html(
                "<p>Payment done. (The sandbox was told not to send you back to the shop.)</p>".to_string(),
            )
            .into_response());
        }
        let sep = if callback.contains('?') { '&' } else { '?' };
        let target = if captured {
            let sig = signature::sign(&s.key_secret, &signature::callback_payload(&order_id, &payment_id));
            format!(
                "{callback}{sep}razorpay_payment_id={payment_id}&razorpay_order_id={order_id}&razorpay_signature={sig}"
            )
        } else {
            format!(
                "{callback}{sep}error%5Bcode%5D=BAD_REQUEST_ERROR&error%5Bdescription%5D=Payment%20failed&error%5Bmetadata%5D%5Border_id%5D={order_id}&error%5Bmetadata%5D%5Bpayment_id%5D={payment_id}"
            )
        };
        Ok(Redirect::to(&target).into_response())
    };
    run.await.unwrap_or_else(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response())
}

async fn get_behaviour(State(s): State<Arc<Sandbox>>) -> Json<Behaviour> {
    Json(s.behaviour())
}

async fn put_behaviour(State(s): State<Arc<Sandbox>>, Json(b): Json<Behaviour>) -> Json<Behaviour> {
    *s.behaviour.lock().expect("sandbox lock") = b.clone();
    Json(b)
}

/// Delivers one sandbox webhook to the app, signed like Razorpay's; anything but a
/// 2xx is retried, as Razorpay retries.
pub struct WebhookDelivery {
    pub url: String,
    pub secret: String,
    pub client: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookJob {
    event_id: String,
    body: String,
}

impl crate::jobs::Handler for WebhookDelivery {
    fn run<'a>(
        &'a self,
        job: &'a crate::jobs::Job,
        _tx: &'a mut sqlx::PgConnection,
    ) -> crate::jobs::BoxFuture<'a, Result<(), crate::jobs::JobError>> {
        Box::pin(async move {
            let w: WebhookJob = job.payload()?;
            let response = self
                .client
                .post(&self.url)
                .header("content-type", "application/json")
                .header(signature::WEBHOOK_SIGNATURE_HEADER, signature::sign(&self.secret, w.body.as_bytes()))
                .header(signature::WEBHOOK_EVENT_ID_HEADER, &w.event_id)
                .body(w.body)
                .send()
                .await
                .map_err(|e| crate::jobs::JobError::Retry(format!("webhook not delivered: {e}")))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(crate::jobs::JobError::Retry(format!("webhook answered {}", response.status())))
            }
        })
    }
}
