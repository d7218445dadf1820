//! Small platform endpoints: liveness, readiness, the PWA manifest, the JWKS.

use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// The process is up and serving. Says nothing about its dependencies.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Ready for traffic: the database answers and every migration is applied.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let check = tokio::time::timeout(Duration::from_secs(2), async {
        sqlx::query("SELECT 1").execute(&state.pool).await?;
        crate::db::migrations_applied(&state.pool).await
    })
    .await;
    let (database, migrations) = match check {
        Ok(Ok(true)) => ("ok", "ok"),
        Ok(Ok(false)) => ("ok", "pending"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            ("unreachable", "unknown")
        }
        Err(_) => ("timeout", "unknown"),
    };
    let ready = database == "ok" && migrations == "ok";
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": { "database": database, "migrations": migrations },
    });
    (status, Json(body)).into_response()
}

/// The web app manifest that makes Mandi installable.
pub async fn manifest() -> Response {
    let body = json!({
        "name": "Mandi — farm to market",
        "short_name": "Mandi",
        "description": "Farm-fresh produce with its provenance, and the market's ledger.",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": "#fafaf9",
        "theme_color": "#047857",
        "lang": "en",
        "icons": [
            { "src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png" },
            { "src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png" },
            { "src": "/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable" },
            { "src": "/icons/icon.svg", "sizes": "any", "type": "image/svg+xml" }
        ]
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json"), (header::CACHE_CONTROL, "public, max-age=3600")],
        body.to_string(),
    )
        .into_response()
}

/// The public half of the token-signing key, for clients and services that verify
/// Mandi's access tokens themselves.
pub async fn jwks(State(state): State<AppState>) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(state.keys.jwks().clone())).into_response()
}
