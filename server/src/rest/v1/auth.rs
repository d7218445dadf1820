//! `/api/v1/auth/*`: register, login (password or one-time code), refresh, tenant
//! switch, logout (here or everywhere), me. Thin: parse, call the account service,
//! answer in the envelope.

use super::extract::{ApiJson, Authenticated, ClientIp};
use super::routes::Routes;
use app::account::credentials::{
    CodeRequest, CodeSignInRequest, LoginRequest, RefreshRequest, RegisterRequest, SwitchTenantRequest, TokenResponse,
};
use app::account::one_time_codes;
use app::account::service::{self, AuthContext};
use app::domain::permissions::Access::{Public, SignedIn};
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(utoipa::OpenApi)]
#[openapi(paths(register, login, request_code, verify_code, refresh, switch_tenant, logout, logout_everywhere, me))]
pub struct Api;

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

/// An answer holding fresh tokens: `Cache-Control: no-store` keeps it out of every
/// cache (RFC 6749 §5.1), the idempotency keys' included.
fn tokens(status: StatusCode, issued: TokenResponse) -> Response {
    let mut response = ok(issued);
    *response.status_mut() = status;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refresh_token_of(raw: Option<String>) -> Result<String, AppError> {
    raw.filter(|t| !t.is_empty() && t.len() <= 256).ok_or_else(|| AppError::validation("refreshToken", "is required"))
}

/// A new account (e-mail or phone, and a password), signed in at once.
#[utoipa::path(post, path = "/auth/register", operation_id = "register",
    request_body = app::account::credentials::RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = super::responses::TokenEnvelope),
        (status = 409, description = "`CONFLICT`: the e-mail or phone already has an account; `RESPONSE_NOT_REPLAYABLE`: a retry with the `Idempotency-Key` of a sign-up that succeeded (its tokens are never kept)", body = app::envelope::ErrorEnvelope),
    ))]
async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<Response, AppError> {
    let form = body.parse()?;
    Ok(tokens(StatusCode::CREATED, service::register(&context(&state, ip), form).await?))
}

/// Sign in with e-mail or phone and password.
#[utoipa::path(post, path = "/auth/login", operation_id = "login",
    request_body = app::account::credentials::LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = super::responses::TokenEnvelope),
        (status = 401, response = super::responses::Unauthenticated),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let form = body.parse()?;
    Ok(tokens(StatusCode::OK, service::login(&context(&state, ip), form).await?))
}

#[utoipa::path(post, path = "/auth/otp/request", operation_id = "requestCode",
    request_body = app::account::credentials::CodeRequest,
    responses((status = 202, description = "A code is on its way if the phone has an account", body = super::responses::CodeSentEnvelope)))]
/// `202`: a code is on its way if the phone has an account (the answer is the same
/// either way, so the endpoint cannot be used to find out who has one).
async fn request_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Response, AppError> {
    let phone = body.parse()?;
    let sent = one_time_codes::request_code(&context(&state, ip), phone).await?;
    let mut response = ok(sent);
    *response.status_mut() = StatusCode::ACCEPTED;
    Ok(response)
}

/// Sign in with the one-time code sent to a phone.
#[utoipa::path(post, path = "/auth/otp/verify", operation_id = "verifyCode",
    request_body = app::account::credentials::CodeSignInRequest,
    responses(
        (status = 200, description = "Signed in", body = super::responses::TokenEnvelope),
        (status = 401, response = super::responses::Unauthenticated),
    ))]
async fn verify_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CodeSignInRequest>,
) -> Result<Response, AppError> {
    let form = body.parse()?;
    Ok(tokens(StatusCode::OK, one_time_codes::sign_in_with_code(&context(&state, ip), form).await?))
}

/// A new access token (and a new refresh token: each is used once).
#[utoipa::path(post, path = "/auth/refresh", operation_id = "refresh",
    request_body = app::account::credentials::RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = super::responses::TokenEnvelope),
        (status = 401, response = super::responses::Unauthenticated),
    ))]
async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Response, AppError> {
    let token = refresh_token_of(body.refresh_token)?;
    Ok(tokens(StatusCode::OK, service::refresh(&context(&state, ip), &token).await?))
}

/// Tokens for acting in another tenant the person belongs to.
#[utoipa::path(post, path = "/auth/switch-tenant", operation_id = "switchTenant",
    request_body = app::account::credentials::SwitchTenantRequest,
    responses(
        (status = 200, description = "Tokens for the other tenant", body = super::responses::TokenEnvelope),
        (status = 403, response = super::responses::Forbidden),
    ))]
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
    Ok(tokens(StatusCode::OK, service::switch_tenant(&context(&state, ip), &claims, tenant, refresh.as_deref()).await?))
}

/// Sign out this session (its refresh token, if sent, is revoked too). The body is optional.
#[utoipa::path(post, path = "/auth/logout", operation_id = "logout",
    request_body(content = Option<app::account::credentials::RefreshRequest>, description = "Optional: the refresh token to revoke"),
    responses((status = 204, description = "Signed out")))]
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

/// Revoke every session of this person.
#[utoipa::path(post, path = "/auth/logout-everywhere", operation_id = "logoutEverywhere",
    responses((status = 204, description = "Signed out everywhere")))]
async fn logout_everywhere(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authenticated(claims): Authenticated,
) -> Result<Response, AppError> {
    service::logout_everywhere(&context(&state, ip), &claims).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Who is signed in, in which tenant, and which other tenants they belong to.
#[utoipa::path(get, path = "/auth/me", operation_id = "me",
    responses((status = 200, description = "The account", body = super::responses::AccountEnvelope)))]
async fn me(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(service::me(&state.pool, &claims).await?))
}
