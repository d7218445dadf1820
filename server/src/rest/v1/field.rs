//! `/api/v1/field/tasks` (the task board) and `/api/v1/field/visits` (visits recorded
//! from the field, sent once under the phone's id).

use super::extract::{ApiJson, Authenticated, ClientIp, parse_id, parse_limit, parse_query};
use super::routes::Routes;
use app::domain::permissions::Access::Requires;
use app::domain::permissions::Action::{TasksManage, TasksWork, VisitsRecord};
use app::envelope::ok;
use app::error::AppError;
use app::field::model::{NewTaskRequest, TaskUpdateRequest, VisitNotesRequest, VisitRecorded, VisitRequest};
use app::field::tasks_service::{self, TaskFilter};
use app::field::visits_service;
use app::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(utoipa::OpenApi)]
#[openapi(paths(tasks, create_task, update_task, record_visit, visits, edit_visit))]
pub struct Api;

pub fn routes() -> Routes {
    Routes::new()
        .get("/field/tasks", Requires(TasksWork), tasks)
        .post("/field/tasks", Requires(TasksManage), create_task)
        .patch("/field/tasks/{id}", Requires(TasksWork), update_task)
        .get("/field/visits", Requires(VisitsRecord), visits)
        .post("/field/visits", Requires(VisitsRecord), record_visit)
        .patch("/field/visits/{id}", Requires(VisitsRecord), edit_visit)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TasksQuery {
    farm: Option<String>,
    assignee: Option<String>,
    status: Option<String>,
    due_to: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The board, soonest due first: every task for ops, a field agent's own for them.
#[utoipa::path(get, path = "/field/tasks", operation_id = "listFieldTasks",
    params(
        ("farm" = Option<String>, Query, description = "A farm's id or slug"),
        ("assignee" = Option<uuid::Uuid>, Query),
        ("status" = Option<app::domain::field_work::TaskStatus>, Query),
        ("dueTo" = Option<chrono::NaiveDate>, Query, description = "Due on or before"),
    ),
    responses(
        (status = 200, description = "The tasks", body = super::responses::TasksEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn tasks(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: TasksQuery = parse_query(raw.as_deref())?;
    let filter = TaskFilter {
        farm: some(&q.farm).map(str::to_string),
        assignee: some(&q.assignee).map(|a| parse_id(a, "assignee")).transpose()?,
        status: some(&q.status).map(str::parse).transpose().map_err(|e: String| AppError::validation("status", e))?,
        due_to: some(&q.due_to)
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
            .transpose()
            .map_err(|_| AppError::validation("dueTo", "must be a date like 2026-12-31"))?,
    };
    Ok(ok(tasks_service::list(&state.pool, &claims, &filter).await?))
}

/// Create a task, or a bounded series of them from a recurrence rule.
#[utoipa::path(post, path = "/field/tasks", operation_id = "createFieldTasks",
    request_body = NewTaskRequest,
    responses(
        (status = 201, description = "The tasks made", body = super::responses::TasksEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
    ))]
async fn create_task(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<NewTaskRequest>,
) -> Result<Response, AppError> {
    let made = tasks_service::create(&state.pool, &claims, &body, ip.as_deref()).await?;
    Ok((StatusCode::CREATED, ok(made)).into_response())
}

/// Reassign, reschedule, rename, complete, reopen or cancel a task (a field agent:
/// only complete their own).
#[utoipa::path(patch, path = "/field/tasks/{id}", operation_id = "updateFieldTask",
    params(("id" = uuid::Uuid, Path)),
    request_body = TaskUpdateRequest,
    responses(
        (status = 200, description = "The task", body = super::responses::TaskEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn update_task(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TaskUpdateRequest>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Task"))?;
    Ok(ok(tasks_service::update(&state.pool, &claims, id, &body, ip.as_deref()).await?))
}

/// Send a visit: stored once under the phone's id (201), answered as stored when
/// sent again (200); another visit under the same id is 409.
#[utoipa::path(post, path = "/field/visits", operation_id = "recordFieldVisit",
    request_body = VisitRequest,
    responses(
        (status = 201, description = "Stored", body = super::responses::VisitRecordedEnvelope),
        (status = 200, description = "Stored before (a resend)", body = super::responses::VisitRecordedEnvelope),
        (status = 400, response = super::responses::ValidationFailed),
        (status = 403, response = super::responses::Forbidden),
        (status = 409, response = super::responses::Conflict),
    ))]
async fn record_visit(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<VisitRequest>,
) -> Result<Response, AppError> {
    let r = visits_service::record(&state.pool, &claims, &body, ip.as_deref()).await?;
    let status = if r.created { StatusCode::CREATED } else { StatusCode::OK };
    let answer = VisitRecorded { visit: r.visit, created: r.created, tasks_completed: r.tasks_completed };
    Ok((status, ok(answer)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VisitsQuery {
    farm: Option<String>,
    limit: Option<String>,
}

/// Visits, newest first (a field agent: their own).
#[utoipa::path(get, path = "/field/visits", operation_id = "listFieldVisits",
    params(("farm" = Option<String>, Query), ("limit" = Option<u32>, Query, minimum = 1, maximum = 200)),
    responses((status = 200, description = "The visits", body = super::responses::VisitsEnvelope)))]
async fn visits(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q: VisitsQuery = parse_query(raw.as_deref())?;
    let limit = parse_limit(some(&q.limit), 50, 200)?;
    Ok(ok(visits_service::list(&state.pool, &claims, some(&q.farm), limit).await?))
}

/// Correct a visit's notes: its author (or ops).
#[utoipa::path(patch, path = "/field/visits/{id}", operation_id = "editFieldVisit",
    params(("id" = uuid::Uuid, Path)),
    request_body = VisitNotesRequest,
    responses(
        (status = 200, description = "The visit", body = super::responses::VisitEnvelope),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
    ))]
async fn edit_visit(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VisitNotesRequest>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id").map_err(|_| AppError::not_found("Visit"))?;
    Ok(ok(visits_service::edit_notes(&state.pool, &claims, id, &body.notes, ip.as_deref()).await?))
}
