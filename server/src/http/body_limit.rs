//! Requests larger than the configured limit are refused by tower-http's
//! `RequestBodyLimitLayer`, which answers in plain text; this turns that answer into
//! the typed `PAYLOAD_TOO_LARGE` error every client understands.

use app::error::AppError;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn enveloped(request: Request, next: Next, limit: usize) -> Response {
    let response = next.run(request).await;
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return AppError::PayloadTooLarge { limit_bytes: limit as u64 }.into_response();
    }
    response
}
