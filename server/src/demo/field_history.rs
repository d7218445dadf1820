//! The demo estate's field work: a visit to each farm every week for twelve weeks by
//! its field agent (so owners see someone was there, and the health scores count
//! care), this week's tasks on the board, and the soil moisture and temperature ranges
//! ops keep for each crop.

use sqlx::PgConnection;
use uuid::Uuid;

const NOTES: [&str; 6] = [
    "Bushes in good flush; plucking round on schedule.",
    "Drains cleared on the lower terraces after the rain.",
    "Some red spider mite on the east block; pest check booked.",
    "Shade trees lopped; new plants in the nursery look healthy.",
    "Soil dry on the ridge; irrigation line checked.",
    "Pruned sections recovering well.",
];

/// Runs inside the loader's transaction, after the estate's farms and counts are in
/// and before the health snapshots are taken.
pub async fn record(conn: &mut PgConnection, estate: Uuid, today: chrono::NaiveDate) -> Result<(), sqlx::Error> {
    let agent: Option<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'field_agent' ORDER BY user_id LIMIT 1",
    )
    .bind(estate)
    .fetch_optional(&mut *conn)
    .await?;
    let planner: Option<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role IN ('ops', 'admin') ORDER BY role DESC, user_id LIMIT 1",
    )
    .bind(estate)
    .fetch_optional(&mut *conn)
    .await?;
    let (Some(agent), Some(planner)) = (agent, planner) else { return Ok(()) };
    // Mornings in India, a week apart, the latest one to six days ago.
    sqlx::query(
        "INSERT INTO field_visits (tenant_id, id, farm_id, agent_id, visited_at, received_at, notes, latitude, longitude, accuracy_m, digest)
         SELECT $1, gen_random_uuid(), f.id, $2, at, at + interval '40 minutes',
                ($4::text[])[1 + (w + f.n) % cardinality($4::text[])], f.latitude, f.longitude, 15, 'demo'
         FROM (SELECT id, latitude, longitude, row_number() OVER (ORDER BY slug)::int AS n FROM farms WHERE tenant_id = $1) f
         CROSS JOIN generate_series(0, 11) AS w
         CROSS JOIN LATERAL (SELECT (($3::date - (w * 7 + 1 + f.n % 6))::timestamp + time '05:30') AT TIME ZONE 'UTC' AS at) t",
    )
    .bind(estate)
    .bind(agent)
    .bind(today)
    .bind(NOTES.as_slice())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO field_tasks (tenant_id, farm_id, kind, title, due_on, assignee_id, created_by)
         SELECT $1, f.id, k.kind, k.title, $3::date + k.days, $2, $4
         FROM farms f
         CROSS JOIN (VALUES ('visit', 'Field visit', 3), ('pest_check', 'Pest check', 0)) AS k(kind, title, days)
         WHERE f.tenant_id = $1",
    )
    .bind(estate)
    .bind(agent)
    .bind(today)
    .bind(planner)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO reading_thresholds (tenant_id, crop, metric, min_value, max_value, consecutive, updated_by)
         SELECT $1, c.crop, m.metric, m.lo, m.hi, 3, $2
         FROM (SELECT DISTINCT unnest(crops) AS crop FROM farms WHERE tenant_id = $1) c
         CROSS JOIN (VALUES ('soil_moisture', 20, 70), ('temperature', 5, 35)) AS m(metric, lo, hi)
         ON CONFLICT DO NOTHING",
    )
    .bind(estate)
    .bind(planner)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
