//! Server functions of accounts: the browser's door onto the account service. Sessions
//! here live in HttpOnly cookies that these functions set and clear; the API clients'
//! door is `/api/v1/auth/*` over the same service.

use super::credentials::{Account, CodeSent};
use crate::domain::permissions::Access;
use crate::error::AppError;
use crate::outbox::{InAppMessage, OutboxMessage};
use leptos::prelude::*;

/// Who may call each server function here (the server refuses the rest).
pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/account/sign_up", Access::Public),
    ("/_fn/account/sign_in", Access::Public),
    ("/_fn/account/request_code", Access::Public),
    ("/_fn/account/sign_in_with_code", Access::Public),
    ("/_fn/account/sign_out", Access::SignedIn),
    ("/_fn/account/sign_out_everywhere", Access::SignedIn),
    ("/_fn/account/switch_tenant", Access::SignedIn),
    ("/_fn/account/me", Access::Public),
    ("/_fn/account/inbox", Access::SignedIn),
    ("/_fn/dev/outbox", Access::Public),
];

#[cfg(feature = "ssr")]
pub use door::client_ip;

#[cfg(feature = "ssr")]
mod door {
    use crate::account::cookies;
    use crate::account::credentials::TokenResponse;
    use crate::account::service::AuthContext;
    use crate::state::AppState;
    use axum::http::header::SET_COOKIE;

    pub fn client_ip() -> Option<String> {
        leptos::prelude::use_context::<axum::http::request::Parts>().and_then(|p| {
            p.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
        })
    }

    pub fn context(state: &AppState) -> AuthContext<'_> {
        AuthContext::new(state, client_ip())
    }

    fn set(values: Vec<axum::http::HeaderValue>) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            for v in values {
                response.append_header(SET_COOKIE, v);
            }
        }
    }

    pub fn start(state: &AppState, tokens: &TokenResponse) {
        set(cookies::session(&tokens.access_token, Some(&tokens.refresh_token), state.config.is_production()));
    }

    pub fn clear(state: &AppState) {
        set(cookies::cleared(state.config.is_production()));
    }
}

#[server(prefix = "/_fn", endpoint = "account/sign_up")]
pub async fn sign_up(display_name: String, email: String, phone: String, password: String) -> Result<(), AppError> {
    use super::credentials::RegisterRequest;
    let form = RegisterRequest {
        email: Some(email),
        phone: Some(phone),
        password: Some(password),
        display_name: Some(display_name),
    }
    .parse()?;
    let state = crate::state::app_state()?;
    let tokens = super::service::register(&door::context(&state), form).await?;
    door::start(&state, &tokens);
    Ok(())
}

/// `login` is an e-mail address or a phone number.
#[server(prefix = "/_fn", endpoint = "account/sign_in")]
pub async fn sign_in(login: String, password: String) -> Result<(), AppError> {
    use super::credentials::LoginRequest;
    let request = if login.contains('@') {
        LoginRequest { email: Some(login), password: Some(password), ..Default::default() }
    } else {
        LoginRequest { phone: Some(login), password: Some(password), ..Default::default() }
    };
    let form = request.parse().map_err(on_login_field)?;
    let state = crate::state::app_state()?;
    let tokens = super::service::login(&door::context(&state), form).await?;
    door::start(&state, &tokens);
    Ok(())
}

/// The web form has one field for e-mail or phone: errors about either land on it.
#[cfg(feature = "ssr")]
fn on_login_field(e: AppError) -> AppError {
    match e {
        AppError::Validation { fields } => AppError::Validation {
            fields: fields
                .into_iter()
                .map(|(k, v)| if k == "email" || k == "phone" { ("login".to_string(), v) } else { (k, v) })
                .collect(),
        },
        other => other,
    }
}

#[server(prefix = "/_fn", endpoint = "account/request_code")]
pub async fn request_code(phone: String) -> Result<CodeSent, AppError> {
    let phone = super::credentials::CodeRequest { phone: Some(phone) }.parse()?;
    let state = crate::state::app_state()?;
    super::one_time_codes::request_code(&door::context(&state), phone).await
}

#[server(prefix = "/_fn", endpoint = "account/sign_in_with_code")]
pub async fn sign_in_with_code(phone: String, code: String) -> Result<(), AppError> {
    let form = super::credentials::CodeSignInRequest { phone: Some(phone), code: Some(code), tenant: None }.parse()?;
    let state = crate::state::app_state()?;
    let tokens = super::one_time_codes::sign_in_with_code(&door::context(&state), form).await?;
    door::start(&state, &tokens);
    Ok(())
}

#[server(prefix = "/_fn", endpoint = "account/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let session = super::session::require()?;
    let state = crate::state::app_state()?;
    super::service::logout(&door::context(&state), &session.claims, session.refresh_token.as_deref()).await?;
    door::clear(&state);
    Ok(())
}

#[server(prefix = "/_fn", endpoint = "account/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let session = super::session::require()?;
    let state = crate::state::app_state()?;
    super::service::logout_everywhere(&door::context(&state), &session.claims).await?;
    door::clear(&state);
    Ok(())
}

#[server(prefix = "/_fn", endpoint = "account/switch_tenant")]
pub async fn switch_tenant(tenant: String) -> Result<(), AppError> {
    let session = super::session::require()?;
    let state = crate::state::app_state()?;
    let ctx = door::context(&state);
    let tokens =
        super::service::switch_tenant(&ctx, &session.claims, tenant.trim(), session.refresh_token.as_deref()).await?;
    door::start(&state, &tokens);
    Ok(())
}

/// The signed-in person, or `None` for a visitor (pages decide what to show).
#[server(prefix = "/_fn", endpoint = "account/me")]
pub async fn me() -> Result<Option<Account>, AppError> {
    let Some(session) = super::session::current() else { return Ok(None) };
    let state = crate::state::app_state()?;
    match super::service::me(&state.pool, &session.claims).await {
        Ok(account) => Ok(Some(account)),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The signed-in person's newest in-app messages.
#[server(prefix = "/_fn", endpoint = "account/inbox")]
pub async fn inbox() -> Result<Vec<InAppMessage>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/account/inbox").await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    Ok(crate::outbox::inbox(&state.pool, session.claims.sub, 20).await?)
}

/// Messages sent, newest first: development and test only (404 in production).
#[server(prefix = "/_fn", endpoint = "dev/outbox")]
pub async fn dev_outbox(recipient: Option<String>) -> Result<Vec<OutboxMessage>, AppError> {
    let state = crate::state::app_state()?;
    if state.config.is_production() {
        return Err(AppError::not_found("page"));
    }
    let recipient = recipient.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    // Every tenant's messages (an estate's alerts, a store's receipts), not only the
    // platform's own: this page is the development stand-in for every provider.
    let mut tx = crate::db::cross_tenant_tx(&state.pool).await?;
    let messages = crate::outbox::recent(&mut *tx, recipient.as_deref(), 50).await?;
    tx.commit().await?;
    Ok(messages)
}
