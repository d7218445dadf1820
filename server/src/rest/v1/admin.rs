//! `/api/v1/admin/*`: the tenant's people and roles, and its audit log.

use super::routes::Routes;
use super::{ApiJson, Authenticated, ClientIp, parse_id, parse_query};
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

pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/users", Requires(UsersManage), list_users)
        .put("/admin/users/{id}/roles", Requires(UsersManage), set_roles)
        .get("/admin/audit", Requires(AuditRead), audit)
}

async fn list_users(State(state): State<AppState>, Authenticated(claims): Authenticated, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let query = parse_query::<MemberQueryParams>(raw.as_deref())?.parse()?;
    Ok(ok_page(service::list_members(&state.pool, &claims, &query).await?))
}

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

/// An unbounded list: keyset pages with `pagination.nextCursor` (CONVENTIONS.md).
async fn audit(State(state): State<AppState>, Authenticated(claims): Authenticated, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
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
