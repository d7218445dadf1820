//! `/api/v1/distributions`: preview a farm's month, approve it (once), mark payouts paid.

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id};
use super::routes::Routes;
use app::domain::distribution::ist_date;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::FarmsManage;
use app::envelope::ok;
use app::error::AppError;
use app::farms::distribution_service as runs;
use app::farms::model::{MarkPaidRequest, PreviewRequest};
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, preview, show, approve, mark_paid))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/distributions", Requires(FarmsManage), list)
        .post("/distributions", Requires(FarmsManage), preview)
        .get("/distributions/{id}", Requires(FarmsManage), show)
        .post("/distributions/{id}/approve", Requires(FarmsManage), approve)
        .post("/distributions/payouts/{id}/paid", Requires(FarmsManage), mark_paid)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// A farm's id or slug.
    farm: Option<String>,
}

/// The estate's runs, newest month first (without payout lines).
#[utoipa::path(get, path = "/distributions", operation_id = "listDistributions", params(RunsQuery),
    responses((status = 200, description = "The runs", body = super::responses::DistributionRunsEnvelope)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: RunsQuery = super::extract::parse_query(raw.as_deref())?;
    Ok(ok(runs::runs(&state.pool, &claims, q.farm.as_deref().filter(|f| !f.is_empty())).await?))
}

/// Preview a farm's month (one that has ended): revenue, fee, costs, the split per
/// owner. A month already approved answers its approved run.
#[utoipa::path(post, path = "/distributions", operation_id = "previewDistribution",
    request_body = app::farms::model::PreviewRequest,
    responses(
        (status = 200, description = "The preview (or the approved run)", body = super::responses::DistributionRunEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn preview(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Response, AppError> {
    let (farm, month) = body.parse(ist_date(chrono::Utc::now()))?;
    Ok(ok(runs::preview(&state.pool, &claims, &farm, month).await?))
}

#[utoipa::path(get, path = "/distributions/{id}", operation_id = "getDistribution",
    params(("id" = uuid::Uuid, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run with its payouts", body = super::responses::DistributionRunEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn show(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Distribution run"))?;
    Ok(ok(runs::run(&state.pool, &claims, id).await?))
}

/// Approve a preview: one payout per owner. 409 when revenue, costs, agreements or
/// rates changed since the preview; approving again answers the approved run.
#[utoipa::path(post, path = "/distributions/{id}/approve", operation_id = "approveDistribution",
    params(("id" = uuid::Uuid, Path, description = "The previewed run's id")),
    responses(
        (status = 200, description = "The approved run with its payouts", body = super::responses::DistributionRunEnvelope),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn approve(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Distribution run"))?;
    Ok(ok(runs::approve(&state.pool, &claims, id, ip.as_deref()).await?))
}

/// Mark a payout paid with the bank's reference; the owner is told. Again with the
/// same reference answers the payout; with another, 409.
#[utoipa::path(post, path = "/distributions/payouts/{id}/paid", operation_id = "markPayoutPaid",
    params(("id" = uuid::Uuid, Path, description = "The payout's id")),
    request_body = app::farms::model::MarkPaidRequest,
    responses(
        (status = 200, description = "The payout", body = super::responses::PayoutLineEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn mark_paid(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MarkPaidRequest>,
) -> Result<Response, AppError> {
    let reference = body.parse()?;
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Payout"))?;
    Ok(ok(runs::mark_paid(&state.pool, &claims, id, &reference, ip.as_deref()).await?))
}
