//! Idempotency keys on mutating requests, against the real server and database.

mod support;

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

#[sqlx::test(migrations = false)]
async fn a_retry_replays_the_first_response_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let key = Some(("Idempotency-Key", "8d1f6c0e-1d7a-4d4c-9a55-1f2e3d4c5b6a"));
    let (s1, r1, first) = post(&app, "/api/v1/auth/register", key, &signup("ravi@example.com")).await;
    assert_eq!((s1, r1), (201, None), "{first}");
    let (s2, r2, second) = post(&app, "/api/v1/auth/register", key, &signup("ravi@example.com")).await;
    assert_eq!((s2, r2.as_deref()), (201, Some("true")));
    assert_eq!(first, second, "the very same response, tokens included");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'ravi@example.com'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1);

    // The X- spelling names the same key.
    let (s3, r3, _) = post(
        &app,
        "/api/v1/auth/register",
        Some(("X-Idempotency-Key", "8d1f6c0e-1d7a-4d4c-9a55-1f2e3d4c5b6a")),
        &signup("ravi@example.com"),
    )
    .await;
    assert_eq!((s3, r3.as_deref()), (201, Some("true")));
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

#[sqlx::test(migrations = false)]
async fn a_duplicate_while_the_first_runs_is_409(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let body = signup("c@example.com");
    // The first request has claimed the key and not finished: its row has no status yet.
    let hash = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"POST\0/api/v1/auth/register\0");
        h.update(serde_json::to_vec(&body).unwrap());
        h.finalize().to_vec()
    };
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
