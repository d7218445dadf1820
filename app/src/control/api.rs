//! Server functions of the control tower (`/control`): each panel's read, and the acts
//! the tower takes itself. Orders are moved with the order queue's `ActOnOrders`.

use super::model::*;
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;

const FNS: [&str; 19] = [
    "/_fn/control/tower",
    "/_fn/control/orders",
    "/_fn/control/inventory",
    "/_fn/control/alerts",
    "/_fn/control/jobs",
    "/_fn/control/notifications",
    "/_fn/control/alert/assign",
    "/_fn/control/alert/acknowledge",
    "/_fn/control/alert/resolve",
    "/_fn/control/job",
    "/_fn/control/message/retry",
    "/_fn/control/kpis",
    "/_fn/control/market",
    "/_fn/control/field",
    "/_fn/control/platform",
    "/_fn/control/platform/jobs",
    "/_fn/control/platform/notifications",
    "/_fn/control/platform/job",
    "/_fn/control/platform/message/retry",
];

pub const ACCESS: &[(&str, Access)] = &[
    (FNS[0], Access::Requires(Action::OperationsView)),
    (FNS[1], Access::Requires(Action::OperationsView)),
    (FNS[2], Access::Requires(Action::OperationsView)),
    (FNS[3], Access::Requires(Action::OperationsView)),
    (FNS[4], Access::Requires(Action::OperationsView)),
    (FNS[5], Access::Requires(Action::OperationsView)),
    (FNS[6], Access::Requires(Action::AlertsManage)),
    (FNS[7], Access::Requires(Action::AlertsManage)),
    (FNS[8], Access::Requires(Action::AlertsManage)),
    (FNS[9], Access::Requires(Action::OperationsManage)),
    (FNS[10], Access::Requires(Action::OperationsManage)),
    (FNS[11], Access::Requires(Action::OperationsView)),
    (FNS[12], Access::Requires(Action::OperationsView)),
    (FNS[13], Access::Requires(Action::OperationsView)),
    (FNS[14], Access::PlatformOperator),
    (FNS[15], Access::PlatformOperator),
    (FNS[16], Access::PlatformOperator),
    (FNS[17], Access::PlatformOperator),
    (FNS[18], Access::PlatformOperator),
];

/// The caller, if the rule of `path` admits them: the state, their tenant, who they are.
#[cfg(feature = "ssr")]
async fn operator(
    path: &str,
) -> Result<(crate::state::AppState, uuid::Uuid, crate::account::tokens::Claims), AppError> {
    let session = crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)?;
    let state = crate::state::app_state()?;
    let tenant = crate::admin::service::tenant_id(&state.pool, &session.claims).await?;
    Ok((state, tenant, session.claims))
}

/// A platform operator calling `path`: the state, the platform's scope, who they are.
#[cfg(feature = "ssr")]
async fn platform_operator(
    path: &str,
) -> Result<(crate::state::AppState, super::service::Scope, crate::account::tokens::Claims), AppError> {
    let session = crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)?;
    Ok((crate::state::app_state()?, super::service::Scope::Platform, session.claims))
}

#[cfg(feature = "ssr")]
fn id_of(raw: &str, what: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found(what))
}

#[server(prefix = "/_fn", endpoint = "control/tower")]
pub async fn load_tower() -> Result<Tower, AppError> {
    let (state, tenant, claims) = operator(FNS[0]).await?;
    let mut tower = super::service::tower(&state.pool, tenant).await?;
    if tower.kind == TenantKind::Estate {
        tower.field = Some(super::service::field_panel(&state.pool, &claims).await?);
    }
    tower.platform_operator = super::platform::is_operator(&mut *state.pool.acquire().await?, claims.sub).await?;
    Ok(tower)
}

#[server(prefix = "/_fn", endpoint = "control/orders")]
pub async fn tower_orders() -> Result<OrdersPanel, AppError> {
    let (state, tenant, _) = operator(FNS[1]).await?;
    super::service::orders_panel(&state.pool, tenant).await
}

#[server(prefix = "/_fn", endpoint = "control/kpis")]
pub async fn tower_kpis() -> Result<KpiPanel, AppError> {
    let (state, tenant, _) = operator(FNS[11]).await?;
    super::kpi_service::kpi_panel(&state.pool, tenant).await
}

#[server(prefix = "/_fn", endpoint = "control/market")]
pub async fn tower_market() -> Result<MarketPanel, AppError> {
    let (state, tenant, _) = operator(FNS[12]).await?;
    super::service::market_panel(&state.pool, tenant).await
}

/// Reassigning is the task board's own `update_task`.
#[server(prefix = "/_fn", endpoint = "control/field")]
pub async fn tower_field() -> Result<FieldPanel, AppError> {
    let (state, _, claims) = operator(FNS[13]).await?;
    super::service::field_panel(&state.pool, &claims).await
}

#[server(prefix = "/_fn", endpoint = "control/inventory")]
pub async fn tower_inventory() -> Result<InventoryPanel, AppError> {
    let (state, tenant, _) = operator(FNS[2]).await?;
    super::service::inventory_panel(&state.pool, tenant).await
}

/// A page of the alerts not yet resolved; `cursor` is the previous page's `next`.
#[server(prefix = "/_fn", endpoint = "control/alerts")]
pub async fn tower_alerts(cursor: Option<String>) -> Result<AlertsPanel, AppError> {
    let (state, tenant, _) = operator(FNS[3]).await?;
    let before = crate::time_cursor::parse(cursor.as_deref())?;
    super::service::alerts_panel(&state.pool, tenant, before).await
}

#[server(prefix = "/_fn", endpoint = "control/jobs")]
pub async fn tower_jobs() -> Result<JobsPanel, AppError> {
    let (state, tenant, _) = operator(FNS[4]).await?;
    super::service::jobs_panel(&state.pool, super::service::Scope::Tenant(tenant)).await
}

#[server(prefix = "/_fn", endpoint = "control/notifications")]
pub async fn tower_notifications() -> Result<NotificationsPanel, AppError> {
    let (state, tenant, _) = operator(FNS[5]).await?;
    super::service::notifications_panel(&state.pool, super::service::Scope::Tenant(tenant)).await
}

/// Gives the alert to `assignee` (a person's id), or to nobody when it is empty.
#[server(prefix = "/_fn", endpoint = "control/alert/assign")]
pub async fn assign_alert(id: String, assignee: String) -> Result<TowerAlert, AppError> {
    let (state, tenant, claims) = operator(FNS[6]).await?;
    let to = match assignee.trim() {
        "" => None,
        raw => Some(
            uuid::Uuid::parse_str(raw)
                .map_err(|_| AppError::validation("assignee", "is not one of this tenant's operations people"))?,
        ),
    };
    let ip = crate::account::api::client_ip();
    super::service::assign_alert(&state.pool, tenant, claims.sub, id_of(&id, "Alert")?, to, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "control/alert/acknowledge")]
pub async fn acknowledge_alert(id: String) -> Result<(), AppError> {
    let (state, _, claims) = operator(FNS[7]).await?;
    let ip = crate::account::api::client_ip();
    crate::alerts::service::acknowledge(&state.pool, &claims, id_of(&id, "Alert")?, ip.as_deref()).await.map(|_| ())
}

#[server(prefix = "/_fn", endpoint = "control/alert/resolve")]
pub async fn resolve_alert(id: String, resolution: String) -> Result<(), AppError> {
    let (state, _, claims) = operator(FNS[8]).await?;
    let ip = crate::account::api::client_ip();
    crate::alerts::service::resolve(&state.pool, &claims, id_of(&id, "Alert")?, Some(&resolution), ip.as_deref())
        .await
        .map(|_| ())
}

/// `action` is `retry` or `discard`.
#[server(prefix = "/_fn", endpoint = "control/job")]
pub async fn act_on_job(id: String, action: String) -> Result<(), AppError> {
    let (state, tenant, claims) = operator(FNS[9]).await?;
    let act: super::service::DeadLetterAct = action.parse()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found("Job"))?;
    let ip = crate::account::api::client_ip();
    super::service::act_on_dead_letter(
        &state.pool,
        super::service::Scope::Tenant(tenant),
        claims.sub,
        id,
        act,
        ip.as_deref(),
    )
    .await
}

#[server(prefix = "/_fn", endpoint = "control/message/retry")]
pub async fn retry_message(id: String) -> Result<(), AppError> {
    let (state, tenant, claims) = operator(FNS[10]).await?;
    let ip = crate::account::api::client_ip();
    let scope = super::service::Scope::Tenant(tenant);
    super::service::retry_message(&state.pool, scope, claims.sub, id_of(&id, "Message")?, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "control/platform")]
pub async fn load_platform_tower() -> Result<PlatformTower, AppError> {
    let (state, _, _) = platform_operator(FNS[14]).await?;
    super::platform::tower(&state.pool).await
}

#[server(prefix = "/_fn", endpoint = "control/platform/jobs")]
pub async fn platform_jobs() -> Result<JobsPanel, AppError> {
    let (state, scope, _) = platform_operator(FNS[15]).await?;
    super::service::jobs_panel(&state.pool, scope).await
}

#[server(prefix = "/_fn", endpoint = "control/platform/notifications")]
pub async fn platform_notifications() -> Result<NotificationsPanel, AppError> {
    let (state, scope, _) = platform_operator(FNS[16]).await?;
    super::service::notifications_panel(&state.pool, scope).await
}

/// `action` is `retry` or `discard`.
#[server(prefix = "/_fn", endpoint = "control/platform/job")]
pub async fn act_on_platform_job(id: String, action: String) -> Result<(), AppError> {
    let (state, scope, claims) = platform_operator(FNS[17]).await?;
    let act: super::service::DeadLetterAct = action.parse()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::not_found("Job"))?;
    let ip = crate::account::api::client_ip();
    super::service::act_on_dead_letter(&state.pool, scope, claims.sub, id, act, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "control/platform/message/retry")]
pub async fn retry_platform_message(id: String) -> Result<(), AppError> {
    let (state, scope, claims) = platform_operator(FNS[18]).await?;
    let ip = crate::account::api::client_ip();
    super::service::retry_message(&state.pool, scope, claims.sub, id_of(&id, "Message")?, ip.as_deref()).await
}
