//! Gives every request an id: the caller's `x-request-id` when it is sane, a fresh
//! UUID v7 otherwise. The id travels in a tracing span (so every log line of the
//! request carries it), in a task-local (so the API envelope can report it), and
//! back to the caller in the `x-request-id` response header.

use app::envelope::REQUEST_ID;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Accepts ids up to 128 visible ASCII characters; anything else could poison logs.
pub fn accept_incoming(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| s.to_string())
}

pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(accept_incoming)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let header = HeaderValue::from_str(&id).expect("checked to be visible ASCII");
    request.headers_mut().insert(X_REQUEST_ID.clone(), header.clone());
    let span = tracing::info_span!("request", request_id = %id, user = tracing::field::Empty);
    let mut response = REQUEST_ID.scope(id, next.run(request)).instrument(span).await;
    response.headers_mut().insert(X_REQUEST_ID.clone(), header);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sane_ids_and_drops_others() {
        assert_eq!(accept_incoming(&HeaderValue::from_static("abc-123")).as_deref(), Some("abc-123"));
        assert_eq!(accept_incoming(&HeaderValue::from_static("has space")), None);
        assert_eq!(accept_incoming(&HeaderValue::from_str(&"x".repeat(129)).unwrap()), None);
        assert_eq!(accept_incoming(&HeaderValue::from_static("")), None);
    }
}
