//! Idempotency keys on every mutating request (`Idempotency-Key`, or
//! `X-Idempotency-Key`): the first response is stored and replayed for retries; the
//! same key with a different request is `422 IDEMPOTENCY_KEY_REUSED`; a retry while the
//! first is still running is `409 REQUEST_IN_PROGRESS`. Keys are scoped to the caller
//! and purged after 24 hours.
//!
//! Secrets are never kept: a response marked `Cache-Control: no-store` (every answer
//! that hands out tokens) completes its key with the status only, and a retry with that
//! key is `409 RESPONSE_NOT_REPLAYABLE` — neither the tokens nor a second run (which for
//! a refresh would present a spent token and revoke the family).
//!
//! A claim holds for a lease (`MANDI_IDEMPOTENCY_LEASE_SECS`, 60 s): a request whose
//! process died leaves its key claimed without an answer, and once the lease has run
//! out a retry of the same request takes the claim over instead of waiting 24 hours.

use app::account::session::Session;
use app::error::AppError;
use app::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
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

/// Whether a response says it must not be stored (`Cache-Control: no-store`), as
/// answers carrying tokens do.
pub fn must_not_be_stored(headers: &axum::http::HeaderMap) -> bool {
    headers.get_all(header::CACHE_CONTROL).iter().any(|value| {
        value.to_str().unwrap_or("").split(',').any(|directive| directive.trim().eq_ignore_ascii_case("no-store"))
    })
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
    // Upload chunks carry their own offset, which makes a resend harmless.
    let upload = crate::files::tus::is_upload_path(request.uri().path());
    let (Some(header), true) = (header, is_mutating(request.method()) && !upload) else {
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

    let lease_secs = f64::from(state.config.idempotency_lease_secs);
    let claimed: Option<DateTime<Utc>> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys (scope, key, method, path, request_hash) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (scope, key) DO UPDATE SET
             method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
             status = NULL, content_type = NULL, body = NULL, created_at = now(), completed_at = NULL
         -- Taken over: the same request's abandoned claim, or any key past its retention.
         WHERE (idempotency_keys.status IS NULL
                AND idempotency_keys.request_hash = EXCLUDED.request_hash
                AND idempotency_keys.created_at < now() - make_interval(secs => $6))
            OR idempotency_keys.created_at < now() - make_interval(secs => $7)
         RETURNING created_at",
    )
    .bind(&scope)
    .bind(&key)
    .bind(&method)
    .bind(&path)
    .bind(&hash)
    .bind(lease_secs)
    .bind(RETENTION.as_secs_f64())
    .fetch_optional(&state.pool)
    .await
    .map_err(|e| AppError::from(e).into_response())?;

    let Some(claimed_at) = claimed else {
        let stored: Option<Stored> = sqlx::query_as(
            "SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE scope = $1 AND key = $2",
        )
        .bind(&scope)
        .bind(&key)
        .fetch_optional(&state.pool)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
        return Err(match stored {
            Some(s) if s.request_hash != hash => AppError::IdempotencyKeyReused.into_response(),
            Some(Stored { status: Some(status), content_type, body: Some(body), .. }) => {
                replay(status, content_type, body)
            }
            // Completed, but the answer held secrets and was not kept.
            Some(Stored { status: Some(_), body: None, .. }) => AppError::ResponseNotReplayable.into_response(),
            // Claimed and within its lease; or released between the two statements.
            Some(Stored { status: None, .. }) | None => AppError::RequestInProgress.into_response(),
        });
    };

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = response.status();
    if status.is_server_error() {
        // Nothing was promised: release the key so a retry can run. Only our own claim:
        // if the lease ran out, a retry may hold it now.
        let _ = sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at = $3")
            .bind(&scope)
            .bind(&key)
            .bind(claimed_at)
            .execute(&state.pool)
            .await;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX).await.map_err(|e| AppError::internal("idempotency", e).into_response())?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    // A body that must not be stored leaves the key completed with no body (NULL): the
    // mark that a retry gets RESPONSE_NOT_REPLAYABLE rather than a replay.
    let kept = (!must_not_be_stored(&parts.headers)).then_some(body.as_ref());
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5, completed_at = now()
         WHERE scope = $1 AND key = $2 AND created_at = $6",
    )
    .bind(&scope)
    .bind(&key)
    .bind(status.as_u16() as i16)
    .bind(kept.and(content_type.as_ref()))
    .bind(kept)
    .bind(claimed_at)
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

    #[test]
    fn no_store_responses_are_not_kept() {
        let mut headers = axum::http::HeaderMap::new();
        assert!(!must_not_be_stored(&headers));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=0"));
        assert!(!must_not_be_stored(&headers));
        headers.append(header::CACHE_CONTROL, HeaderValue::from_static("private, No-Store"));
        assert!(must_not_be_stored(&headers));
    }
}
