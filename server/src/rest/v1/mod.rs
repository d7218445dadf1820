//! `/api/v1`: one module per resource, each exposing `router()`, merged over the one
//! shared state. Everything here answers in the envelope of CONVENTIONS.md, failures
//! included (unknown routes and wrong methods here; oversized bodies in
//! `http::body_limit`).

pub mod addresses;
pub mod admin;
pub mod alerts;
pub mod auth;
pub mod batches;
pub mod cart;
pub mod catalog;
pub mod categories;
pub mod checkout;
pub mod distributions;
pub mod events;
pub mod extract;
pub mod farm_admin;
pub mod farms;
pub mod field;
pub mod files;
pub mod ledger;
pub mod ledger_admin;
pub mod ledger_reports;
pub mod ledger_settlements;
pub mod my_farms;
pub mod notifications;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod products;
pub mod readings;
pub mod resources;
pub mod responses;
pub mod routes;
pub mod stock;
pub mod store_settings;
pub mod trace;
pub mod webhooks;

use app::error::AppError;
use app::state::AppState;
use axum::Router;

/// Every `/api/v1` route under `/api/v1`, and the access rule of each.
pub fn build() -> (Router<AppState>, Vec<crate::http::authorize::Rule>) {
    let (router, rules) = resources::routes().merge(openapi::routes()).for_prefix("/api/v1");
    let router = router.fallback(|| async { AppError::not_found("API route") }).method_not_allowed_fallback(|| async {
        AppError::validation("method", "this route does not accept that HTTP method")
    });
    (Router::new().nest("/api/v1", router), rules)
}
