//! `/api/v1`: one module per resource, each exposing `router()`, merged over the one
//! shared state. Everything here answers in the envelope of CONVENTIONS.md, failures
//! included (unknown routes and wrong methods here; oversized bodies in
//! `http::body_limit`).

pub mod admin;
pub mod auth;
pub mod cart;
pub mod categories;
pub mod checkout;
pub mod events;
pub mod farms;
pub mod ledger;
pub mod ledger_admin;
pub mod ledger_reports;
pub mod ledger_settlements;
pub mod notifications;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod products;
pub mod routes;
pub mod trace;
pub mod webhooks;

use app::account::session::Session;
use app::account::tokens::Claims;
use app::error::AppError;
use app::state::AppState;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// Every `/api/v1` route under `/api/v1`, and the access rule of each.
pub fn build() -> (Router<AppState>, Vec<crate::http::authorize::Rule>) {
    let (router, rules) = routes::Routes::new()
        .merge(products::routes())
        .merge(categories::routes())
        .merge(farms::routes())
        .merge(trace::routes())
        .merge(auth::routes())
        .merge(admin::routes())
        .merge(ops::routes())
        .merge(events::routes())
        .merge(notifications::routes())
        .merge(webhooks::routes())
        .merge(cart::routes())
        .merge(checkout::routes())
        .merge(orders::routes())
        .merge(ledger::routes())
        .merge(ledger_settlements::routes())
        .merge(ledger_reports::routes())
        .merge(ledger_admin::routes())
        .merge(openapi::routes())
        .for_prefix("/api/v1");
    let router = router.fallback(|| async { AppError::not_found("API route") }).method_not_allowed_fallback(|| async {
        AppError::validation("method", "this route does not accept that HTTP method")
    });
    (Router::new().nest("/api/v1", router), rules)
}

/// Decodes a query string into `T`, reporting a malformed one as a validation error.
pub fn parse_query<T: DeserializeOwned + Default>(raw: Option<&str>) -> Result<T, AppError> {
    match raw {
        None | Some("") => Ok(T::default()),
        Some(raw) => serde_urlencoded::from_str(raw)
            .map_err(|e| AppError::validation("query", format!("is not a valid query string: {e}"))),
    }
}

/// A keyset page from `limit + 1` rows fetched newest first: the extra row only says
/// there is more, and the last row shown gives the next cursor (CONVENTIONS.md).
pub fn keyset_page<T: serde::Serialize>(
    mut rows: Vec<T>,
    limit: i64,
    cursor_of: impl Fn(&T) -> String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(cursor_of) } else { None };
    axum::Json(serde_json::json!({
        "success": true,
        "data": rows,
        "meta": app::envelope::meta(),
        "pagination": { "limit": limit, "hasMore": more, "nextCursor": next },
    }))
    .into_response()
}

/// Ids in paths are UUIDs; anything else is a client error naming the parameter.
pub fn parse_id(raw: &str, field: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| AppError::validation(field, "must be a UUID"))
}

/// A JSON body whose every failure (wrong content type, malformed JSON, wrong types)
/// is a `VALIDATION_FAILED` naming the body, not axum's plain-text rejection.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(AppError::validation("body", "send JSON with Content-Type: application/json"))
            }
            Err(JsonRejection::JsonSyntaxError(_)) => Err(AppError::validation("body", "is not valid JSON")),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::validation("body", e.body_text())),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::PayloadTooLarge { limit_bytes: state.config.body_limit_bytes as u64 })
            }
            Err(e) => Err(AppError::validation("body", e.body_text())),
        }
    }
}

/// The signed-in caller, as the session middleware verified them from
/// `Authorization: Bearer <access JWT>`; 401 otherwise.
pub struct Authenticated(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts.extensions.get::<Session>().map(|s| Authenticated(s.claims.clone())).ok_or(AppError::Unauthenticated)
    }
}

/// The peer address, for the audit log.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())))
    }
}
