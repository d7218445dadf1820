//! Server functions of the admin screens. Each checks its rule itself as well, since
//! a page rendering on the server calls them in-process, past the HTTP middleware.

use super::model::{AuditPage, AuditQueryParams, Member, MemberQueryParams};
use crate::domain::permissions::{Access, Action};
use crate::envelope::Page;
use crate::error::AppError;
use leptos::prelude::*;

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/admin/members", Access::Requires(Action::UsersManage)),
    ("/_fn/admin/set_roles", Access::Requires(Action::UsersManage)),
    ("/_fn/admin/audit", Access::Requires(Action::AuditRead)),
];

#[server(prefix = "/_fn", endpoint = "admin/members")]
pub async fn members(params: MemberQueryParams) -> Result<Page<Member>, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/admin/members").await?.ok_or(AppError::Unauthenticated)?;
    let query = params.parse()?;
    let state = crate::state::app_state()?;
    super::service::list_members(&state.pool, &session.claims, &query).await
}

/// `roles` is the full new set (checkbox values).
#[server(prefix = "/_fn", endpoint = "admin/set_roles")]
pub async fn set_roles(user_id: String, roles: Option<Vec<String>>) -> Result<Member, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/admin/set_roles").await?.ok_or(AppError::Unauthenticated)?;
    let user = uuid::Uuid::parse_str(user_id.trim()).map_err(|_| AppError::validation("userId", "must be a UUID"))?;
    let roles = super::model::SetRolesRequest { roles: Some(roles.unwrap_or_default()) }.parse()?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::service::set_roles(&state.pool, &session.claims, user, roles, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "admin/audit")]
pub async fn audit(params: AuditQueryParams) -> Result<AuditPage, AppError> {
    let session = crate::access::check(ACCESS, "/_fn/admin/audit").await?.ok_or(AppError::Unauthenticated)?;
    let query = params.parse()?;
    let state = crate::state::app_state()?;
    super::service::audit_log(&state.pool, &session.claims, &query).await
}
