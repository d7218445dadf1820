//! Idempotency keys on mutating requests, against the real server and database.

use crate::support;

use serde_json::{Value, json};
use sqlx::PgPool;
use support::TestApp;

async fn post(app: &TestApp, path: &str, key: Option<(&str, &str)>, body: &Value) -> (u16, Option<String>, Value) {
    let mut request = app.client.post(app.url(path)).json(body);
    if let Some((name, value)) = key {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap().to_string());
    (status, replayed, response.json().await.unwrap())
}

fn signup(email: &str) -> Value {
    json!({ "email": email, "password": "a long secret", "displayName": "Retry Ravi" })
}

fn code_request() -> Value {
    json!({ "phone": "+919840010001" })
}

async fn codes_sent(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM one_time_codes").fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_retry_replays_the_first_response_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let key = Some(("Idempotency-Key", "8d1f6c0e-1d7a-4d4c-9a55-1f2e3d4c5b6a"));
    let (s1, r1, first) = post(&app, "/api/v1/auth/otp/request", key, &code_request()).await;
    assert_eq!((s1, r1), (202, None), "{first}");
    // Without the key the resend throttle would answer; with it, the stored answer.
    let (s2, r2, second) = post(&app, "/api/v1/auth/otp/request", key, &code_request()).await;
    assert_eq!((s2, r2.as_deref()), (202, Some("true")));
    assert_eq!(first, second, "the very same response");
    assert_eq!(codes_sent(&pool).await, 1, "one code sent, not two");

    // The X- spelling names the same key.
    let (s3, r3, _) = post(
        &app,
        "/api/v1/auth/otp/request",
        Some(("X-Idempotency-Key", "8d1f6c0e-1d7a-4d4c-9a55-1f2e3d4c5b6a")),
        &code_request(),
    )
    .await;
    assert_eq!((s3, r3.as_deref()), (202, Some("true")));
    assert_eq!(codes_sent(&pool).await, 1);
}

/// Rows of the idempotency table holding `secret` anywhere: in the stored body's
/// bytes or in any other column.
async fn rows_holding(pool: &PgPool, secret: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM idempotency_keys k
         WHERE position(convert_to($1, 'UTF8') IN coalesce(k.body, ''::bytea)) > 0
            OR position(encode(convert_to($1, 'UTF8'), 'hex') IN k::text) > 0
            OR position($1 IN k::text) > 0",
    )
    .bind(secret)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn idempotency_cache_never_stores_tokens(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let login_key = Some(("Idempotency-Key", "sign-in-1"));
    let login_body = json!({ "email": "admin@greenharvest.demo", "password": "mandi-demo" });
    let (status, replayed, login) = post(&app, "/api/v1/auth/login", login_key, &login_body).await;
    assert_eq!((status, replayed), (200, None), "{login}");
    let refresh_key = Some(("Idempotency-Key", "refresh-1"));
    let refresh_body = json!({ "refreshToken": login["data"]["refreshToken"] });
    let (status, _, refreshed) = post(&app, "/api/v1/auth/refresh", refresh_key, &refresh_body).await;
    assert_eq!(status, 200, "{refreshed}");
    let register_key = Some(("Idempotency-Key", "sign-up-1"));
    let (status, _, registered) = post(&app, "/api/v1/auth/register", register_key, &signup("g@example.com")).await;
    assert_eq!(status, 201, "{registered}");

    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys WHERE status IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(keys, 3, "the keys are still claimed and completed");
    for answer in [&login, &refreshed, &registered] {
        for token in ["accessToken", "refreshToken"] {
            let secret = answer["data"][token].as_str().expect("a token in the answer");
            assert_eq!(rows_holding(&pool, secret).await, 0, "{token} stored in the idempotency table");
        }
    }

    // A retry with the same key runs nothing again and hands out no tokens: the first
    // answer is gone, and the error says so.
    for (path, key, body) in [
        ("/api/v1/auth/login", login_key, &login_body),
        ("/api/v1/auth/refresh", refresh_key, &refresh_body),
        ("/api/v1/auth/register", register_key, &signup("g@example.com")),
    ] {
        let (status, replayed, again) = post(&app, path, key, body).await;
        assert_eq!((status, replayed), (409, None), "{path}: {again}");
        assert_eq!(again["error"]["code"], "RESPONSE_NOT_REPLAYABLE", "{path}");
        assert_eq!(again["error"]["retryable"], false, "{path}");
        assert!(!again.to_string().contains("Token"), "{path}: {again}");
    }
    // The spent refresh token was not presented again (that would revoke the family):
    // the new one still works.
    let (status, _, _) =
        post(&app, "/api/v1/auth/refresh", None, &json!({ "refreshToken": refreshed["data"]["refreshToken"] })).await;
    assert_eq!(status, 200);
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'g@example.com'").fetch_one(&pool).await.unwrap();
    assert_eq!(users, 1);
    // The same key with another request is still refused as such.
    let (status, _, body) = post(&app, "/api/v1/auth/register", register_key, &signup("h@example.com")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("IDEMPOTENCY_KEY_REUSED")));
}

#[sqlx::test(migrations = false)]
async fn the_same_key_with_another_request_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let key = Some(("Idempotency-Key", "key-1"));
    post(&app, "/api/v1/auth/register", key, &signup("a@example.com")).await;
    let (status, _, body) = post(&app, "/api/v1/auth/register", key, &signup("b@example.com")).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    let created: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'b@example.com'").fetch_one(&pool).await.unwrap();
    assert_eq!(created, 0);
}

/// What the middleware stores to recognise a retry of the same POST.
fn request_hash(path: &str, body: &Value) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("POST\0{path}\0"));
    h.update(serde_json::to_vec(body).unwrap());
    h.finalize().to_vec()
}

/// The claim a request leaves when its process dies before it answers: no status, no
/// body, taken `age` ago.
async fn leave_claim(pool: &PgPool, key: &str, path: &str, body: &Value, age: &str) {
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, method, path, request_hash, created_at)
         VALUES ('anonymous:127.0.0.1', $1, 'POST', $2, $3, now() - $4::interval)",
    )
    .bind(key)
    .bind(path)
    .bind(request_hash(path, body))
    .bind(age)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = false)]
async fn abandoned_idempotency_claim_expires(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let path = "/api/v1/auth/otp/request";
    // Within the lease (60 s by default) the first request may still be running.
    leave_claim(&pool, "running", path, &code_request(), "30 seconds").await;
    let (status, _, body) = post(&app, path, Some(("Idempotency-Key", "running")), &code_request()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("REQUEST_IN_PROGRESS")), "{body}");
    assert_eq!(codes_sent(&pool).await, 0);

    // Past it, the claim was abandoned (its process died): a retry takes it over, runs,
    // and its answer is the one kept.
    leave_claim(&pool, "crashed", path, &code_request(), "5 minutes").await;
    let (status, replayed, first) = post(&app, path, Some(("Idempotency-Key", "crashed")), &code_request()).await;
    assert_eq!((status, replayed), (202, None), "{first}");
    assert_eq!(codes_sent(&pool).await, 1);
    let (status, replayed, again) = post(&app, path, Some(("Idempotency-Key", "crashed")), &code_request()).await;
    assert_eq!((status, replayed.as_deref()), (202, Some("true")));
    assert_eq!(first, again);
    assert_eq!(codes_sent(&pool).await, 1);

    // An abandoned claim is no licence to reuse the key for another request.
    leave_claim(&pool, "crashed-other", path, &json!({ "phone": "+919840010002" }), "5 minutes").await;
    let (status, _, body) = post(&app, path, Some(("Idempotency-Key", "crashed-other")), &code_request()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("IDEMPOTENCY_KEY_REUSED")), "{body}");
}

#[sqlx::test(migrations = false)]
async fn a_duplicate_while_the_first_runs_is_409(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let body = signup("c@example.com");
    // The first request has claimed the key and not finished: its row has no status yet.
    let hash = request_hash("/api/v1/auth/register", &body);
    sqlx::query("INSERT INTO idempotency_keys (scope, key, method, path, request_hash) VALUES ('anonymous:127.0.0.1', 'busy', 'POST', '/api/v1/auth/register', $1)")
        .bind(hash)
        .execute(&pool)
        .await
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("Idempotency-Key", "busy")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(response.headers()["retry-after"], "1");
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["error"]["code"], "REQUEST_IN_PROGRESS");
    assert_eq!(json["error"]["retryable"], true);
}

#[sqlx::test(migrations = false)]
async fn keys_are_per_caller_and_validated(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (status, _, body) =
        post(&app, "/api/v1/auth/register", Some(("Idempotency-Key", "has space")), &signup("d@example.com")).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["Idempotency-Key"].is_string());

    // Two signed-in callers may use the same key without seeing each other's responses.
    let mut sessions = Vec::new();
    for email in ["admin@greenharvest.demo", "ops@greenharvest.demo"] {
        let (_, login) =
            app.post_json("/api/v1/auth/login", &json!({ "email": email, "password": "mandi-demo" }), None).await;
        sessions.push(login["data"].clone());
    }
    for s in &sessions {
        let response = app
            .client
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(s["accessToken"].as_str().unwrap())
            .header("Idempotency-Key", "shared-key")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        assert!(response.headers().get("idempotent-replayed").is_none());
    }
    // GETs ignore the header.
    let response = app
        .client
        .get(app.url("/api/v1/products?limit=1"))
        .header("Idempotency-Key", "shared-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn expired_keys_are_purged(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    post(&app, "/api/v1/auth/register", Some(("Idempotency-Key", "old")), &signup("e@example.com")).await;
    post(&app, "/api/v1/auth/register", Some(("Idempotency-Key", "new")), &signup("f@example.com")).await;
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(server::http::idempotency::purge_expired(&mut pool.acquire().await.unwrap()).await.unwrap(), 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys").fetch_all(&pool).await.unwrap();
    assert_eq!(left, ["new"]);
}
