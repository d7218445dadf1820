//! Rate limits per route group: sign-in per IP, everything else per signed-in person.

use crate::support;

use serde_json::json;
use sqlx::PgPool;
use support::TestApp;

#[sqlx::test(migrations = false)]
async fn sign_in_attempts_are_limited_per_ip(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), &[("MANDI_RATE_LIMIT_SIGN_IN_PER_MINUTE", "5")]).await;
    let guess = json!({ "email": "admin@greenharvest.demo", "password": "wrong-guess" });
    for _ in 0..5 {
        let (status, _) = app.post_json("/api/v1/auth/login", &guess, None).await;
        assert_eq!(status, 401);
    }
    let response = app.client.post(app.url("/api/v1/auth/login")).json(&guess).send().await.unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(body["error"]["retryable"], true);
    assert_eq!(body["error"]["retryAfter"], retry_after);
    // The refused attempt never reached the password check.
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'login.failed'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(failed, 5);
    // Sign-up shares the bucket; browsing the catalogue does not.
    let (status, _) = app.post_json("/api/v1/auth/register", &json!({}), None).await;
    assert_eq!(status, 429);
    assert_eq!(app.get("/api/v1/products?limit=1").await.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn signed_in_requests_are_limited_per_person(pool: PgPool) {
    let app = TestApp::spawn_with(pool, &[("MANDI_RATE_LIMIT_USER_PER_MINUTE", "3")]).await;
    let mut tokens = Vec::new();
    for email in ["staff@malar.demo", "farmer@malar.demo"] {
        let (_, body) =
            app.post_json("/api/v1/auth/login", &json!({ "email": email, "password": "mandi-demo" }), None).await;
        tokens.push(body["data"]["accessToken"].as_str().unwrap().to_string());
    }
    for _ in 0..3 {
        assert_eq!(app.get_json_as("/api/v1/auth/me", &tokens[0]).await.0, 200);
    }
    let (status, body) = app.get_json_as("/api/v1/auth/me", &tokens[0]).await;
    assert_eq!(status, 429, "{body}");
    // The site's files are not counted: a tablet's service worker fetches every WASM
    // chunk to work offline.
    for file in
        ["/pkg/mandi.wasm", "/pkg/chunk_1.wasm", "/fonts/noto-sans-tamil-tamil-400-normal.woff2", "/ledger/store.js"]
    {
        let status = app.client.get(app.url(file)).bearer_auth(&tokens[0]).send().await.unwrap().status();
        assert_ne!(status, 429, "{file}");
    }
    // Another person is unaffected.
    assert_eq!(app.get_json_as("/api/v1/auth/me", &tokens[1]).await.0, 200);
}
