//! Farm visits as field agents record them, often long after, from a phone that was
//! offline: stored once under the id the phone made, with our receipt time beside
//! the phone's, writing the plant counts they took and completing their tasks.

use super::model::{PlantCountInput, VisitPhoto, VisitRequest, VisitView};
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::audit::{self, Entry};
use crate::domain::field_work::{PlantCount, Position, check_plant_count, parse_position};
use crate::domain::permissions::{Action, Grant, grant_for_roles};
use crate::error::AppError;
use crate::live::{self, Topic};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Alerts a recorded visit answers.
pub use crate::alerts::model::kinds::NO_RECENT_VISIT;

fn grant(claims: &Claims) -> Option<Grant> {
    let roles: Vec<_> = claims.roles.iter().filter_map(|r| r.parse().ok()).collect();
    grant_for_roles(&roles, Action::VisitsRecord)
}

/// The visit's hand readings as readings of the agent's handheld sensor, at the visit's
/// time (or its arrival, if the phone's clock runs ahead), with each refusal by its place.
fn hand_readings(
    req: &VisitRequest,
    agent: Uuid,
    at: DateTime<Utc>,
    fields: &mut BTreeMap<String, String>,
) -> Vec<crate::domain::readings::Reading> {
    use crate::domain::readings::{Metric, RawReading, parse_reading};
    if req.readings.len() > Metric::ALL.len() {
        fields.insert("readings".into(), format!("may hold at most {} readings, one per metric", Metric::ALL.len()));
        return Vec::new();
    }
    let now = Utc::now();
    let time = at.min(now).to_rfc3339();
    let sensor = format!("handheld:{}", &agent.simple().to_string()[..12]);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (i, r) in req.readings.iter().enumerate() {
        let unit = r.metric.trim().parse::<Metric>().map(Metric::unit).unwrap_or_default();
        let raw = RawReading {
            sensor: sensor.clone(),
            metric: r.metric.clone(),
            value: r.value.clone(),
            unit: unit.to_string(),
            time: time.clone(),
        };
        match parse_reading(&raw, now) {
            Ok(reading) if !seen.insert(reading.metric) => {
                fields.insert(format!("readings[{i}].metric"), "is read twice in this visit".into());
            }
            Ok(reading) => out.push(reading),
            Err(errors) => {
                for (field, e) in errors {
                    fields.insert(format!("readings[{i}].{field}"), e);
                }
            }
        }
    }
    out
}

/// What the phone sent, checked: the visit's time, and each refusal by its field.
fn check(req: &VisitRequest) -> Result<(DateTime<Utc>, Option<Position>), AppError> {
    let mut fields = BTreeMap::new();
    let visited_at = DateTime::parse_from_rfc3339(req.visited_at.trim()).map(|t| t.with_timezone(&Utc));
    if visited_at.is_err() {
        fields.insert("visitedAt".to_string(), "must be an RFC 3339 time, e.g. 2026-12-06T05:30:00+05:30".to_string());
    }
    if req.notes.chars().count() > 4000 {
        fields.insert("notes".into(), "must be at most 4,000 characters".into());
    }
    let position = match &req.position {
        Some(p) => match parse_position(&p.latitude, &p.longitude, p.accuracy_m.as_deref()) {
            Ok(p) => Some(p),
            Err((field, e)) => {
                fields.insert(format!("position.{field}"), e);
                None
            }
        },
        None => None,
    };
    let mut crops = std::collections::BTreeSet::new();
    for (i, c) in req.plant_counts.iter().enumerate() {
        let crop = c.crop.trim().to_lowercase();
        if crop.is_empty() || crop.chars().count() > 80 {
            fields.insert(format!("plantCounts[{i}].crop"), "must be 1 to 80 characters".into());
        } else if !crops.insert(crop) {
            fields.insert(format!("plantCounts[{i}].crop"), "is counted twice in this visit".into());
        }
        if let Err(e) = check_plant_count(PlantCount { planted: c.planted, alive: c.alive, lost: c.lost }) {
            fields.insert(format!("plantCounts[{i}]"), e);
        }
    }
    if req.completes_tasks.len() > 100 {
        fields.insert("completesTasks".into(), "may name at most 100 tasks".into());
    }
    match visited_at {
        Ok(t) if fields.is_empty() => Ok((t, position)),
        _ => Err(AppError::Validation { fields }),
    }
}

fn digest(req: &VisitRequest) -> String {
    let text = serde_json::to_string(req).unwrap_or_default();
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(FromRow)]
struct VisitRow {
    id: Uuid,
    farm_id: Uuid,
    farm_name: String,
    agent_id: Uuid,
    agent_name: String,
    visited_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    notes: String,
    latitude: Option<Decimal>,
    longitude: Option<Decimal>,
    plant_counts: Json<Vec<PlantCountInput>>,
    photos: Json<Vec<VisitPhoto>>,
}

impl From<VisitRow> for VisitView {
    fn from(r: VisitRow) -> VisitView {
        VisitView {
            id: r.id,
            farm_id: r.farm_id,
            farm_name: r.farm_name,
            agent_id: r.agent_id,
            agent_name: r.agent_name,
            visited_at: r.visited_at,
            received_at: r.received_at,
            notes: r.notes,
            latitude: r.latitude,
            longitude: r.longitude,
            plant_counts: r.plant_counts.0,
            photos: r.photos.0,
        }
    }
}

const SELECT: &str = "SELECT v.id, v.farm_id, f.name AS farm_name, v.agent_id, u.display_name AS agent_name,
        v.visited_at, v.received_at, v.notes, v.latitude, v.longitude,
        coalesce((SELECT jsonb_agg(jsonb_build_object('crop', p.crop, 'planted', p.planted, 'alive', p.alive, 'lost', p.lost)
                                   ORDER BY p.crop)
                  FROM plant_counts p WHERE p.tenant_id = v.tenant_id AND p.visit_id = v.id), '[]') AS plant_counts,
        coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'width', s.width, 'height', s.height)
                                   ORDER BY s.created_at, s.id)
                  FROM stored_files s WHERE s.tenant_id = v.tenant_id AND s.visit_id = v.id), '[]') AS photos
    FROM field_visits v JOIN farms f ON f.tenant_id = v.tenant_id AND f.id = v.farm_id
    JOIN users u ON u.id = v.agent_id";

async fn one(conn: &mut PgConnection, id: Uuid) -> Result<VisitView, AppError> {
    let row: Option<VisitRow> =
        sqlx::query_as(&format!("{SELECT} WHERE v.id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.map(VisitView::from).ok_or_else(|| AppError::not_found("Visit"))
}

/// What became of a visit sent.
pub struct Recorded {
    pub visit: VisitView,
    /// False when this exact visit was stored before (a resend).
    pub created: bool,
    pub tasks_completed: Vec<Uuid>,
}

/// Stores a visit once under the phone's id. The same visit again answers it as
/// stored; another visit under the same id is refused (409), as is another agent's
/// (403). Tasks named that are not open tasks of the farm are left alone: the visit
/// is never refused for them, so nothing recorded in the field is lost.
pub async fn record(
    pool: &PgPool,
    claims: &Claims,
    req: &VisitRequest,
    ip: Option<&str>,
) -> Result<Recorded, AppError> {
    let (visited_at, position) = check(req)?;
    let mut refused = BTreeMap::new();
    let readings = hand_readings(req, claims.sub, visited_at, &mut refused);
    if !refused.is_empty() {
        return Err(AppError::Validation { fields: refused });
    }
    let grant = grant(claims).ok_or(AppError::Forbidden)?;
    let digest = digest(req);
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = super::tasks_service::farm_id(&mut tx, &req.farm).await?;
    let inserted = sqlx::query(
        "INSERT INTO field_visits (tenant_id, id, farm_id, agent_id, visited_at, notes, latitude, longitude, accuracy_m, digest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .bind(tenant)
    .bind(req.id)
    .bind(farm)
    .bind(claims.sub)
    .bind(visited_at)
    .bind(req.notes.trim())
    .bind(position.map(|p| p.0))
    .bind(position.map(|p| p.1))
    .bind(position.and_then(|p| p.2))
    .bind(&digest)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        let (agent, stored): (Uuid, String) = sqlx::query_as("SELECT agent_id, digest FROM field_visits WHERE id = $1")
            .bind(req.id)
            .fetch_one(&mut *tx)
            .await?;
        if agent != claims.sub && grant == Grant::Own {
            return Err(AppError::Forbidden);
        }
        if stored != digest {
            return Err(AppError::conflict_on(&["id"], "A different visit was already sent under this id"));
        }
        let visit = one(&mut tx, req.id).await?;
        tx.commit().await?;
        return Ok(Recorded { visit, created: false, tasks_completed: vec![] });
    }
    // Counted on the day of the visit, or of its arrival if the phone's clock is ahead.
    let counted_on = crate::domain::distribution::ist_date(visited_at.min(Utc::now()));
    for c in &req.plant_counts {
        sqlx::query(
            "INSERT INTO plant_counts (tenant_id, id, farm_id, crop, counted_on, planted, alive, lost, source, recorded_by, visit_id)
             VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, 'visit', $8, $9)
             ON CONFLICT (tenant_id, farm_id, crop, counted_on) DO UPDATE SET planted = EXCLUDED.planted,
                 alive = EXCLUDED.alive, lost = EXCLUDED.lost, source = 'visit', recorded_by = EXCLUDED.recorded_by,
                 visit_id = EXCLUDED.visit_id, recorded_at = now()",
        )
        .bind(tenant)
        .bind(farm)
        .bind(c.crop.trim().to_lowercase())
        .bind(counted_on)
        .bind(c.planted as i32)
        .bind(c.alive as i32)
        .bind(c.lost as i32)
        .bind(claims.sub)
        .bind(req.id)
        .execute(&mut *tx)
        .await?;
    }
    if !readings.is_empty() {
        super::readings_service::store_hand_readings(&mut tx, tenant, farm, &readings).await?;
    }
    let own = (grant == Grant::Own).then_some(claims.sub);
    let tasks_completed: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE field_tasks SET status = 'done', completed_at = now(), completed_by = $3, visit_id = $4
         WHERE id = ANY($1) AND farm_id = $2 AND status = 'open' AND ($5::uuid IS NULL OR assignee_id = $5)
         RETURNING id",
    )
    .bind(&req.completes_tasks)
    .bind(farm)
    .bind(claims.sub)
    .bind(req.id)
    .bind(own)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE alerts SET resolved_at = now(), resolution = 'A visit was recorded'
         WHERE subject_type = 'farm' AND subject_id = $1 AND kind = $2 AND resolved_at IS NULL",
    )
    .bind(farm.to_string())
    .bind(NO_RECENT_VISIT)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry {
            after: Some(json!({ "farm": farm, "visitedAt": visited_at, "plantCounts": req.plant_counts.len(),
                                "readings": readings.len(), "tasksCompleted": tasks_completed })),
            ..Entry::event(
                Some(tenant),
                Some(claims.sub),
                "field_visit.recorded",
                format!("field_visit:{}", req.id),
                ip,
            )
        },
    )
    .await?;
    let visit = one(&mut tx, req.id).await?;
    live::publish(
        &mut tx,
        &Topic::Operations { tenant },
        "visit.recorded",
        &json!({ "id": visit.id, "farmId": farm, "farmName": visit.farm_name, "agent": visit.agent_name }),
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded { visit, created: true, tasks_completed })
}

/// Its author (or ops) corrects a visit's notes.
pub async fn edit_notes(
    pool: &PgPool,
    claims: &Claims,
    id: Uuid,
    notes: &str,
    ip: Option<&str>,
) -> Result<VisitView, AppError> {
    if notes.chars().count() > 4000 {
        return Err(AppError::validation("notes", "must be at most 4,000 characters"));
    }
    let grant = grant(claims).ok_or(AppError::Forbidden)?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let agent: Option<Uuid> = sqlx::query_scalar("SELECT agent_id FROM field_visits WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(agent) = agent else { return Err(AppError::not_found("Visit")) };
    if grant == Grant::Own && agent != claims.sub {
        return Err(AppError::Forbidden);
    }
    sqlx::query("UPDATE field_visits SET notes = $2 WHERE id = $1")
        .bind(id)
        .bind(notes.trim())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Entry::event(Some(tenant), Some(claims.sub), "field_visit.notes_edited", format!("field_visit:{id}"), ip),
    )
    .await?;
    let visit = one(&mut tx, id).await?;
    tx.commit().await?;
    Ok(visit)
}

/// Visits, newest first: a farm's, or every farm's; a field agent sees their own.
pub async fn list(pool: &PgPool, claims: &Claims, farm: Option<&str>, limit: i64) -> Result<Vec<VisitView>, AppError> {
    let own = match grant(claims) {
        Some(Grant::Any) => None,
        Some(Grant::Own) => Some(claims.sub),
        None => return Err(AppError::Forbidden),
    };
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = match farm {
        Some(f) => Some(super::tasks_service::farm_id(&mut tx, f).await?),
        None => None,
    };
    let rows: Vec<VisitRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1::uuid IS NULL OR v.agent_id = $1) AND ($2::uuid IS NULL OR v.farm_id = $2)
         ORDER BY v.visited_at DESC, v.id DESC LIMIT $3"
    ))
    .bind(own)
    .bind(farm)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(VisitView::from).collect())
}

/// A farm's latest visits, for its owners' page (in their owner-scoped transaction).
pub async fn recent_for_farm(conn: &mut PgConnection, farm: Uuid, limit: i64) -> Result<Vec<VisitView>, sqlx::Error> {
    let rows: Vec<VisitRow> =
        sqlx::query_as(&format!("{SELECT} WHERE v.farm_id = $1 ORDER BY v.visited_at DESC, v.id DESC LIMIT $2"))
            .bind(farm)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(VisitView::from).collect())
}

/// The field app's day for the signed-in agent (ops see every open task due).
pub async fn field_day(pool: &PgPool, claims: &Claims) -> Result<super::model::FieldDay, AppError> {
    grant(claims).ok_or(AppError::Forbidden)?;
    let today = crate::domain::distribution::ist_date(chrono::Utc::now());
    let filter = super::tasks_service::TaskFilter {
        farm: None,
        assignee: Some(claims.sub),
        status: Some(crate::domain::field_work::TaskStatus::Open),
        due_to: Some(today),
    };
    let tasks = super::tasks_service::list(pool, claims, &filter).await?;
    let tenant = tenant_id(pool, claims).await?;
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farms: Vec<(Uuid, String, String, Vec<String>)> =
        sqlx::query_as("SELECT id, slug, name, crops FROM farms ORDER BY name").fetch_all(&mut *tx).await?;
    let agent_name: String =
        sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1").bind(claims.sub).fetch_one(&mut *tx).await?;
    Ok(super::model::FieldDay {
        agent_id: claims.sub,
        agent_name,
        tenant: claims.tenant.clone(),
        today,
        farms: farms
            .into_iter()
            .map(|(id, slug, name, crops)| super::model::FieldFarm { id, slug, name, crops })
            .collect(),
        tasks,
    })
}
