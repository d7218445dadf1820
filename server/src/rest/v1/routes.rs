//! Routing with the access rule stated on the same line as the route, so the rule
//! table (`http::authorize`) and the router can never disagree about what exists.

use crate::http::authorize::Rule;
use app::domain::permissions::Access;
use app::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{delete, get, head, options, patch, post, put};

#[derive(Default)]
pub struct Routes {
    pub router: Router<AppState>,
    pub rules: Vec<Rule>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    fn add(
        mut self,
        method: Method,
        path: &str,
        access: Access,
        route: axum::routing::MethodRouter<AppState>,
    ) -> Routes {
        self.router = self.router.route(path, route);
        self.rules.push(Rule { method, path: path.to_string(), access });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Routes {
        self.add(Method::GET, path, access, get(handler))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Routes {
        self.add(Method::POST, path, access, post(handler))
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Routes {
        self.add(Method::PUT, path, access, put(handler))
    }

    pub fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Routes {
        self.add(Method::PATCH, path, access, patch(handler))
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Routes {
        self.add(Method::DELETE, path, access, delete(handler))
    }

    pub fn head<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Routes {
        self.add(Method::HEAD, path, access, head(handler))
    }

    pub fn options<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Routes {
        self.add(Method::OPTIONS, path, access, options(handler))
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.rules.extend(other.rules);
        self
    }

    /// The router (to be mounted under `prefix`) and its rules with full paths.
    pub fn for_prefix(self, prefix: &str) -> (Router<AppState>, Vec<Rule>) {
        let rules = self.rules.into_iter().map(|r| Rule { path: format!("{prefix}{}", r.path), ..r }).collect();
        (self.router, rules)
    }
}
