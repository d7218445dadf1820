//! `/api/v1/alerts`: every area's alerts in one queue, newest first; acknowledge and
//! resolve.

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id, parse_limit, parse_query, parse_time_cursor};
use super::responses::keyset_page;
use super::routes::Routes;
use app::alerts::model::AlertFilter;
use app::alerts::service;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{AlertsManage, AlertsView};
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, acknowledge, resolve))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/alerts", Requires(AlertsView), list)
        .post("/alerts/{id}/acknowledge", Requires(AlertsManage), acknowledge)
        .post("/alerts/{id}/resolve", Requires(AlertsManage), resolve)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListQuery {
    status: Option<String>,
    kind: Option<String>,
    severity: Option<String>,
    subject_type: Option<String>,
    subject_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The tenant's alerts, newest first.
#[utoipa::path(get, path = "/alerts", operation_id = "listAlerts",
    params(
        ("status" = Option<app::alerts::model::AlertStatus>, Query, description = "open, acknowledged or resolved"),
        ("kind" = Option<String>, Query, description = "e.g. `reading_out_of_range`"),
        ("severity" = Option<app::alerts::model::Severity>, Query),
        ("subjectType" = Option<app::alerts::model::SubjectType>, Query),
        ("subjectId" = Option<String>, Query, description = "The subject's id (a farm's id, say)"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Default 20"),
    ),
    responses(
        (status = 200, description = "A page of alerts", body = super::responses::AlertPage),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn list(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: ListQuery = parse_query(raw.as_deref())?;
    let limit = parse_limit(some(&q.limit), 20, 100)?;
    let filter = AlertFilter {
        status: some(&q.status).map(str::parse).transpose().map_err(|e: String| AppError::validation("status", e))?,
        kind: some(&q.kind).map(str::to_string),
        severity: some(&q.severity)
            .map(str::parse)
            .transpose()
            .map_err(|e: String| AppError::validation("severity", e))?,
        subject_type: some(&q.subject_type)
            .map(str::parse)
            .transpose()
            .map_err(|e: String| AppError::validation("subjectType", e))?,
        subject_id: some(&q.subject_id).map(str::to_string),
    };
    let before = parse_time_cursor(some(&q.cursor))?;
    let rows = service::list(&state.pool, &claims, &filter, before, limit + 1).await?;
    Ok(keyset_page(rows, limit, |a| app::time_cursor::encode(a.opened_at, a.id)))
}

/// Someone is on it. Again answers the alert as it stands; 409 if it was resolved
/// before anyone acknowledged it.
#[utoipa::path(post, path = "/alerts/{id}/acknowledge", operation_id = "acknowledgeAlert",
    params(("id" = uuid::Uuid, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The alert", body = super::responses::AlertEnvelope),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn acknowledge(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Alert"))?;
    Ok(ok(service::acknowledge(&state.pool, &claims, id, ip.as_deref()).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What was done (up to 1,000 characters).
    resolution: Option<String>,
}

/// Close the alert. Again answers it as it was resolved.
#[utoipa::path(post, path = "/alerts/{id}/resolve", operation_id = "resolveAlert",
    params(("id" = uuid::Uuid, Path, description = "The alert's id")),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "The alert", body = super::responses::AlertEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn resolve(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResolveRequest>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Alert"))?;
    Ok(ok(service::resolve(&state.pool, &claims, id, body.resolution.as_deref(), ip.as_deref()).await?))
}
