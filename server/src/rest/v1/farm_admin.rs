//! `/api/v1/admin/farms/...` and `/api/v1/admin/ownership-settings`: the estate admin's
//! farms, agreements, revenue and costs (one at a time or a CSV), and rates.

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id};
use super::routes::Routes;
use app::domain::distribution::{Month, ist_date};
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::FarmsManage;
use app::envelope::ok;
use app::error::AppError;
use app::farms::admin_service as admin;
use app::farms::model::*;
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_farms,
    show_farm,
    update_farm,
    list_agreements,
    add_agreement,
    end_agreement,
    list_money,
    add_money,
    import_money,
    get_settings,
    put_settings
))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/farms", Requires(FarmsManage), list_farms)
        .get("/admin/farms/{farm}", Requires(FarmsManage), show_farm)
        .put("/admin/farms/{farm}", Requires(FarmsManage), update_farm)
        .get("/admin/farms/{farm}/agreements", Requires(FarmsManage), list_agreements)
        .post("/admin/farms/{farm}/agreements", Requires(FarmsManage), add_agreement)
        .patch("/admin/agreements/{id}", Requires(FarmsManage), end_agreement)
        .get("/admin/farms/{farm}/money", Requires(FarmsManage), list_money)
        .post("/admin/farms/{farm}/money", Requires(FarmsManage), add_money)
        .post("/admin/farms/{farm}/money/import", Requires(FarmsManage), import_money)
        .get("/admin/ownership-settings", Requires(FarmsManage), get_settings)
        .put("/admin/ownership-settings", Requires(FarmsManage), put_settings)
}

fn today() -> chrono::NaiveDate {
    ist_date(chrono::Utc::now())
}

fn created(data: impl serde::Serialize) -> Response {
    let mut response = ok(data).into_response();
    *response.status_mut() = StatusCode::CREATED;
    response
}

/// The estate's farms with units held today and owners.
#[utoipa::path(get, path = "/admin/farms", operation_id = "listAdminFarms",
    responses((status = 200, description = "The farms", body = super::responses::AdminFarmsEnvelope)))]
async fn list_farms(State(state): State<AppState>, Authenticated(claims): Authenticated) -> Result<Response, AppError> {
    Ok(ok(admin::farms(&state.pool, &claims, today()).await?))
}

#[utoipa::path(get, path = "/admin/farms/{farm}", operation_id = "getAdminFarm",
    params(("farm" = String, Path, description = "The farm's id or slug")),
    responses(
        (status = 200, description = "The farm", body = super::responses::AdminFarmEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show_farm(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(farm): Path<String>,
) -> Result<Response, AppError> {
    Ok(ok(admin::farm(&state.pool, &claims, &farm, today()).await?))
}

/// Replace a farm's profile: location, area, infrastructure, crops, total units. Fewer
/// units than agreements hold on some day is a 409.
#[utoipa::path(put, path = "/admin/farms/{farm}", operation_id = "updateAdminFarm",
    params(("farm" = String, Path, description = "The farm's id or slug")),
    request_body = app::farms::model::FarmProfileRequest,
    responses(
        (status = 200, description = "The farm", body = super::responses::AdminFarmEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn update_farm(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(farm): Path<String>,
    ApiJson(body): ApiJson<FarmProfileRequest>,
) -> Result<Response, AppError> {
    let update = body.parse()?;
    Ok(ok(admin::update_farm(&state.pool, &claims, &farm, &update, today(), ip.as_deref()).await?))
}

#[utoipa::path(get, path = "/admin/farms/{farm}/agreements", operation_id = "listAgreements",
    params(("farm" = String, Path, description = "The farm's id or slug")),
    responses(
        (status = 200, description = "The farm's agreements", body = super::responses::AgreementsEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn list_agreements(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(farm): Path<String>,
) -> Result<Response, AppError> {
    Ok(ok(admin::agreements(&state.pool, &claims, &farm).await?))
}

/// A new agreement. Units beyond what the farm has free on any day of it (409), an
/// owner who is not a customer of the estate (400), or days in a month already
/// distributed (409: a paid month never changes) are refused.
#[utoipa::path(post, path = "/admin/farms/{farm}/agreements", operation_id = "createAgreement",
    params(("farm" = String, Path, description = "The farm's id or slug")),
    request_body = app::farms::model::AgreementRequest,
    responses(
        (status = 201, description = "The agreement", body = super::responses::AgreementEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn add_agreement(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(farm): Path<String>,
    ApiJson(body): ApiJson<AgreementRequest>,
) -> Result<Response, AppError> {
    let new = body.parse()?;
    Ok(created(admin::add_agreement(&state.pool, &claims, &farm, &new, ip.as_deref()).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndAgreementRequest {
    /// The last day the agreement counts, `YYYY-MM-DD`.
    ends_on: Option<String>,
}

/// End an agreement on a day.
#[utoipa::path(patch, path = "/admin/agreements/{id}", operation_id = "endAgreement",
    params(("id" = uuid::Uuid, Path, description = "The agreement's id")),
    request_body = EndAgreementRequest,
    responses(
        (status = 200, description = "The agreement", body = super::responses::AgreementEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn end_agreement(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EndAgreementRequest>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    let mut fields = app::error::FieldErrors::new();
    let ends_on = match body.ends_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => parse_date(d, "endsOn", &mut fields),
        None => {
            fields.insert("endsOn".into(), "is required".into());
            None
        }
    };
    let Some(ends_on) = ends_on else { return Err(AppError::Validation { fields }) };
    Ok(ok(admin::end_agreement(&state.pool, &claims, id, ends_on, ip.as_deref()).await?))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `YYYY-MM`.
    period: Option<String>,
}

/// A farm's revenue and cost lines of one month.
#[utoipa::path(get, path = "/admin/farms/{farm}/money", operation_id = "listFarmMoney",
    params(("farm" = String, Path, description = "The farm's id or slug"), PeriodQuery),
    responses(
        (status = 200, description = "The month's lines", body = super::responses::MoneyLinesEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn list_money(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(farm): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: PeriodQuery = super::extract::parse_query(raw.as_deref())?;
    let month = match q.period.as_deref() {
        Some(p) => Month::parse(p).map_err(|e| AppError::validation("period", e.to_string()))?,
        None => Month::containing(today()),
    };
    Ok(ok(admin::money_lines(&state.pool, &claims, &farm, month).await?))
}

/// One revenue (`auction`, `direct`) or cost line. A day in a distributed month is 409.
#[utoipa::path(post, path = "/admin/farms/{farm}/money", operation_id = "addFarmMoney",
    params(("farm" = String, Path, description = "The farm's id or slug")),
    request_body = app::farms::model::MoneyLineRequest,
    responses(
        (status = 201, description = "The line", body = super::responses::MoneyLineEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn add_money(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(farm): Path<String>,
    ApiJson(body): ApiJson<MoneyLineRequest>,
) -> Result<Response, AppError> {
    let line = body.parse()?;
    Ok(created(admin::add_money_line(&state.pool, &claims, &farm, &line, ip.as_deref()).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ImportRequest {
    /// CSV text: a header naming `kind,on,label,amount` (and optionally `note`), then lines.
    csv: Option<String>,
}

/// Import a CSV of lines, all or nothing; errors name their line (`line 7.amount`).
#[utoipa::path(post, path = "/admin/farms/{farm}/money/import", operation_id = "importFarmMoney",
    params(("farm" = String, Path, description = "The farm's id or slug")),
    request_body = ImportRequest,
    responses(
        (status = 201, description = "What was imported", body = super::responses::ImportResultEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn import_money(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(farm): Path<String>,
    ApiJson(body): ApiJson<ImportRequest>,
) -> Result<Response, AppError> {
    let lines = parse_money_csv(body.csv.as_deref().unwrap_or(""))?;
    Ok(created(admin::import_money_lines(&state.pool, &claims, &farm, &lines, ip.as_deref()).await?))
}

#[utoipa::path(get, path = "/admin/ownership-settings", operation_id = "getOwnershipSettings",
    responses((status = 200, description = "The estate's rates", body = super::responses::OwnershipSettingsEnvelope)))]
async fn get_settings(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<Response, AppError> {
    Ok(ok(admin::ownership_settings(&state.pool, &claims).await?))
}

/// The platform fee (% of revenue) and the TDS rate (% of payouts), 0–100.
#[utoipa::path(put, path = "/admin/ownership-settings", operation_id = "putOwnershipSettings",
    request_body = app::farms::model::OwnershipSettingsRequest,
    responses(
        (status = 200, description = "The estate's rates", body = super::responses::OwnershipSettingsEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn put_settings(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<OwnershipSettingsRequest>,
) -> Result<Response, AppError> {
    let settings = body.parse()?;
    Ok(ok(admin::set_ownership_settings(&state.pool, &claims, &settings, ip.as_deref()).await?))
}
