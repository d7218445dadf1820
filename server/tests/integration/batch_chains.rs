//! Traceability end to end: the demo's history sealed into chains, events recorded over
//! the API (once per id, in order, never forked), hostile events refused by field,
//! excursions opening one alert, verification finding a tampered, a deleted and an
//! inserted row (written as the database owner with the trigger disabled), and the
//! EPCIS export validated against GS1's schema.

use crate::support;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, access_token, send};

/// A lot of `tenant` whose crop has a cold chain (the demo's vegetables: 2–8 °C).
async fn cold_lot(pool: &PgPool, tenant: &str) -> String {
    let mut tx = support::operator(pool).await;
    let code = sqlx::query_scalar(
        "SELECT b.code FROM batches b JOIN tenants t ON t.id = b.tenant_id
         JOIN cold_chain_limits l ON l.tenant_id = b.tenant_id AND l.crop = b.crop
         WHERE t.slug = $1 ORDER BY b.code LIMIT 1",
    )
    .bind(tenant)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    code
}

fn now_ist() -> String {
    chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(330 * 60).unwrap()).to_rfc3339()
}

fn reading(id: &str, celsius: &str) -> Value {
    json!({ "eventId": id, "kind": "temperature_reading", "occurredAt": now_ist(), "temperatureC": celsius,
            "place": "Cold room 2, Ooty hub", "actor": "Ooty cold store" })
}

async fn verify(app: &TestApp, token: &str, code: &str) -> Value {
    let (status, body) = send(app, "GET", &format!("/api/v1/batches/{code}/verify"), None, token).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

#[sqlx::test(migrations = false)]
async fn the_history_before_the_chain_is_sealed_into_verified_chains(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = cold_lot(&pool, "greenharvest").await;
    // Every lot's chain holds exactly its checkpoints, lab results and lot certificates.
    let mut tx = support::operator(&pool).await;
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM batches b WHERE b.chain_length <> (
             (SELECT count(*) FROM handling_checkpoints c WHERE c.tenant_id = b.tenant_id AND c.batch_id = b.id)
           + (SELECT count(*) FROM lab_results l WHERE l.tenant_id = b.tenant_id AND l.batch_id = b.id)
           + (SELECT count(*) FROM certifications c WHERE c.tenant_id = b.tenant_id AND c.batch_id = b.id))
           OR b.chain_length <> (SELECT count(*) FROM batch_events e WHERE e.tenant_id = b.tenant_id AND e.batch_id = b.id)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    // Sealing again finds nothing to do.
    assert_eq!(app::trace::chain_service::seal_legacy(&mut tx).await.unwrap(), 0);
    tx.rollback().await.unwrap();

    let (status, body) = app.get_json(&format!("/api/v1/trace/{code}")).await;
    assert_eq!(status, 200, "{body}");
    let t = &body["data"];
    assert_eq!(t["chain"]["status"], "intact", "{}", t["chain"]);
    assert_eq!(t["chain"]["events"].as_i64().unwrap() as usize, t["events"].as_array().unwrap().len());
    assert_eq!(t["coldChain"]["minC"], "2");
    // The old stage names became the events of the same meaning.
    let kinds: Vec<&str> = t["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"cold_stored") && kinds.contains(&"shipped") && kinds.contains(&"lab_tested"), "{kinds:?}");
    assert!(!kinds.contains(&"cold_store") && !kinds.contains(&"dispatched"));
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    assert_eq!(verify(&app, &ops, &code).await["status"], "intact");

    // The page says so in words, with its QR code and temperature chart.
    let (status, html) = app.get_html(&format!("/trace/{code}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-status="intact""#) && html.contains("Verified: all"), "chain verdict on the page");
    assert!(
        html.contains(&format!("/trace/{code}/qr.svg")) && html.contains(&format!("/trace/{code}/temperatures.svg"))
    );
    let qr = app.get(&format!("/trace/{code}/qr.svg")).await;
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().contains("<svg"));
    let chart = app.get(&format!("/trace/{}/temperatures.svg", code.to_lowercase())).await;
    assert_eq!(chart.status(), 200);
    assert!(chart.text().await.unwrap().contains("Highest allowed"));
    assert_eq!(app.get("/trace/GH-NOPE-000000/qr.svg").await.status(), 404, "no QR code for a lot that does not exist");
}

#[sqlx::test(migrations = false)]
async fn events_are_recorded_once_in_order_and_hostile_ones_are_refused_by_field(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = cold_lot(&pool, "greenharvest").await;
    let staff = access_token(&app, "staff@greenharvest.demo").await;
    let before = verify(&app, &staff, &code).await["events"].as_i64().unwrap();
    let path = format!("/api/v1/batches/{code}/events");
    let id = uuid::Uuid::now_v7().to_string();
    let first = reading(&id, "4.5");
    let (status, body) = send(&app, "POST", &path, Some(first.clone()), &staff).await;
    assert_eq!(status, 201, "{body}");
    // No person is named in public: the event carries its team, not its recorder.
    let staff_id = support::user_id(&pool, "staff@greenharvest.demo").await.to_string();
    let (_, public) = app.get_json(&format!("/api/v1/trace/{code}")).await;
    assert!(!public.to_string().contains(&staff_id) && public.to_string().contains("Ooty cold store"));
    let event = &body["data"]["event"];
    assert_eq!((event["seq"].as_i64().unwrap(), event["excursion"].clone()), (before + 1, json!(false)));
    assert!(event["eventHash"].as_str().unwrap().starts_with("ni:///sha-256;"));
    // A retry after a lost answer is the same event; the same id with other facts is not.
    let (status, again) = send(&app, "POST", &path, Some(first.clone()), &staff).await;
    assert_eq!((status, again["data"]["created"].clone()), (200, json!(false)), "{again}");
    assert_eq!(again["data"]["event"]["seq"], event["seq"]);
    let mut changed = first.clone();
    changed["temperatureC"] = json!("5.5");
    let (status, body) = send(&app, "POST", &path, Some(changed), &staff).await;
    assert_eq!((status, body["error"]["code"].clone()), (409, json!("CONFLICT")), "{body}");

    // Hostile input: each refused, naming its field, nothing recorded.
    let fresh = || uuid::Uuid::now_v7().to_string();
    let mut future = reading(&fresh(), "4");
    future["occurredAt"] = json!((chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339());
    let mut fahrenheit = reading(&fresh(), "39.2");
    fahrenheit["temperatureC"] = json!("104");
    let mut unknown_kind = reading(&fresh(), "4");
    unknown_kind["kind"] = json!("teleported");
    let mut no_temperature = reading(&fresh(), "4");
    no_temperature["temperatureC"] = Value::Null;
    let mut lab_without_lab = reading(&fresh(), "4");
    lab_without_lab["kind"] = json!("lab_tested");
    for (body, field) in [
        (future, "occurredAt"),
        (fahrenheit, "temperatureC"),
        (unknown_kind, "kind"),
        (no_temperature, "temperatureC"),
        (lab_without_lab, "reportNumber"),
    ] {
        let (status, answer) = send(&app, "POST", &path, Some(body), &staff).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
    }
    let (_, answer) = send(
        &app,
        "POST",
        &path,
        Some(json!({ "kind": "temperature_reading", "occurredAt": now_ist(), "temperatureC": "104" })),
        &staff,
    )
    .await;
    assert!(answer["error"]["fields"]["temperatureC"].as_str().unwrap().contains("40.0 °C"), "{answer}");
    // An unknown lot, and another tenant's, are both simply not found.
    let darjberry_lot: String = sqlx::query_scalar(
        "SELECT b.code FROM batches b JOIN tenants t ON t.id = b.tenant_id WHERE t.slug <> 'greenharvest' LIMIT 1",
    )
    .fetch_optional(&mut *support::operator(&pool).await)
    .await
    .unwrap()
    .unwrap_or_else(|| "DJ-NONE-000001".into());
    for other in ["GH-NOPE-000000", darjberry_lot.as_str(), "..%2Fetc"] {
        let (status, body) =
            send(&app, "POST", &format!("/api/v1/batches/{other}/events"), Some(reading(&fresh(), "4")), &staff).await;
        assert_eq!((status, body["error"]["code"].clone()), (404, json!("NOT_FOUND")), "{other}: {body}");
    }
    // Customers read the public trace only; nobody signed out records anything.
    let customer = access_token(&app, "customer@greenharvest.demo").await;
    assert_eq!(send(&app, "POST", &path, Some(reading(&fresh(), "4")), &customer).await.0, 403);
    assert_eq!(send(&app, "GET", &format!("/api/v1/batches/{code}"), None, &customer).await.0, 403);
    assert_eq!(app.post_json(&path, &reading(&fresh(), "4"), None).await.0, 401);

    // Ten events at once on one lot: ten links, numbered without a gap, never forked.
    let sends = (0..10).map(|i| {
        let (app, staff, path) = (&app, &staff, &path);
        async move {
            send(
                app,
                "POST",
                path,
                Some(reading(&uuid::Uuid::now_v7().to_string(), &format!("{}.{i}", 3 + i % 4))),
                staff,
            )
            .await
            .0
        }
    });
    assert!(futures::future::join_all(sends).await.into_iter().all(|s| s == 201));
    let (status, history) = send(&app, "GET", &format!("/api/v1/batches/{code}"), None, &staff).await;
    assert_eq!(status, 200, "{history}");
    let seqs: Vec<i64> =
        history["data"]["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=before + 11).collect::<Vec<_>>());
    assert_eq!(history["data"]["chain"]["status"], "intact");
    assert!(support::audit_count(&pool, "batch.event_recorded").await >= 11);
}

#[sqlx::test(migrations = false)]
async fn an_excursion_opens_one_alert_marks_the_lot_and_the_page_says_so(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = cold_lot(&pool, "greenharvest").await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let path = format!("/api/v1/batches/{code}/events");
    let (status, first) =
        send(&app, "POST", &path, Some(reading(&uuid::Uuid::now_v7().to_string(), "11.5")), &ops).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["data"]["event"]["excursion"], true);
    assert!(first["data"]["alertId"].is_string(), "{first}");
    let (_, second) = send(&app, "POST", &path, Some(reading(&uuid::Uuid::now_v7().to_string(), "12")), &ops).await;
    assert_eq!(second["data"]["alertId"], Value::Null, "one open alert per lot, not one per reading");
    let mut tx = support::operator(&pool).await;
    let (open, notify_jobs): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM alerts WHERE kind = 'cold_chain_excursion' AND subject_type = 'batch'
                   AND subject_id = $1 AND resolved_at IS NULL),
                (SELECT count(*) FROM jobs WHERE kind = 'alerts.notify_opened')",
    )
    .bind(&code)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(open, 1);
    assert!(notify_jobs >= 1, "ops are told");
    let (_, body) = app.get_json(&format!("/api/v1/trace/{code}")).await;
    assert_eq!(body["data"]["chain"]["status"], "intact");
    let (_, html) = app.get_html(&format!("/trace/{code}")).await;
    assert!(
        html.contains("left its cold chain 2 time(s)"),
        "the trace page says so honestly: {}",
        &html[html.find("data-testid=\"chain-state").unwrap_or(0)..][..3000.min(html.len())]
    );
    let (_, list) = send(&app, "GET", &format!("/api/v1/batches?q={code}"), None, &ops).await;
    assert_eq!(list["data"][0]["excursion"], true, "{list}");

    // Admins set each crop's limits; a reversed range is refused; staff may not.
    let (status, body) =
        send(&app, "PUT", "/api/v1/cold-chain-limits/Basil", Some(json!({ "minC": "8", "maxC": "2" })), &ops).await;
    assert_eq!((status, body["error"]["fields"]["maxC"].is_string()), (400, true), "{body}");
    let (status, body) =
        send(&app, "PUT", "/api/v1/cold-chain-limits/Basil", Some(json!({ "minC": "10", "maxC": "15" })), &ops).await;
    assert_eq!((status, body["data"]["minC"].clone()), (200, json!("10")), "{body}");
    let staff = access_token(&app, "staff@greenharvest.demo").await;
    assert_eq!(
        send(&app, "PUT", "/api/v1/cold-chain-limits/Basil", Some(json!({ "minC": "1", "maxC": "2" })), &staff).await.0,
        403
    );
}

/// Runs `sql` as the database owner on `code`'s rows with the append-only trigger off
/// and the owner's right to change them given back, as an attacker with the database's
/// keys would; then puts both back.
async fn tamper(pool: &PgPool, sql: &str, code: &str) {
    let mut tx = support::operator(pool).await;
    // The table's lock before its catalog row: GRANT first would update that row and then
    // wait for the table behind an autoanalyze that waits for the row (a deadlock seen
    // in CI). The owner may alter its table without any privilege.
    sqlx::query("ALTER TABLE batch_events DISABLE TRIGGER batch_events_append_only").execute(&mut *tx).await.unwrap();
    sqlx::query("GRANT UPDATE, DELETE ON batch_events TO CURRENT_USER").execute(&mut *tx).await.unwrap();
    sqlx::query(sql).bind(code).execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE batch_events ENABLE TRIGGER batch_events_append_only").execute(&mut *tx).await.unwrap();
    sqlx::query("REVOKE UPDATE, DELETE ON batch_events FROM CURRENT_USER").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

const OF_LOT: &str = "batch_id = (SELECT id FROM batches WHERE code = $1)";

#[sqlx::test(migrations = false)]
async fn postgres_refuses_changes_and_verify_finds_every_rewrite(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut tx = support::operator(&pool).await;
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT b.code FROM batches b JOIN tenants t ON t.id = b.tenant_id
         WHERE t.slug = 'greenharvest' AND b.chain_length >= 4 ORDER BY b.code LIMIT 5",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    // The app's own role may not change history: by privilege, and (given the
    // privilege back) by trigger.
    let refused =
        sqlx::query("UPDATE batch_events SET note = 'edited' WHERE seq = 1").execute(&mut *tx).await.unwrap_err();
    assert_eq!(refused.as_database_error().unwrap().code().as_deref(), Some("42501"), "{refused}");
    tx.rollback().await.unwrap();
    let mut tx = support::operator(&pool).await;
    sqlx::query("GRANT UPDATE, DELETE ON batch_events TO CURRENT_USER").execute(&mut *tx).await.unwrap();
    for sql in ["UPDATE batch_events SET note = 'edited' WHERE seq = 1", "DELETE FROM batch_events WHERE seq = 1"] {
        let mut sp = sqlx::Connection::begin(&mut *tx).await.unwrap();
        let refused = sqlx::query(sql).execute(&mut *sp).await.unwrap_err();
        assert_eq!(refused.as_database_error().unwrap().code().as_deref(), Some("23001"), "{sql}: {refused}");
        sp.rollback().await.unwrap();
    }
    tx.rollback().await.unwrap();

    let ops = access_token(&app, "ops@greenharvest.demo").await;
    let mut verdicts = Vec::new();
    let cases = [
        // A temperature warmed after the fact.
        format!("UPDATE batch_events SET temperature_c = coalesce(temperature_c, 0) + 3 WHERE {OF_LOT} AND seq = 2"),
        // The second event removed.
        format!("DELETE FROM batch_events WHERE {OF_LOT} AND seq = 2"),
        // The newest event removed.
        format!("DELETE FROM batch_events WHERE {OF_LOT} AND seq = (SELECT max(seq) FROM batch_events WHERE {OF_LOT})"),
        // An event slipped in as the second, the rest renumbered after it.
        format!(
            "WITH moved AS (UPDATE batch_events SET seq = seq + 1000 WHERE {OF_LOT} AND seq >= 2 RETURNING 1)
             SELECT count(*) FROM moved"
        ),
        // A label rewritten in a lab result's details.
        format!("UPDATE batch_events SET actor = 'Someone else' WHERE {OF_LOT} AND seq = 1"),
    ];
    for (code, sql) in codes.iter().zip(cases.iter()) {
        let token = ops.clone();
        // Verified (and cached) before the rewrite: the cache must not hide it.
        assert_eq!(verify(&app, &token, code).await["status"], "intact", "{code}");
        tamper(&pool, sql, code).await;
        if sql.contains("seq + 1000") {
            tamper(&pool, &format!("UPDATE batch_events SET seq = seq - 999 WHERE {OF_LOT} AND seq > 1000"), code)
                .await;
            tamper(
                &pool,
                &format!(
                    "INSERT INTO batch_events (tenant_id, batch_id, seq, event_id, kind, occurred_at, actor, event_hash, chain_hash)
                     SELECT tenant_id, batch_id, 2, gen_random_uuid(), 'received', occurred_at, 'Forger',
                            'ni:///sha-256;' || encode(sha256('forged'), 'hex') || '?ver=CBV2.0', encode(sha256(chain_hash::bytea), 'hex')
                     FROM batch_events WHERE {OF_LOT} AND seq = 1"
                ),
                code,
            )
            .await;
        }
        let v = verify(&app, &token, code).await;
        assert_eq!(v["status"], "broken", "{code} after {sql}: {v}");
        verdicts.push((v["problem"].as_str().unwrap().to_string(), v["brokenAt"].as_i64().unwrap()));
    }
    assert_eq!(
        verdicts,
        [
            ("event_altered".to_string(), 2),
            ("sequence_gap".to_string(), 2),
            ("truncated".to_string(), verdicts[2].1),
            ("event_altered".to_string(), 2),
            ("event_altered".to_string(), 1),
        ]
    );
    // The public page shows the break in plain words.
    let (_, html) = app.get_html(&format!("/trace/{}", codes[0])).await;
    assert!(html.contains(r#"data-status="broken""#) && html.contains("event #2 was changed after it was recorded"));
}

#[sqlx::test(migrations = false)]
async fn the_epcis_export_validates_against_the_published_schema_and_its_digests(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let code = cold_lot(&pool, "greenharvest").await;
    let ops = access_token(&app, "ops@greenharvest.demo").await;
    // A lab result, a certificate and a sale on top of the sealed history.
    let path = format!("/api/v1/batches/{code}/events");
    for body in [
        json!({ "kind": "lab_tested", "occurredAt": now_ist(), "test": "Lead (Pb)", "analyteGroup": "heavy_metal",
                "value": "0.02", "unit": "mg/kg", "limit": "0.1", "lab": "Vimta Labs", "reportNumber": "VIM-77" }),
        json!({ "kind": "certified", "occurredAt": now_ist(), "scheme": "NPOP Transaction Certificate",
                "issuer": "Indocert", "number": "IND/TC/2026/77", "validFrom": "2026-12-01", "validUntil": "2027-11-30" }),
        json!({ "kind": "packed", "occurredAt": now_ist(), "quantityKg": "40", "place": "Packhouse" }),
        json!({ "kind": "sold", "occurredAt": now_ist(), "quantityKg": "0.5" }),
    ] {
        let (status, answer) = send(&app, "POST", &path, Some(body), &ops).await;
        assert_eq!(status, 201, "{answer}");
    }
    let response =
        app.client.get(app.url(&format!("/api/v1/batches/{code}/epcis"))).bearer_auth(&ops).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let document: Value = response.json().await.unwrap();
    let schema: Value =
        serde_json::from_str(include_str!("../epcis-schema/EPCIS-JSON-Schema.json")).expect("the schema is JSON");
    let validator =
        jsonschema::draft7::options().should_validate_formats(true).build(&schema).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&document).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{document:#}");
    // The schema is not a rubber stamp: a broken document fails it.
    let mut broken = document.clone();
    broken["epcisBody"]["eventList"][0]["eventTime"] = json!("yesterday");
    assert!(!validator.is_valid(&broken));

    let events = document["epcisBody"]["eventList"].as_array().unwrap();
    let steps: Vec<(&str, &str)> =
        events.iter().map(|e| (e["type"].as_str().unwrap(), e["bizStep"].as_str().unwrap())).collect();
    assert!(
        steps.contains(&("ObjectEvent", "shipping")) && steps.contains(&("AggregationEvent", "packing")),
        "{steps:?}"
    );
    assert!(steps.contains(&("ObjectEvent", "retail_selling")));
    assert!(events.iter().any(|e| e["sensorElementList"][0]["sensorReport"][0]["type"] == "Temperature"));
    // Each exported event's id is its digest by GS1's algorithm, and chaining those
    // digests in order gives the head the lot's verification reports.
    let prefixes = app::domain::event_hash::prefixes(&document);
    let mut head: Option<String> = None;
    for e in events {
        let digest = app::domain::event_hash::event_hash(e, &prefixes);
        assert_eq!(digest, e["eventID"].as_str().unwrap(), "{e:#}");
        head = Some(app::domain::hash_chain::link(&digest, head.as_deref()));
    }
    assert_eq!(verify(&app, &ops, &code).await["head"].as_str(), head.as_deref());
}

#[sqlx::test(migrations = false)]
async fn a_new_lot_starts_its_chain_with_its_harvest(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@greenharvest.demo").await;
    let farm: String = sqlx::query_scalar(
        "SELECT f.slug FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = 'greenharvest' ORDER BY f.slug LIMIT 1",
    )
    .fetch_one(&mut *support::operator(&pool).await)
    .await
    .unwrap();
    let lot = json!({ "code": "gh-new-000001", "farm": farm, "crop": "Carrot", "harvestedOn": "2026-12-01",
                      "quantityKg": "250.5", "place": "Field 3" });
    let (status, body) = send(&app, "POST", "/api/v1/batches", Some(lot.clone()), &staff).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["data"]["event"]["kind"].clone(), body["data"]["event"]["seq"].clone()),
        (json!("harvested"), json!(1))
    );
    assert_eq!(send(&app, "POST", "/api/v1/batches", Some(lot.clone()), &staff).await.0, 409);
    let mut bad = lot.clone();
    bad["code"] = json!("no");
    bad["farm"] = json!("not-a-farm-of-ours");
    let (status, body) = send(&app, "POST", "/api/v1/batches", Some(bad), &staff).await;
    assert_eq!(status, 400, "{body}");
    let (status, list) = send(&app, "GET", "/api/v1/batches?q=GH-NEW", None, &staff).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"][0]["code"], "GH-NEW-000001");
    assert_eq!(list["data"][0]["events"], 1);
    let (_, t) = app.get_json("/api/v1/trace/GH-NEW-000001").await;
    assert_eq!(t["data"]["chain"]["status"], "intact");
}

#[sqlx::test(migrations = false)]
async fn a_delivered_order_writes_the_sale_of_its_lots(pool: PgPool) {
    use crate::checkout::{add, checkout, customer, pay, staff_token};
    let app = TestApp::spawn(pool.clone()).await;
    let mut tx = support::operator(&pool).await;
    let (variant, code): (uuid::Uuid, String) = sqlx::query_as(
        "SELECT v.id, b.code FROM product_variants v
         JOIN stock_items s ON s.tenant_id = v.tenant_id AND s.id = v.stock_item_id
         JOIN batches b ON b.tenant_id = s.tenant_id AND b.id = s.batch_id
         JOIN tenants t ON t.id = v.tenant_id
         WHERE t.slug = 'greenharvest' AND s.on_hand >= 10 * v.stock_per_unit AND s.unit = 'g'
         ORDER BY v.sku LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    let (_, token) = customer(&pool).await;
    assert_eq!(add(&app, &token, variant, json!(2)).await.0, 200);
    let (status, placed) = checkout(&app, &token).await;
    assert_eq!(status, 201, "{placed}");
    let order = placed["data"]["orderId"].as_str().unwrap().to_string();
    pay(&app, &token, &order, true).await;
    let staff = staff_token(&pool, "staff").await;
    for step in ["pack", "ship", "send_out_for_delivery", "deliver"] {
        let (status, body) =
            app.post_json(&format!("/api/v1/orders/{order}/actions"), &json!({ "action": step }), Some(&staff)).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    let (_, trace) = app.get_json(&format!("/api/v1/trace/{code}")).await;
    let last = trace["data"]["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "sold", "{last}");
    assert!(last["quantityKg"].as_str().is_some_and(|q| q.parse::<f64>().unwrap() > 0.0), "{last}");
    assert_eq!(trace["data"]["chain"]["status"], "intact");
    assert!(!trace.to_string().contains("Ananya"), "the buyer is never named on the lot's page");
}
