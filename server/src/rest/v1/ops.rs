//! `/api/v1/ops/*`: the control tower's view of the platform: queue depth, dead
//! letters (and retrying them), message delivery (and retrying failures), provider
//! health. Jobs and messages are the caller's tenant's; `?scope=platform` shows those
//! of no tenant (platform jobs, sign-in codes) to platform operators, and to nobody
//! else. Message bodies are never shown here (one-time codes travel in them).

use super::extract::{Authenticated, ClientIp, parse_query};
use super::responses::keyset_page;
use super::routes::Routes;
use crate::jobs::store;
use crate::runtime::Runtime;
use app::account::tokens::Claims;
use app::control::service::{self as tower, DeadLetterAct, Scope};
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{OperationsManage, OperationsView};
use app::envelope::ok;
use app::error::AppError;
use app::state::AppState;
use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

#[derive(utoipa::OpenApi)]
#[openapi(paths(overview, dead_letters, retry_job, notifications, retry_notification))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/ops/jobs", Requires(OperationsView), overview)
        .get("/ops/jobs/dead", Requires(OperationsView), dead_letters)
        .post("/ops/jobs/{id}/retry", Requires(OperationsManage), retry_job)
        .get("/ops/notifications", Requires(OperationsView), notifications)
        .post("/ops/notifications/{id}/retry", Requires(OperationsManage), retry_notification)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OpsOverview {
    queues: Vec<store::QueueDepth>,
    providers: Vec<crate::notify::ProviderHealth>,
}

super::responses::envelope! {
    OpsOverviewEnvelope(OpsOverview);
}

/// Queue depth per queue, and each messaging provider's circuit. The platform's scope
/// counts every job (its operators run the workers all tenants share).
#[utoipa::path(get, path = "/ops/jobs", operation_id = "opsOverview",
    params(("scope" = Option<String>, Query, description = "`tenant` (the default) or `platform` (platform operators only)")),
    responses(
        (status = 200, description = "The overview", body = OpsOverviewEnvelope),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn overview(
    State(state): State<AppState>,
    Extension(runtime): Extension<Arc<Runtime>>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p: ScopeParams = parse_query(raw.as_deref())?;
    let scope = scope_of(&state, &claims, p.scope.as_deref(), "/api/v1/ops/jobs", ip.as_deref()).await?;
    let queues = store::depth(&state.pool, scope.tenant()).await?;
    Ok(ok(OpsOverview { queues, providers: runtime.notifier.health() }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ScopeParams {
    scope: Option<String>,
}

/// The scope asked for: the caller's tenant unless `platform`, which only a platform
/// operator is given (anyone else: 403, recorded).
async fn scope_of(
    state: &AppState,
    claims: &Claims,
    asked: Option<&str>,
    route: &str,
    ip: Option<&str>,
) -> Result<Scope, AppError> {
    match asked {
        None | Some("tenant") => Ok(Scope::Tenant(app::admin::service::tenant_id(&state.pool, claims).await?)),
        Some("platform") => app::control::platform::require(&state.pool, claims, route, ip).await,
        Some(_) => Err(AppError::validation("scope", "must be tenant or platform")),
    }
}

/// The scope a job or message of `owner` (its tenant, or none) is acted on in: the
/// caller's tenant's own, or no tenant's for a platform operator; anything else is
/// not found (another tenant's rows are not admitted to exist).
async fn scope_owning(state: &AppState, claims: &Claims, owner: Option<Uuid>) -> Result<Option<Scope>, AppError> {
    let tenant = app::admin::service::tenant_id(&state.pool, claims).await?;
    Ok(match owner {
        Some(t) if t == tenant => Some(Scope::Tenant(tenant)),
        Some(_) => None,
        None => app::control::platform::is_operator(&mut *state.pool.acquire().await?, claims.sub)
            .await?
            .then_some(Scope::Platform),
    })
}

/// A retry accepted: the job or message is queued again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JobRetried {
    id: i64,
    /// `queued`.
    status: &'static str,
}

super::responses::envelope! {
    JobRetriedEnvelope(JobRetried);
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageRetried {
    id: Uuid,
    /// `queued`.
    status: &'static str,
}

super::responses::envelope! {
    MessageRetriedEnvelope(MessageRetried);
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListParams {
    scope: Option<String>,
    queue: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

fn limit(raw: Option<&str>) -> Result<i64, AppError> {
    match raw {
        None => Ok(50),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| AppError::validation("limit", "must be a whole number from 1 to 200")),
    }
}

/// Jobs that ran out of attempts, newest first.
#[utoipa::path(get, path = "/ops/jobs/dead", operation_id = "listDeadLetters",
    params(
        ("scope" = Option<String>, Query, description = "`tenant` (the default) or `platform` (platform operators only)"),
        ("queue" = Option<String>, Query, description = "Only this queue"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Default 50"),
    ),
    responses(
        (status = 200, description = "A page of dead letters", body = super::responses::JobRecordPage),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn dead_letters(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p: ListParams = parse_query(raw.as_deref())?;
    if let Some(q) = &p.queue {
        app::jobs::Queue::parse(q).ok_or_else(|| AppError::validation("queue", "is not a queue"))?;
    }
    if p.status.is_some() {
        return Err(AppError::validation("status", "is not a filter here (these are dead letters)"));
    }
    let before = match p.cursor.as_deref() {
        None => None,
        Some(c) => {
            Some(c.parse::<i64>().map_err(|_| AppError::validation("cursor", "is not a cursor from this list"))?)
        }
    };
    let limit = limit(p.limit.as_deref())?;
    let scope = scope_of(&state, &claims, p.scope.as_deref(), "/api/v1/ops/jobs/dead", ip.as_deref()).await?;
    let rows = store::list(&state.pool, "dead", p.queue.as_deref(), before, limit + 1, Some(scope)).await?;
    Ok(keyset_page(rows, limit, |j| j.id.to_string()))
}

/// Give a dead letter a fresh set of attempts.
#[utoipa::path(post, path = "/ops/jobs/{id}/retry", operation_id = "retryJob",
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "Queued again", body = JobRetriedEnvelope),
        (status = 404, response = super::responses::NotFound),
        (status = 409, description = "`CONFLICT`: only a dead letter can be retried", body = app::envelope::ErrorEnvelope),
    ))]
async fn retry_job(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::validation("id", "must be a job id (a whole number)"))?;
    let owner: Option<Option<Uuid>> =
        sqlx::query_scalar("SELECT tenant_id FROM jobs WHERE id = $1").bind(id).fetch_optional(&state.pool).await?;
    let scope = match owner {
        Some(owner) => scope_owning(&state, &claims, owner).await?,
        None => None,
    };
    let scope = scope.ok_or_else(|| AppError::not_found("Job"))?;
    tower::act_on_dead_letter(&state.pool, scope, claims.sub, id, DeadLetterAct::Retry, ip.as_deref()).await?;
    Ok(ok(JobRetried { id, status: "queued" }))
}

#[derive(Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageStatus {
    id: Uuid,
    channel: String,
    template: String,
    language: String,
    status: String,
    attempts: i16,
    last_error: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
    delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    read_at: Option<chrono::DateTime<chrono::Utc>>,
}

super::responses::keyset! {
    MessageStatusPage(MessageStatus);
}

/// Outgoing messages and how far each got (bodies are never shown).
#[utoipa::path(get, path = "/ops/notifications", operation_id = "listMessages",
    params(
        ("scope" = Option<String>, Query, description = "`tenant` (the default) or `platform` (platform operators only)"),
        ("status" = Option<String>, Query, description = "queued, sent, delivered, read or failed"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Default 50"),
    ),
    responses(
        (status = 200, description = "A page of messages", body = MessageStatusPage),
        (status = 403, response = super::responses::Forbidden),
    ))]
async fn notifications(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p: ListParams = parse_query(raw.as_deref())?;
    if p.queue.is_some() {
        return Err(AppError::validation("queue", "is not a filter here"));
    }
    if let Some(s) = &p.status
        && !["queued", "sent", "delivered", "read", "failed"].contains(&s.as_str())
    {
        return Err(AppError::validation("status", "must be queued, sent, delivered, read or failed"));
    }
    let before = match p.cursor.as_deref() {
        None => None,
        Some(c) => {
            Some(Uuid::parse_str(c).map_err(|_| AppError::validation("cursor", "is not a cursor from this list"))?)
        }
    };
    let limit = limit(p.limit.as_deref())?;
    let scope = scope_of(&state, &claims, p.scope.as_deref(), "/api/v1/ops/notifications", ip.as_deref()).await?;
    let mut tx = scope.begin(&state.pool).await?;
    let rows: Vec<MessageStatus> = sqlx::query_as(
        "SELECT id, channel, template, language, status, attempts, last_error, created_at, sent_at, delivered_at, read_at
         FROM notification_outbox
         WHERE ($4::uuid IS NULL OR tenant_id = $4) AND (NOT $5 OR tenant_id IS NULL)
           AND ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3",
    )
    .bind(p.status)
    .bind(before)
    .bind(limit + 1)
    .bind(scope.tenant())
    .bind(scope == Scope::Platform)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(keyset_page(rows, limit, |m| m.id.to_string()))
}

/// Send a failed message again.
#[utoipa::path(post, path = "/ops/notifications/{id}/retry", operation_id = "retryMessage",
    params(("id" = uuid::Uuid, Path, description = "The message's id")),
    responses(
        (status = 200, description = "Queued again", body = MessageRetriedEnvelope),
        (status = 404, response = super::responses::NotFound),
        (status = 409, description = "`CONFLICT`: only a failed message can be retried", body = app::envelope::ErrorEnvelope),
    ))]
async fn retry_notification(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = super::extract::parse_id(&id, "id")?;
    let owner: Option<Option<Uuid>> = {
        let mut tx = app::db::cross_tenant_tx(&state.pool).await?;
        let owner = sqlx::query_scalar("SELECT tenant_id FROM notification_outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        owner
    };
    let scope = match owner {
        Some(owner) => scope_owning(&state, &claims, owner).await?,
        None => None,
    };
    let scope = scope.ok_or_else(|| AppError::not_found("Message"))?;
    tower::retry_message(&state.pool, scope, claims.sub, id, ip.as_deref()).await?;
    Ok(ok(MessageRetried { id, status: "queued" }))
}
