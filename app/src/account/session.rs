//! The signed-in person of the request being served, as the server's session
//! middleware found them (bearer token or session cookies), for server functions and
//! pages. The middleware has already refused what the access rules refuse; services
//! use the claims to scope what they touch (own records, the tenant acted in).

use super::tokens::Claims;
use crate::error::AppError;

/// Put in the request's extensions by the session middleware when the caller is
/// signed in; absent for anonymous callers.
#[derive(Debug, Clone)]
pub struct Session {
    pub claims: Claims,
    /// The refresh token from the browser's cookie, when the session came from cookies.
    pub refresh_token: Option<String>,
}

/// The current session, if any (inside a server function or a page render).
pub fn current() -> Option<Session> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Session>().cloned())
}

/// The current session, or 401.
pub fn require() -> Result<Session, AppError> {
    current().ok_or(AppError::Unauthenticated)
}
