//! Idempotency keys on every mutating request (`Idempotency-Key`, or
//! `X-Idempotency-Key`): the first response is stored and replayed for retries; the
//! same key with a different request is `422 IDEMPOTENCY_KEY_REUSED`; a retry while the
//! first is still running is `409 REQUEST_IN_PROGRESS`. Keys are scoped to the caller
//! and purged after 24 hours.

use app::account::session::Session;
use app::error::AppError;
use app::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::time::Duration;

pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub static X_IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("x-idempotency-key");
pub static REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a key is honoured.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

fn is_mutating(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

fn parse_key(value: &HeaderValue) -> Result<String, AppError> {
    let s = value.to_str().unwrap_or("");
    if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::validation(
            "Idempotency-Key",
            "must be 1–255 visible ASCII characters (a UUID is ideal)",
        ));
    }
    Ok(s.to_string())
}

/// Callers are told apart by who the session middleware found (bearer token or
/// cookies); anonymous callers by their address, so one visitor can never be handed
/// another's stored response (a sign-in's tokens, say).
fn scope(request: &Request) -> String {
    match request.extensions().get::<Session>() {
        Some(session) => format!("user:{}", session.claims.sub),
        None => match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(addr)) => format!("anonymous:{}", addr.ip()),
            None => "anonymous".to_string(),
        },
    }
}

#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: Vec<u8>,
    status: Option<i16>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
}

pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match run(&state, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn run(state: &AppState, request: Request, next: Next) -> Result<Response, Response> {
    let header = request.headers().get(&IDEMPOTENCY_KEY).or_else(|| request.headers().get(&X_IDEMPOTENCY_KEY));
    let (Some(header), true) = (header, is_mutating(request.method())) else {
        return Ok(next.run(request).await);
    };
    let key = parse_key(header).map_err(IntoResponse::into_response)?;
    let scope = scope(&request);
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let (parts, body) = request.into_parts();
    // The body limit layer has already bounded what can arrive here.
    let bytes = to_bytes(body, usize::MAX)
        .await
        .map_err(|_| AppError::PayloadTooLarge { limit_bytes: state.config.body_limit_bytes as u64 }.into_response())?;
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let hash = hasher.finalize().to_vec();

    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, method, path, request_hash) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(&scope)
    .bind(&key)
    .bind(&method)
    .bind(&path)
    .bind(&hash)
    .execute(&state.pool)
    .await
    .map_err(|e| AppError::from(e).into_response())?
    .rows_affected()
        == 1;

    if !claimed {
        let stored: Option<Stored> = sqlx::query_as(
            "SELECT request_hash, status, content_type, body FROM idempotency_keys
             WHERE scope = $1 AND key = $2 AND created_at > now() - make_interval(secs => $3)",
        )
        .bind(&scope)
        .bind(&key)
        .bind(RETENTION.as_secs_f64())
        .fetch_optional(&state.pool)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
        return Err(match stored {
            Some(s) if s.request_hash != hash => AppError::IdempotencyKeyReused.into_response(),
            Some(Stored { status: Some(status), content_type, body, .. }) => {
                replay(status, content_type, body.unwrap_or_default())
            }
            Some(_) => AppError::RequestInProgress.into_response(),
            // Expired but not yet purged: treat as in progress until the purge runs.
            None => AppError::RequestInProgress.into_response(),
        });
    }

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = response.status();
    if status.is_server_error() {
        // Nothing was promised: release the key so a retry can run.
        let _ = sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(&scope)
            .bind(&key)
            .execute(&state.pool)
            .await;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX).await.map_err(|e| AppError::internal("idempotency", e).into_response())?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5, completed_at = now()
         WHERE scope = $1 AND key = $2",
    )
    .bind(&scope)
    .bind(&key)
    .bind(status.as_u16() as i16)
    .bind(&content_type)
    .bind(body.as_ref())
    .execute(&state.pool)
    .await
    .map_err(|e| AppError::from(e).into_response())?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn replay(status: i16, content_type: Option<String>, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = axum::http::StatusCode::from_u16(status as u16).unwrap_or(axum::http::StatusCode::OK);
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response.headers_mut().insert(REPLAYED.clone(), HeaderValue::from_static("true"));
    response
}

/// Deletes keys older than the retention period; returns how many went.
pub async fn purge_expired(db: &mut sqlx::PgConnection) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)")
        .bind(RETENTION.as_secs_f64())
        .execute(db)
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(parse_key(&HeaderValue::from_static("0b9a6c1e-7f7e-4d2b-9a53-3f0c2d1e8a77")).is_ok());
        assert!(parse_key(&HeaderValue::from_static("")).is_err());
        assert!(parse_key(&HeaderValue::from_static("has space")).is_err());
        assert!(parse_key(&HeaderValue::from_str(&"k".repeat(256)).unwrap()).is_err());
        assert!(is_mutating(&Method::POST) && !is_mutating(&Method::GET));
    }
}
