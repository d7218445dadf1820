//! Opening, listing, acknowledging and resolving alerts, and telling people of a new one.

use super::model::*;
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::error::AppError;
use crate::live::{self, Topic};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// An alert a rule wants open.
pub struct NewAlert {
    pub tenant: Uuid,
    pub kind: &'static str,
    pub severity: Severity,
    pub subject_type: SubjectType,
    pub subject_id: String,
    /// One line, in English, for lists and the audit log; messages are written per
    /// language from `kind` and `details` ([`message`]).
    pub title: String,
    pub details: serde_json::Value,
}

/// Opens `alert` in the caller's transaction unless one of its kind is already open
/// for its subject. A new one is published on the tenant's operations stream and its
/// people are told (a job, so a slow provider never holds the rule's transaction).
/// Returns the new alert's id, `None` when one was already open.
pub async fn open_in(conn: &mut PgConnection, alert: NewAlert) -> Result<Option<Uuid>, sqlx::Error> {
    let opened: Option<(Uuid, DateTime<Utc>)> = sqlx::query_as(
        "INSERT INTO alerts (tenant_id, kind, severity, subject_type, subject_id, title, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, subject_type, subject_id, kind) WHERE resolved_at IS NULL DO NOTHING
         RETURNING id, opened_at",
    )
    .bind(alert.tenant)
    .bind(alert.kind)
    .bind(alert.severity.as_str())
    .bind(alert.subject_type.as_str())
    .bind(&alert.subject_id)
    .bind(&alert.title)
    .bind(&alert.details)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, opened_at)) = opened else { return Ok(None) };
    crate::jobs::enqueue(
        &mut *conn,
        crate::jobs::NewJob::new(
            crate::jobs::Queue::Notifications,
            NOTIFY_OPENED,
            json!({ "tenant": alert.tenant, "alert": id }),
        )
        .tenant(alert.tenant)
        .dedupe_key(format!("alert-opened:{id}")),
    )
    .await?;
    let event = json!({
        "id": id, "kind": alert.kind, "severity": alert.severity, "subjectType": alert.subject_type,
        "subjectId": alert.subject_id, "title": alert.title, "openedAt": opened_at,
    });
    live::publish(&mut *conn, &Topic::Operations { tenant: alert.tenant }, "alert.opened", &event).await?;
    Ok(Some(id))
}

#[derive(FromRow)]
struct AlertRow {
    id: Uuid,
    kind: String,
    severity: String,
    subject_type: String,
    subject_id: String,
    title: String,
    details: serde_json::Value,
    opened_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<Uuid>,
    resolved_at: Option<DateTime<Utc>>,
    resolved_by: Option<Uuid>,
    resolution: Option<String>,
}

const COLUMNS: &str = "id, kind, severity, subject_type, subject_id, title, details, opened_at, acknowledged_at, \
     acknowledged_by, resolved_at, resolved_by, resolution";

impl From<AlertRow> for Alert {
    fn from(r: AlertRow) -> Alert {
        let status = if r.resolved_at.is_some() {
            AlertStatus::Resolved
        } else if r.acknowledged_at.is_some() {
            AlertStatus::Acknowledged
        } else {
            AlertStatus::Open
        };
        Alert {
            id: r.id,
            kind: r.kind,
            // The table's checks admit only these.
            severity: r.severity.parse().unwrap_or(Severity::Warning),
            subject_type: r.subject_type.parse().unwrap_or(SubjectType::Farm),
            subject_id: r.subject_id,
            title: r.title,
            details: r.details,
            status,
            opened_at: r.opened_at,
            acknowledged_at: r.acknowledged_at,
            acknowledged_by: r.acknowledged_by,
            resolved_at: r.resolved_at,
            resolved_by: r.resolved_by,
            resolution: r.resolution,
        }
    }
}

/// The tenant's alerts, newest first, `limit` of them opened before `before`.
pub async fn list(
    pool: &PgPool,
    claims: &Claims,
    filter: &AlertFilter,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Alert>, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let status = filter.status.map(|s| match s {
        AlertStatus::Open => "open",
        AlertStatus::Acknowledged => "acknowledged",
        AlertStatus::Resolved => "resolved",
    });
    let rows: Vec<AlertRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts
         WHERE ($1::text IS NULL
                OR ($1 = 'open' AND resolved_at IS NULL AND acknowledged_at IS NULL)
                OR ($1 = 'acknowledged' AND resolved_at IS NULL AND acknowledged_at IS NOT NULL)
                OR ($1 = 'resolved' AND resolved_at IS NOT NULL))
           AND ($2::text IS NULL OR kind = $2)
           AND ($3::text IS NULL OR severity = $3)
           AND ($4::text IS NULL OR subject_type = $4)
           AND ($5::text IS NULL OR subject_id = $5)
           AND ($6::timestamptz IS NULL OR (opened_at, id) < ($6, $7))
         ORDER BY opened_at DESC, id DESC LIMIT $8"
    ))
    .bind(status)
    .bind(filter.kind.as_deref())
    .bind(filter.severity.map(Severity::as_str))
    .bind(filter.subject_type.map(SubjectType::as_str))
    .bind(filter.subject_id.as_deref())
    .bind(before.map(|(at, _)| at))
    .bind(before.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Alert::from).collect())
}

/// The caller's tenant's alerts not yet resolved, newest first, `limit` of them opened
/// before `before` (the control tower's queue; `alerts_unresolved` serves it).
pub async fn unresolved_in(
    conn: &mut PgConnection,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Alert>, sqlx::Error> {
    let rows: Vec<AlertRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts
         WHERE resolved_at IS NULL AND ($1::timestamptz IS NULL OR (opened_at, id) < ($1, $2))
         ORDER BY opened_at DESC, id DESC LIMIT $3"
    ))
    .bind(before.map(|(at, _)| at))
    .bind(before.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(Alert::from).collect())
}

/// One alert of the transaction's tenant.
pub async fn find_in(conn: &mut PgConnection, id: Uuid) -> Result<Alert, AppError> {
    one(conn, id).await
}

async fn one(conn: &mut PgConnection, id: Uuid) -> Result<Alert, AppError> {
    let row: Option<AlertRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Alert::from).ok_or_else(|| AppError::not_found("Alert"))
}

/// Someone is on it. Acknowledging again answers the alert as it stands; a resolved
/// alert that nobody acknowledged stays as it was resolved (409).
pub async fn acknowledge(pool: &PgPool, claims: &Claims, id: Uuid, ip: Option<&str>) -> Result<Alert, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let changed = sqlx::query(
        "UPDATE alerts SET acknowledged_at = now(), acknowledged_by = $2
         WHERE id = $1 AND acknowledged_at IS NULL AND resolved_at IS NULL",
    )
    .bind(id)
    .bind(claims.sub)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    let alert = one(&mut tx, id).await?;
    if !changed && alert.acknowledged_at.is_none() {
        return Err(AppError::conflict("This alert was resolved before anyone acknowledged it"));
    }
    if changed {
        changed_in(&mut tx, tenant, claims.sub, &alert, "alert.acknowledged", ip).await?;
    }
    tx.commit().await?;
    Ok(alert)
}

/// Closes the alert, with what was done. Resolving again answers it as it was resolved.
pub async fn resolve(
    pool: &PgPool,
    claims: &Claims,
    id: Uuid,
    resolution: Option<&str>,
    ip: Option<&str>,
) -> Result<Alert, AppError> {
    let resolution = resolution.map(str::trim).filter(|r| !r.is_empty());
    if resolution.is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::validation("resolution", "must be at most 1,000 characters"));
    }
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let changed = sqlx::query(
        "UPDATE alerts SET resolved_at = now(), resolved_by = $2, resolution = $3 WHERE id = $1 AND resolved_at IS NULL",
    )
    .bind(id)
    .bind(claims.sub)
    .bind(resolution)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    let alert = one(&mut tx, id).await?;
    if changed {
        changed_in(&mut tx, tenant, claims.sub, &alert, "alert.resolved", ip).await?;
    }
    tx.commit().await?;
    Ok(alert)
}

async fn changed_in(
    conn: &mut PgConnection,
    tenant: Uuid,
    actor: Uuid,
    alert: &Alert,
    action: &'static str,
    ip: Option<&str>,
) -> Result<(), sqlx::Error> {
    audit::record(
        &mut *conn,
        Entry {
            after: Some(json!({ "status": alert.status, "resolution": alert.resolution })),
            ..Entry::event(Some(tenant), Some(actor), action, format!("alert:{}", alert.id), ip)
        },
    )
    .await?;
    let event = json!({ "id": alert.id, "status": alert.status, "by": actor });
    live::publish(&mut *conn, &Topic::Operations { tenant }, action, &event).await
}

/// A farm's alerts not yet resolved, newest first (its owners' page).
pub async fn open_for_farm(conn: &mut PgConnection, farm: Uuid) -> Result<Vec<Alert>, sqlx::Error> {
    let rows: Vec<AlertRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts
         WHERE subject_type = 'farm' AND subject_id = $1 AND resolved_at IS NULL
         ORDER BY opened_at DESC, id DESC LIMIT 20"
    ))
    .bind(farm.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(Alert::from).collect())
}

/// The job that tells people of a newly opened alert.
pub const NOTIFY_OPENED: &str = "alerts.notify_opened";

/// Runs `NOTIFY_OPENED`: the farm's current owners (for a farm's alert) and the
/// tenant's ops, each in their language. An alert already resolved tells nobody.
/// Returns how many people were told.
pub async fn notify_opened(tx: &mut PgConnection, tenant: Uuid, alert: Uuid) -> Result<usize, sqlx::Error> {
    let row: Option<(String, String, String, String, serde_json::Value, bool)> = sqlx::query_as(
        "SELECT kind, subject_type, subject_id, title, details, resolved_at IS NOT NULL FROM alerts
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(alert)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((kind, subject_type, subject_id, title, details, resolved)) = row else { return Ok(0) };
    if resolved {
        return Ok(0);
    }
    let farm = (subject_type == "farm").then(|| subject_id.parse::<Uuid>().ok()).flatten();
    let place: String = match farm {
        Some(f) => sqlx::query_scalar("SELECT name FROM farms WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(f)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or_else(|| title.clone()),
        None => format!("{subject_type} {subject_id}"),
    };
    let people: Vec<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'ops'
         UNION
         SELECT owner_id FROM ownership_agreements
         WHERE tenant_id = $1 AND farm_id = $2 AND starts_on <= current_date AND (ends_on IS NULL OR ends_on >= current_date)
         ORDER BY 1",
    )
    .bind(tenant)
    .bind(farm)
    .fetch_all(&mut *tx)
    .await?;
    for person in &people {
        crate::outbox::notify_person(
            &mut *tx,
            Some(tenant),
            *person,
            "alert_opened",
            vec![place.clone(), kind.clone()],
            |language| message(&kind, &details, &title, &place, language),
        )
        .await?;
    }
    Ok(people.len())
}
