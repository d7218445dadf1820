//! Walks every protected REST route and server function with every role (and with
//! no one signed in) and checks the answer against the permission table: 401 for the
//! anonymous, 403 for a role the table does not grant, neither for one it does. Every
//! registered server function must have a rule, and every REST route has one by
//! construction (`rest::v1::Routes`), so a new endpoint cannot ship without a rule.

use crate::support;

use app::domain::permissions::{Access, Decision, Role, decide};
use sqlx::PgPool;
use support::{TestApp, now_secs, person_with_roles, signing_keys};

struct Target {
    method: String,
    path: String,
    access: Access,
    server_fn: bool,
}

fn targets() -> Vec<Target> {
    let (_, rules) = server::rest::v1::build();
    let mut out: Vec<Target> = rules
        .into_iter()
        .map(|r| Target { method: r.method.to_string(), path: r.path, access: r.access, server_fn: false })
        .collect();
    out.extend(app::server_fn_rules::server_fn_rules().map(|(path, access)| Target {
        method: "POST".into(),
        path: path.to_string(),
        access,
        server_fn: true,
    }));
    out
}

#[test]
fn every_registered_server_function_has_a_rule() {
    // Server functions register themselves when the app is linked in.
    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()).collect();
    assert!(registered.len() >= 10, "server functions are registered: {registered:?}");
    let missing: Vec<&String> =
        registered.iter().filter(|p| app::server_fn_rules::server_fn_rule(p).is_none()).collect();
    assert!(missing.is_empty(), "server functions without an access rule: {missing:?}");
    let stale: Vec<&str> = app::server_fn_rules::server_fn_rules()
        .map(|(p, _)| p)
        .filter(|p| !registered.iter().any(|r| r == p))
        .collect();
    assert!(stale.is_empty(), "rules for server functions that do not exist: {stale:?}");
}

async fn call(app: &TestApp, t: &Target, token: Option<&str>, user: uuid::Uuid) -> u16 {
    let path = t.path.replace("{id}", &user.to_string());
    let mut request = app.client.request(t.method.parse().unwrap(), app.url(&path));
    if t.server_fn {
        request = request.header("content-type", "application/x-www-form-urlencoded").body("");
        if let Some(token) = token {
            request = request.header("cookie", format!("mandi_session={token}"));
        }
    } else {
        if t.method != "GET" {
            request = request.json(&serde_json::json!({}));
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
    }
    request.send().await.expect("request sent").status().as_u16()
}

#[sqlx::test(migrations = false)]
async fn every_role_on_every_protected_endpoint(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let keys = signing_keys();
    let mut checked = 0;
    let mut failures = Vec::new();
    for t in targets().iter().filter(|t| t.access != Access::Public) {
        let nobody = uuid::Uuid::now_v7();
        let status = call(&app, t, None, nobody).await;
        if status != 401 {
            failures.push(format!("{} {} anonymous: {status}, expected 401", t.method, t.path));
        }
        for role in Role::ALL {
            // A fresh person per call: some calls end sessions (sign out everywhere).
            let user = person_with_roles(&pool, "greenharvest", &[role.as_str()]).await;
            let (token, _) = keys
                .issue(user, uuid::Uuid::now_v7(), "greenharvest", vec![role.as_str().to_string()], now_secs())
                .unwrap();
            let status = call(&app, t, Some(&token), user).await;
            let expected = decide(t.access, Some(&[role.as_str().to_string()]));
            let ok = match expected {
                Decision::Forbidden => status == 403,
                Decision::Allow => status != 401 && status != 403 && status < 500,
                Decision::Unauthenticated => unreachable!("signed in"),
            };
            if !ok {
                failures.push(format!("{} {} as {role}: {status}, expected {expected:?}", t.method, t.path));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 6 * 8, "walked {checked} role × endpoint pairs");
    assert!(support::audit_count(&pool, "security.permission_denied").await > 0);
}
