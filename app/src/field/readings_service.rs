//! Storing a batch of readings for a farm: judged against the farm's crops' thresholds
//! as they arrive, once per sensor, metric and time, and opening an alert when a
//! sensor's newest readings are out of range several in a row.

use super::model::IngestOutcome;
use crate::account::tokens::Claims;
use crate::admin::service::tenant_id;
use crate::alerts::model::{Severity, SubjectType, kinds};
use crate::alerts::service::{NewAlert, open_in};
use crate::domain::readings::{Metric, Reading, Threshold, tripped};
use crate::error::AppError;
use chrono::{DateTime, Months, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A farm readings are stored for.
pub struct FarmRef {
    pub tenant: Uuid,
    pub id: Uuid,
    pub name: String,
    pub crops: Vec<String>,
}

/// The farm (its id or slug) the readings are for, in the caller's tenant.
async fn farm(conn: &mut PgConnection, tenant: Uuid, farm: &str) -> Result<FarmRef, AppError> {
    let id = Uuid::parse_str(farm).ok();
    let row: Option<(Uuid, String, Vec<String>)> =
        sqlx::query_as("SELECT id, name, crops FROM farms WHERE ($1::uuid IS NOT NULL AND id = $1) OR slug = $2")
            .bind(id)
            .bind(farm)
            .fetch_optional(&mut *conn)
            .await?;
    let (id, name, crops) = row.ok_or_else(|| AppError::not_found("Farm"))?;
    Ok(FarmRef { tenant, id, name, crops })
}

/// The span of time the readings' partitions cover: from the oldest month kept to
/// the end of the newest; `None` before any partition exists.
async fn kept_span(conn: &mut PgConnection) -> Result<Option<(NaiveDate, DateTime<Utc>, DateTime<Utc>)>, sqlx::Error> {
    let (oldest, newest): (Option<NaiveDate>, Option<NaiveDate>) =
        sqlx::query_as("SELECT min(month), max(month) FROM reading_partitions").fetch_one(&mut *conn).await?;
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    Ok(oldest.zip(newest).map(|(o, n)| (o, midnight(o), midnight(n + Months::new(1)))))
}

/// What to do with a reading already stored with another value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Clashes {
    /// Refuse the batch, naming each (a sensor contradicting itself).
    Refuse,
    /// Keep what was stored (a provider that revised an hour it had reported).
    KeepStored,
}

/// The strictest threshold of each metric over the farm's crops.
async fn thresholds(conn: &mut PgConnection, crops: &[String]) -> Result<BTreeMap<Metric, Threshold>, sqlx::Error> {
    let rows: Vec<(String, Option<Decimal>, Option<Decimal>, i16)> =
        sqlx::query_as("SELECT metric, min_value, max_value, consecutive FROM reading_thresholds WHERE crop = ANY($1)")
            .bind(crops)
            .fetch_all(&mut *conn)
            .await?;
    let mut by: BTreeMap<Metric, Vec<Threshold>> = BTreeMap::new();
    for (metric, min, max, consecutive) in rows {
        if let Ok(m) = metric.parse::<Metric>() {
            by.entry(m).or_default().push(Threshold { min, max, consecutive: consecutive.clamp(1, 100) as u16 });
        }
    }
    Ok(by.into_iter().filter_map(|(m, all)| Threshold::strictest(all).map(|t| (m, t))).collect())
}

/// Stores `readings` for `farm_ref` (already parsed: `domain::readings::parse_batch`).
/// All or nothing: a reading older than the oldest month kept, or one already stored
/// with another value, refuses the whole batch with its place named.
pub async fn ingest(
    pool: &PgPool,
    claims: &Claims,
    farm_ref: &str,
    readings: &[Reading],
) -> Result<IngestOutcome, AppError> {
    let tenant = tenant_id(pool, claims).await?;
    ingest_in(pool, tenant, farm_ref, None, readings).await
}

/// A batch sent with a farm's sensor key: for that farm only (another farm is 403).
pub async fn ingest_as_sensor(
    pool: &PgPool,
    key: super::sensor_keys_service::SensorKey,
    farm_ref: &str,
    readings: &[Reading],
) -> Result<IngestOutcome, AppError> {
    ingest_in(pool, key.tenant, farm_ref, Some(key.farm), readings).await
}

async fn ingest_in(
    pool: &PgPool,
    tenant: Uuid,
    farm_ref: &str,
    only_farm: Option<Uuid>,
    readings: &[Reading],
) -> Result<IngestOutcome, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let farm = farm(&mut tx, tenant, farm_ref).await?;
    if only_farm.is_some_and(|f| f != farm.id) {
        return Err(AppError::Forbidden);
    }
    let Some((oldest, kept_from, kept_until)) = kept_span(&mut tx).await? else {
        return Err(AppError::Unavailable { retry_after_secs: Some(60) });
    };
    let mut refused = BTreeMap::new();
    for (i, r) in readings.iter().enumerate() {
        if r.recorded_at < kept_from {
            refused.insert(
                format!("readings[{i}].time"),
                format!("is older than the oldest month kept ({}); it cannot be stored", oldest.format("%Y-%m")),
            );
        } else if r.recorded_at >= kept_until {
            refused.insert(format!("readings[{i}].time"), "is later than the months kept ahead".to_string());
        }
    }
    if !refused.is_empty() {
        return Err(AppError::Validation { fields: refused });
    }
    let outcome = store_in(&mut tx, &farm, readings, Clashes::Refuse).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Readings taken by hand during a visit, in the visit's transaction: judged against the
/// crops' ranges like any sensor's; a clash keeps what was stored, so a visit is never
/// refused for its readings once they were found sound.
pub async fn store_hand_readings(
    conn: &mut PgConnection,
    tenant: Uuid,
    farm_id: Uuid,
    readings: &[Reading],
) -> Result<IngestOutcome, AppError> {
    let farm = farm(conn, tenant, &farm_id.to_string()).await?;
    let Some((_, kept_from, kept_until)) = kept_span(conn).await? else {
        return Ok(IngestOutcome { stored: 0, duplicates: 0, out_of_range: 0, alerts_opened: 0 });
    };
    let kept: Vec<Reading> =
        readings.iter().filter(|r| r.recorded_at >= kept_from && r.recorded_at < kept_until).cloned().collect();
    if kept.is_empty() {
        return Ok(IngestOutcome { stored: 0, duplicates: 0, out_of_range: 0, alerts_opened: 0 });
    }
    store_in(conn, &farm, &kept, Clashes::KeepStored).await
}

/// Hours of weather for a farm (`domain::readings::observed_weather`), in the caller's
/// transaction: hours outside the months kept are skipped, and an hour already stored
/// keeps its first value.
pub async fn store_weather(
    conn: &mut PgConnection,
    farm: &FarmRef,
    readings: &[Reading],
) -> Result<IngestOutcome, AppError> {
    let Some((_, kept_from, kept_until)) = kept_span(conn).await? else {
        return Ok(IngestOutcome { stored: 0, duplicates: 0, out_of_range: 0, alerts_opened: 0 });
    };
    let kept: Vec<Reading> =
        readings.iter().filter(|r| r.recorded_at >= kept_from && r.recorded_at < kept_until).cloned().collect();
    store_in(conn, farm, &kept, Clashes::KeepStored).await
}

/// Judges `readings` against the farm's thresholds, stores each once, and opens an
/// alert for a sensor whose newest readings are out of range several in a row.
async fn store_in(
    conn: &mut PgConnection,
    farm: &FarmRef,
    readings: &[Reading],
    clashes: Clashes,
) -> Result<IngestOutcome, AppError> {
    let (tenant, farm_id, farm_name) = (farm.tenant, farm.id, farm.name.as_str());
    let tx = conn;
    let limits = thresholds(&mut *tx, &farm.crops).await?;
    let outside: Vec<bool> =
        readings.iter().map(|r| limits.get(&r.metric).is_some_and(|t| t.outside(r.value))).collect();
    let sensors: Vec<&str> = readings.iter().map(|r| r.sensor.as_str()).collect();
    let metrics: Vec<&str> = readings.iter().map(|r| r.metric.as_str()).collect();
    let units: Vec<&str> = readings.iter().map(|r| r.metric.unit()).collect();
    let times: Vec<_> = readings.iter().map(|r| r.recorded_at).collect();
    let values: Vec<Decimal> = readings.iter().map(|r| r.value).collect();
    let stored = sqlx::query(
        "INSERT INTO sensor_readings (tenant_id, farm_id, sensor, metric, recorded_at, value, unit, out_of_range)
         SELECT $1, $2, s, m, t, v, u, o
         FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::numeric[], $7::text[], $8::bool[]) AS x(s, m, t, v, u, o)
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(farm_id)
    .bind(&sensors)
    .bind(&metrics)
    .bind(&times)
    .bind(&values)
    .bind(&units)
    .bind(&outside)
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;

    if stored < readings.len() && clashes == Clashes::Refuse {
        // Some were stored before (or twice in this batch): the same value is a resend,
        // another is a sensor contradicting itself.
        let clashes: Vec<(i64, Decimal)> = sqlx::query_as(
            "SELECT x.n, s.value
             FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::numeric[]) WITH ORDINALITY AS x(sensor, metric, t, v, n)
             JOIN sensor_readings s ON s.tenant_id = $1 AND s.farm_id = $2 AND s.sensor = x.sensor
                                   AND s.metric = x.metric AND s.recorded_at = x.t
             WHERE s.value <> x.v ORDER BY x.n",
        )
        .bind(tenant)
        .bind(farm_id)
        .bind(&sensors)
        .bind(&metrics)
        .bind(&times)
        .bind(&values)
        .fetch_all(&mut *tx)
        .await?;
        if !clashes.is_empty() {
            let fields: BTreeMap<String, String> = clashes
                .into_iter()
                .map(|(n, v)| {
                    (format!("readings[{}].value", n - 1), format!("{v} is already stored for this sensor and time"))
                })
                .collect();
            return Err(AppError::Conflict {
                message: "A reading for the same sensor, metric and time was stored with another value".into(),
                fields,
            });
        }
    }

    // Only sensors with a reading out of range now can have tripped.
    let mut watched: BTreeSet<(&str, Metric)> = BTreeSet::new();
    for (r, out) in readings.iter().zip(&outside) {
        if *out {
            watched.insert((r.sensor.as_str(), r.metric));
        }
    }
    let mut alerts_opened = 0;
    if !watched.is_empty() {
        let (w_sensors, w_metrics, w_needed): (Vec<&str>, Vec<&str>, Vec<i32>) = watched
            .iter()
            .map(|(s, m)| (*s, m.as_str(), i32::from(limits.get(m).map_or(1, |t| t.consecutive))))
            .fold((vec![], vec![], vec![]), |(mut a, mut b, mut c), (s, m, n)| {
                a.push(s);
                b.push(m);
                c.push(n);
                (a, b, c)
            });
        let runs: Vec<(String, String, Vec<bool>, Decimal)> = sqlx::query_as(
            "SELECT g.sensor, g.metric, array_agg(r.out_of_range ORDER BY r.recorded_at DESC),
                    (array_agg(r.value ORDER BY r.recorded_at DESC))[1]
             FROM unnest($3::text[], $4::text[], $5::int[]) AS g(sensor, metric, n)
             CROSS JOIN LATERAL (
                 SELECT s.out_of_range, s.value, s.recorded_at FROM sensor_readings s
                 WHERE s.tenant_id = $1 AND s.farm_id = $2 AND s.sensor = g.sensor AND s.metric = g.metric
                 ORDER BY s.recorded_at DESC LIMIT g.n
             ) r
             GROUP BY g.sensor, g.metric",
        )
        .bind(tenant)
        .bind(farm_id)
        .bind(&w_sensors)
        .bind(&w_metrics)
        .bind(&w_needed)
        .fetch_all(&mut *tx)
        .await?;
        for (sensor, metric, newest_first, latest) in runs {
            let Ok(m) = metric.parse::<Metric>() else { continue };
            let Some(limit) = limits.get(&m) else { continue };
            if !tripped(&newest_first, limit.consecutive) {
                continue;
            }
            let alert = NewAlert {
                tenant,
                kind: kinds::READING_OUT_OF_RANGE,
                severity: Severity::Warning,
                subject_type: SubjectType::Farm,
                subject_id: farm_id.to_string(),
                title: format!(
                    "{farm_name}: {} out of range {} times in a row (sensor {sensor}, latest {latest} {})",
                    m.as_str().replace('_', " "),
                    limit.consecutive,
                    m.unit()
                ),
                details: json!({
                    "metric": m.as_str(), "sensor": sensor, "latest": latest.to_string(), "unit": m.unit(),
                    "min": limit.min.map(|d| d.to_string()), "max": limit.max.map(|d| d.to_string()),
                    "consecutive": limit.consecutive, "farmId": farm_id,
                }),
            };
            if open_in(&mut *tx, alert).await?.is_some() {
                alerts_opened += 1;
            }
        }
    }
    Ok(IngestOutcome {
        stored,
        duplicates: readings.len() - stored,
        out_of_range: outside.iter().filter(|o| **o).count(),
        alerts_opened,
    })
}
