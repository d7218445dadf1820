//! Farms' health scores: the inputs gathered from the farm's records as of a day, the
//! score of `domain::health_score`, and the daily snapshot that makes the trend a
//! cheap read.

use crate::domain::health_score::{HealthInputs, HealthScore, health_score};
use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

/// As of each day: planted and alive (each crop's latest count on or before the day,
/// summed over crops); days since the last visit (dated by the phone, or by its
/// arrival when the phone's clock ran ahead); tasks open then and those of them past
/// due (cancelled ones left out); and the week's readings, and how many were in range.
/// Days are India's.
const INPUTS: &str = "
    WITH base AS (
        SELECT d.day::date AS day, f.tenant_id, f.id AS farm,
               coalesce(sum(pc.planted), 0)::bigint AS planted,
               coalesce(sum(pc.alive), 0)::bigint AS alive
        FROM farms f
        JOIN tenants t ON t.id = f.tenant_id AND t.kind = 'estate'
        CROSS JOIN generate_series($1::date, $2::date, interval '1 day') AS d(day)
        LEFT JOIN LATERAL (
            SELECT DISTINCT ON (p.crop) p.planted, p.alive
            FROM plant_counts p
            WHERE p.tenant_id = f.tenant_id AND p.farm_id = f.id AND p.counted_on <= d.day
            ORDER BY p.crop, p.counted_on DESC
        ) pc ON true
        WHERE ($3::uuid IS NULL OR f.id = $3)
        GROUP BY d.day, f.tenant_id, f.id
    )
    SELECT b.day, b.tenant_id, b.farm, b.planted, b.alive,
           (SELECT b.day - max((least(v.visited_at, v.received_at) AT TIME ZONE 'Asia/Kolkata')::date)
            FROM field_visits v
            WHERE v.tenant_id = b.tenant_id AND v.farm_id = b.farm
              AND (least(v.visited_at, v.received_at) AT TIME ZONE 'Asia/Kolkata')::date <= b.day) AS since_visit,
           k.open, k.overdue, r.readings, r.in_range
    FROM base b
    CROSS JOIN LATERAL (
        SELECT count(*) AS open, count(*) FILTER (WHERE t.due_on < b.day) AS overdue
        FROM field_tasks t
        WHERE t.tenant_id = b.tenant_id AND t.farm_id = b.farm AND t.status <> 'cancelled'
          AND (t.created_at AT TIME ZONE 'Asia/Kolkata')::date <= b.day
          AND (t.completed_at IS NULL OR (t.completed_at AT TIME ZONE 'Asia/Kolkata')::date > b.day)
    ) k
    CROSS JOIN LATERAL (
        SELECT count(*) AS readings, count(*) FILTER (WHERE NOT s.out_of_range) AS in_range
        FROM sensor_readings s
        WHERE s.tenant_id = b.tenant_id AND s.farm_id = b.farm
          AND s.recorded_at >= (b.day - 6)::timestamp AT TIME ZONE 'Asia/Kolkata'
          AND s.recorded_at < (b.day + 1)::timestamp AT TIME ZONE 'Asia/Kolkata'
    ) r";

/// Every estate farm's inputs (those the transaction may see), or one farm's, on each
/// day from `from` to `to`: (day, tenant, farm, inputs).
pub async fn inputs_between(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    farm: Option<Uuid>,
) -> Result<Vec<(NaiveDate, Uuid, Uuid, HealthInputs)>, sqlx::Error> {
    let rows: Vec<(NaiveDate, Uuid, Uuid, i64, i64, Option<i32>, i64, i64, i64, i64)> =
        sqlx::query_as(INPUTS).bind(from).bind(to).bind(farm).fetch_all(&mut *conn).await?;
    let count = |n: i64| n.max(0) as u64;
    Ok(rows
        .into_iter()
        .map(|(day, tenant, farm, planted, alive, since_visit, open, overdue, readings, in_range)| {
            let inputs = HealthInputs {
                planted: count(planted),
                alive: count(alive),
                days_since_visit: since_visit.map(i64::from),
                open_tasks: count(open),
                overdue_tasks: count(overdue),
                readings: count(readings),
                readings_in_range: count(in_range),
            };
            (day, tenant, farm, inputs)
        })
        .collect())
}

/// One farm's score as of `day`.
pub async fn score_as_of(conn: &mut PgConnection, farm: Uuid, day: NaiveDate) -> Result<HealthScore, sqlx::Error> {
    let inputs =
        inputs_between(conn, day, day, Some(farm)).await?.into_iter().next().map(|(_, _, _, i)| i).unwrap_or_default();
    Ok(health_score(inputs))
}

/// Writes every visible estate farm's score for `day` (again, if it was written), in
/// one statement. Returns how many farms were scored.
pub async fn snapshot_day(conn: &mut PgConnection, day: NaiveDate) -> Result<usize, sqlx::Error> {
    snapshot_days(conn, day, day).await
}

/// `snapshot_day` for every day from `from` to `to`, in one statement. Returns how many
/// scores were written.
pub async fn snapshot_days(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate) -> Result<usize, sqlx::Error> {
    let inputs = inputs_between(conn, from, to, None).await?;
    let mut days = Vec::with_capacity(inputs.len());
    let mut tenants = Vec::with_capacity(inputs.len());
    let mut farms = Vec::with_capacity(inputs.len());
    let mut scores = Vec::with_capacity(inputs.len());
    let mut breakdowns = Vec::with_capacity(inputs.len());
    for (day, tenant, farm, i) in inputs {
        let score = health_score(i);
        days.push(day);
        tenants.push(tenant);
        farms.push(farm);
        scores.push(i16::from(score.score));
        breakdowns.push(serde_json::to_value(score).expect("a score serialises"));
    }
    sqlx::query(
        "INSERT INTO farm_health_snapshots (tenant_id, farm_id, day, score, breakdown)
         SELECT t, f, d, s, b FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::smallint[], $5::jsonb[]) AS x(t, f, d, s, b)
         ON CONFLICT (tenant_id, farm_id, day) DO UPDATE SET score = EXCLUDED.score, breakdown = EXCLUDED.breakdown",
    )
    .bind(&tenants)
    .bind(&farms)
    .bind(&days)
    .bind(&scores)
    .bind(&breakdowns)
    .execute(&mut *conn)
    .await?;
    Ok(farms.len())
}

/// Days of history the trend shows.
pub const TREND_DAYS: i64 = 90;

pub async fn trend(
    conn: &mut PgConnection,
    farm: Uuid,
    today: NaiveDate,
) -> Result<Vec<super::model::TrendPoint>, sqlx::Error> {
    let rows: Vec<(NaiveDate, i16)> = sqlx::query_as(
        "SELECT day, score FROM farm_health_snapshots
         WHERE farm_id = $1 AND day > $2::date - $3::int AND day <= $2 ORDER BY day",
    )
    .bind(farm)
    .bind(today)
    .bind(TREND_DAYS as i32)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, score)| super::model::TrendPoint { day, score: score.clamp(0, 100) as u8 })
        .collect())
}
