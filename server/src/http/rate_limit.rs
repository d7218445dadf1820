//! Rate limits per route group, answered with `429 RATE_LIMITED`, `Retry-After` and
//! `retryable: true`. Sign-up and sign-in are limited per client IP (guessing
//! passwords); everything a signed-in person does is limited per person. Limits live
//! in each app process (GCRA buckets from `governor`), so N servers allow N times the
//! rate: a ceiling against abuse, not an exact quota.

use app::account::session::Session;
use app::envelope::error_for_path;
use app::error::AppError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use uuid::Uuid;

pub struct Limits {
    sign_in_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_user: DefaultKeyedRateLimiter<Uuid>,
}

/// Routes where a wrong guess costs the attacker nothing but a request (both doors).
/// One-time codes are also limited per phone, in the database.
pub(crate) fn is_sign_in(method: &Method, path: &str) -> bool {
    method == Method::POST
        && matches!(
            path,
            "/api/v1/auth/login"
                | "/api/v1/auth/register"
                | "/api/v1/auth/otp/request"
                | "/api/v1/auth/otp/verify"
                | "/_fn/account/sign_in"
                | "/_fn/account/sign_up"
                | "/_fn/account/request_code"
                | "/_fn/account/sign_in_with_code"
        )
}

/// The site's own files (built assets, fonts, icons, images, the tablet's store
/// script): free to serve, and a tablet's service worker fetches hundreds of WASM
/// chunks at once to work offline, which no person's quota should be spent on.
impl Limits {
    pub fn new(sign_in_per_minute: u32, user_per_minute: u32) -> Arc<Limits> {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least one"));
        Arc::new(Limits {
            sign_in_per_ip: RateLimiter::keyed(per_minute(sign_in_per_minute)),
            per_user: RateLimiter::keyed(per_minute(user_per_minute)),
        })
    }

    /// Forgets buckets that are full again, so memory follows recent callers only.
    pub fn shrink(&self) {
        self.sign_in_per_ip.retain_recent();
        self.per_user.retain_recent();
    }
}

fn refused(path: &str, not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Response {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    error_for_path(path, AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) })
}

pub async fn enforce(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    if is_sign_in(request.method(), request.uri().path())
        && let Some(ConnectInfo(addr)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(not_until) = limits.sign_in_per_ip.check_key(&addr.ip())
    {
        tracing::warn!(ip = %addr.ip(), "sign-in rate limit reached");
        return refused(request.uri().path(), not_until);
    }
    if super::site_files::is_site_file(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let user = request.extensions().get::<Session>().map(|s| s.claims.sub);
    if let Some(user) = user
        && let Err(not_until) = limits.per_user.check_key(&user)
    {
        return refused(request.uri().path(), not_until);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_routes() {
        assert!(is_sign_in(&Method::POST, "/api/v1/auth/login"));
        assert!(is_sign_in(&Method::POST, "/api/v1/auth/register"));
        assert!(!is_sign_in(&Method::GET, "/api/v1/auth/me"));
        assert!(!is_sign_in(&Method::POST, "/api/v1/auth/refresh"));
    }

    #[test]
    fn buckets_are_per_key() {
        let limits = Limits::new(2, 1);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limits.sign_in_per_ip.check_key(&a).is_ok());
        assert!(limits.sign_in_per_ip.check_key(&a).is_ok());
        assert!(limits.sign_in_per_ip.check_key(&a).is_err());
        assert!(limits.sign_in_per_ip.check_key(&b).is_ok());
    }
}
