//! `/api/v1/ledger/settlements`: generate (admins), list and read slips (farmers their
//! own), approve (staff, admins, the grower their own: queues the WhatsApp slip), mark
//! paid, send a failed message again; and `/api/v1/ledger/slips/{token}`, the slip
//! behind a WhatsApp link, for whoever holds the link.

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id, parse_limit, parse_query};
use super::routes::Routes;
use app::domain::permissions::Access::{Public, Requires};
use app::domain::permissions::Action::{ReportsView, SettlementApprove, SettlementGenerate};
use app::envelope::ok;
use app::error::AppError;
use app::ledger::context::LedgerCaller;
use app::ledger::model::*;
use app::ledger::settlement_service;
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(generate, list, show, approve, paid, resend, by_token))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .post("/ledger/settlements", Requires(SettlementGenerate), generate)
        .get("/ledger/settlements", Requires(ReportsView), list)
        .get("/ledger/settlements/{id}", Requires(ReportsView), show)
        .post("/ledger/settlements/{id}/approve", Requires(SettlementApprove), approve)
        .post("/ledger/settlements/{id}/paid", Requires(SettlementGenerate), paid)
        .post("/ledger/settlements/{id}/resend", Requires(SettlementApprove), resend)
        .get("/ledger/slips/{token}", Public, by_token)
}

/// Settle one grower (`farmerId`) or every grower with unsettled entries over the
/// market days `from`..=`to`. Growers with an entry still waiting for its rate are
/// skipped and listed in `skipped`.
#[utoipa::path(post, path = "/ledger/settlements", operation_id = "ledgerGenerateSettlements",
    request_body = app::ledger::model::GenerateInput,
    responses((status = 201, description = "The settlements made (possibly none)", body = super::responses::LedgerGenerateEnvelope)))]
async fn generate(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<GenerateInput>,
) -> Result<Response, AppError> {
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    let outcome = settlement_service::generate(&state.pool, &caller, &input, chrono::Utc::now(), ip.as_deref()).await?;
    let mut response = ok(outcome).into_response();
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
}

/// Settlements, newest first (farmers: their own).
#[utoipa::path(get, path = "/ledger/settlements", operation_id = "ledgerSettlements",
    params(
        ("status" = Option<String>, Query, description = "`generated`, `approved`, `paid` or `cancelled`"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Default 100"),
    ),
    responses((status = 200, description = "Settlements", body = super::responses::LedgerSettlementsEnvelope)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: ListQuery = parse_query(raw.as_deref())?;
    let limit = parse_limit(q.limit.as_deref(), 100, 500)?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(settlement_service::list(&state.pool, &caller, q.status.as_deref().filter(|s| !s.is_empty()), limit).await?))
}

/// A settlement's slip: figures, lines per flower and rate, approvals.
#[utoipa::path(get, path = "/ledger/settlements/{id}", operation_id = "ledgerSlip",
    params(("id" = uuid::Uuid, Path, description = "The settlement's id")),
    responses(
        (status = 200, description = "The slip", body = super::responses::LedgerSlipEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(settlement_service::slip(&state.pool, &caller, id).await?))
}

/// Approve a settlement. The first approval makes it `approved` and queues the slip
/// to the grower on WhatsApp (SMS without a WhatsApp number) in their language.
#[utoipa::path(post, path = "/ledger/settlements/{id}/approve", operation_id = "ledgerApproveSettlement",
    params(("id" = uuid::Uuid, Path, description = "The settlement's id")),
    responses(
        (status = 200, description = "The slip, approved", body = super::responses::LedgerSlipEnvelope),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn approve(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(settlement_service::approve(&state.pool, &caller, id, &state.config.public_base_url, ip.as_deref()).await?))
}

/// Record the payment of an approved settlement.
#[utoipa::path(post, path = "/ledger/settlements/{id}/paid", operation_id = "ledgerMarkPaid",
    params(("id" = uuid::Uuid, Path, description = "The settlement's id")),
    request_body = app::ledger::model::PaidInput,
    responses(
        (status = 200, description = "Paid", body = super::responses::LedgerSettlementEnvelope),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn paid(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PaidInput>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(settlement_service::mark_paid(&state.pool, &caller, id, &input, ip.as_deref()).await?))
}

/// Send the slip's message again after it failed (staff and admins).
#[utoipa::path(post, path = "/ledger/settlements/{id}/resend", operation_id = "ledgerResendSlip",
    params(("id" = uuid::Uuid, Path, description = "The settlement's id")),
    responses(
        (status = 200, description = "Queued again", body = super::responses::LedgerSettlementEnvelope),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn resend(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let caller = LedgerCaller::from_claims(&state.pool, &claims).await?;
    Ok(ok(settlement_service::resend(&state.pool, &caller, id, ip.as_deref()).await?))
}

/// The slip behind the link in a WhatsApp message: no sign-in, valid 90 days.
#[utoipa::path(get, path = "/ledger/slips/{token}", operation_id = "ledgerSlipByLink",
    params(("token" = String, Path, description = "The token of the link")),
    responses(
        (status = 200, description = "The slip", body = super::responses::LedgerSlipEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn by_token(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    Ok(ok(settlement_service::slip_by_token(&state.pool, &token, chrono::Utc::now()).await?))
}
