//! `/api/v1/me/notifications`: a person's in-app messages, and how they want to be
//! reached (channels in order of preference, and language).

use super::extract::{ApiJson, Authenticated};
use super::routes::Routes;
use app::domain::permissions::Access::SignedIn;
use app::envelope::ok;
use app::error::AppError;
use app::outbox::Channel;
use app::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

#[derive(utoipa::OpenApi)]
#[openapi(paths(inbox, preferences, set_preferences))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/me/notifications", SignedIn, inbox)
        .get("/me/notification-preferences", SignedIn, preferences)
        .put("/me/notification-preferences", SignedIn, set_preferences)
}

#[utoipa::path(get, path = "/me/notifications", operation_id = "listMyNotifications",
    responses((status = 200, description = "The newest in-app messages", body = super::responses::InboxEnvelope)))]
/// The newest 50 in-app messages (across the tenants the person belongs to).
async fn inbox(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(app::outbox::inbox(&state.pool, claims.sub, 50).await?))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preferences {
    /// In order of preference: `whatsapp`, `sms`, `email` (in-app is always on).
    channels: Vec<String>,
    /// `en` or `ta`.
    language: String,
}

super::responses::envelope! {
    PreferencesEnvelope(Preferences);
}

/// How the person wants to be reached.
#[utoipa::path(get, path = "/me/notification-preferences", operation_id = "getNotificationPreferences",
    responses((status = 200, description = "The preferences", body = PreferencesEnvelope)))]
async fn preferences(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<Response, AppError> {
    let (channels, language): (Vec<String>, String) =
        sqlx::query_as("SELECT notification_channels, locale FROM users WHERE id = $1")
            .bind(claims.sub)
            .fetch_one(&state.pool)
            .await?;
    Ok(ok(Preferences { channels, language }))
}

/// Replace how the person wants to be reached.
#[utoipa::path(put, path = "/me/notification-preferences", operation_id = "setNotificationPreferences",
    request_body = Preferences,
    responses((status = 200, description = "The preferences as saved", body = PreferencesEnvelope)))]
async fn set_preferences(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<Preferences>,
) -> Result<Response, AppError> {
    let mut seen = Vec::new();
    for c in &body.channels {
        match Channel::parse(c) {
            Some(Channel::InApp) => {
                return Err(AppError::validation("channels", "in_app is always on; list whatsapp, sms or email"));
            }
            Some(_) if seen.contains(c) => {
                return Err(AppError::validation("channels", format!("{c} is listed twice")));
            }
            Some(_) => seen.push(c.clone()),
            None => {
                return Err(AppError::validation("channels", format!("{c:?} is not a channel (whatsapp, sms, email)")));
            }
        }
    }
    if !["en", "ta"].contains(&body.language.as_str()) {
        return Err(AppError::validation("language", "must be en or ta"));
    }
    sqlx::query("UPDATE users SET notification_channels = $2, locale = $3 WHERE id = $1")
        .bind(claims.sub)
        .bind(&body.channels)
        .bind(&body.language)
        .execute(&state.pool)
        .await?;
    Ok(ok(body))
}
