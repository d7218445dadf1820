//! Server functions of the task board (`/ops/tasks`). Each checks its rule itself as
//! well, since the page rendering on the server calls them in-process.

use super::model::*;
use crate::domain::permissions::{Access, Action};
use crate::error::AppError;
use leptos::prelude::*;

pub const ACCESS: &[(&str, Access)] = &[
    ("/_fn/field/board", Access::Requires(Action::TasksWork)),
    ("/_fn/field/create_task", Access::Requires(Action::TasksManage)),
    ("/_fn/field/update_task", Access::Requires(Action::TasksWork)),
    ("/_fn/field/day", Access::Requires(Action::VisitsRecord)),
    ("/_fn/field/visit", Access::Requires(Action::VisitsRecord)),
];

#[cfg(feature = "ssr")]
async fn session(path: &str) -> Result<crate::account::session::Session, AppError> {
    crate::access::check(ACCESS, path).await?.ok_or(AppError::Unauthenticated)
}

/// The board with its filters (each empty for all): a farm's slug, an assignee's id,
/// a status (default open).
#[server(prefix = "/_fn", endpoint = "field/board")]
pub async fn task_board(farm: String, assignee: String, status: String) -> Result<Board, AppError> {
    let s = session("/_fn/field/board").await?;
    let state = crate::state::app_state()?;
    let some = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    let filter = super::tasks_service::TaskFilter {
        farm: some(&farm),
        assignee: some(&assignee)
            .map(|a| uuid::Uuid::parse_str(&a).map_err(|_| AppError::validation("assignee", "is not a person")))
            .transpose()?,
        status: match status.trim() {
            "" => Some(crate::domain::field_work::TaskStatus::Open),
            "all" => None,
            other => Some(other.parse().map_err(|e: String| AppError::validation("status", e))?),
        },
        due_to: None,
    };
    super::tasks_service::board(&state.pool, &s.claims, &filter).await
}

#[server(prefix = "/_fn", endpoint = "field/create_task")]
pub async fn create_task(task: NewTaskRequest) -> Result<Vec<TaskView>, AppError> {
    let s = session("/_fn/field/create_task").await?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::tasks_service::create(&state.pool, &s.claims, &task, ip.as_deref()).await
}

#[server(prefix = "/_fn", endpoint = "field/update_task")]
pub async fn update_task(id: String, update: TaskUpdateRequest) -> Result<TaskView, AppError> {
    let s = session("/_fn/field/update_task").await?;
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else { return Err(AppError::not_found("Task")) };
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    super::tasks_service::update(&state.pool, &s.claims, id, &update, ip.as_deref()).await
}

/// The field app's day (`/field`), read whenever the phone has a connection and kept
/// for when it has none.
#[server(prefix = "/_fn", endpoint = "field/day", input = leptos::server_fn::codec::Json)]
pub async fn open_field_day() -> Result<FieldDay, AppError> {
    let s = session("/_fn/field/day").await?;
    let state = crate::state::app_state()?;
    super::visits_service::field_day(&state.pool, &s.claims).await
}

/// A visit from the field app's outbox: stored once under the id the phone made.
#[server(prefix = "/_fn", endpoint = "field/visit", input = leptos::server_fn::codec::Json)]
pub async fn send_visit(visit: VisitRequest) -> Result<VisitRecorded, AppError> {
    let s = session("/_fn/field/visit").await?;
    let state = crate::state::app_state()?;
    let ip = crate::account::api::client_ip();
    let r = super::visits_service::record(&state.pool, &s.claims, &visit, ip.as_deref()).await?;
    Ok(VisitRecorded { visit: r.visit, created: r.created, tasks_completed: r.tasks_completed })
}
