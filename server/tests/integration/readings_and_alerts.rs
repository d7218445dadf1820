//! Field readings and alerts end to end: batches stored once per sensor, metric and
//! time; every hostile reading refused by its place; runs out of a crop's range open
//! one alert (not one per reading) that tells the farm's owners and the tenant's ops;
//! acknowledging and resolving; monthly partitions kept ahead with no default one.

use crate::support;
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, access_token, send, user_id};
use uuid::Uuid;

/// The demo customer's first farm: (id, slug, its first crop).
async fn owned_farm(app: &TestApp, pool: &PgPool) -> (Uuid, String, String) {
    let owner = access_token(app, "customer@darjberry.demo").await;
    let (_, farms) = send(app, "GET", "/api/v1/me/farms", None, &owner).await;
    let slug = farms["data"][0]["slug"].as_str().unwrap().to_string();
    let id: Uuid = farms["data"][0]["farmId"].as_str().unwrap().parse().unwrap();
    let mut tx = support::operator(pool).await;
    let crops: Vec<String> =
        sqlx::query_scalar("SELECT crops FROM farms WHERE id = $1").bind(id).fetch_one(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    (id, slug, crops[0].clone())
}

fn reading(sensor: &str, metric: &str, value: &str, unit: &str, minutes_ago: i64) -> Value {
    let time = (Utc::now() - Duration::minutes(minutes_ago)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({ "sensor": sensor, "metric": metric, "value": value, "unit": unit, "time": time })
}

async fn post(app: &TestApp, token: &str, farm: &str, readings: Vec<Value>) -> (u16, Value) {
    send(app, "POST", &format!("/api/v1/farms/{farm}/readings"), Some(json!({ "readings": readings })), token).await
}

async fn stored(pool: &PgPool, farm: Uuid) -> i64 {
    let mut tx = support::operator(pool).await;
    let n = sqlx::query_scalar("SELECT count(*) FROM sensor_readings WHERE farm_id = $1")
        .bind(farm)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    n
}

#[sqlx::test(migrations = false)]
async fn a_batch_is_stored_once_and_a_changed_resend_is_refused_whole(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (farm, slug, _) = owned_farm(&app, &pool).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let batch = vec![
        reading("soil-1", "soil_moisture", "31.5", "%", 30),
        reading("soil-1", "temperature", "18.25", "C", 30),
        reading("air-1", "humidity", "88", "%", 30),
    ];
    let (status, body) = post(&app, &agent, &slug, batch.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["stored"], 3);
    // Sent again (a phone that never saw the answer): nothing new, nothing refused.
    let (status, body) = post(&app, &agent, &farm.to_string(), batch.clone()).await;
    assert_eq!((status, body["data"]["stored"].clone(), body["data"]["duplicates"].clone()), (200, json!(0), json!(3)));
    // The same value written another way is the same reading.
    let mut same = batch.clone();
    same[1]["value"] = json!("18.250");
    assert_eq!(post(&app, &agent, &slug, same).await.0, 200);
    // The same sensor and time with another value: 409, naming it, and nothing of the
    // batch stored (its new reading included).
    let mut changed = batch.clone();
    changed[1]["value"] = json!("19");
    changed.push(reading("air-1", "humidity", "87", "%", 20));
    let (status, body) = post(&app, &agent, &slug, changed).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "CONFLICT");
    assert!(body["error"]["fields"]["readings[1].value"].as_str().unwrap().contains("18.25"), "{body}");
    assert_eq!(stored(&pool, farm).await, 3);
    // Our clock is kept beside the device's.
    let mut tx = support::operator(&pool).await;
    let gap: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM min(received_at - recorded_at))::float8 FROM sensor_readings WHERE farm_id = $1",
    )
    .bind(farm)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(gap > 25.0 * 60.0, "received {gap} s after it was taken");
}

#[sqlx::test(migrations = false)]
async fn hostile_readings_are_refused_by_their_place_and_store_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (farm, slug, _) = owned_farm(&app, &pool).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let good = reading("soil-1", "temperature", "20", "C", 5);
    let cases = [
        (reading("soil-1", "temperature", "21", "C", -24 * 60), "readings[1].time", "future"),
        (reading("soil-1", "temperature", "-80", "C", 5), "readings[1].value", "cannot be real"),
        (reading("air-1", "humidity", "400", "%", 5), "readings[1].value", "cannot be real"),
        (reading("air-1", "humidity", "40", "C", 5), "readings[1].unit", "must be %"),
        (reading("air-1", "mood", "4", "C", 5), "readings[1].metric", "not a metric"),
        (reading("air-1", "rainfall", "a lot", "mm", 5), "readings[1].value", "decimal"),
        (reading("<img src=x>", "rainfall", "2", "mm", 5), "readings[1].sensor", "only letters"),
        (reading("soil-1", "temperature", "20", "C", 3 * 366 * 24 * 60), "readings[1].time", "oldest month kept"),
    ];
    for (bad, field, says) in cases {
        let (status, body) = post(&app, &agent, &slug, vec![good.clone(), bad.clone()]).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
        let message = body["error"]["fields"][field].as_str().unwrap_or_else(|| panic!("{field} in {body}"));
        assert!(message.contains(says), "{field}: {message}");
    }
    let too_many: Vec<Value> = (0..1001).map(|i| reading(&format!("s{i}"), "light", "100", "lx", 5)).collect();
    let (status, body) = post(&app, &agent, &slug, too_many).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["readings"].as_str().unwrap().contains("at most 1000"), "{body}");
    assert_eq!(post(&app, &agent, &slug, vec![]).await.0, 400);
    let (status, body) = send(
        &app,
        "POST",
        &format!("/api/v1/farms/{slug}/readings"),
        Some(json!({ "readings": [good], "x": 1 })),
        &agent,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(stored(&pool, farm).await, 0);

    // Farms of no tenant or another one are not found; only agents, ops and admins send.
    assert_eq!(post(&app, &agent, "no-such-farm", vec![good.clone()]).await.0, 404);
    let other: String = {
        let mut tx = support::operator(&pool).await;
        let s = sqlx::query_scalar(
            "SELECT f.slug FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug <> 'darjberry' LIMIT 1",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        s
    };
    assert_eq!(post(&app, &agent, &other, vec![good.clone()]).await.0, 404);
    let owner = access_token(&app, "customer@darjberry.demo").await;
    assert_eq!(post(&app, &owner, &slug, vec![good.clone()]).await.0, 403);
    let anonymous = app
        .client
        .post(app.url(&format!("/api/v1/farms/{slug}/readings")))
        .json(&json!({ "readings": [good] }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[sqlx::test(migrations = false)]
async fn thresholds_are_checked_and_kept_by_ops(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ops = access_token(&app, "ops@darjberry.demo").await;
    let put = |crop: &'static str, metric: &'static str, body: Value| {
        let (app, ops) = (&app, ops.clone());
        async move { send(app, "PUT", &format!("/api/v1/reading-thresholds/{crop}/{metric}"), Some(body), &ops).await }
    };
    for (metric, body, field) in [
        ("temperature", json!({ "min": "30", "max": "10" }), "max"),
        ("temperature", json!({}), "min"),
        ("temperature", json!({ "min": "-90" }), "min"),
        ("humidity", json!({ "max": "140" }), "max"),
        ("temperature", json!({ "min": "5", "consecutive": 0 }), "consecutive"),
        ("temperature", json!({ "min": "5", "consecutive": 1000 }), "consecutive"),
        ("mood", json!({ "min": "5" }), "metric"),
    ] {
        let (status, answer) = put("tea", metric, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
    }
    let (status, body) = put("Tea", "soil_moisture", json!({ "min": "22.0", "max": "60" })).await;
    assert_eq!(status, 200, "{body}");
    let set =
        json!({ "crop": "tea", "metric": "soil_moisture", "unit": "%", "min": "22", "max": "60", "consecutive": 3 });
    assert_eq!(body["data"], set);
    let (_, list) = send(&app, "GET", "/api/v1/reading-thresholds", None, &ops).await;
    assert!(list["data"].as_array().unwrap().contains(&set), "{list}");
    assert_eq!(support::audit_count(&pool, "reading_threshold.set").await, 1);
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let (status, _) =
        send(&app, "PUT", "/api/v1/reading-thresholds/tea/humidity", Some(json!({ "min": "10" })), &agent).await;
    assert_eq!(status, 403);
    let (status, _) = send(&app, "DELETE", "/api/v1/reading-thresholds/tea/soil_moisture", None, &ops).await;
    assert_eq!(status, 200);
    let (_, list) = send(&app, "GET", "/api/v1/reading-thresholds", None, &ops).await;
    let left = list["data"].as_array().unwrap();
    assert!(!left.iter().any(|t| t["crop"] == "tea" && t["metric"] == "soil_moisture"), "{list}");
}

#[sqlx::test(migrations = false)]
async fn a_run_out_of_range_opens_one_alert_that_tells_owners_and_ops(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (farm, slug, crop) = owned_farm(&app, &pool).await;
    let ops = access_token(&app, "ops@darjberry.demo").await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let (status, body) = send(
        &app,
        "PUT",
        &format!("/api/v1/reading-thresholds/{crop}/soil_moisture"),
        Some(json!({ "min": "20", "consecutive": 3 })),
        &ops,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let dry = |minutes_ago: i64| reading("soil-7", "soil_moisture", "12.5", "%", minutes_ago);
    // Two dry, one wet, two dry: never three in a row.
    let (_, body) =
        post(&app, &agent, &slug, vec![dry(100), dry(90), reading("soil-7", "soil_moisture", "35", "%", 80)]).await;
    assert_eq!((body["data"]["outOfRange"].clone(), body["data"]["alertsOpened"].clone()), (json!(2), json!(0)));
    let (_, body) = post(&app, &agent, &slug, vec![dry(70), dry(60)]).await;
    assert_eq!(body["data"]["alertsOpened"], 0, "{body}");
    // The third in a row opens it; ten more add nothing.
    let (_, body) = post(&app, &agent, &slug, vec![dry(50)]).await;
    assert_eq!(body["data"]["alertsOpened"], 1, "{body}");
    let (_, body) = post(&app, &agent, &slug, (0..10).map(|i| dry(40 - i)).collect()).await;
    assert_eq!(body["data"]["alertsOpened"], 0, "{body}");

    let (status, list) = send(&app, "GET", "/api/v1/alerts?status=open", None, &ops).await;
    assert_eq!(status, 200, "{list}");
    let alerts = list["data"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{list}");
    let alert = &alerts[0];
    assert_eq!((alert["kind"].as_str(), alert["subjectType"].as_str()), (Some("reading_out_of_range"), Some("farm")));
    assert_eq!(alert["subjectId"], farm.to_string());
    assert_eq!(alert["details"]["sensor"], "soil-7");
    let id = alert["id"].as_str().unwrap().to_string();

    // The owner and the tenant's ops are told, in their language, once each.
    let owner = user_id(&pool, "customer@darjberry.demo").await;
    let ops_id = user_id(&pool, "ops@darjberry.demo").await;
    support::wait_for("owner and ops to be told", std::time::Duration::from_secs(10), async || {
        let mut tx = support::operator(&pool).await;
        let told: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT user_id) FROM notification_outbox WHERE template = 'alert_opened' AND user_id = ANY($1)",
        )
        .bind(vec![owner, ops_id])
        .fetch_one(&mut *tx)
        .await
        .unwrap_or(0);
        told == 2
    })
    .await;
    let mut tx = support::operator(&pool).await;
    let in_app: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_outbox WHERE template = 'alert_opened' AND user_id = $1 AND channel = 'in_app'
           AND body LIKE '%soil moisture readings out of range%'",
    )
    .bind(owner)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(in_app, 1);
    let published: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM live_events WHERE kind = 'alert.opened' AND data->>'kind' = 'reading_out_of_range'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(published, 1);

    // The owner's farm page shows it.
    let owner_token = access_token(&app, "customer@darjberry.demo").await;
    let (_, page) = send(&app, "GET", &format!("/api/v1/me/farms/{slug}"), None, &owner_token).await;
    assert_eq!(page["data"]["alerts"][0]["id"], id.as_str(), "{page}");

    // Agents do not run the queue; ops acknowledge and resolve, each once.
    assert_eq!(send(&app, "GET", "/api/v1/alerts", None, &agent).await.0, 403);
    assert_eq!(send(&app, "POST", &format!("/api/v1/alerts/{id}/acknowledge"), None, &agent).await.0, 403);
    let (status, body) = send(&app, "POST", &format!("/api/v1/alerts/{id}/acknowledge"), None, &ops).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("acknowledged")), "{body}");
    let (_, again) = send(&app, "POST", &format!("/api/v1/alerts/{id}/acknowledge"), None, &ops).await;
    assert_eq!(again["data"]["acknowledgedAt"], body["data"]["acknowledgedAt"]);
    let long = "x".repeat(1001);
    let (status, _) =
        send(&app, "POST", &format!("/api/v1/alerts/{id}/resolve"), Some(json!({ "resolution": long })), &ops).await;
    assert_eq!(status, 400);
    let (status, body) = send(
        &app,
        "POST",
        &format!("/api/v1/alerts/{id}/resolve"),
        Some(json!({ "resolution": "Irrigation valve 3 was shut; opened." })),
        &ops,
    )
    .await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("resolved")), "{body}");
    let (_, again) = send(&app, "POST", &format!("/api/v1/alerts/{id}/resolve"), Some(json!({})), &ops).await;
    assert_eq!(again["data"]["resolution"], "Irrigation valve 3 was shut; opened.");
    assert_eq!(support::audit_count(&pool, "alert.resolved").await, 1);
    assert_eq!(
        send(&app, "POST", &format!("/api/v1/alerts/{}/resolve", Uuid::now_v7()), Some(json!({})), &ops).await.0,
        404
    );
    assert_eq!(send(&app, "POST", "/api/v1/alerts/not-an-id/acknowledge", None, &ops).await.0, 404);

    // Resolved, a new run opens a new one.
    let (_, body) = post(&app, &agent, &slug, vec![dry(3), dry(2), dry(1)]).await;
    assert_eq!(body["data"]["alertsOpened"], 1, "{body}");
    let (_, all) = send(&app, "GET", "/api/v1/alerts?limit=1", None, &ops).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    let cursor = all["pagination"]["nextCursor"].as_str().unwrap().to_string();
    let (_, next) = send(&app, "GET", &format!("/api/v1/alerts?limit=1&cursor={cursor}"), None, &ops).await;
    assert_eq!(next["data"][0]["id"], id.as_str(), "{next}");
    for bad in ["status=closed", "severity=loud", "subjectType=planet", "limit=0", "cursor=nope"] {
        assert_eq!(send(&app, "GET", &format!("/api/v1/alerts?{bad}"), None, &ops).await.0, 400, "{bad}");
    }
    // Another tenant's ops see none of it.
    let malar = access_token(&app, "admin@malar.demo").await;
    let (_, theirs) = send(&app, "GET", "/api/v1/alerts", None, &malar).await;
    assert_eq!(theirs["data"], json!([]));
    assert_eq!(send(&app, "POST", &format!("/api/v1/alerts/{id}/acknowledge"), None, &malar).await.0, 404);
}

#[sqlx::test(migrations = false)]
async fn partitions_are_kept_ahead_with_no_default_one(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let this_month = Utc::now().date_naive().with_day0(0).unwrap();
    let months: Vec<chrono::NaiveDate> =
        sqlx::query_scalar("SELECT month FROM reading_partitions ORDER BY month").fetch_all(&pool).await.unwrap();
    assert_eq!(months.len(), 5, "last month, this one and three ahead: {months:?}");
    assert_eq!(months[1], this_month);
    // Running it again makes none; a partition of its own per month, none by default.
    let made: i32 = sqlx::query_scalar("SELECT ensure_reading_partitions(3)").fetch_one(&pool).await.unwrap();
    assert_eq!(made, 0);
    let defaults: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
         WHERE c.relname = 'sensor_readings' AND p.partdefid <> 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(defaults, 0);
    // Each partition keeps tenants apart when read directly.
    let unguarded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'sensor_readings'::regclass AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unguarded, 0);
    let absurd = sqlx::query_scalar::<_, i32>("SELECT ensure_reading_partitions(500)").fetch_one(&pool).await;
    assert!(absurd.is_err());
}

/// A sensor key records its own farm's readings and nothing else; only its digest is
/// kept; revoked, it is refused at once.
#[sqlx::test(migrations = false)]
async fn a_farms_sensor_key_records_that_farms_readings_only(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (farm, slug, _) = owned_farm(&app, &pool).await;
    let ops = access_token(&app, "ops@darjberry.demo").await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let path = format!("/api/v1/farms/{slug}/sensor-keys");
    let (status, made) = send(&app, "POST", &path, Some(json!({ "name": "Soil probe, north block" })), &ops).await;
    assert_eq!(status, 201, "{made}");
    let key = made["data"]["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("msk_"));
    let key_id = made["data"]["id"].as_str().unwrap().to_string();
    // Listed without the secret, and the secret is not stored.
    let (_, listed) = send(&app, "GET", &path, None, &ops).await;
    assert_eq!(listed["data"][0]["id"], key_id.as_str());
    assert!(listed["data"][0].get("key").is_none(), "{listed}");
    let mut tx = support::operator(&pool).await;
    let kept: String = sqlx::query_scalar("SELECT secret_sha256 FROM sensor_keys WHERE id = $1::uuid")
        .bind(&key_id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    drop(tx);
    assert!(!key.contains(&kept) && kept.len() == 64);
    // A field agent may not issue keys; a bad name is refused by its field.
    assert_eq!(send(&app, "POST", &path, Some(json!({ "name": "x" })), &agent).await.0, 403);
    let (status, body) = send(&app, "POST", &path, Some(json!({ "name": "  " })), &ops).await;
    assert_eq!((status, body["error"]["fields"]["name"].as_str()), (400, Some("must be 1 to 80 characters")));

    let before = stored(&pool, farm).await;
    let (status, body) = post(&app, &key, &slug, vec![reading("probe-n1", "soil_moisture", "41.5", "%", 5)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stored(&pool, farm).await, before + 1);
    // Another farm of the estate: the key is not for it.
    let mut tx = support::operator(&pool).await;
    let other: String = sqlx::query_scalar(
        "SELECT f.slug FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = 'darjberry' AND f.id <> $1 LIMIT 1",
    )
    .bind(farm)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    drop(tx);
    assert_eq!(post(&app, &key, &other, vec![reading("probe-n1", "soil_moisture", "40", "%", 4)]).await.0, 403);
    // Nothing else: not even reading the farm's own keys.
    assert_eq!(send(&app, "GET", &path, None, &key).await.0, 401);
    assert_eq!(send(&app, "GET", "/api/v1/alerts", None, &key).await.0, 401);
    // A key with a wrong secret, or revoked, is no key.
    let forged = format!("{}{}", &key[..key.len() - 4], "0000");
    assert_eq!(post(&app, &forged, &slug, vec![reading("probe-n1", "soil_moisture", "40", "%", 3)]).await.0, 401);
    let (status, _) = send(&app, "DELETE", &format!("{path}/{key_id}"), None, &ops).await;
    assert_eq!(status, 204);
    assert_eq!(post(&app, &key, &slug, vec![reading("probe-n1", "soil_moisture", "40", "%", 2)]).await.0, 401);
    assert_eq!(support::audit_count(&pool, "sensor_key.revoke").await, 1);
}
