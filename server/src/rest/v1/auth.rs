//! `/api/v1/auth/*`: register, login, refresh, logout, me. Thin: parse, call the
//! account service, answer in the envelope.

use super::{ApiJson, Authenticated, ClientIp};
use app::account::credentials::{LoginRequest, RefreshRequest, RegisterRequest};
use app::account::service::{self, AuthContext};
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

pub fn context(state: &AppState, ip: Option<String>) -> AuthContext<'_> {
    AuthContext {
        pool: &state.pool,
        keys: &state.keys,
        production: state.config.is_production(),
        store_tenant: state.store_tenant,
        ip,
    }
}

async fn register(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<RegisterRequest>) -> Result<Response, AppError> {
    let form = body.parse()?;
    let tokens = service::register(&context(&state, ip), form).await?;
    let mut response = ok(tokens);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

async fn login(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<LoginRequest>) -> Result<Response, AppError> {
    let form = body.parse()?;
    Ok(ok(service::login(&context(&state, ip), form).await?))
}

async fn refresh(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<RefreshRequest>) -> Result<Response, AppError> {
    let token = body
        .refresh_token
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| AppError::validation("refreshToken", "is required"))?;
    Ok(ok(service::refresh(&context(&state, ip), &token).await?))
}

async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authenticated(claims): Authenticated,
    body: Bytes,
) -> Result<Response, AppError> {
    // The body is optional here: a client may sign out with the access token alone.
    let refresh = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<RefreshRequest>(&body)
            .map_err(|e| AppError::validation("body", format!("is not a valid sign-out request: {e}")))?
            .refresh_token
    };
    service::logout(&context(&state, ip), &claims, refresh.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn me(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(service::me(&state.pool, &claims).await?))
}
