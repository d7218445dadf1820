//! The trace page's pictures at their own addresses (`/trace/{code}/qr.svg`,
//! `/trace/{code}/temperatures.svg`), so the page's HTML stays small on a slow phone
//! and a printed label or a shared page can fetch them alone. Public, like the page.

use app::error::AppError;
use app::state::AppState;
use app::trace::model::normalize_code;
use app::trace::trace_images;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn site_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/trace/{code}/qr.svg", get(qr))
        .route("/trace/{code}/temperatures.svg", get(temperatures))
}

fn svg(body: String, max_age: u32) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_string()),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
        ],
        body,
    )
        .into_response()
}

/// The QR code of a lot's public page. Only a lot that exists gets one.
async fn qr(State(state): State<AppState>, Path(code): Path<String>) -> Result<Response, AppError> {
    let code = normalize_code(&code).ok_or_else(|| AppError::not_found("Batch"))?;
    let known: bool =
        sqlx::query_scalar("SELECT batch_tenant($1) IS NOT NULL").bind(&code).fetch_one(&state.pool).await?;
    if !known {
        return Err(AppError::not_found("Batch"));
    }
    let url = format!("{}/trace/{code}", state.config.public_base_url.trim_end_matches('/'));
    Ok(svg(trace_images::qr_svg(&url)?, 86_400))
}

/// The lot's temperatures against its cold chain (404 with fewer than two).
async fn temperatures(State(state): State<AppState>, Path(code): Path<String>) -> Result<Response, AppError> {
    let report = app::trace::service::trace(&state.pool, state.store_tenant, &code).await?;
    let chart = trace_images::temperature_svg(&report.events, report.cold_chain.as_ref())?
        .ok_or_else(|| AppError::not_found("Temperature chart"))?;
    // A new reading changes it: a minute's staleness at most.
    Ok(svg(chart, 60))
}
