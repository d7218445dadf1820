//! `/api/v1/me/farms` and `/api/v1/me/statements`: a farm owner's farms, one farm in
//! depth, and their statements (JSON, and the PDF the owner downloads).

use super::extract::{Authenticated, parse_id};
use super::routes::Routes;
use app::domain::distribution::ist_date;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::HoldingsView;
use app::envelope::ok;
use app::error::AppError;
use app::farms::model::parse_financial_year;
use app::farms::owner_service as owners;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(utoipa::OpenApi)]
#[openapi(paths(farms, farm, statement, statement_pdf, annual, annual_pdf))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/me/farms", Requires(HoldingsView), farms)
        .get("/me/farms/{slug}", Requires(HoldingsView), farm)
        .get("/me/statements/{id}", Requires(HoldingsView), statement)
        .get("/me/statements/{id}/pdf", Requires(HoldingsView), statement_pdf)
        .get("/me/statements/annual/{year}", Requires(HoldingsView), annual)
        .get("/me/statements/annual/{year}/pdf", Requires(HoldingsView), annual_pdf)
}

fn today() -> chrono::NaiveDate {
    ist_date(chrono::Utc::now())
}

/// The farms the caller holds or held shares in, with health, trend and last payout.
#[utoipa::path(get, path = "/me/farms", operation_id = "listMyFarms",
    responses((status = 200, description = "The caller's farms", body = super::responses::OwnedFarmsEnvelope)))]
async fn farms(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(owners::my_farms(&state.pool, &claims, today()).await?))
}

/// One of the caller's farms: plants, money per month, statements. 404 for a farm the
/// caller holds no shares in.
#[utoipa::path(get, path = "/me/farms/{slug}", operation_id = "getMyFarm",
    params(("slug" = String, Path, description = "The farm's slug")),
    responses(
        (status = 200, description = "The farm", body = super::responses::OwnedFarmEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn farm(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    Ok(ok(owners::my_farm(&state.pool, &claims, &slug, today()).await?))
}

/// One of the caller's statements; someone else's is 404, like one that does not exist.
#[utoipa::path(get, path = "/me/statements/{id}", operation_id = "getMyStatement",
    params(("id" = uuid::Uuid, Path, description = "The payout's id")),
    responses(
        (status = 200, description = "The statement", body = super::responses::StatementEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn statement(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Statement"))?;
    Ok(ok(owners::my_statement(&state.pool, &claims, id).await?))
}

/// The statement as a PDF, in the owner's language.
#[utoipa::path(get, path = "/me/statements/{id}/pdf", operation_id = "getMyStatementPdf",
    params(("id" = uuid::Uuid, Path, description = "The payout's id")),
    responses(
        (status = 200, description = "The statement (application/pdf)", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn statement_pdf(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    crate::statements::download::statement(&state, &claims, &id).await
}

/// Payouts of an Indian financial year with the tax deducted at source.
#[utoipa::path(get, path = "/me/statements/annual/{year}", operation_id = "getMyAnnualStatement",
    params(("year" = String, Path, description = "The financial year: `2026-27` (April 2026 to March 2027)")),
    responses(
        (status = 200, description = "The annual statement", body = super::responses::AnnualStatementEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn annual(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(year): Path<String>,
) -> Result<Response, AppError> {
    let year = parse_financial_year(&year)?;
    Ok(ok(owners::my_annual_statement(&state.pool, &claims, year).await?))
}

/// The annual statement as a PDF, in the owner's language.
#[utoipa::path(get, path = "/me/statements/annual/{year}/pdf", operation_id = "getMyAnnualStatementPdf",
    params(("year" = String, Path, description = "The financial year: `2026-27`")),
    responses(
        (status = 200, description = "The annual statement (application/pdf)", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn annual_pdf(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(year): Path<String>,
) -> Result<Response, AppError> {
    crate::statements::download::annual(&state, &claims, &year).await
}
