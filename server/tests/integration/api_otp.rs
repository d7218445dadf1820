//! Phone sign-in with one-time codes over `/api/v1/auth/otp/*`: the code travels only
//! through the outbox, and every hostile case (wrong, expired, exhausted, reused,
//! flooded, malformed, unknown phone) is refused without giving anything away.

use crate::support;

use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, audit_count, operator};

const PHONE: &str = "+919840010001"; // customer@greenharvest.demo

async fn request(app: &TestApp, phone: &str) -> (u16, Value) {
    app.post_json("/api/v1/auth/otp/request", &json!({ "phone": phone }), None).await
}

async fn verify(app: &TestApp, phone: &str, code: &str) -> (u16, Value) {
    app.post_json("/api/v1/auth/otp/verify", &json!({ "phone": phone, "code": code }), None).await
}

/// The newest code sent to `phone`, read from the outbox as a test would read an SMS.
pub(crate) async fn code_sent_to(pool: &PgPool, phone: &str) -> Option<String> {
    let mut tx = operator(pool).await;
    let body: Option<String> = sqlx::query_scalar(
        "SELECT body FROM notification_outbox WHERE recipient = $1 AND template = 'sign_in_code' ORDER BY created_at DESC LIMIT 1",
    )
    .bind(phone)
    .fetch_optional(&mut *tx)
    .await
    .unwrap();
    body.map(|b| b.chars().filter(char::is_ascii_digit).take(6).collect())
}

/// Lets the next request through the per-phone resend throttle.
async fn age_codes(pool: &PgPool, by: &str) {
    sqlx::query(&format!("UPDATE one_time_codes SET created_at = created_at - interval '{by}'"))
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_code_from_the_outbox_signs_in_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, body) = request(&app, "98400 10001").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"], json!({ "expiresIn": 300, "resendAfter": 60 }));
    let code = code_sent_to(&pool, PHONE).await.expect("an SMS in the outbox");
    assert_eq!(code.len(), 6);
    assert!(!body.to_string().contains(&code), "the code is never in the response");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT code_hash FROM one_time_codes").fetch_one(&pool).await.unwrap();
    assert_ne!(stored, code.as_bytes(), "stored hashed");

    let (status, body) = verify(&app, PHONE, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["email"], "customer@greenharvest.demo");
    assert!(body["data"]["accessToken"].as_str().unwrap().split('.').count() == 3);
    let (status, _) = verify(&app, PHONE, &code).await;
    assert_eq!(status, 401, "a code works once");
    assert_eq!(audit_count(&pool, "otp.requested").await, 1);
}

#[sqlx::test(migrations = false)]
async fn wrong_guesses_count_and_the_fifth_spends_the_code(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    request(&app, PHONE).await;
    let code = code_sent_to(&pool, PHONE).await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for attempt in 1..=5 {
        let (status, body) = verify(&app, PHONE, wrong).await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
        assert_eq!(body["error"]["message"], "The code is wrong or has expired");
    }
    let (status, _) = verify(&app, PHONE, &code).await;
    assert_eq!(status, 401, "after five wrong guesses even the right code is refused");
    assert_eq!(audit_count(&pool, "otp.failed").await, 6);
}

#[sqlx::test(migrations = false)]
async fn expired_and_superseded_codes_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    request(&app, PHONE).await;
    let first = code_sent_to(&pool, PHONE).await.unwrap();
    sqlx::query("UPDATE one_time_codes SET expires_at = now() - interval '1 second'").execute(&pool).await.unwrap();
    assert_eq!(verify(&app, PHONE, &first).await.0, 401, "expired");

    age_codes(&pool, "2 minutes").await;
    request(&app, PHONE).await;
    let second = code_sent_to(&pool, PHONE).await.unwrap();
    age_codes(&pool, "2 minutes").await;
    request(&app, PHONE).await;
    let third = code_sent_to(&pool, PHONE).await.unwrap();
    if second != third {
        assert_eq!(verify(&app, PHONE, &second).await.0, 401, "a new code replaces the old");
    }
    assert_eq!(verify(&app, PHONE, &third).await.0, 200);
}

#[sqlx::test(migrations = false)]
async fn requests_are_throttled_per_phone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    assert_eq!(request(&app, PHONE).await.0, 202);
    let response =
        app.client.post(app.url("/api/v1/auth/otp/request")).json(&json!({ "phone": PHONE })).send().await.unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["retryable"].as_bool()),
        (Some("RATE_LIMITED"), Some(true))
    );
    // Another phone is not held up by this one.
    assert_eq!(request(&app, "+919840010002").await.0, 202);

    for _ in 0..4 {
        age_codes(&pool, "61 seconds").await;
        assert_eq!(request(&app, PHONE).await.0, 202);
    }
    age_codes(&pool, "61 seconds").await;
    let (status, body) = request(&app, PHONE).await;
    assert_eq!(status, 429, "five codes an hour: {body}");
    assert!(body["error"]["retryAfter"].as_u64().unwrap() > 60);
}

#[sqlx::test(migrations = false)]
async fn unknown_phones_get_the_same_answer_and_no_message(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, body) = request(&app, "+919999999999").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"], json!({ "expiresIn": 300, "resendAfter": 60 }));
    assert_eq!(code_sent_to(&pool, "+919999999999").await, None);
    for code in ["000000", "123456"] {
        assert_eq!(verify(&app, "+919999999999", code).await.0, 401);
    }
}

#[sqlx::test(migrations = false)]
async fn malformed_requests_are_field_errors(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    for (body, field) in
        [(json!({}), "phone"), (json!({ "phone": "12345" }), "phone"), (json!({ "phone": 9840010001u64 }), "body")]
    {
        let (status, answer) = app.post_json("/api/v1/auth/otp/request", &body, None).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["error"]["fields"].get(field).is_some(), "{body}: {answer}");
    }
    for (body, field) in [
        (json!({ "phone": PHONE }), "code"),
        (json!({ "phone": PHONE, "code": "12345" }), "code"),
        (json!({ "phone": PHONE, "code": "12345a" }), "code"),
        (json!({ "phone": "nope", "code": "123456" }), "phone"),
    ] {
        let (status, answer) = app.post_json("/api/v1/auth/otp/verify", &body, None).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["error"]["fields"].get(field).is_some(), "{body}: {answer}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM one_time_codes").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 0, "nothing was created");
}
