//! Server functions of the owners' pages and the estate's ownership screens. Each
//! checks its rule itself as well, since a page rendering on the server calls them
//! in-process, past the HTTP middleware.

use super::model::*;
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/farms/mine", Access::Requires(Action::HoldingsView)),
    ("/_fn/farms/my_farm", Access::Requires(Action::HoldingsView)),
    ("/_fn/farms/my_statement", Access::Requires(Action::HoldingsView)),
    ("/_fn/farms/my_annual", Access::Requires(Action::HoldingsView)),
    ("/_fn/farms/admin_farms", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/admin_farm", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/update_farm", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/add_agreement", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/end_agreement", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/money", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/add_money", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/import_money", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/settings", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/set_settings", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/runs", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/run", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/preview", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/approve", Access::Requires(Action::FarmsManage)),
    ("/_fn/farms/mark_paid", Access::Requires(Action::FarmsManage)),
];

#[cfg(feature = "ssr")]
fn today() -> chrono::NaiveDate {
    crate::domain::distribution::ist_date(chrono::Utc::now())
}

#[cfg(feature = "ssr")]
fn parse_uuid(raw: &str, field: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::validation(field, "must be a UUID"))
}

#[cfg(feature = "ssr")]
async fn session(path: &str) -> Result<crate::account::session::Session, AppError> {
    crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)
}

#[server(prefix = "/_fn", endpoint = "farms/mine")]
pub async fn my_farms() -> Result<Vec<OwnedFarm>, AppError> {
    let s = session("/_fn/farms/mine").await?;
    let state = crate::state::app_state()?;
    super::owner_service::my_farms(&state.pool, &s.claims, today()).await
}

#[server(prefix = "/_fn", endpoint = "farms/my_farm")]
pub async fn my_farm(slug: String) -> Result<OwnedFarmDetail, AppError> {
    let s = session("/_fn/farms/my_farm").await?;
    let state = crate::state::app_state()?;
    super::owner_service::my_farm(&state.pool, &s.claims, slug.trim(), today()).await
}

#[server(prefix = "/_fn", endpoint = "farms/my_statement")]
pub async fn my_statement(id: String) -> Result<Statement, AppError> {
    let s = session("/_fn/farms/my_statement").await?;
    // A malformed id is as unknown as someone else's.
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else { return Err(AppError::not_found("Statement")) };
    let state = crate::state::app_state()?;
    super::owner_service::my_statement(&state.pool, &s.claims, id).await
}

#[server(prefix = "/_fn", endpoint = "farms/my_annual")]
pub async fn my_annual_statement(year: String) -> Result<AnnualStatement, AppError> {
    let s = session("/_fn/farms/my_annual").await?;
    let year = parse_financial_year(&year)?;
    let state = crate::state::app_state()?;
    super::owner_service::my_annual_statement(&state.pool, &s.claims, year).await
}

#[server(prefix = "/_fn", endpoint = "farms/admin_farms")]
pub async fn admin_farms() -> Result<Vec<AdminFarm>, AppError> {
    let s = session("/_fn/farms/admin_farms").await?;
    let state = crate::state::app_state()?;
    super::admin_service::farms(&state.pool, &s.claims, today()).await
}

#[server(prefix = "/_fn", endpoint = "farms/admin_farm")]
pub async fn farm_for_admin(farm: String) -> Result<(AdminFarm, Vec<Agreement>), AppError> {
    let s = session("/_fn/farms/admin_farm").await?;
    let state = crate::state::app_state()?;
    let f = super::admin_service::farm(&state.pool, &s.claims, farm.trim(), today()).await?;
    let a = super::admin_service::agreements(&state.pool, &s.claims, &f.profile.farm_id.to_string()).await?;
    Ok((f, a))
}

#[server(prefix = "/_fn", endpoint = "farms/update_farm")]
pub async fn update_farm(farm: String, profile: FarmProfileRequest) -> Result<AdminFarm, AppError> {
    let s = session("/_fn/farms/update_farm").await?;
    let update = profile.parse()?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::admin_service::update_farm(&state.pool, &s.claims, farm.trim(), &update, today(), ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "farms/add_agreement")]
pub async fn add_agreement(farm: String, agreement: AgreementRequest) -> Result<Agreement, AppError> {
    let s = session("/_fn/farms/add_agreement").await?;
    let new = agreement.parse()?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::admin_service::add_agreement(&state.pool, &s.claims, farm.trim(), &new, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "farms/end_agreement")]
pub async fn end_agreement(agreement: String, ends_on: String) -> Result<Agreement, AppError> {
    let s = session("/_fn/farms/end_agreement").await?;
    let id = parse_uuid(&agreement, "agreement")?;
    let mut fields = crate::error::FieldErrors::new();
    let Some(ends_on) = parse_date(ends_on.trim(), "endsOn", &mut fields) else {
        return Err(AppError::Validation { fields });
    };
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::admin_service::end_agreement(&state.pool, &s.claims, id, ends_on, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "farms/money")]
pub async fn money_lines(farm: String, period: String) -> Result<Vec<MoneyLine>, AppError> {
    let s = session("/_fn/farms/money").await?;
    let month = crate::domain::distribution::Month::parse(&period)
        .map_err(|e| AppError::validation("period", e.to_string()))?;
    let state = crate::state::app_state()?;
    super::admin_service::money_lines(&state.pool, &s.claims, farm.trim(), month).await
}

#[server(prefix = "/_fn", endpoint = "farms/add_money")]
pub async fn add_money_line(farm: String, line: MoneyLineRequest) -> Result<MoneyLine, AppError> {
    let s = session("/_fn/farms/add_money").await?;
    let line = line.parse()?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::admin_service::add_money_line(&state.pool, &s.claims, farm.trim(), &line, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "farms/import_money")]
pub async fn import_money_lines(farm: String, csv: String) -> Result<ImportResult, AppError> {
    let s = session("/_fn/farms/import_money").await?;
    let lines = parse_money_csv(&csv)?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::admin_service::import_money_lines(&state.pool, &s.claims, farm.trim(), &lines, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "farms/settings")]
pub async fn get_ownership_settings() -> Result<OwnershipSettings, AppError> {
    let s = session("/_fn/farms/settings").await?;
    let state = crate::state::app_state()?;
    super::admin_service::ownership_settings(&state.pool, &s.claims).await
}

#[server(prefix = "/_fn", endpoint = "farms/set_settings")]
pub async fn set_ownership_settings(settings: OwnershipSettingsRequest) -> Result<OwnershipSettings, AppError> {
    let s = session("/_fn/farms/set_settings").await?;
    let settings = settings.parse()?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::admin_service::set_ownership_settings(&state.pool, &s.claims, &settings, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "farms/runs")]
pub async fn distribution_runs(farm: Option<String>) -> Result<Vec<DistributionRun>, AppError> {
    let s = session("/_fn/farms/runs").await?;
    let state = crate::state::app_state()?;
    let farm = farm.filter(|f| !f.trim().is_empty());
    super::distribution_service::runs(&state.pool, &s.claims, farm.as_deref().map(str::trim)).await
}

#[server(prefix = "/_fn", endpoint = "farms/run")]
pub async fn get_distribution_run(id: String) -> Result<DistributionRun, AppError> {
    let s = session("/_fn/farms/run").await?;
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else { return Err(AppError::not_found("Distribution run")) };
    let state = crate::state::app_state()?;
    super::distribution_service::run(&state.pool, &s.claims, id).await
}

#[server(prefix = "/_fn", endpoint = "farms/preview")]
pub async fn preview_distribution(request: PreviewRequest) -> Result<DistributionRun, AppError> {
    let s = session("/_fn/farms/preview").await?;
    let (farm, month) = request.parse(today())?;
    let state = crate::state::app_state()?;
    super::distribution_service::preview(&state.pool, &s.claims, &farm, month).await
}

#[server(prefix = "/_fn", endpoint = "farms/approve")]
pub async fn approve_distribution(run: String) -> Result<DistributionRun, AppError> {
    let s = session("/_fn/farms/approve").await?;
    let Ok(run) = uuid::Uuid::parse_str(run.trim()) else { return Err(AppError::not_found("Distribution run")) };
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::distribution_service::approve(&state.pool, &s.claims, run, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "farms/mark_paid")]
pub async fn mark_payout_paid(payout: String, request: MarkPaidRequest) -> Result<PayoutLine, AppError> {
    let s = session("/_fn/farms/mark_paid").await?;
    let reference = request.parse()?;
    let Ok(payout) = uuid::Uuid::parse_str(payout.trim()) else { return Err(AppError::not_found("Payout")) };
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::distribution_service::mark_paid(&state.pool, &s.claims, payout, &reference, ip.as_deref()).await
}
