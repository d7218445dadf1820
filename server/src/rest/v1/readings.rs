//! `/api/v1/farms/{id}/readings` (a farm's sensor and weather readings, in batches),
//! `/api/v1/farms/{id}/sensor-keys` (the keys its sensors send them with) and
//! `/api/v1/reading-thresholds` (each crop's acceptable ranges).

use super::extract::{ApiJson, Authenticated, ClientIp};
use super::routes::Routes;
use app::account::session::Session;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{ReadingsRecord, ThresholdsManage};
use app::domain::readings::parse_batch;
use app::envelope::ok;
use app::error::AppError;
use app::field::model::{NewSensorKey, ReadingBatch, ThresholdRequest};
use app::field::sensor_keys_service::{self, SensorKey};
use app::field::{readings_service, thresholds_service};
use app::state::AppState;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    record,
    thresholds,
    set_threshold,
    remove_threshold,
    sensor_keys,
    create_sensor_key,
    revoke_sensor_key
))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .post("/farms/{id}/readings", Requires(ReadingsRecord), record)
        .get("/farms/{id}/sensor-keys", Requires(ThresholdsManage), sensor_keys)
        .post("/farms/{id}/sensor-keys", Requires(ThresholdsManage), create_sensor_key)
        .delete("/farms/{id}/sensor-keys/{key}", Requires(ThresholdsManage), revoke_sensor_key)
        .get("/reading-thresholds", Requires(ThresholdsManage), thresholds)
        .put("/reading-thresholds/{crop}/{metric}", Requires(ThresholdsManage), set_threshold)
        .delete("/reading-thresholds/{crop}/{metric}", Requires(ThresholdsManage), remove_threshold)
}

/// Store a batch of up to 1,000 readings for a farm (its id or slug). All or nothing:
/// each refused reading is named by its place (`readings[3].value`). The same sensor,
/// metric and time sent again is a no-op; with another value, 409. Readings judged
/// out of range by the farm's crops' thresholds, several in a row, open one alert.
/// Sent by a field agent or ops (their access token), or by a sensor with the farm's
/// sensor key (`Authorization: Bearer msk_…`), which is good for this farm only.
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
    recorder: Recorder,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReadingBatch>,
) -> Result<Response, AppError> {
    let readings = parse_batch(&body.readings, chrono::Utc::now())
        .map_err(|errs| AppError::Validation { fields: errs.into_iter().collect() })?;
    let outcome = match recorder {
        Recorder::Person(claims) => readings_service::ingest(&state.pool, &claims, &id, &readings).await?,
        Recorder::Sensor(key) => readings_service::ingest_as_sensor(&state.pool, key, &id, &readings).await?,
    };
    Ok(ok(outcome))
}

/// Who sends readings: a signed-in person, or a sensor with its farm's key.
enum Recorder {
    Person(app::account::tokens::Claims),
    Sensor(SensorKey),
}

impl<S: Send + Sync> FromRequestParts<S> for Recorder {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(Recorder::Person(s.claims.clone()));
        }
        parts.extensions.get::<SensorKey>().map(|k| Recorder::Sensor(*k)).ok_or(AppError::Unauthenticated)
    }
}

/// The farm's sensor keys, newest first (never their secrets).
#[utoipa::path(get, path = "/farms/{id}/sensor-keys", operation_id = "listSensorKeys",
    params(("id" = String, Path, description = "The farm's id or slug")),
    responses(
        (status = 200, description = "The keys", body = super::responses::SensorKeysEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn sensor_keys(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(ok(sensor_keys_service::list(&state.pool, &claims, &id).await?))
}

/// Issue a key for one of the farm's sensors. The answer's `key` is shown this once:
/// only its digest is kept.
#[utoipa::path(post, path = "/farms/{id}/sensor-keys", operation_id = "createSensorKey",
    params(("id" = String, Path, description = "The farm's id or slug")),
    request_body = NewSensorKey,
    responses(
        (status = 201, description = "The key, with its secret", body = super::responses::SensorKeyEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn create_sensor_key(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewSensorKey>,
) -> Result<Response, AppError> {
    let made = sensor_keys_service::create(&state.pool, &claims, &id, &body, ip.as_deref()).await?;
    Ok((StatusCode::CREATED, ok(made)).into_response())
}

/// Revoke a sensor key: its next batch is refused (401).
#[utoipa::path(delete, path = "/farms/{id}/sensor-keys/{key}", operation_id = "revokeSensorKey",
    params(("id" = String, Path, description = "The farm's id or slug"), ("key" = uuid::Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn revoke_sensor_key(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let key = super::extract::parse_id(&key, "key").map_err(|_| AppError::not_found("Sensor key"))?;
    sensor_keys_service::revoke(&state.pool, &claims, &id, key, ip.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
