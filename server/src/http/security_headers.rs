//! Response headers that every answer carries. HTML pages set their own
//! Content-Security-Policy (with the response's script nonce, in `app::shell`); the
//! strict default here covers JSON and files.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::set_header::SetResponseHeaderLayer;

pub const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

pub fn layers(production: bool) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(self)"),
    ];
    if production {
        // Production sits behind TLS; tell browsers never to come back over HTTP.
        headers.push((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"));
    }
    headers
        .into_iter()
        .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)))
        .collect()
}

/// Makes sure an HTML page carries its own policy (with its script nonce): the render
/// leaves the nonce in a request extension, and a page response without a policy gets
/// it here rather than the strict default, which would block the page's scripts.
pub async fn page_policy(mut request: Request, next: Next) -> Response {
    // One slot per request: an outer layer that needs the nonce too (the page cache)
    // may have put it there already.
    let slot = request.extensions().get::<app::PageNonce>().cloned().unwrap_or_default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if html && !response.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        let nonce = slot.0.lock().expect("nonce slot").clone();
        if let Some(policy) = nonce.and_then(|n| HeaderValue::from_str(&app::content_security_policy(&n)).ok()) {
            tracing::warn!("a page response came without its policy; set from the render's nonce");
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    response
}
