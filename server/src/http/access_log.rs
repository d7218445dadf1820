//! One structured log line per request, inside the request's span (so it carries the
//! request id). Paths that carry a bearer secret are logged with the secret redacted:
//! log lines travel to places (aggregators, support tickets) a slip link must not.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::borrow::Cow;
use std::time::Instant;

/// Path prefixes whose next segment is a secret that grants access on its own (a
/// settlement slip link opens the slip without signing in). A new route with a token
/// in its path belongs here.
const SECRET_SEGMENT_AFTER: &[&str] = &["/ledger/slip/", "/api/v1/ledger/slips/"];

pub const REDACTED: &str = "[redacted]";

/// The path as it may be logged: the secret segment replaced, the route's shape kept.
/// Prefixes match in any letter case, so a mistyped link that still holds a real token
/// is not logged either.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    for prefix in SECRET_SEGMENT_AFTER {
        let Some(head) = path.get(..prefix.len()) else { continue };
        if !head.eq_ignore_ascii_case(prefix) {
            continue;
        }
        let rest = &path[prefix.len()..];
        let end = rest.find('/').unwrap_or(rest.len());
        if end == 0 {
            return Cow::Borrowed(path);
        }
        return Cow::Owned(format!("{head}{REDACTED}{}", &rest[end..]));
    }
    Cow::Borrowed(path)
}

pub async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = redact_path(request.uri().path()).into_owned();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, %path, route, status, latency_ms, "request failed");
    } else {
        tracing::info!(%method, %path, route, status, latency_ms, "request");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn logged(path: &str) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = Router::new().fallback(|| async { "ok" }).layer(axum::middleware::from_fn(log));
        app.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn redact_path_keeps_the_shape_and_drops_the_secret() {
        assert_eq!(redact_path("/ledger/slip/abc"), "/ledger/slip/[redacted]");
        assert_eq!(redact_path("/ledger/slip/abc/"), "/ledger/slip/[redacted]/");
        assert_eq!(redact_path("/Ledger/SLIP/abc"), "/Ledger/SLIP/[redacted]");
        assert_eq!(redact_path("/api/v1/ledger/slips/abc"), "/api/v1/ledger/slips/[redacted]");
        assert_eq!(redact_path("/ledger/slip/"), "/ledger/slip/");
        assert_eq!(redact_path("/ledger/slips"), "/ledger/slips");
        assert_eq!(redact_path("/ledger/slipper/abc"), "/ledger/slipper/abc");
        assert_eq!(redact_path("/ledger/settlements/7/print"), "/ledger/settlements/7/print");
        assert_eq!(redact_path("/"), "/");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn slip_tokens_are_redacted_in_access_log() {
        let token = "q3Zr8cVn0xW2yTt5LkPp7mHs4dGf6aJe1uBo9iKlMnA";
        for (path, shape) in [
            (format!("/ledger/slip/{token}"), "/ledger/slip/[redacted]"),
            (format!("/api/v1/ledger/slips/{token}"), "/api/v1/ledger/slips/[redacted]"),
        ] {
            let line = logged(&path).await;
            assert!(line.contains("request"), "one line per request: {line}");
            assert!(!line.contains(token), "the token leaked into the log: {line}");
            assert!(line.contains(shape), "the route's shape is kept: {line}");
        }
        // Paths without a secret are logged as they came.
        assert!(logged("/ledger/settlements/42").await.contains("/ledger/settlements/42"));
    }
}
