//! `/api/v1/ledger/{farmers,flower-types,slots,terms,advances}`: the market's reference
//! data as its admin keeps it. Reads for staff and admins (the tablet shows them);
//! growers, terms and advances are changed by admins (`UsersManage`), flower types and
//! slots too (`RatesConfigure`). Every change moves `referenceVersion` and is audited.

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id, parse_query};
use super::routes::Routes;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{LedgerCreateEntry, RatesConfigure, UsersManage};
use app::envelope::ok;
use app::error::AppError;
use app::ledger::admin_model::*;
use app::ledger::admin_service;
use app::ledger::context::LedgerCaller;
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    farmers,
    create_farmer,
    update_farmer,
    flower_types,
    create_flower_type,
    update_flower_type,
    slots,
    create_slot,
    update_slot,
    terms,
    save_terms,
    advances,
    give_advance
))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/ledger/farmers", Requires(LedgerCreateEntry), farmers)
        .post("/ledger/farmers", Requires(UsersManage), create_farmer)
        .patch("/ledger/farmers/{id}", Requires(UsersManage), update_farmer)
        .get("/ledger/flower-types", Requires(LedgerCreateEntry), flower_types)
        .post("/ledger/flower-types", Requires(RatesConfigure), create_flower_type)
        .patch("/ledger/flower-types/{id}", Requires(RatesConfigure), update_flower_type)
        .get("/ledger/slots", Requires(LedgerCreateEntry), slots)
        .post("/ledger/slots", Requires(RatesConfigure), create_slot)
        .patch("/ledger/slots/{id}", Requires(RatesConfigure), update_slot)
        .get("/ledger/terms", Requires(LedgerCreateEntry), terms)
        .put("/ledger/terms", Requires(UsersManage), save_terms)
        .get("/ledger/advances", Requires(UsersManage), advances)
        .post("/ledger/advances", Requires(UsersManage), give_advance)
}

fn created(data: impl serde::Serialize) -> Response {
    let mut response = ok(data).into_response();
    *response.status_mut() = StatusCode::CREATED;
    response
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FarmersQuery {
    q: Option<String>,
}

/// The market's growers by number, inactive ones too.
#[utoipa::path(get, path = "/ledger/farmers", operation_id = "ledgerFarmers",
    params(("q" = Option<String>, Query, description = "Finds by number, name (either script), village or phone")),
    responses((status = 200, description = "Growers", body = super::responses::LedgerGrowersEnvelope)))]
async fn farmers(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: FarmersQuery = parse_query(raw.as_deref())?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::list_growers(&state.pool, &caller, q.q.as_deref()).await?).into_response())
}

/// Add a grower. `farmerNo` is the next free number when left out.
#[utoipa::path(post, path = "/ledger/farmers", operation_id = "ledgerCreateFarmer",
    request_body = app::ledger::admin_model::GrowerInput,
    responses((status = 201, description = "The grower", body = super::responses::LedgerGrowerEnvelope)))]
async fn create_farmer(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<GrowerInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(created(admin_service::create_grower(&state.pool, &caller, &input, ip.as_deref()).await?))
}

/// Change a grower; fields left out stay as they are (`""` removes a phone).
#[utoipa::path(patch, path = "/ledger/farmers/{id}", operation_id = "ledgerUpdateFarmer",
    params(("id" = uuid::Uuid, Path, description = "The grower's id")),
    request_body = app::ledger::admin_model::GrowerInput,
    responses(
        (status = 200, description = "The grower", body = super::responses::LedgerGrowerEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn update_farmer(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<GrowerInput>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::update_grower(&state.pool, &caller, id, &input, ip.as_deref()).await?).into_response())
}

/// The market's flower types, in tablet order, inactive ones too.
#[utoipa::path(get, path = "/ledger/flower-types", operation_id = "ledgerFlowerTypes",
    responses((status = 200, description = "Flower types", body = super::responses::LedgerFlowerTypesEnvelope)))]
async fn flower_types(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::list_flower_types(&state.pool, &caller).await?).into_response())
}

/// Add a flower type.
#[utoipa::path(post, path = "/ledger/flower-types", operation_id = "ledgerCreateFlowerType",
    request_body = app::ledger::admin_model::FlowerTypeInput,
    responses((status = 201, description = "The flower type", body = super::responses::LedgerFlowerTypeEnvelope)))]
async fn create_flower_type(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<FlowerTypeInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(created(admin_service::create_flower_type(&state.pool, &caller, &input, ip.as_deref()).await?))
}

/// Change a flower type; fields left out stay as they are.
#[utoipa::path(patch, path = "/ledger/flower-types/{id}", operation_id = "ledgerUpdateFlowerType",
    params(("id" = uuid::Uuid, Path, description = "The flower type's id")),
    request_body = app::ledger::admin_model::FlowerTypeInput,
    responses(
        (status = 200, description = "The flower type", body = super::responses::LedgerFlowerTypeEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn update_flower_type(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FlowerTypeInput>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::update_flower_type(&state.pool, &caller, id, &input, ip.as_deref()).await?).into_response())
}

/// The market's time slots by start, inactive ones too.
#[utoipa::path(get, path = "/ledger/slots", operation_id = "ledgerSlots",
    responses((status = 200, description = "Time slots", body = super::responses::LedgerSlotsEnvelope)))]
async fn slots(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::list_slots(&state.pool, &caller).await?).into_response())
}

/// Add a time slot; one that overlaps an active slot is a conflict.
#[utoipa::path(post, path = "/ledger/slots", operation_id = "ledgerCreateSlot",
    request_body = app::ledger::admin_model::SlotInput,
    responses((status = 201, description = "The slot", body = super::responses::LedgerSlotEnvelope)))]
async fn create_slot(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<SlotInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(created(admin_service::create_slot(&state.pool, &caller, &input, ip.as_deref()).await?))
}

/// Change a time slot (or switch it off with `active: false`).
#[utoipa::path(patch, path = "/ledger/slots/{id}", operation_id = "ledgerUpdateSlot",
    params(("id" = uuid::Uuid, Path, description = "The slot's id")),
    request_body = app::ledger::admin_model::SlotInput,
    responses(
        (status = 200, description = "The slot", body = super::responses::LedgerSlotEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn update_slot(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SlotInput>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::update_slot(&state.pool, &caller, id, &input, ip.as_deref()).await?).into_response())
}

/// The market's terms: commission, fees and the tablet's limits.
#[utoipa::path(get, path = "/ledger/terms", operation_id = "ledgerTerms",
    responses((status = 200, description = "The terms", body = super::responses::LedgerTermsEnvelope)))]
async fn terms(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::terms(&state.pool, &caller).await?).into_response())
}

/// Set the market's terms; fields left out stay as they are.
#[utoipa::path(put, path = "/ledger/terms", operation_id = "ledgerSaveTerms",
    request_body = app::ledger::admin_model::TermsInput,
    responses((status = 200, description = "The terms", body = super::responses::LedgerTermsEnvelope)))]
async fn save_terms(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<TermsInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::save_terms(&state.pool, &caller, &input, ip.as_deref()).await?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AdvancesQuery {
    farmer_id: Option<String>,
    owing: Option<String>,
}

/// Advances, newest first, with what each still owes.
#[utoipa::path(get, path = "/ledger/advances", operation_id = "ledgerAdvances",
    params(
        ("farmerId" = Option<uuid::Uuid>, Query, description = "One grower's"),
        ("owing" = Option<bool>, Query, description = "`true`: only those still owing"),
    ),
    responses((status = 200, description = "Advances", body = super::responses::LedgerAdvancesEnvelope)))]
async fn advances(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: AdvancesQuery = parse_query(raw.as_deref())?;
    let farmer = q.farmer_id.as_deref().filter(|s| !s.is_empty()).map(|s| parse_id(s, "farmerId")).transpose()?;
    let owing = match q.owing.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::validation("owing", "must be true or false")),
    };
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(admin_service::list_advances(&state.pool, &caller, farmer, owing).await?).into_response())
}

/// Give a grower an advance; later settlements recover it, oldest first.
#[utoipa::path(post, path = "/ledger/advances", operation_id = "ledgerGiveAdvance",
    request_body = app::ledger::admin_model::AdvanceInput,
    responses((status = 201, description = "The advance", body = super::responses::LedgerAdvanceEnvelope)))]
async fn give_advance(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<AdvanceInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(created(admin_service::give_advance(&state.pool, &caller, &input, chrono::Utc::now(), ip.as_deref()).await?))
}
