//! Response headers that every answer carries. HTML pages set their own
//! Content-Security-Policy (with the response's script nonce, in `app::shell`); the
//! strict default here covers JSON and files.

use axum::http::{HeaderName, HeaderValue, header};
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
