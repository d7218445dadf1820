//! Notifications through the sandbox provider: delivery on the preferred channel in
//! the person's language, signed status webhooks (forged ones refused, replays and
//! duplicates harmless, out-of-order ones never moving a message back), the circuit
//! breaker while the provider is down, permanent failures and operator retries.

use crate::support;

use serde_json::{Value, json};
use server::notify::status::sign;
use sqlx::PgPool;
use std::time::Duration;
use support::{TestApp, access_token, operator, user_id, wait_for};
use uuid::Uuid;

const FAST: &[(&str, &str)] = &[("MANDI_JOBS_RETRY_BASE_MS", "50"), ("MANDI_NOTIFY_CIRCUIT_COOL_DOWN_SECS", "2")];

async fn behave(app: &TestApp, behaviour: Value) {
    let r = app.client.put(app.url("/sandbox/behaviour")).json(&behaviour).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

async fn accepted(app: &TestApp) -> Vec<Value> {
    app.get_json("/sandbox/messages").await.1.as_array().unwrap().clone()
}

/// Sends a message to a demo person the way features do: in a transaction, by their
/// preferences. Returns (preferred-channel message, in-app message).
async fn notify(app: &TestApp, email: &str) -> (Uuid, Uuid) {
    let user = user_id(&app.pool, email).await;
    let mut tx = operator(&app.pool).await;
    let ids = app::outbox::notify_person(&mut tx, None, user, "test_notice", vec!["42".into()], |lang| {
        format!("{lang}: notice 42")
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids.len(), 2);
    (ids[0], ids[1])
}

async fn message(pool: &PgPool, id: Uuid) -> (String, String, i16, Option<String>, Option<String>) {
    let mut tx = operator(pool).await;
    sqlx::query_as(
        "SELECT channel, status, attempts, last_error, provider_message_id FROM notification_outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .unwrap()
}

async fn status_is(pool: &PgPool, id: Uuid, status: &str) -> bool {
    message(pool, id).await.1 == status
}

#[sqlx::test(migrations = false)]
async fn whatsapp_in_the_persons_language_then_delivered_and_read_by_signed_webhooks(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), FAST).await;
    sqlx::query("UPDATE users SET locale = 'ta' WHERE email = 'farmer@malar.demo'").execute(&pool).await.unwrap();
    let (whatsapp, in_app) = notify(&app, "farmer@malar.demo").await;
    wait_for("read", Duration::from_secs(10), async || status_is(&pool, whatsapp, "read").await).await;
    let (channel, _, attempts, _, provider_id) = message(&pool, whatsapp).await;
    assert_eq!((channel.as_str(), attempts), ("whatsapp", 1));
    let mut tx = operator(&pool).await;
    let (sent, delivered, read): (
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
    ) = sqlx::query_as("SELECT sent_at, delivered_at, read_at FROM notification_outbox WHERE id = $1")
        .bind(whatsapp)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert!(sent.is_some() && delivered.is_some() && read.is_some());
    drop(tx);

    // What the provider received: a template in Tamil with its parameters, once.
    let sent = accepted(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let request = &sent[0]["request"];
    assert_eq!(sent[0]["providerId"], provider_id.unwrap());
    assert_eq!(request["template"]["name"], "test_notice");
    assert_eq!(request["template"]["language"]["code"], "ta");
    assert_eq!(request["template"]["components"][0]["parameters"][0]["text"], "42");
    assert!(request["to"].as_str().unwrap().chars().all(|c| c.is_ascii_digit()));

    // The in-app copy is delivered and in the person's inbox.
    wait_for("in-app delivery", Duration::from_secs(10), async || status_is(&pool, in_app, "delivered").await).await;
    let token = access_token(&app, "farmer@malar.demo").await;
    let (status, inbox) = app.get_json_as("/api/v1/me/notifications", &token).await;
    assert_eq!(status, 200);
    assert_eq!(inbox["data"][0]["body"], "ta: notice 42");
}

#[sqlx::test(migrations = false)]
async fn channel_preferences_are_honoured_and_validated(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), FAST).await;
    let token = access_token(&app, "customer@greenharvest.demo").await;
    let put = |body: Value| {
        let request = app.client.put(app.url("/api/v1/me/notification-preferences")).bearer_auth(&token).json(&body);
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    for (bad, field) in [
        (json!({ "channels": ["pigeon"], "language": "en" }), "channels"),
        (json!({ "channels": ["sms", "sms"], "language": "en" }), "channels"),
        (json!({ "channels": ["in_app"], "language": "en" }), "channels"),
        (json!({ "channels": ["sms"], "language": "fr" }), "language"),
    ] {
        let (status, body) = put(bad).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    let (status, body) = put(json!({ "channels": ["email", "sms"], "language": "en" })).await;
    assert_eq!(status, 200, "{body}");
    let (preferred, _) = notify(&app, "customer@greenharvest.demo").await;
    assert_eq!(message(&pool, preferred).await.0, "email");
    wait_for("sent", Duration::from_secs(10), async || status_is(&pool, preferred, "sent").await).await;
    assert_eq!(accepted(&app).await[0]["channel"], "email");
}

fn webhook(provider_id: &str, status: &str, at: i64) -> String {
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "w", "changes": [{ "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "statuses": [{ "id": provider_id, "status": status, "timestamp": at.to_string(), "recipient_id": "919" }],
    }}]}]})
    .to_string()
}

async fn post_webhook(app: &TestApp, body: &str, signature: Option<String>) -> (u16, Value) {
    let mut r = app
        .client
        .post(app.url("/api/v1/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(s) = signature {
        r = r.header("x-hub-signature-256", s);
    }
    let response = r.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn status_events(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notification_status_events").fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn forged_webhooks_are_refused_and_replays_or_late_ones_change_nothing(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), FAST).await;
    behave(&app, json!({ "mode": "ok", "statuses": ["sent"] })).await;
    let (whatsapp, _) = notify(&app, "farmer@malar.demo").await;
    wait_for("sent", Duration::from_secs(10), async || status_is(&pool, whatsapp, "sent").await).await;
    let provider_id = message(&pool, whatsapp).await.4.unwrap();
    wait_for("the sent webhook", Duration::from_secs(5), async || status_events(&pool).await == 1).await;
    let secret = "sandbox-app-secret";
    let now = chrono::Utc::now().timestamp();

    let read = webhook(&provider_id, "read", now);
    for forged in [
        None,
        Some(sign("wrong-secret", read.as_bytes())),
        Some("sha256=".to_string() + &"0".repeat(64)),
        Some("garbage".into()),
    ] {
        let (status, body) = post_webhook(&app, &read, forged).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "INVALID_SIGNATURE");
    }
    // A signature for another body does not carry over.
    let (status, _) =
        post_webhook(&app, &read, Some(sign(secret, webhook(&provider_id, "delivered", now).as_bytes()))).await;
    assert_eq!(status, 401);
    assert_eq!(status_events(&pool).await, 1);
    assert!(status_is(&pool, whatsapp, "sent").await);

    // Signed but malformed: a clear 400, nothing stored.
    for bad in [
        "{not json",
        &webhook(&provider_id, "exploded", now),
        &webhook(&provider_id, "read", 0).replace("\"0\"", "\"soon\""),
    ] {
        let (status, body) = post_webhook(&app, bad, Some(sign(secret, bad.as_bytes()))).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(status_events(&pool).await, 1);

    // Read arrives before delivered (out of order), then both are replayed.
    let (status, body) = post_webhook(&app, &read, Some(sign(secret, read.as_bytes()))).await;
    assert_eq!((status, body["data"]["applied"].as_i64()), (200, Some(1)));
    assert!(status_is(&pool, whatsapp, "read").await);
    let delivered = webhook(&provider_id, "delivered", now - 1);
    let (status, _) = post_webhook(&app, &delivered, Some(sign(secret, delivered.as_bytes()))).await;
    assert_eq!(status, 200);
    assert!(status_is(&pool, whatsapp, "read").await, "a late 'delivered' does not move a read message back");
    for replay in [&read, &delivered] {
        let (status, body) = post_webhook(&app, replay, Some(sign(secret, replay.as_bytes()))).await;
        assert_eq!((status, body["data"]["applied"].as_i64()), (200, Some(0)));
    }
    assert_eq!(status_events(&pool).await, 3);
    // A status for a message we never sent is kept (its send may not have committed yet) and harms nothing.
    let stray = webhook("wamid.unknown", "delivered", now);
    assert_eq!(post_webhook(&app, &stray, Some(sign(secret, stray.as_bytes()))).await.0, 200);
}

async fn circuit(app: &TestApp, token: &str) -> String {
    let (status, body) = app.get_json_as("/api/v1/ops/jobs", token).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["providers"].as_array().unwrap().iter().find(|p| p["channel"] == "whatsapp").unwrap()["circuit"]
        .as_str()
        .unwrap()
        .to_string()
}

#[sqlx::test(migrations = false)]
async fn a_provider_down_opens_the_circuit_messages_wait_and_all_go_once_it_recovers(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), FAST).await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    assert_eq!(circuit(&app, &ops).await, "closed");
    behave(&app, json!({ "mode": "fail" })).await;
    let mut messages = Vec::new();
    for _ in 0..4 {
        for who in ["farmer@malar.demo", "staff@malar.demo"] {
            messages.push(notify(&app, who).await.0);
        }
    }
    wait_for("the circuit to open", Duration::from_secs(15), async || circuit(&app, &ops).await == "open").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("notification_circuit_state{provider=\"whatsapp\"} 2"), "{metrics}");
    // While open, the messages wait: none failed, none dead, attempts bounded by the threshold.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut tx = operator(&pool).await;
    let (queued, tries): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'queued'), coalesce(sum(attempts), 0)::bigint FROM notification_outbox WHERE id = ANY($1)",
    )
    .bind(&messages)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    drop(tx);
    assert_eq!(queued, 8);
    assert!(tries <= 6, "the open circuit stopped the calls ({tries} attempts)");
    let dead: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'dead' AND payload->>'messageId' = ANY($1)")
            .bind(messages.iter().map(|m| m.to_string()).collect::<Vec<_>>())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(dead, 0);

    behave(&app, json!({ "mode": "ok" })).await;
    for id in &messages {
        wait_for("delivery after recovery", Duration::from_secs(30), async || !status_is(&pool, *id, "queued").await)
            .await;
    }
    assert_eq!(circuit(&app, &ops).await, "closed");
    let sent = accepted(&app).await;
    assert_eq!(sent.len(), 8, "each message went out exactly once");
}

/// The provider-circuit alerts of `tenant`: (open, resolved).
async fn provider_alerts(pool: &PgPool, slug: &str) -> (i64, i64) {
    let mut tx = operator(pool).await;
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE a.resolved_at IS NULL), count(*) FILTER (WHERE a.resolved_at IS NOT NULL)
         FROM alerts a JOIN tenants t ON t.id = a.tenant_id
         WHERE t.slug = $1 AND a.kind = 'provider_circuit_open' AND a.subject_type = 'notification_provider'
           AND a.subject_id = 'whatsapp'",
    )
    .bind(slug)
    .fetch_one(&mut *tx)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_provider_whose_circuit_opens_is_one_alert_for_the_tenant_waiting_until_it_answers_again(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), FAST).await;
    let malar: Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'malar'").fetch_one(&pool).await.unwrap();
    behave(&app, json!({ "mode": "fail" })).await;
    let farmer = user_id(&pool, "farmer@malar.demo").await;
    let mut tx = operator(&pool).await;
    for _ in 0..8 {
        app::outbox::notify_person(&mut tx, Some(malar), farmer, "test_notice", vec!["42".into()], |l| {
            format!("{l}: 42")
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    wait_for("the provider's alert", Duration::from_secs(20), async || provider_alerts(&pool, "malar").await.0 == 1)
        .await;
    let mut tx = operator(&pool).await;
    let opened: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM live_events WHERE topic = $1 AND kind = 'alert.opened' AND data->>'kind' = 'provider_circuit_open'",
    )
    .bind(format!("tenant:{malar}:ops"))
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    drop(tx);
    assert_eq!(opened, 1, "on the market's tower, once however many messages wait");
    assert_eq!(provider_alerts(&pool, "greenharvest").await, (0, 0), "not on a tower with nothing waiting");

    behave(&app, json!({ "mode": "ok" })).await;
    // A message deferred just as the circuit closed may open it once more; the next of
    // the tenant's messages delivered resolves that one too.
    wait_for("the alert to resolve itself", Duration::from_secs(30), async || {
        let (open, resolved) = provider_alerts(&pool, "malar").await;
        open == 0 && resolved >= 1
    })
    .await;
    wait_for("the messages it held back to go out", Duration::from_secs(30), async || {
        let mut tx = operator(&pool).await;
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notification_outbox WHERE tenant_id = $1 AND channel = 'whatsapp' AND status = 'queued'",
        )
        .bind(malar)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        waiting == 0
    })
    .await;
    assert_eq!(provider_alerts(&pool, "malar").await.0, 0, "and nothing is left open after them");
}

#[sqlx::test(migrations = false)]
async fn a_slow_provider_still_delivers(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), FAST).await;
    behave(&app, json!({ "mode": "slow", "delayMs": 1500 })).await;
    let (whatsapp, _) = notify(&app, "farmer@malar.demo").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(status_is(&pool, whatsapp, "queued").await);
    wait_for("read", Duration::from_secs(15), async || status_is(&pool, whatsapp, "read").await).await;
    assert_eq!(accepted(&app).await.len(), 1);
}

#[sqlx::test(migrations = false)]
async fn operators_see_failures_and_retry_them(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), FAST).await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let customer = access_token(&app, "customer@greenharvest.demo").await;
    for path in ["/api/v1/ops/jobs", "/api/v1/ops/jobs/dead", "/api/v1/ops/notifications"] {
        assert_eq!(app.get_json_as(path, &customer).await.0, 403, "{path}");
        assert_eq!(app.get_json(path).await.0, 401, "{path}");
    }

    // The handset is unreachable: WhatsApp reports the message failed.
    behave(&app, json!({ "mode": "ok", "statuses": ["sent", "failed"] })).await;
    let (whatsapp, _) = notify(&app, "farmer@malar.demo").await;
    wait_for("failed", Duration::from_secs(10), async || status_is(&pool, whatsapp, "failed").await).await;
    assert_eq!(message(&pool, whatsapp).await.3.as_deref(), Some("Message undeliverable (131026)"));

    // A message of no tenant (as a sign-in code is) is no tenant's business: the
    // tenant's ops neither see it nor may ask for the platform's scope.
    let (status, body) = app.get_json_as("/api/v1/ops/notifications?status=failed", &ops).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body["data"].as_array().unwrap().iter().any(|m| m["id"] == whatsapp.to_string()), "{body}");
    for path in [
        "/api/v1/ops/notifications?scope=platform",
        "/api/v1/ops/jobs/dead?scope=platform",
        "/api/v1/ops/jobs?scope=platform",
    ] {
        assert_eq!(app.get_json_as(path, &ops).await.0, 403, "{path}");
    }
    let retry = format!("/api/v1/ops/notifications/{whatsapp}/retry");
    assert_eq!(app.post_json(&retry, &json!({}), Some(&ops)).await.0, 404, "not the tenant's to retry");

    // A platform operator sees it in the platform's scope.
    support::grant_platform_operator(&pool, user_id(&pool, "ops@greenharvest.demo").await).await;
    let (status, body) = app.get_json_as("/api/v1/ops/notifications?scope=platform&status=failed", &ops).await;
    assert_eq!(status, 200, "{body}");
    let listed = &body["data"][0];
    assert_eq!(listed["id"], whatsapp.to_string());
    assert!(listed.get("body").is_none(), "bodies (codes) are not shown to operators");
    for bad in ["?status=lost", "?limit=0", "?cursor=x", "?queue=notifications", "?colour=red", "?scope=galaxy"] {
        assert_eq!(app.get_json_as(&format!("/api/v1/ops/notifications{bad}"), &ops).await.0, 400, "{bad}");
    }

    behave(&app, json!({ "mode": "ok" })).await;
    let (status, body) = app.post_json(&retry, &json!({}), Some(&ops)).await;
    assert_eq!(status, 200, "{body}");
    wait_for("read after the retry", Duration::from_secs(10), async || status_is(&pool, whatsapp, "read").await).await;
    assert_eq!(accepted(&app).await.len(), 2, "the retry is a new delivery attempt");
    let (status, body) = app.post_json(&retry, &json!({}), Some(&ops)).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) =
        app.post_json(&format!("/api/v1/ops/notifications/{}/retry", Uuid::now_v7()), &json!({}), Some(&ops)).await;
    assert_eq!(status, 404);
    assert_eq!(support::audit_count(&pool, "notification.retried").await, 1);

    // A dead job, listed and retried by an operator.
    let job = app::jobs::enqueue(
        &pool,
        app::jobs::NewJob::new(
            app::jobs::Queue::Reports,
            "diagnostics.probe",
            json!({ "label": "x", "fail": "always" }),
        )
        .max_attempts(1),
    )
    .await
    .unwrap();
    wait_for("the dead letter", Duration::from_secs(10), async || {
        sqlx::query_scalar::<_, String>("SELECT status FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(&pool)
            .await
            .unwrap()
            == "dead"
    })
    .await;
    let (status, body) = app.get_json_as("/api/v1/ops/jobs/dead?queue=reports", &ops).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 0, "a job of no tenant is not the tenant's: {body}");
    let (status, body) = app.get_json_as("/api/v1/ops/jobs/dead?queue=reports&scope=platform", &ops).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["id"], job);
    assert_eq!(body["data"][0]["lastError"], "probe told to fail");
    let dead_in = async |scope: &str| {
        let (status, body) = app.get_json_as(&format!("/api/v1/ops/jobs?scope={scope}"), &ops).await;
        assert_eq!(status, 200);
        body["data"]["queues"].as_array().unwrap().iter().find(|q| q["queue"] == "reports").unwrap()["dead"].clone()
    };
    assert_eq!(dead_in("tenant").await, 0);
    assert_eq!(dead_in("platform").await, 1);
    let (status, _) = app.post_json(&format!("/api/v1/ops/jobs/{job}/retry"), &json!({}), Some(&ops)).await;
    assert_eq!(status, 200);
    assert_eq!(app.post_json("/api/v1/ops/jobs/not-a-number/retry", &json!({}), Some(&ops)).await.0, 400);
    assert_eq!(app.post_json("/api/v1/ops/jobs/999999999/retry", &json!({}), Some(&ops)).await.0, 404);
    assert_eq!(app.get_json_as("/api/v1/ops/jobs/dead?queue=nowhere", &ops).await.0, 400);

    // The same is on /metrics for dashboards and alerts.
    wait_for("queue gauges", Duration::from_secs(10), async || {
        app.get("/metrics")
            .await
            .text()
            .await
            .unwrap()
            .contains("jobs_queue_depth{queue=\"notifications\",state=\"ready\"}")
    })
    .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for name in ["jobs_dead_lettered_total", "job_run_seconds_bucket", "job_wait_seconds_bucket", "jobs_failed_total"] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }
}

/// A WhatsApp Cloud API stand-in whose first answer is lost: it takes the message and
/// answers 503, then accepts. Records the reference every call carries.
async fn whatsapp_losing_its_first_answer() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::http::StatusCode;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let calls = seen.clone();
    let router = axum::Router::new().route(
        "/v21.0/{phone}/messages",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let calls = calls.clone();
            async move {
                let mut calls = calls.lock().unwrap();
                calls.push(body["biz_opaque_callback_data"].as_str().unwrap_or_default().to_string());
                if calls.len() == 1 {
                    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "error": { "message": "try again" } })))
                } else {
                    (StatusCode::OK, axum::Json(json!({ "messages": [{ "id": "wamid.stand-in.1" }] })))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/v21.0"), seen)
}

#[sqlx::test(migrations = false)]
async fn retried_message_keeps_its_provider_reference(pool: PgPool) {
    let (api_base, calls) = whatsapp_losing_its_first_answer().await;
    let mut vars = FAST.to_vec();
    vars.extend([
        ("MANDI_NOTIFY_PROVIDER", "cloud"),
        ("MANDI_WHATSAPP_API_BASE", api_base.as_str()),
        ("MANDI_WHATSAPP_PHONE_NUMBER_ID", "1"),
        ("MANDI_WHATSAPP_TOKEN", "t"),
        ("MANDI_WHATSAPP_APP_SECRET", "s"),
        ("MANDI_SMS_API_URL", "http://127.0.0.1:9/sms"),
        ("MANDI_EMAIL_API_URL", "http://127.0.0.1:9/email"),
        ("MANDI_MESSAGING_API_TOKEN", "m"),
    ]);
    let app = TestApp::spawn_with(pool.clone(), &vars).await;
    let (whatsapp, _) = notify(&app, "farmer@malar.demo").await;
    wait_for("sent after a retry", Duration::from_secs(15), async || status_is(&pool, whatsapp, "sent").await).await;
    let (channel, _, attempts, _, provider_id) = message(&pool, whatsapp).await;
    assert_eq!((channel.as_str(), attempts, provider_id.as_deref()), ("whatsapp", 2, Some("wamid.stand-in.1")));
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].starts_with(&whatsapp.to_string()), "{calls:?}");
    assert_eq!(calls[0], calls[1], "the provider can tell the retry is the same message");
}

#[sqlx::test(migrations = false)]
async fn the_webhook_registration_handshake_echoes_the_challenge_only_for_our_token(pool: PgPool) {
    let token = "a-verify-token-of-some-length";
    let app = TestApp::spawn_with(pool, &[("MANDI_WHATSAPP_VERIFY_TOKEN", token)]).await;
    let get = |query: String| {
        let url = app.url(&format!("/api/v1/webhooks/whatsapp?{query}"));
        let client = app.client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(
        get(format!("hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444")).await,
        (200, "1158201444".to_string())
    );
    assert_eq!(get("hub.mode=subscribe&hub.verify_token=guess-guess-guess&hub.challenge=1".into()).await.0, 403);
    assert_eq!(get(format!("hub.mode=unsubscribe&hub.verify_token={token}&hub.challenge=1")).await.0, 403);
    assert_eq!(get(format!("hub.mode=subscribe&hub.verify_token={token}&hub.challenge=%3Cscript%3E")).await.0, 400);
    assert_eq!(get("hub.mode=subscribe".into()).await.0, 400);
}
