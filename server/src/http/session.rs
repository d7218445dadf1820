//! Finds who is calling. API clients (`/api/...`) present `Authorization: Bearer`;
//! browsers present the session cookies, and a lapsed access cookie is renewed here
//! from the refresh cookie (silent refresh: the page or server function just works,
//! and the response carries the new cookies). A tampered, expired or revoked
//! credential makes the caller anonymous (cookies are cleared); the access rules then
//! decide between serving and 401.

use app::account::cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE};
use app::account::service::{self as accounts, AuthContext, Renewal};
use app::account::session::Session;
use app::error::AppError;
use app::field::sensor_keys_service as sensor_keys;
use app::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

pub fn bearer(request: &Request) -> Option<&str> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then_some(token)
}

pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if super::site_files::is_site_file(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let mut set_cookies: Vec<HeaderValue> = Vec::new();
    let secure = state.config.is_production();
    let session = if request.uri().path().starts_with("/api/") {
        match bearer(&request) {
            // A farm's sensor: never a person, and good for its farm's readings alone
            // (`http::authorize`).
            Some(token) if token.starts_with(sensor_keys::PREFIX) => {
                match sensor_keys::verify(&state.pool, token).await {
                    Ok(Some(key)) => {
                        request.extensions_mut().insert(key);
                    }
                    Ok(None) => {}
                    Err(e) => return e.into_response(),
                }
                None
            }
            Some(token) => match accounts::authenticate(&state.pool, &state.keys, token).await {
                Ok(claims) => Some(Session { claims, refresh_token: None }),
                Err(AppError::Unauthenticated) => None,
                Err(e) => return e.into_response(),
            },
            None => None,
        }
    } else {
        let access = cookies::read(request.headers(), ACCESS_COOKIE);
        let refresh = cookies::read(request.headers(), REFRESH_COOKIE);
        let mut found = None;
        if let Some(token) = &access {
            match accounts::authenticate(&state.pool, &state.keys, token).await {
                Ok(claims) => found = Some(Session { claims, refresh_token: refresh.clone() }),
                Err(AppError::Unauthenticated) => {}
                Err(e) => return e.into_response(),
            }
        }
        if found.is_none() {
            if let Some(refresh_token) = &refresh {
                let ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
                let ctx = AuthContext::new(&state, ip);
                match accounts::renew(&ctx, refresh_token, true).await {
                    Ok(Renewal::Rotated(tokens)) => {
                        set_cookies = cookies::session(&tokens.access_token, Some(&tokens.refresh_token), secure);
                        found = state
                            .keys
                            .verify(&tokens.access_token)
                            .ok()
                            .map(|claims| Session { claims, refresh_token: Some(tokens.refresh_token.clone()) });
                    }
                    Ok(Renewal::AccessOnly { access_token }) => {
                        set_cookies = cookies::session(&access_token, None, secure);
                        found = state
                            .keys
                            .verify(&access_token)
                            .ok()
                            .map(|claims| Session { claims, refresh_token: Some(refresh_token.clone()) });
                    }
                    Err(AppError::Unauthenticated) => set_cookies = cookies::cleared(secure),
                    Err(e) => return e.into_response(),
                }
            } else if access.is_some() {
                set_cookies = cookies::cleared(secure);
            }
        }
        found
    };
    if let Some(session) = session {
        tracing::Span::current().record("user", tracing::field::display(session.claims.sub));
        request.extensions_mut().insert(session);
    }
    let mut response = next.run(request).await;
    // A handler that set cookies itself (sign-in, sign-out) has the last word.
    if !response.headers().contains_key(header::SET_COOKIE) {
        for value in set_cookies {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
