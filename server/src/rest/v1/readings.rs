//! `/api/v1/farms/{id}/readings` (a farm's sensor and weather readings, in batches) and
//! `/api/v1/reading-thresholds` (each crop's acceptable ranges).

use super::extract::{ApiJson, Authenticated, ClientIp};
use super::routes::Routes;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{ReadingsRecord, ThresholdsManage};
use app::domain::readings::parse_batch;
use app::envelope::ok;
use app::error::AppError;
use app::field::model::{ReadingBatch, ThresholdRequest};
use app::field::{readings_service, thresholds_service};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(utoipa::OpenApi)]
#[openapi(paths(record, thresholds, set_threshold, remove_threshold))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .post("/farms/{id}/readings", Requires(ReadingsRecord), record)
        .get("/reading-thresholds", Requires(ThresholdsManage), thresholds)
        .put("/reading-thresholds/{crop}/{metric}", Requires(ThresholdsManage), set_threshold)
        .delete("/reading-thresholds/{crop}/{metric}", Requires(ThresholdsManage), remove_threshold)
}

/// Store a batch of up to 1,000 readings for a farm (its id or slug). All or nothing:
/// each refused reading is named by its place (`readings[3].value`). The same sensor,
/// metric and time sent again is a no-op; with another value, 409. Readings judged
/// out of range by the farm's crops' thresholds, several in a row, open one alert.
#[utoipa::path(post, path = "/farms/{id}/readings", operation_id = "recordReadings",
    params(("id" = String, Path, description = "The farm's id or slug")),
    request_body = ReadingBatch,
    responses(
        (status = 200, description = "What was stored", body = super::responses::IngestOutcomeEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn record(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReadingBatch>,
) -> Result<Response, AppError> {
    let readings = parse_batch(&body.readings, chrono::Utc::now())
        .map_err(|errs| AppError::Validation { fields: errs.into_iter().collect() })?;
    Ok(ok(readings_service::ingest(&state.pool, &claims, &id, &readings).await?))
}

/// Every crop's ranges.
#[utoipa::path(get, path = "/reading-thresholds", operation_id = "listReadingThresholds",
    responses((status = 200, description = "The ranges", body = super::responses::ThresholdsEnvelope)))]
async fn thresholds(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(thresholds_service::list(&state.pool, &claims).await?))
}

/// Set a crop's range of a metric (a minimum, a maximum or both), and how many
/// readings in a row outside it open an alert (default 3).
#[utoipa::path(put, path = "/reading-thresholds/{crop}/{metric}", operation_id = "setReadingThreshold",
    params(("crop" = String, Path), ("metric" = String, Path, description = "e.g. `temperature`")),
    request_body = ThresholdRequest,
    responses(
        (status = 200, description = "The range", body = super::responses::ThresholdEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn set_threshold(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path((crop, metric)): Path<(String, String)>,
    ApiJson(body): ApiJson<ThresholdRequest>,
) -> Result<Response, AppError> {
    Ok(ok(thresholds_service::put(&state.pool, &claims, &crop, &metric, &body, ip.as_deref()).await?))
}

/// Remove a crop's range of a metric (a no-op when none is set).
#[utoipa::path(delete, path = "/reading-thresholds/{crop}/{metric}", operation_id = "removeReadingThreshold",
    params(("crop" = String, Path), ("metric" = String, Path)),
    responses((status = 200, description = "Removed"), (status = 400, response = super::responses::ValidationFailed)))]
async fn remove_threshold(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path((crop, metric)): Path<(String, String)>,
) -> Result<Response, AppError> {
    thresholds_service::remove(&state.pool, &claims, &crop, &metric, ip.as_deref()).await?;
    Ok(ok(serde_json::json!({ "removed": true })))
}
