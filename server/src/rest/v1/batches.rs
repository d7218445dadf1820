//! `/api/v1/batches` (lots, their hash-chained histories, verification and EPCIS 2.0
//! export, as the AgroBridge API has them) and `/api/v1/cold-chain-limits` (each crop's
//! cold chain).

use super::extract::{ApiJson, Authenticated, ClientIp, parse_query};
use super::responses::envelope;
use super::routes::Routes;
use app::domain::batch_event::NewBatchEvent;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{BatchesRecord, BatchesView, ThresholdsManage};
use app::envelope::{meta, ok};
use app::error::AppError;
use app::state::AppState;
use app::trace::batches_service::{self, PAGE};
use app::trace::model::{ColdChainRequest, NewBatch};
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, show, record, verify, export, limits, set_limits))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/batches", Requires(BatchesView), list)
        .post("/batches", Requires(BatchesRecord), create)
        .get("/batches/{code}", Requires(BatchesView), show)
        .post("/batches/{code}/events", Requires(BatchesRecord), record)
        .get("/batches/{code}/verify", Requires(BatchesView), verify)
        .get("/batches/{code}/epcis", Requires(BatchesView), export)
        .get("/cold-chain-limits", Requires(BatchesView), limits)
        .put("/cold-chain-limits/{crop}", Requires(ThresholdsManage), set_limits)
}

envelope! {
    BatchHistoryEnvelope(app::trace::model::BatchHistory);
    RecordedEventEnvelope(app::trace::model::RecordedEvent);
    ChainStateEnvelope(app::trace::model::ChainState);
    ColdChainEnvelope(app::trace::model::ColdChainView);
    ColdChainsEnvelope(Vec<app::trace::model::ColdChainView>);
}

super::responses::keyset! {
    BatchSummaryPage(app::trace::model::BatchSummary);
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    cursor: Option<String>,
}

/// The tenant's lots, newest harvest first, 50 a page.
#[utoipa::path(get, path = "/batches", operation_id = "listBatches",
    params(
        ("q" = Option<String>, Query, description = "The start of a code, a crop or a farm's name"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the page before"),
    ),
    responses(
        (status = 200, description = "A page of lots", body = BatchSummaryPage),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn list(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: ListQuery = parse_query(raw.as_deref())?;
    let page = batches_service::list(&state.pool, &claims, q.q.as_deref(), q.cursor.as_deref()).await?;
    Ok(axum::Json(serde_json::json!({
        "success": true,
        "data": page.batches,
        "meta": meta(),
        "pagination": { "limit": PAGE, "hasMore": page.next.is_some(), "nextCursor": page.next },
    }))
    .into_response())
}

/// A new lot, recorded with its harvest (the first event of its chain).
#[utoipa::path(post, path = "/batches", operation_id = "createBatch",
    request_body = NewBatch,
    responses(
        (status = 201, description = "The lot's harvest event", body = RecordedEventEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn create(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<NewBatch>,
) -> Result<Response, AppError> {
    let made = batches_service::create(&state.pool, &claims, &body, ip.as_deref()).await?;
    Ok((StatusCode::CREATED, ok(made)).into_response())
}

/// A lot's whole history in the order it was recorded, verified.
#[utoipa::path(get, path = "/batches/{code}", operation_id = "getBatch",
    params(("code" = String, Path, description = "The lot's code (any case)")),
    responses(
        (status = 200, description = "The lot's history", body = BatchHistoryEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    Ok(ok(batches_service::history(&state.pool, &claims, &code).await?.view()))
}

/// Record an event of a lot. Send your own `eventId`: the same id and facts again (a
/// retry) answer the event recorded (200), other facts under it 409. A temperature
/// outside the crop's cold chain is recorded, marked, and opens one alert.
#[utoipa::path(post, path = "/batches/{code}/events", operation_id = "recordBatchEvent",
    params(("code" = String, Path)),
    request_body = NewBatchEvent,
    responses(
        (status = 201, description = "Recorded", body = RecordedEventEnvelope),
        (status = 200, description = "Recorded before (a retry)", body = RecordedEventEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn record(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<NewBatchEvent>,
) -> Result<Response, AppError> {
    let done = batches_service::record(&state.pool, &claims, &code, &body, ip.as_deref()).await?;
    let status = if done.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, ok(done)).into_response())
}

/// Recompute the lot's chain and say whether, and where, it breaks.
#[utoipa::path(get, path = "/batches/{code}/verify", operation_id = "verifyBatch",
    params(("code" = String, Path)),
    responses(
        (status = 200, description = "The verdict", body = ChainStateEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn verify(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    Ok(ok(batches_service::history(&state.pool, &claims, &code).await?.chain))
}

/// The lot's history as an EPCIS 2.0 JSON-LD document (`application/ld+json`, not in
/// the envelope: it is the standard's document), in the order it was recorded. Each
/// event's `eventID` is its GS1 event hash; chaining them in order
/// (`SHA-256(hash ‖ previous)`) gives the head that `verify` reports.
#[utoipa::path(get, path = "/batches/{code}/epcis", operation_id = "exportBatchEpcis",
    params(("code" = String, Path)),
    responses(
        (status = 200, description = "An EPCISDocument", content_type = "application/ld+json", body = Object),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn export(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let document = batches_service::epcis_document(&state.pool, &claims, &code).await?;
    Ok(([(header::CONTENT_TYPE, "application/ld+json")], axum::Json(document)).into_response())
}

/// Each crop's cold chain.
#[utoipa::path(get, path = "/cold-chain-limits", operation_id = "listColdChainLimits",
    responses((status = 200, description = "The limits", body = ColdChainsEnvelope)))]
async fn limits(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(batches_service::limits(&state.pool, &claims).await?))
}

/// Set a crop's cold chain (°C). Temperatures recorded after it are judged by it;
/// those recorded before keep the limits they were judged by.
#[utoipa::path(put, path = "/cold-chain-limits/{crop}", operation_id = "setColdChainLimits",
    params(("crop" = String, Path, description = "The crop, as lots name it")),
    request_body = ColdChainRequest,
    responses(
        (status = 200, description = "The limits", body = ColdChainEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn set_limits(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(crop): Path<String>,
    ApiJson(body): ApiJson<ColdChainRequest>,
) -> Result<Response, AppError> {
    let set = batches_service::set_limits(&state.pool, &claims, &crop, &body.min_c, &body.max_c, ip.as_deref()).await?;
    Ok(ok(set))
}
