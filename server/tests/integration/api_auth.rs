//! `/api/v1/auth/*` and bearer authentication against the real server and database,
//! including the hostile cases: forged, tampered, replayed and revoked tokens, and
//! malformed bodies.

use crate::support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, audit_count};

const DEMO_PASSWORD: &str = "mandi-demo";

async fn login(app: &TestApp, email: &str) -> Value {
    let (status, body) =
        app.post_json("/api/v1/auth/login", &json!({ "email": email, "password": DEMO_PASSWORD }), None).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

#[sqlx::test(migrations = false)]
async fn demo_accounts_sign_in_and_read_themselves(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let session = login(&app, "customer@greenharvest.demo").await;
    assert_eq!(session["expiresIn"], 900);
    assert_eq!(session["user"]["tenant"], "greenharvest");
    assert_eq!(session["user"]["roles"], json!(["customer"]));
    let access = session["accessToken"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3);
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(access.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");

    // The JWKS publishes the key the token names.
    let (status, jwks) = app.get_json("/.well-known/jwks.json").await;
    assert_eq!(status, 200);
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["kty"], "RSA");

    let (status, me) = app.get_json_as("/api/v1/auth/me", access).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["data"]["email"], "customer@greenharvest.demo");
    assert_eq!(me["data"]["displayName"], "Ananya Iyer");
    assert_eq!(audit_count(&pool, "login.ok").await, 1);

    // Phone works too; other tenants' people land in their own tenant.
    let (status, body) =
        app.post_json("/api/v1/auth/login", &json!({ "phone": "94430 30002", "password": DEMO_PASSWORD }), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["tenant"], "malar");
    assert_eq!(body["data"]["user"]["roles"], json!(["staff"]));
}

#[sqlx::test(migrations = false)]
async fn wrong_passwords_and_unknown_accounts_look_the_same(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (s1, wrong) = app
        .post_json("/api/v1/auth/login", &json!({ "email": "admin@greenharvest.demo", "password": "guess-1234" }), None)
        .await;
    let (s2, unknown) = app
        .post_json("/api/v1/auth/login", &json!({ "email": "nobody@example.com", "password": "guess-1234" }), None)
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(wrong["error"]["code"], "UNAUTHENTICATED");
    assert_eq!(wrong["error"]["message"], unknown["error"]["message"]);
    assert_eq!(audit_count(&pool, "login.failed").await, 2);
    // Not a member of the tenant asked for.
    let (status, body) = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "admin@malar.demo", "password": DEMO_PASSWORD, "tenant": "greenharvest" }),
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["tenant"].is_string());
}

#[sqlx::test(migrations = false)]
async fn register_then_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let form = json!({ "email": "Meena@Example.com", "password": "a long secret", "displayName": "Meena" });
    let (status, body) = app.post_json("/api/v1/auth/register", &form, None).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["user"]["email"], "meena@example.com");
    assert_eq!(body["data"]["user"]["roles"], json!(["customer"]));
    assert_eq!(body["data"]["user"]["tenant"], "greenharvest");
    let (status, _) = app
        .post_json("/api/v1/auth/login", &json!({ "email": "meena@example.com", "password": "a long secret" }), None)
        .await;
    assert_eq!(status, 200);

    let (status, body) = app.post_json("/api/v1/auth/register", &form, None).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["email"].as_str().unwrap().contains("already exists"));

    for (bad, field) in [
        (json!({ "email": "not-an-email", "password": "a long secret", "displayName": "X" }), "email"),
        (json!({ "phone": "12345", "password": "a long secret", "displayName": "X" }), "phone"),
        (json!({ "email": "x@example.com", "password": "short", "displayName": "X" }), "password"),
        (json!({ "email": "x@example.com", "password": "a long secret" }), "displayName"),
        (json!({ "password": "a long secret", "displayName": "X" }), "email"),
    ] {
        let (status, body) = app.post_json("/api/v1/auth/register", &bad, None).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{bad}: {body}");
    }
}

#[sqlx::test(migrations = false)]
async fn malformed_bodies_are_validation_errors(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let url = app.url("/api/v1/auth/login");
    let cases: [(&str, &str); 4] = [
        ("application/json", "{\"email\": \"a@b.co\", "),
        ("application/json", "[1, 2, 3]"),
        ("application/json", "{\"email\": 5, \"password\": true}"),
        ("text/plain", "{\"email\": \"a@b.co\", \"password\": \"x\"}"),
    ];
    for (content_type, body) in cases {
        let response = app.client.post(&url).header("content-type", content_type).body(body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["error"]["code"], "VALIDATION_FAILED");
        assert!(json["error"]["fields"]["body"].is_string(), "{json}");
    }
    assert_eq!(audit_count(&pool, "login.failed").await, 0, "nothing was attempted");
}

#[sqlx::test(migrations = false)]
async fn refresh_rotates_and_reuse_revokes_the_family(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let first = login(&app, "ops@greenharvest.demo").await;
    let r1 = first["refreshToken"].as_str().unwrap();
    let (status, second) = app.post_json("/api/v1/auth/refresh", &json!({ "refreshToken": r1 }), None).await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["data"]["refreshToken"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(second["data"]["user"]["roles"], json!(["ops"]));

    // The spent token comes back: theft. The whole family dies, r2 included.
    let (status, body) = app.post_json("/api/v1/auth/refresh", &json!({ "refreshToken": r1 }), None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = app.post_json("/api/v1/auth/refresh", &json!({ "refreshToken": r2 }), None).await;
    assert_eq!(status, 401);
    assert_eq!(audit_count(&pool, "security.refresh_token_reuse").await, 1);

    // Another sign-in (another family) is unaffected.
    let other = login(&app, "ops@greenharvest.demo").await;
    let (status, _) =
        app.post_json("/api/v1/auth/refresh", &json!({ "refreshToken": other["refreshToken"] }), None).await;
    assert_eq!(status, 200);

    for bad in [json!({}), json!({ "refreshToken": "" }), json!({ "refreshToken": "made-up" })] {
        let (status, _) = app.post_json("/api/v1/auth/refresh", &bad, None).await;
        assert!(status == 400 || status == 401, "{bad}");
    }
    // Expired refresh tokens are refused.
    sqlx::query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
        .execute(&pool)
        .await
        .unwrap();
    let third = login(&app, "ops@greenharvest.demo").await;
    sqlx::query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'").execute(&pool).await.unwrap();
    let (status, _) =
        app.post_json("/api/v1/auth/refresh", &json!({ "refreshToken": third["refreshToken"] }), None).await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrations = false)]
async fn logout_revokes_the_access_and_refresh_tokens(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let session = login(&app, "admin@darjberry.demo").await;
    let access = session["accessToken"].as_str().unwrap();
    let (status, _) =
        app.post_json("/api/v1/auth/logout", &json!({ "refreshToken": session["refreshToken"] }), Some(access)).await;
    assert_eq!(status, 204);
    let (status, body) = app.get_json_as("/api/v1/auth/me", access).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) =
        app.post_json("/api/v1/auth/refresh", &json!({ "refreshToken": session["refreshToken"] }), None).await;
    assert_eq!(status, 401);
    // Logging out needs a valid token.
    let (status, _) = app.post_json("/api/v1/auth/logout", &json!({}), None).await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrations = false)]
async fn forged_and_malformed_bearer_tokens_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let session = login(&app, "customer@greenharvest.demo").await;
    let access = session["accessToken"].as_str().unwrap();
    let parts: Vec<&str> = access.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["roles"] = json!(["admin"]);
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let hs_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let candidates = [
        format!("{}.{}.{}", parts[0], forged_payload, parts[2]),
        format!("{none_header}.{}.", parts[1]),
        format!("{hs_header}.{}.{}", parts[1], parts[2]),
        format!("{}.{}", parts[0], parts[1]),
        "garbage".to_string(),
        String::new(),
    ];
    for token in candidates {
        let (status, body) = app.get_json_as("/api/v1/auth/me", &token).await;
        assert_eq!(status, 401, "{token}: {body}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    }
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Token abc"] {
        let response = app.client.get(app.url("/api/v1/auth/me")).header("authorization", header).send().await.unwrap();
        assert_eq!(response.status(), 401, "{header}");
    }
    let response = app.client.get(app.url("/api/v1/auth/me")).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[sqlx::test(migrations = false)]
async fn demo_accounts_are_refused_in_production(pool: PgPool) {
    // A development app loads the world and generates the key the production one reads.
    let dev = TestApp::spawn(pool.clone()).await;
    login(&dev, "admin@greenharvest.demo").await;
    let key = format!("{}/keys/jwt-private.pem", env!("CARGO_TARGET_TMPDIR"));
    let prod = TestApp::spawn_with(
        pool,
        &[
            &[("MANDI_ENV", "production"), ("MANDI_DEMO_AUTOLOAD", "false"), ("MANDI_JWT_PRIVATE_KEY_FILE", &key)][..],
            support::CLOUD_NOTIFY,
        ]
        .concat(),
    )
    .await;
    let (status, body) = prod
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "admin@greenharvest.demo", "password": DEMO_PASSWORD }),
            None,
        )
        .await;
    assert_eq!(status, 401, "{body}");
}

/// Every door, not only the e-mail one: a demo account's phone with its password, and a
/// one-time code to its phone (none is sent; one sent before the switch opens nothing).
#[sqlx::test(migrations = false)]
async fn demo_accounts_are_refused_in_production_by_phone_and_by_code_too(pool: PgPool) {
    const PHONE: &str = "+919840010001"; // customer@greenharvest.demo
    let dev = TestApp::spawn(pool.clone()).await;
    let (status, _) = dev.post_json("/api/v1/auth/otp/request", &json!({ "phone": PHONE }), None).await;
    assert_eq!(status, 202);
    let code_before = crate::api_otp::code_sent_to(&pool, PHONE).await.expect("a code in development");
    // The same phone and password do sign in in development.
    let by_phone = json!({ "phone": PHONE, "password": DEMO_PASSWORD });
    assert_eq!(dev.post_json("/api/v1/auth/login", &by_phone, None).await.0, 200);
    let key = format!("{}/keys/jwt-private.pem", env!("CARGO_TARGET_TMPDIR"));
    let prod = TestApp::spawn_with(
        pool.clone(),
        &[
            &[("MANDI_ENV", "production"), ("MANDI_DEMO_AUTOLOAD", "false"), ("MANDI_JWT_PRIVATE_KEY_FILE", &key)][..],
            support::CLOUD_NOTIFY,
        ]
        .concat(),
    )
    .await;
    let (status, body) = prod.post_json("/api/v1/auth/login", &by_phone, None).await;
    assert_eq!(status, 401, "{body}");
    let verify = |code: String| {
        let prod = &prod;
        async move { prod.post_json("/api/v1/auth/otp/verify", &json!({ "phone": PHONE, "code": code }), None).await.0 }
    };
    assert_eq!(verify(code_before).await, 401, "a code sent before production");
    sqlx::query("UPDATE one_time_codes SET created_at = created_at - interval '2 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let codes_sent = async || {
        let mut tx = support::operator(&pool).await;
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM notification_outbox WHERE recipient = $1 AND template = 'sign_in_code'",
        )
        .bind(PHONE)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
    };
    let before = codes_sent().await;
    let (status, _) = prod.post_json("/api/v1/auth/otp/request", &json!({ "phone": PHONE }), None).await;
    assert_eq!(status, 202, "answered as for any phone, giving nothing away");
    assert_eq!(codes_sent().await, before, "no code goes to a demo account in production");
    assert_eq!(verify("123456".into()).await, 401);
}

#[sqlx::test(migrations = false)]
async fn expired_tokens_are_purged_but_live_ones_kept(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let old = login(&app, "staff@greenharvest.demo").await;
    let live = login(&app, "staff@greenharvest.demo").await;
    let (status, _) = app
        .post_json("/api/v1/auth/logout", &json!({ "refreshToken": old["refreshToken"] }), old["accessToken"].as_str())
        .await;
    assert_eq!(status, 204);
    // Age the first session past every expiry.
    sqlx::query("UPDATE revoked_access_tokens SET expires_at = now() - interval '1 minute'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE revoked_at IS NOT NULL")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(app::account::service::purge_expired_tokens(&mut pool.acquire().await.unwrap()).await.unwrap(), 2);
    let (status, _) =
        app.post_json("/api/v1/auth/refresh", &json!({ "refreshToken": live["refreshToken"] }), None).await;
    assert_eq!(status, 200, "the live session survives the purge");
}
