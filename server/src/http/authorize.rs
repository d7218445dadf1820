//! Deny-by-default authorization at the door: every REST route and server function
//! has a declared rule (REST: where it is routed, `rest::v1::Routes`; server
//! functions: `app::server_fn_rules`), consulted here for every call before its handler runs.
//! A matched route with no rule is refused, so a new endpoint cannot ship open.

use app::access::enforce;
use app::account::session::Session;
use app::field::sensor_keys_service::SensorKey;

/// The one route a sensor key may call.
pub const SENSOR_ROUTE: &str = "POST /api/v1/farms/{id}/readings";
use app::domain::permissions::Access;
use app::envelope::error_for_path;
use app::server_fn_rules::server_fn_rule;
use app::state::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// One REST route's rule; `path` is the route pattern as matched (`/api/v1/products/{id}`).
#[derive(Debug, Clone)]
pub struct Rule {
    pub method: Method,
    pub path: String,
    pub access: Access,
}

#[derive(Default)]
pub struct AccessTable {
    rest: HashMap<(Method, String), Access>,
}

impl AccessTable {
    pub fn new(rules: &[Rule]) -> Arc<AccessTable> {
        let mut rest = HashMap::new();
        for r in rules {
            let previous = rest.insert((r.method.clone(), r.path.clone()), r.access);
            assert!(previous.is_none(), "two rules for {} {}", r.method, r.path);
        }
        Arc::new(AccessTable { rest })
    }

    fn has_path(&self, path: &str) -> bool {
        self.rest.keys().any(|(_, p)| p == path)
    }
}

#[derive(Clone)]
pub struct AuthorizeState {
    pub app: AppState,
    pub table: Arc<AccessTable>,
}

pub async fn authorize(
    State(AuthorizeState { app, table }): State<AuthorizeState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let (rule, route) = if path.starts_with("/_fn/") {
        (server_fn_rule(path), path.to_string())
    } else if path.starts_with("/api/") {
        // Unrouted paths fall through to the API's 404.
        let Some(matched) = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()) else {
            return next.run(request).await;
        };
        let rule = table.rest.get(&(request.method().clone(), matched.clone())).copied();
        let rule = match rule {
            // HEAD is answered by the GET handler.
            None if request.method() == Method::HEAD => table.rest.get(&(Method::GET, matched.clone())).copied(),
            other => other,
        };
        if rule.is_none() && table.has_path(&matched) {
            // A method the route does not have: its handler answers 405.
            return next.run(request).await;
        }
        (rule, format!("{} {matched}", request.method()))
    } else {
        return next.run(request).await;
    };
    let ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let session = request.extensions().get::<Session>();
    // A sensor key opens one door: its farm's readings (the handler checks the farm).
    if session.is_none() && request.extensions().get::<SensorKey>().is_some() && route == SENSOR_ROUTE {
        return next.run(request).await;
    }
    match enforce(&app.pool, session, rule, &route, ip.as_deref()).await {
        Ok(()) => next.run(request).await,
        Err(e) => error_for_path(request.uri().path(), e),
    }
}
