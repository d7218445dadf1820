//! Server functions send every error as `500` with `AppError`'s JSON as the body (the
//! browser's typed client reads the body, not the status). This gives each its real
//! status (400 for a field error, 401, 403, 409, 429 with `Retry-After`…) so logs,
//! metrics, idempotency replays and any non-browser caller see what happened.

use app::error::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// Error bodies are small; anything larger is not an `AppError`.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn real_status(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/_fn/") {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(secs) = error.retry_after_secs() {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
