//! The field's scheduled alert rules: a farm nobody has visited for too long, and
//! tasks left past their day. Each opens one alert per farm (at most one open of its
//! kind) and resolves its own alerts once the cause is gone.

use super::visits_service::NO_RECENT_VISIT;
use crate::alerts::model::{Severity, SubjectType};
use crate::alerts::service::{NewAlert, open_in};
use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// Days without a visit before a farm's owners and ops are told.
pub const VISIT_DUE_DAYS: i32 = 14;

use crate::alerts::model::kinds::TASKS_OVERDUE;

/// What one run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RulesRun {
    pub opened: usize,
    pub resolved: u64,
}

/// Runs the rules over every estate farm the transaction sees, as of `today` (India's).
pub async fn run(conn: &mut PgConnection, today: NaiveDate) -> Result<RulesRun, sqlx::Error> {
    let mut run = RulesRun::default();
    let unvisited: Vec<(Uuid, Uuid, String, Option<NaiveDate>)> = sqlx::query_as(
        "SELECT f.tenant_id, f.id, f.name, v.last
         FROM farms f
         JOIN tenants t ON t.id = f.tenant_id AND t.kind = 'estate'
         LEFT JOIN LATERAL (
             SELECT max((least(v.visited_at, v.received_at) AT TIME ZONE 'Asia/Kolkata')::date) AS last
             FROM field_visits v WHERE v.tenant_id = f.tenant_id AND v.farm_id = f.id
         ) v ON true
         WHERE coalesce(v.last, (f.created_at AT TIME ZONE 'Asia/Kolkata')::date) < $1::date - $2::int
         ORDER BY f.tenant_id, f.id",
    )
    .bind(today)
    .bind(VISIT_DUE_DAYS)
    .fetch_all(&mut *conn)
    .await?;
    for (tenant, farm, name, last) in unvisited {
        let title = match last {
            Some(day) => format!("{name}: no field visit since {day}"),
            None => format!("{name}: no field visit recorded yet"),
        };
        let alert = NewAlert {
            tenant,
            kind: NO_RECENT_VISIT,
            severity: Severity::Warning,
            subject_type: SubjectType::Farm,
            subject_id: farm.to_string(),
            title,
            details: json!({ "lastVisit": last, "dueDays": VISIT_DUE_DAYS, "farmId": farm }),
        };
        run.opened += usize::from(open_in(&mut *conn, alert).await?.is_some());
    }

    let overdue: Vec<(Uuid, Uuid, String, i64, NaiveDate)> = sqlx::query_as(
        "SELECT t.tenant_id, t.farm_id, f.name, count(*), min(t.due_on)
         FROM field_tasks t JOIN farms f ON f.tenant_id = t.tenant_id AND f.id = t.farm_id
         WHERE t.status = 'open' AND t.due_on < $1
         GROUP BY t.tenant_id, t.farm_id, f.name ORDER BY t.tenant_id, t.farm_id",
    )
    .bind(today)
    .fetch_all(&mut *conn)
    .await?;
    for (tenant, farm, name, count, oldest) in &overdue {
        let alert = NewAlert {
            tenant: *tenant,
            kind: TASKS_OVERDUE,
            severity: Severity::Warning,
            subject_type: SubjectType::Farm,
            subject_id: farm.to_string(),
            title: format!("{name}: {count} task(s) past due, the oldest due {oldest}"),
            details: json!({ "overdue": count, "oldestDue": oldest, "farmId": farm }),
        };
        run.opened += usize::from(open_in(&mut *conn, alert).await?.is_some());
    }
    // The rule's own alerts whose cause is gone: closed by the rule (no person).
    run.resolved = sqlx::query(
        "UPDATE alerts a SET resolved_at = now(), resolution = 'No task is past due any more'
         WHERE a.kind = $2 AND a.subject_type = 'farm' AND a.resolved_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM field_tasks t
                           WHERE t.tenant_id = a.tenant_id AND t.farm_id::text = a.subject_id
                             AND t.status = 'open' AND t.due_on < $1)",
    )
    .bind(today)
    .bind(TASKS_OVERDUE)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(run)
}
