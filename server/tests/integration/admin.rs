//! `/api/v1/admin/*`: people and roles, and the audit log, for the tenant the admin
//! acts in; with the hostile cases (other tenants' people, unknown roles, locking
//! oneself out, malformed filters) and the 401/403 split.

use crate::support;

use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, audit_count, operator};

async fn token(app: &TestApp, email: &str) -> String {
    let (status, body) =
        app.post_json("/api/v1/auth/login", &json!({ "email": email, "password": "mandi-demo" }), None).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["accessToken"].as_str().unwrap().to_string()
}

async fn put_json(app: &TestApp, path: &str, body: &Value, bearer: &str) -> (u16, Value) {
    let response = app.client.put(app.url(path)).bearer_auth(bearer).json(body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn user_id(pool: &PgPool, email: &str) -> String {
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(pool).await.unwrap();
    id.to_string()
}

#[sqlx::test(migrations = false)]
async fn admins_list_and_change_roles_in_their_tenant_only(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = token(&app, "admin@greenharvest.demo").await;
    let (status, list) = app.get_json_as("/api/v1/admin/users?limit=100", &admin).await;
    assert_eq!(status, 200, "{list}");
    let emails: Vec<&str> = list["data"].as_array().unwrap().iter().filter_map(|m| m["email"].as_str()).collect();
    assert!(emails.contains(&"ops@greenharvest.demo"));
    assert!(!emails.iter().any(|e| e.ends_with("@malar.demo")), "only this tenant's people: {emails:?}");
    assert_eq!(list["pagination"]["total"].as_u64().unwrap() as usize, emails.len());
    let (_, found) = app.get_json_as("/api/v1/admin/users?q=kavya", &admin).await;
    assert_eq!(found["data"][0]["email"], "ops@greenharvest.demo");
    let (_, none) = app.get_json_as("/api/v1/admin/users?q=%25", &admin).await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0, "% is searched for, not a wildcard");

    let ops = user_id(&pool, "ops@greenharvest.demo").await;
    let (status, changed) =
        put_json(&app, &format!("/api/v1/admin/users/{ops}/roles"), &json!({ "roles": ["staff", "ops"] }), &admin)
            .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["data"]["roles"], json!(["ops", "staff"]));
    let mut tx = operator(&pool).await;
    let (before, after): (Value, Value) =
        sqlx::query_as("SELECT before, after FROM audit_log WHERE action = 'role.changed'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!((before, after), (json!({ "roles": ["ops"] }), json!({ "roles": ["ops", "staff"] })));
    drop(tx);

    // The new role shows up in the person's next session.
    let ops_token = token(&app, "ops@greenharvest.demo").await;
    let (_, me) = app.get_json_as("/api/v1/auth/me", &ops_token).await;
    assert_eq!(me["data"]["roles"], json!(["ops", "staff"]));

    // Someone in another tenant is not there to be changed.
    let malar_staff = user_id(&pool, "staff@malar.demo").await;
    let (status, _) =
        put_json(&app, &format!("/api/v1/admin/users/{malar_staff}/roles"), &json!({ "roles": ["admin"] }), &admin)
            .await;
    assert_eq!(status, 404);
    let me = user_id(&pool, "admin@greenharvest.demo").await;
    let (status, body) =
        put_json(&app, &format!("/api/v1/admin/users/{me}/roles"), &json!({ "roles": ["customer"] }), &admin).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CONFLICT")), "no locking oneself out");
    for bad in [json!({ "roles": ["root"] }), json!({ "roles": [] }), json!({}), json!({ "roles": "admin" })] {
        let (status, body) = put_json(&app, &format!("/api/v1/admin/users/{ops}/roles"), &bad, &admin).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, _) =
        put_json(&app, "/api/v1/admin/users/not-a-uuid/roles", &json!({ "roles": ["staff"] }), &admin).await;
    assert_eq!(status, 400);
    assert_eq!(audit_count(&pool, "role.changed").await, 1, "refused changes changed nothing");
}

#[sqlx::test(migrations = false)]
async fn the_audit_log_filters_and_pages(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = token(&app, "admin@greenharvest.demo").await;
    for _ in 0..3 {
        token(&app, "ops@greenharvest.demo").await;
    }
    token(&app, "admin@malar.demo").await;
    let (status, page) = app.get_json_as("/api/v1/admin/audit?action=login.&limit=2", &admin).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["pagination"]["hasMore"], true);
    let cursor = page["pagination"]["nextCursor"].as_str().unwrap();
    let (_, next) =
        app.get_json_as(&format!("/api/v1/admin/audit?action=login.&limit=2&cursor={cursor}"), &admin).await;
    let ids = |p: &Value| p["data"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert!(ids(&next).iter().all(|id| *id < ids(&page)[1]), "older entries next");
    let (_, ops_only) = app.get_json_as("/api/v1/admin/audit?actor=ops@greenharvest.demo", &admin).await;
    assert_eq!(ops_only["data"].as_array().unwrap().len(), 3);
    let (_, all) = app.get_json_as("/api/v1/admin/audit?limit=200", &admin).await;
    let actors: Vec<&str> = all["data"].as_array().unwrap().iter().filter_map(|r| r["actor"].as_str()).collect();
    assert!(!actors.iter().any(|a| a.ends_with("@malar.demo")), "another tenant's log stays there: {actors:?}");
    let today = chrono::Utc::now().date_naive();
    let (status, _) = app.get_json_as(&format!("/api/v1/admin/audit?from={today}&to={today}"), &admin).await;
    assert_eq!(status, 200);
    for bad in ["from=yesterday", "cursor=abc", "limit=0", "action=DROP%20TABLE", "from=2026-11-02&to=2026-11-01"] {
        let (status, body) = app.get_json_as(&format!("/api/v1/admin/audit?{bad}"), &admin).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("VALIDATION_FAILED")), "{bad}: {body}");
    }
}

#[sqlx::test(migrations = false)]
async fn other_roles_are_refused_and_the_refusal_is_audited(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let customer = token(&app, "customer@greenharvest.demo").await;
    let (status, body) = app.get_json_as("/api/v1/admin/users", &customer).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("FORBIDDEN")));
    let (status, _) = app.get_json("/api/v1/admin/users").await;
    assert_eq!(status, 401);
    let ops = token(&app, "ops@greenharvest.demo").await;
    assert_eq!(app.get_json_as("/api/v1/admin/audit", &ops).await.0, 200, "operations read the audit log");
    assert_eq!(app.get_json_as("/api/v1/admin/users", &ops).await.0, 403, "but do not manage people");
    assert_eq!(audit_count(&pool, "security.permission_denied").await, 2);

    // The pages say the same.
    let page = app.get_html_with_cookies("/admin/users", "").await;
    assert_eq!(page.status(), 302);
    let signed_in = app
        .client
        .post(app.url("/_fn/account/sign_in"))
        .form(&[("login", "customer@greenharvest.demo"), ("password", "mandi-demo")])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let jar = support::set_cookie(&signed_in, "mandi_session")
        .map(|c| format!("mandi_session={}", support::cookie_value(&c)))
        .unwrap();
    let page = app.get_html_with_cookies("/admin/users", &jar).await;
    assert_eq!(page.status(), 403);
}
