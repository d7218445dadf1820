//! The browser's session: server functions that sign in and out set HttpOnly cookies;
//! pages and server functions see the person; a lapsed access cookie is renewed
//! silently from the refresh cookie; tampered cookies make a visitor anonymous.

use crate::support;

use sqlx::PgPool;
use support::{TestApp, audit_count, cookie_value, set_cookie};

const PASSWORD: &str = "mandi-demo";

/// Signs in through the web form's server function; returns the `Cookie` header to send.
async fn sign_in(app: &TestApp, login: &str) -> (String, String) {
    let response = app.call_fn("/_fn/account/sign_in", &[("login", login), ("password", PASSWORD)], None).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let access = set_cookie(&response, "mandi_session").expect("access cookie");
    let refresh = set_cookie(&response, "mandi_refresh").expect("refresh cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(access.contains(attribute) && refresh.contains(attribute), "{access} / {refresh}");
    }
    assert!(!access.contains("Secure"), "plain HTTP in tests");
    (cookie_value(&access), cookie_value(&refresh))
}

fn cookies(access: Option<&str>, refresh: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(a) = access {
        parts.push(format!("mandi_session={a}"));
    }
    if let Some(r) = refresh {
        parts.push(format!("mandi_refresh={r}"));
    }
    parts.join("; ")
}

#[sqlx::test(migrations = false)]
async fn sign_in_shows_the_account_and_sign_out_ends_it(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (access, refresh) = sign_in(&app, "customer@greenharvest.demo").await;
    let jar = cookies(Some(&access), Some(&refresh));
    let page = app.get_html_with_cookies("/account", &jar).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Ananya Iyer") && html.contains("greenharvest"), "account page shows the person");
    assert!(html.contains("data-testid=\"account-link\""), "header knows who is signed in");

    let out = app.call_fn("/_fn/account/sign_out", &[], Some(&jar)).await;
    assert_eq!(out.status(), 200);
    assert!(set_cookie(&out, "mandi_session").unwrap().contains("Max-Age=0"));
    // The old cookies are dead: the access token is revoked and so is the refresh family.
    let after = app.get_html_with_cookies("/account", &jar).await;
    assert_eq!(after.status(), 302, "signed-out visitors are sent to sign in");
    assert!(after.headers()["location"].to_str().unwrap().starts_with("/login"));
    assert_eq!(audit_count(&pool, "logout").await, 1);
}

#[sqlx::test(migrations = false)]
async fn anonymous_visitors_are_sent_to_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let page = app.get_html_with_cookies("/account", "").await;
    assert_eq!(page.status(), 302);
    assert_eq!(page.headers()["location"], "/login?next=/account");
    let (status, html) = app.get_html("/login").await;
    assert_eq!(status, 200);
    assert!(html.contains("sign-in-form") && html.contains("Send me a code"));
    let (status, html) = app.get_html("/signup").await;
    assert_eq!(status, 200);
    assert!(html.contains("sign-up-form"));
}

#[sqlx::test(migrations = false)]
async fn a_lapsed_access_cookie_is_renewed_silently(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, refresh) = sign_in(&app, "customer@greenharvest.demo").await;
    // Only the refresh cookie is left, as after 15 minutes.
    let response = app.call_fn("/_fn/account/me", &[], Some(&cookies(None, Some(&refresh)))).await;
    assert_eq!(response.status(), 200);
    let new_access = set_cookie(&response, "mandi_session").expect("a new access cookie");
    let new_refresh = set_cookie(&response, "mandi_refresh").expect("a rotated refresh cookie");
    assert_ne!(cookie_value(&new_refresh), refresh);
    let me: serde_json::Value = response.json().await.unwrap();
    assert_eq!(me["email"], "customer@greenharvest.demo");

    // A second request racing with the same (now spent) cookie within the grace
    // window gets an access token, not a theft alarm.
    let racing = app.call_fn("/_fn/account/me", &[], Some(&cookies(None, Some(&refresh)))).await;
    assert_eq!(racing.status(), 200);
    assert!(set_cookie(&racing, "mandi_session").is_some());
    assert!(set_cookie(&racing, "mandi_refresh").is_none());
    assert_eq!(audit_count(&pool, "security.refresh_token_reuse").await, 0);

    // Outside the window, the spent cookie is a stolen one: the family is revoked.
    sqlx::query("UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE used_at IS NOT NULL")
        .execute(&pool)
        .await
        .unwrap();
    let replay = app.call_fn("/_fn/account/me", &[], Some(&cookies(None, Some(&refresh)))).await;
    assert!(set_cookie(&replay, "mandi_refresh").unwrap().contains("Max-Age=0"), "cookies cleared");
    assert_eq!(replay.json::<serde_json::Value>().await.unwrap(), serde_json::Value::Null);
    assert_eq!(audit_count(&pool, "security.refresh_token_reuse").await, 1);
    // The thief's and the owner's newer tokens of that session die with it.
    let rotated = cookie_value(&new_refresh);
    let after =
        app.call_fn("/_fn/account/me", &[], Some(&cookies(Some(&cookie_value(&new_access)), Some(&rotated)))).await;
    assert!(set_cookie(&after, "mandi_refresh").unwrap().contains("Max-Age=0"), "the whole family is revoked");
    assert_eq!(after.json::<serde_json::Value>().await.unwrap(), serde_json::Value::Null);
}

/// The site's files need no one's identity: a chunk fetched with a lapsed access
/// cookie does not spend the refresh token (a page with lazy islands fetches a hundred
/// of them at once), and the next page still renews the session.
#[sqlx::test(migrations = false)]
async fn site_files_leave_the_session_alone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (_, refresh) = sign_in(&app, "customer@greenharvest.demo").await;
    let jar = cookies(None, Some(&refresh));
    for path in ["/pkg/chunk_0.wasm", "/fonts/noto-sans-tamil-tamil-400-normal.woff2", "/ledger/store.js"] {
        let response = app.client.get(app.url(path)).header(reqwest::header::COOKIE, &jar).send().await.unwrap();
        assert!(response.headers().get(reqwest::header::SET_COOKIE).is_none(), "{path} touched the session");
    }
    let spent: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(spent, 0, "no refresh token was spent on a file");
    let page = app.call_fn("/_fn/account/me", &[], Some(&jar)).await;
    assert_ne!(cookie_value(&set_cookie(&page, "mandi_refresh").expect("renewed on the next page")), refresh);
}

#[sqlx::test(migrations = false)]
async fn tampered_cookies_make_a_visitor_anonymous(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (access, _) = sign_in(&app, "admin@greenharvest.demo").await;
    let mut forged = access.clone();
    forged.insert(forged.len() / 2, 'x');
    for jar in [
        cookies(Some(&forged), None),
        cookies(Some("not-a-jwt"), Some("junk")),
        "mandi_session=%%%; mandi_refresh=".to_string(),
    ] {
        let response = app.call_fn("/_fn/account/sign_out", &[], Some(&jar)).await;
        assert_eq!(response.status(), 401, "{jar}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["kind"], "unauthenticated", "the server functions' typed error: {body}");
        let page = app.get_html_with_cookies("/admin/users", &jar).await;
        assert_eq!(page.status(), 302, "{jar}");
    }
}

#[sqlx::test(migrations = false)]
async fn sign_in_errors_are_field_level(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.call_fn("/_fn/account/sign_in", &[("login", "not an email"), ("password", "")], None).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["fields"]["login"].is_string() && body["fields"]["password"].is_string(), "{body}");
    let response = app
        .call_fn(
            "/_fn/account/sign_in",
            &[("login", "customer@greenharvest.demo"), ("password", "wrong password")],
            None,
        )
        .await;
    assert_eq!(response.status(), 401);
    assert!(set_cookie(&response, "mandi_session").is_none());
    let response = app
        .call_fn(
            "/_fn/account/sign_up",
            &[("display_name", ""), ("email", "x@"), ("phone", ""), ("password", "short")],
            None,
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    for field in ["displayName", "email", "password"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
}

#[sqlx::test(migrations = false)]
async fn sign_up_through_the_store_makes_a_customer(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let form = [
        ("display_name", "Meena"),
        ("email", "meena@example.com"),
        ("phone", "9840099999"),
        ("password", "a long secret"),
    ];
    let response = app.call_fn("/_fn/account/sign_up", &form, None).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let access = cookie_value(&set_cookie(&response, "mandi_session").unwrap());
    let me = app.call_fn("/_fn/account/me", &[], Some(&cookies(Some(&access), None))).await;
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!((me["tenant"].as_str(), me["roles"][0].as_str()), (Some("greenharvest"), Some("customer")));
    let again = app.call_fn("/_fn/account/sign_up", &form, None).await;
    assert_eq!(again.status(), 400);
    let body: serde_json::Value = again.json().await.unwrap();
    assert!(body["fields"]["email"].as_str().unwrap().contains("already exists"), "{body}");
}

#[sqlx::test(migrations = false)]
async fn switching_tenants_and_signing_out_everywhere(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // The greenharvest admin also works the Malar market's ledger.
    let mut tx = support::operator(&pool).await;
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role)
         SELECT t.id, u.id, 'staff' FROM tenants t, users u WHERE t.slug = 'malar' AND u.email = 'admin@greenharvest.demo'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (access, refresh) = sign_in(&app, "admin@greenharvest.demo").await;
    let jar = cookies(Some(&access), Some(&refresh));
    let html = app.get_html_with_cookies("/account", &jar).await.text().await.unwrap();
    assert!(html.contains("switch-malar"), "offers the other tenant");

    let switched = app.call_fn("/_fn/account/switch_tenant", &[("tenant", "malar")], Some(&jar)).await;
    assert_eq!(switched.status(), 200);
    let malar_access = cookie_value(&set_cookie(&switched, "mandi_session").unwrap());
    let me: serde_json::Value =
        app.call_fn("/_fn/account/me", &[], Some(&cookies(Some(&malar_access), None))).await.json().await.unwrap();
    assert_eq!((me["tenant"].as_str(), me["roles"].clone()), (Some("malar"), serde_json::json!(["staff"])));
    let denied = app
        .call_fn("/_fn/account/switch_tenant", &[("tenant", "darjberry")], Some(&cookies(Some(&malar_access), None)))
        .await;
    assert_eq!(denied.status(), 400, "not a member there");
    assert_eq!(audit_count(&pool, "session.tenant_switched").await, 1);

    // A second device signed in over the API.
    let (_, api) = app
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({ "email": "admin@greenharvest.demo", "password": PASSWORD }),
            None,
        )
        .await;
    let api_access = api["data"]["accessToken"].as_str().unwrap().to_string();
    let api_refresh = api["data"]["refreshToken"].as_str().unwrap().to_string();
    assert_eq!(app.get_json_as("/api/v1/auth/me", &api_access).await.0, 200);

    let everywhere =
        app.call_fn("/_fn/account/sign_out_everywhere", &[], Some(&cookies(Some(&malar_access), None))).await;
    assert_eq!(everywhere.status(), 200);
    assert_eq!(
        app.get_json_as("/api/v1/auth/me", &api_access).await.0,
        401,
        "the other device's access token is refused"
    );
    let (status, _) =
        app.post_json("/api/v1/auth/refresh", &serde_json::json!({ "refreshToken": api_refresh }), None).await;
    assert_eq!(status, 401, "and its refresh token");
    // Signing in again works.
    let (access, _) = sign_in(&app, "admin@greenharvest.demo").await;
    let me: serde_json::Value =
        app.call_fn("/_fn/account/me", &[], Some(&cookies(Some(&access), None))).await.json().await.unwrap();
    assert_eq!(me["email"], "admin@greenharvest.demo");
}
