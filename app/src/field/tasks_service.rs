//! The task board: ops create tasks (one, or a bounded series from a recurrence rule),
//! assign and reassign them to the tenant's field agents, and move them along; field
//! agents see and complete their own.

use super::model::{NewTaskRequest, TaskUpdateRequest, TaskView};
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::domain::field_work::{MAX_OCCURRENCES, MAX_SPAN_DAYS, TaskKind, TaskStatus, parse_rule};
use crate::domain::permissions::{Action, Grant};
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// Whether the caller works every task of the tenant (ops, admins) or only their own.
pub fn scope(claims: &Claims) -> Option<Grant> {
    let roles: Vec<_> = claims.roles.iter().filter_map(|r| r.parse().ok()).collect();
    crate::domain::permissions::grant_for_roles(&roles, Action::TasksWork)
}

/// An assignee as sent: empty or `none` for nobody (a form drops an empty value, so
/// its "Nobody" choice says `none`), else a user's id.
fn assignee(text: &str) -> Result<Option<Uuid>, AppError> {
    match text.trim() {
        "" | "none" => Ok(None),
        id => Uuid::parse_str(id)
            .map(Some)
            .map_err(|_| AppError::validation("assignee", "is not a field agent of this estate")),
    }
}

fn day(field: &str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::validation(field, "must be a date like 2026-12-31"))
}

/// The dates a rule makes from `first`, or why it may not make them.
pub fn occurrences(first: NaiveDate, rule: Option<&str>) -> Result<(Option<String>, Vec<NaiveDate>), AppError> {
    let Some(rule) = rule.map(str::trim).filter(|r| !r.is_empty()) else { return Ok((None, vec![first])) };
    let rule = parse_rule(rule).map_err(|e| AppError::validation("rrule", e))?;
    let text = format!("DTSTART:{}T000000Z\nRRULE:{rule}", first.format("%Y%m%d"));
    let set: rrule::RRuleSet =
        text.parse().map_err(|e: rrule::RRuleError| AppError::validation("rrule", e.to_string()))?;
    let result = set.all(MAX_OCCURRENCES as u16 + 1);
    let dates: Vec<NaiveDate> = result.dates.iter().map(|d| d.date_naive()).collect();
    if dates.len() > MAX_OCCURRENCES || result.limited {
        return Err(AppError::validation("rrule", format!("makes more than {MAX_OCCURRENCES} tasks; end it sooner")));
    }
    if dates.is_empty() {
        return Err(AppError::validation("rrule", "makes no task: its end is before its first day"));
    }
    if dates.last().is_some_and(|last| (*last - first).num_days() > MAX_SPAN_DAYS) {
        return Err(AppError::validation("rrule", "reaches more than two years ahead; end it sooner"));
    }
    Ok((Some(rule), dates))
}

#[derive(FromRow)]
struct TaskRow {
    id: Uuid,
    series_id: Option<Uuid>,
    farm_id: Uuid,
    farm_name: String,
    kind: String,
    title: String,
    notes: String,
    due_on: NaiveDate,
    assignee_id: Option<Uuid>,
    assignee_name: Option<String>,
    status: String,
    completed_at: Option<DateTime<Utc>>,
    visit_id: Option<Uuid>,
}

impl From<TaskRow> for TaskView {
    fn from(r: TaskRow) -> TaskView {
        TaskView {
            id: r.id,
            series_id: r.series_id,
            farm_id: r.farm_id,
            farm_name: r.farm_name,
            kind: r.kind.parse().unwrap_or(TaskKind::Custom),
            title: r.title,
            notes: r.notes,
            due_on: r.due_on,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            status: r.status.parse().unwrap_or(TaskStatus::Open),
            completed_at: r.completed_at,
            visit_id: r.visit_id,
        }
    }
}

const SELECT: &str = "SELECT t.id, t.series_id, t.farm_id, f.name AS farm_name, t.kind, t.title, t.notes, t.due_on,
        t.assignee_id, u.display_name AS assignee_name, t.status, t.completed_at, t.visit_id
    FROM field_tasks t JOIN farms f ON f.tenant_id = t.tenant_id AND f.id = t.farm_id
    LEFT JOIN users u ON u.id = t.assignee_id";

/// A farm of the caller's tenant by id or slug.
pub(crate) async fn farm_id(conn: &mut PgConnection, farm: &str) -> Result<Uuid, AppError> {
    let id = Uuid::parse_str(farm.trim()).ok();
    sqlx::query_scalar("SELECT id FROM farms WHERE ($1::uuid IS NOT NULL AND id = $1) OR slug = $2")
        .bind(id)
        .bind(farm.trim())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::validation("farm", "is not a farm of this estate"))
}

fn assignee_refused(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("MF003") => {
            AppError::validation("assignee", "is not a field agent of this estate")
        }
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23503") => {
            AppError::validation("assignee", "is not a field agent of this estate")
        }
        _ => AppError::from(e),
    }
}

/// Creates one task, or one per occurrence of the request's rule (all or none).
pub async fn create(
    pool: &PgPool,
    claims: &Claims,
    req: &NewTaskRequest,
    ip: Option<&str>,
) -> Result<Vec<TaskView>, AppError> {
    let kind: TaskKind = req.kind.trim().parse().map_err(|e| AppError::validation("kind", e))?;
    let title = match req.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > 120 => {
            return Err(AppError::validation("title", "must be at most 120 characters"));
        }
        Some(t) => t.to_string(),
        None if kind == TaskKind::Custom => return Err(AppError::validation("title", "a custom task needs a title")),
        None => kind.default_title().to_string(),
    };
    let notes = req.notes.as_deref().unwrap_or("").trim().to_string();
    if notes.chars().count() > 2000 {
        return Err(AppError::validation("notes", "must be at most 2,000 characters"));
    }
    let first = day("dueOn", &req.due_on)?;
    let assigned = assignee(req.assignee.as_deref().unwrap_or(""))?;
    let (rule, dates) = occurrences(first, req.rrule.as_deref())?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = farm_id(&mut tx, &req.farm).await?;
    let series: Option<Uuid> = match &rule {
        Some(r) => Some(
            sqlx::query_scalar(
                "INSERT INTO task_series (tenant_id, rule, created_by) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(tenant)
            .bind(r)
            .bind(claims.sub)
            .fetch_one(&mut *tx)
            .await?,
        ),
        None => None,
    };
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO field_tasks (tenant_id, series_id, farm_id, kind, title, notes, due_on, assignee_id, created_by)
         SELECT $1, $2, $3, $4, $5, $6, d, $8, $9 FROM unnest($7::date[]) AS d RETURNING id",
    )
    .bind(tenant)
    .bind(series)
    .bind(farm)
    .bind(kind.as_str())
    .bind(&title)
    .bind(&notes)
    .bind(&dates)
    .bind(assigned)
    .bind(claims.sub)
    .fetch_all(&mut *tx)
    .await
    .map_err(assignee_refused)?;
    audit::record(
        &mut *tx,
        Entry {
            after: Some(json!({ "farm": farm, "kind": kind, "tasks": ids.len(), "rule": rule, "assignee": assigned })),
            ..Entry::event(
                Some(tenant),
                Some(claims.sub),
                "field_task.created",
                format!("field_task:{}", series.unwrap_or(ids[0])),
                ip,
            )
        },
    )
    .await?;
    let rows: Vec<TaskRow> = sqlx::query_as(&format!("{SELECT} WHERE t.id = ANY($1) ORDER BY t.due_on, t.id"))
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(TaskView::from).collect())
}

/// What narrows the board.
#[derive(Debug, Default, Clone)]
pub struct TaskFilter {
    pub farm: Option<String>,
    pub assignee: Option<Uuid>,
    pub status: Option<TaskStatus>,
    pub due_to: Option<NaiveDate>,
}

/// The board, soonest due first (at most 500). A field agent sees only their own.
pub async fn list(pool: &PgPool, claims: &Claims, filter: &TaskFilter) -> Result<Vec<TaskView>, AppError> {
    let own = match scope(claims) {
        Some(Grant::Any) => None,
        Some(Grant::Own) => Some(claims.sub),
        None => return Err(AppError::Forbidden),
    };
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = match filter.farm.as_deref() {
        Some(f) => Some(farm_id(&mut tx, f).await?),
        None => None,
    };
    let rows: Vec<TaskRow> = sqlx::query_as(&format!(
        "{SELECT}
         WHERE ($1::uuid IS NULL OR t.assignee_id = $1)
           AND ($2::uuid IS NULL OR t.assignee_id = $2)
           AND ($3::uuid IS NULL OR t.farm_id = $3)
           AND ($4::text IS NULL OR t.status = $4)
           AND ($5::date IS NULL OR t.due_on <= $5)
         ORDER BY t.due_on, f.name, t.id LIMIT 500"
    ))
    .bind(own)
    .bind(filter.assignee)
    .bind(farm)
    .bind(filter.status.map(TaskStatus::as_str))
    .bind(filter.due_to)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(TaskView::from).collect())
}

/// Changes a task: ops reassign, reschedule, rename, reopen or cancel; a field agent
/// may only mark their own task done.
pub async fn update(
    pool: &PgPool,
    claims: &Claims,
    id: Uuid,
    req: &TaskUpdateRequest,
    ip: Option<&str>,
) -> Result<TaskView, AppError> {
    let status: Option<TaskStatus> =
        req.status.as_deref().map(str::parse).transpose().map_err(|e: String| AppError::validation("status", e))?;
    let due_on = req.due_on.as_deref().map(|d| day("dueOn", d)).transpose()?;
    let title = req.title.as_deref().map(str::trim).map(str::to_string);
    let reassign = req.assignee.as_deref().map(assignee).transpose()?;
    if title.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > 120) {
        return Err(AppError::validation("title", "must be 1 to 120 characters"));
    }
    let grant = scope(claims).ok_or(AppError::Forbidden)?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let current: Option<(Option<Uuid>, String)> =
        sqlx::query_as("SELECT assignee_id, status FROM field_tasks WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((assignee, was)) = current else { return Err(AppError::not_found("Task")) };
    if grant == Grant::Own {
        let only_done = status == Some(TaskStatus::Done) && reassign.is_none() && due_on.is_none() && title.is_none();
        if assignee != Some(claims.sub) {
            return Err(AppError::not_found("Task"));
        }
        if !only_done {
            return Err(AppError::Forbidden);
        }
    }
    let new_assignee = reassign.unwrap_or(assignee);
    let new_status = status.map(TaskStatus::as_str).unwrap_or(was.as_str()).to_string();
    sqlx::query(
        "UPDATE field_tasks SET assignee_id = $2, status = $3, due_on = coalesce($4, due_on), title = coalesce($5, title),
             completed_at = CASE WHEN $3 = 'done' THEN coalesce(completed_at, now()) END,
             completed_by = CASE WHEN $3 = 'done' THEN coalesce(completed_by, $6) END
         WHERE id = $1",
    )
    .bind(id)
    .bind(new_assignee)
    .bind(&new_status)
    .bind(due_on)
    .bind(&title)
    .bind(claims.sub)
    .execute(&mut *tx)
    .await
    .map_err(assignee_refused)?;
    audit::record(
        &mut *tx,
        Entry {
            before: Some(json!({ "assignee": assignee, "status": was })),
            after: Some(json!({ "assignee": new_assignee, "status": new_status, "dueOn": due_on, "title": title })),
            ..Entry::event(Some(tenant), Some(claims.sub), "field_task.updated", format!("field_task:{id}"), ip)
        },
    )
    .await?;
    let row: TaskRow = sqlx::query_as(&format!("{SELECT} WHERE t.id = $1")).bind(id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// The board: the tasks, and the estate's farms and field agents for the forms.
pub async fn board(pool: &PgPool, claims: &Claims, filter: &TaskFilter) -> Result<super::model::Board, AppError> {
    let tasks = list(pool, claims, filter).await?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farms: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, slug, name FROM farms ORDER BY name").fetch_all(&mut *tx).await?;
    let agents: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT u.id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.role = 'field_agent' ORDER BY u.display_name, u.id",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    use super::model::Choice;
    Ok(super::model::Board {
        tasks,
        farms: farms.into_iter().map(|(id, key, name)| Choice { id, key, name }).collect(),
        agents: agents.into_iter().map(|(id, name)| Choice { id, key: String::new(), name }).collect(),
        manages: scope(claims) == Some(Grant::Any),
    })
}
