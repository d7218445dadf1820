//! What handlers read from a request, each failure answered in the envelope: the query
//! string, ids in paths, JSON bodies, the signed-in caller and the peer address.

use app::account::session::Session;
use app::account::tokens::Claims;
use app::error::AppError;
use app::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

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

/// A page size: `default` when absent or empty, otherwise a whole number from 1 to `max`.
pub fn parse_limit(raw: Option<&str>, default: i64, max: i64) -> Result<i64, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| AppError::validation("limit", format!("must be a whole number from 1 to {max}"))),
    }
}

/// A keyset cursor of a list ordered by time then id (`<RFC 3339>_<uuid>`, as
/// `responses::keyset_page` makes them); `None` when absent or empty.
pub fn parse_time_cursor(raw: Option<&str>) -> Result<Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>, AppError> {
    app::time_cursor::parse(raw)
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
