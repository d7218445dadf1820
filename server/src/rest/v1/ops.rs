//! `/api/v1/ops/*`: the control tower's view of the platform: queue depth, dead
//! letters (and retrying them), message delivery (and retrying failures), provider
//! health. Jobs and messages are shown for the caller's tenant plus platform-wide ones
//! (no tenant); message bodies are never shown here (one-time codes travel in them).

use super::extract::{Authenticated, ClientIp, parse_query};
use super::responses::keyset_page;
use super::routes::Routes;
use crate::jobs::store;
use crate::runtime::Runtime;
use app::audit::{self, Entry};
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

/// Queue depth per queue, and each messaging provider's circuit.
#[utoipa::path(get, path = "/ops/jobs", operation_id = "opsOverview",
    responses((status = 200, description = "The overview", body = OpsOverviewEnvelope)))]
async fn overview(
    State(state): State<AppState>,
    Extension(runtime): Extension<Arc<Runtime>>,
) -> Result<Response, AppError> {
    let queues = store::depth(&state.pool).await?;
    Ok(ok(OpsOverview { queues, providers: runtime.notifier.health() }))
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
        ("queue" = Option<String>, Query, description = "Only this queue"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Default 50"),
    ),
    responses((status = 200, description = "A page of dead letters", body = super::responses::JobRecordPage)))]
async fn dead_letters(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
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
    let tenant = app::admin::service::tenant_id(&state.pool, &claims).await?;
    let rows = store::list(&state.pool, "dead", p.queue.as_deref(), before, limit + 1, Some(tenant)).await?;
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
    let tenant = app::admin::service::tenant_id(&state.pool, &claims).await?;
    let mut tx = app::db::tenant_tx(&state.pool, tenant).await?;
    let visible: Option<Option<Uuid>> =
        sqlx::query_scalar("SELECT tenant_id FROM jobs WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    match visible {
        Some(t) if t.is_none() || t == Some(tenant) => {}
        _ => return Err(AppError::not_found("Job")),
    }
    if !app::jobs::retry_dead(&mut *tx, id).await? {
        return Err(AppError::conflict("only a dead letter can be retried"));
    }
    audit::record(
        &mut *tx,
        Entry::event(Some(tenant), Some(claims.sub), "job.retried", format!("job:{id}"), ip.as_deref()),
    )
    .await?;
    tx.commit().await?;
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
        ("status" = Option<String>, Query, description = "queued, sent, delivered, read or failed"),
        ("cursor" = Option<String>, Query, description = "`pagination.nextCursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Default 50"),
    ),
    responses((status = 200, description = "A page of messages", body = MessageStatusPage)))]
async fn notifications(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
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
    let tenant = app::admin::service::tenant_id(&state.pool, &claims).await?;
    // Row-level security limits this to the tenant's messages and platform-wide ones.
    let mut tx = app::db::tenant_tx(&state.pool, tenant).await?;
    let rows: Vec<MessageStatus> = sqlx::query_as(
        "SELECT id, channel, template, language, status, attempts, last_error, created_at, sent_at, delivered_at, read_at
         FROM notification_outbox
         WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3",
    )
    .bind(p.status)
    .bind(before)
    .bind(limit + 1)
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
    let tenant = app::admin::service::tenant_id(&state.pool, &claims).await?;
    let mut tx = app::db::tenant_tx(&state.pool, tenant).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM notification_outbox WHERE id = $1)")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(AppError::not_found("Message"));
    }
    if !app::outbox::retry_failed(&mut tx, id).await? {
        return Err(AppError::conflict("only a failed message can be retried"));
    }
    audit::record(
        &mut *tx,
        Entry::event(Some(tenant), Some(claims.sub), "notification.retried", format!("message:{id}"), ip.as_deref()),
    )
    .await?;
    tx.commit().await?;
    Ok(ok(MessageRetried { id, status: "queued" }))
}
