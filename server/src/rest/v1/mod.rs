//! `/api/v1`: one module per resource, each exposing `router()`, merged over the one
//! shared state. Everything here answers in the envelope of CONVENTIONS.md, failures
//! included (unknown routes and wrong methods here; oversized bodies in
//! `http::body_limit`).

pub mod categories;
pub mod products;

use app::error::AppError;
use app::state::AppState;
use axum::Router;
use serde::de::DeserializeOwned;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(products::router())
        .merge(categories::router())
        .fallback(|| async { AppError::not_found("API route") })
        .method_not_allowed_fallback(|| async {
            AppError::validation("method", "this route does not accept that HTTP method")
        })
}

/// Decodes a query string into `T`, reporting a malformed one as a validation error.
pub fn parse_query<T: DeserializeOwned + Default>(raw: Option<&str>) -> Result<T, AppError> {
    match raw {
        None | Some("") => Ok(T::default()),
        Some(raw) => serde_urlencoded::from_str(raw)
            .map_err(|e| AppError::validation("query", format!("is not a valid query string: {e}"))),
    }
}

/// Ids in paths are UUIDs; anything else is a client error naming the parameter.
pub fn parse_id(raw: &str, field: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| AppError::validation(field, "must be a UUID"))
}
