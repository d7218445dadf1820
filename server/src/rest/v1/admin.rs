//! `/api/v1/admin/*`: the tenant's people and roles, and its audit log.

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id, parse_query};
use super::routes::Routes;
use app::admin::model::{AuditQueryParams, MemberQueryParams, SetRolesRequest};
use app::admin::service;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{AuditRead, UsersManage};
use app::envelope::{meta, ok, ok_page};
use app::error::AppError;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_users, set_roles, audit))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/users", Requires(UsersManage), list_users)
        .put("/admin/users/{id}/roles", Requires(UsersManage), set_roles)
        .get("/admin/audit", Requires(AuditRead), audit)
}

/// The tenant's people and their roles.
#[utoipa::path(get, path = "/admin/users", operation_id = "listUsers",
    params(app::admin::model::MemberQueryParams),
    responses((status = 200, description = "A page of members", body = super::responses::MemberPage)))]
async fn list_users(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = parse_query::<MemberQueryParams>(raw.as_deref())?.parse()?;
    Ok(ok_page(service::list_members(&state.pool, &claims, &query).await?))
}

/// Replace a member's roles in the tenant.
#[utoipa::path(put, path = "/admin/users/{id}/roles", operation_id = "setUserRoles",
    params(("id" = uuid::Uuid, Path, description = "The member's user id")),
    request_body = app::admin::model::SetRolesRequest,
    responses(
        (status = 200, description = "The member with their new roles", body = super::responses::MemberEnvelope),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn set_roles(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetRolesRequest>,
) -> Result<Response, AppError> {
    let user = parse_id(&id, "id")?;
    let roles = body.parse()?;
    Ok(ok(service::set_roles(&state.pool, &claims, user, roles, ip.as_deref()).await?))
}

#[utoipa::path(get, path = "/admin/audit", operation_id = "listAuditLog",
    params(app::admin::model::AuditQueryParams),
    responses((status = 200, description = "A page of the audit log, newest first", body = super::responses::AuditRecordPage)))]
/// An unbounded list: keyset pages with `pagination.nextCursor` (CONVENTIONS.md).
async fn audit(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = parse_query::<AuditQueryParams>(raw.as_deref())?.parse()?;
    let page = service::audit_log(&state.pool, &claims, &query).await?;
    Ok(Json(serde_json::json!({
        "success": true,
        "data": page.items,
        "meta": meta(),
        "pagination": { "limit": query.limit, "hasMore": page.next_cursor.is_some(), "nextCursor": page.next_cursor },
    }))
    .into_response())
}
