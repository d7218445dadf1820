//! `/api/v1/auth/*`: register, login (password or one-time code), refresh, tenant
//! switch, logout (here or everywhere), me. Thin: parse, call the account service,
//! answer in the envelope.

use super::routes::Routes;
use super::{ApiJson, Authenticated, ClientIp};
use app::account::credentials::{CodeRequest, CodeSignInRequest, LoginRequest, RefreshRequest, RegisterRequest, SwitchTenantRequest};
use app::account::service::{self, AuthContext};
use app::account::one_time_codes;
use app::domain::permissions::Access::{Public, SignedIn};
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub fn routes() -> Routes {
    Routes::new()
        .post("/auth/register", Public, register)
        .post("/auth/login", Public, login)
        .post("/auth/otp/request", Public, request_code)
        .post("/auth/otp/verify", Public, verify_code)
        .post("/auth/refresh", Public, refresh)
        .post("/auth/switch-tenant", SignedIn, switch_tenant)
        .post("/auth/logout", SignedIn, logout)
        .post("/auth/logout-everywhere", SignedIn, logout_everywhere)
        .get("/auth/me", SignedIn, me)
}

pub fn context(state: &AppState, ip: Option<String>) -> AuthContext<'_> {
    AuthContext::new(state, ip)
}

fn created(data: impl serde::Serialize) -> Response {
    let mut response = ok(data);
    *response.status_mut() = StatusCode::CREATED;
    response
}

fn refresh_token_of(raw: Option<String>) -> Result<String, AppError> {
    raw.filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| AppError::validation("refreshToken", "is required"))
}

async fn register(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<RegisterRequest>) -> Result<Response, AppError> {
    let form = body.parse()?;
    Ok(created(service::register(&context(&state, ip), form).await?))
}

async fn login(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<LoginRequest>) -> Result<Response, AppError> {
    let form = body.parse()?;
    Ok(ok(service::login(&context(&state, ip), form).await?))
}

/// `202`: a code is on its way if the phone has an account (the answer is the same
/// either way, so the endpoint cannot be used to find out who has one).
async fn request_code(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<CodeRequest>) -> Result<Response, AppError> {
    let phone = body.parse()?;
    let sent = one_time_codes::request_code(&context(&state, ip), phone).await?;
    let mut response = ok(sent);
    *response.status_mut() = StatusCode::ACCEPTED;
    Ok(response)
}

async fn verify_code(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<CodeSignInRequest>) -> Result<Response, AppError> {
    let form = body.parse()?;
    Ok(ok(one_time_codes::sign_in_with_code(&context(&state, ip), form).await?))
}

async fn refresh(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(body): ApiJson<RefreshRequest>) -> Result<Response, AppError> {
    let token = refresh_token_of(body.refresh_token)?;
    Ok(ok(service::refresh(&context(&state, ip), &token).await?))
}

async fn switch_tenant(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<SwitchTenantRequest>,
) -> Result<Response, AppError> {
    let tenant = body
        .tenant
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::validation("tenant", "is required"))?;
    let refresh = body.refresh_token.map(|t| refresh_token_of(Some(t))).transpose()?;
    Ok(ok(service::switch_tenant(&context(&state, ip), &claims, tenant, refresh.as_deref()).await?))
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

async fn logout_everywhere(State(state): State<AppState>, ClientIp(ip): ClientIp, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    service::logout_everywhere(&context(&state, ip), &claims).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn me(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(service::me(&state.pool, &claims).await?))
}
