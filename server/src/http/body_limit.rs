//! Request bodies are bounded (`MANDI_BODY_LIMIT_BYTES`, 1 MiB by default): a declared
//! length over the limit is refused before reading, and a body that runs past it is cut
//! off where it crosses, both as the typed `PAYLOAD_TOO_LARGE`. Upload chunks
//! (`files::tus`) are exempt: each is bounded by its own upload's declared length and
//! streamed to disk, never buffered.

use app::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn enforce(request: Request, next: Next, limit: usize) -> Response {
    if request.method() == axum::http::Method::PATCH && crate::files::tus::is_upload_path(request.uri().path()) {
        return next.run(request).await;
    }
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return AppError::PayloadTooLarge { limit_bytes: limit as u64 }.into_response();
    }
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::new(http_body_util::Limited::new(body, limit)));
    let response = next.run(request).await;
    // Extractors answer a body cut off at the limit with a plain-text 413.
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return AppError::PayloadTooLarge { limit_bytes: limit as u64 }.into_response();
    }
    response
}
