//! The ledger's sync protocol over `/api/v1/ledger`: batches applied once and in
//! order (duplicates, gaps), bad entries refused one by one and kept in the audit log,
//! two tablets editing one entry offline merged by the Malar rules, pending rates
//! priced later, pulls that miss nothing, and who may do what.

use crate::support;

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, access_token, audit_count, operator};
use uuid::Uuid;

/// 05:30 at the market (IST) on the latest market day where that is already past:
/// inside the 05:00 slot, which has a demo rate.
fn morning() -> DateTime<Utc> {
    let ist = FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
    let now = Utc::now();
    let today = now.with_timezone(&ist).date_naive();
    let at = ist
        .from_local_datetime(&today.and_time(NaiveTime::from_hms_opt(5, 30, 0).unwrap()))
        .unwrap()
        .with_timezone(&Utc);
    if at > now { at - Duration::days(1) } else { at }
}

struct Market {
    farmers: Vec<String>,
    flowers: Vec<String>,
}

async fn reference(app: &TestApp, token: &str) -> Market {
    let (status, body) = app.get_json_as("/api/v1/ledger/reference", token).await;
    assert_eq!(status, 200, "{body}");
    let ids = |key: &str| {
        body["data"][key].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
    };
    Market { farmers: ids("farmers"), flowers: ids("flowerTypes") }
}

fn create(mutation_id: i64, client_id: Uuid, farmer: &str, flower: &str, kg: &str) -> Value {
    json!({ "mutationId": mutation_id, "op": "create", "entry": {
        "clientId": client_id, "farmerId": farmer, "flowerTypeId": flower, "quantityKg": kg,
        "recordedAt": morning().to_rfc3339() } })
}

async fn push(app: &TestApp, token: &str, device: Uuid, mutations: Vec<Value>) -> (u16, Value) {
    app.post_json(
        "/api/v1/ledger/sync",
        &json!({ "protocolVersion": 1, "deviceId": device, "mutations": mutations }),
        Some(token),
    )
    .await
}

fn statuses(body: &Value) -> Vec<String> {
    body["data"]["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap().to_string()).collect()
}

async fn entry_count(pool: &PgPool, ids: &[Uuid]) -> i64 {
    let mut tx = operator(pool).await;
    sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE client_id = ANY($1)")
        .bind(ids)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_batch_applies_once_in_order_and_a_gap_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let m = reference(&app, &staff).await;
    let device = Uuid::now_v7();
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let batch: Vec<Value> =
        ids.iter().enumerate().map(|(i, id)| create(i as i64 + 1, *id, &m.farmers[i], &m.flowers[0], "12.5")).collect();

    let (status, first) = push(&app, &staff, device, batch.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(statuses(&first), ["applied"; 3]);
    assert_eq!(first["data"]["lastMutationId"], 3);
    let e = &first["data"]["results"][0]["entry"];
    assert_eq!(
        (e["quantityKg"].as_str(), e["rateSource"].as_str(), e["version"].as_i64()),
        (Some("12.500"), Some("slot"), Some(1))
    );
    // Total = rate × weight, to the paisa.
    let rate: rust_decimal::Decimal = e["rate"].as_str().unwrap().parse().unwrap();
    let total: rust_decimal::Decimal = e["total"].as_str().unwrap().parse().unwrap();
    assert_eq!(total, (rate * rust_decimal::Decimal::new(125, 1)).round_dp(2));

    // The answer was lost; the tablet sends the same batch again: nothing doubles.
    let (_, again) = push(&app, &staff, device, batch).await;
    assert_eq!(statuses(&again), ["duplicate"; 3]);
    assert_eq!(again["data"]["results"][2]["entry"]["clientId"], json!(ids[2]));
    assert_eq!(entry_count(&pool, &ids).await, 3);

    // 4 arrives, 5 went missing, 6 must wait for it (and is not consumed).
    let (four, six) = (Uuid::now_v7(), Uuid::now_v7());
    let (_, gap) = push(
        &app,
        &staff,
        device,
        vec![create(4, four, &m.farmers[0], &m.flowers[1], "1"), create(6, six, &m.farmers[0], &m.flowers[1], "2")],
    )
    .await;
    assert_eq!(statuses(&gap), ["applied", "rejected"]);
    assert_eq!(gap["data"]["results"][1]["reason"], "MUTATION_GAP");
    assert_eq!(gap["data"]["results"][1]["expectedMutationId"], 5);
    assert_eq!(gap["data"]["lastMutationId"], 4);
    let (_, resent) = push(
        &app,
        &staff,
        device,
        vec![
            create(5, Uuid::now_v7(), &m.farmers[0], &m.flowers[1], "3"),
            create(6, six, &m.farmers[0], &m.flowers[1], "2"),
        ],
    )
    .await;
    assert_eq!(statuses(&resent), ["applied", "applied"]);
    assert_eq!(entry_count(&pool, &[four, six]).await, 2);

    // The history holds one created version per entry; the audit log one row per push
    // that applied something.
    let mut tx = operator(&pool).await;
    let history: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_entry_history WHERE client_id = ANY($1) AND change = 'created'",
    )
    .bind(&ids)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(history, 3);
    drop(tx);
    assert_eq!(audit_count(&pool, "ledger.sync").await, 3);
}

#[sqlx::test(migrations = false)]
async fn bad_entries_are_refused_one_by_one_and_what_was_typed_is_kept(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let m = reference(&app, &staff).await;
    let (f, t) = (&m.farmers[0], &m.flowers[0]);
    let mut bad = vec![
        create(1, Uuid::now_v7(), f, t, "0"),
        create(2, Uuid::now_v7(), f, t, "-1"),
        create(3, Uuid::now_v7(), f, t, "1.2345"),
        create(4, Uuid::now_v7(), f, t, "9999"),
        create(5, Uuid::now_v7(), &Uuid::now_v7().to_string(), t, "1"),
        create(6, Uuid::now_v7(), f, &Uuid::now_v7().to_string(), "1"),
        create(7, Uuid::now_v7(), f, t, "abc"),
    ];
    let mut past = create(8, Uuid::now_v7(), f, t, "1");
    past["entry"]["recordedAt"] = json!((Utc::now() - Duration::days(30)).to_rfc3339());
    let mut future = create(9, Uuid::now_v7(), f, t, "1");
    future["entry"]["recordedAt"] = json!((Utc::now() + Duration::hours(2)).to_rfc3339());
    let mut overriding = create(10, Uuid::now_v7(), f, t, "1");
    overriding["entry"]["rateOverride"] = json!("999");
    let mut unknown_op = create(11, Uuid::now_v7(), f, t, "1");
    unknown_op["op"] = json!("merge");
    let mut bad_id = create(12, Uuid::now_v7(), f, t, "1");
    bad_id["entry"]["clientId"] = json!("not-a-uuid");
    let update_missing = json!({ "mutationId": 13, "op": "update", "baseVersion": 1, "entry": { "clientId": Uuid::now_v7(), "quantityKg": "2" } });
    bad.extend([
        past,
        future,
        overriding,
        unknown_op,
        bad_id,
        update_missing,
        create(14, Uuid::now_v7(), f, t, "7.25"),
    ]);
    let (status, body) = push(&app, &staff, Uuid::now_v7(), bad).await;
    assert_eq!(status, 200, "{body}");
    let reasons: Vec<&str> =
        body["data"]["results"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap_or("-")).collect();
    assert_eq!(
        reasons,
        [
            "QUANTITY_INVALID",
            "QUANTITY_INVALID",
            "QUANTITY_INVALID",
            "QUANTITY_TOO_LARGE",
            "UNKNOWN_FARMER",
            "UNKNOWN_FLOWER_TYPE",
            "QUANTITY_INVALID",
            "RECORDED_AT_OUT_OF_RANGE",
            "RECORDED_AT_OUT_OF_RANGE",
            "RATE_OVERRIDE_FORBIDDEN",
            "MALFORMED",
            "MALFORMED",
            "ENTRY_NOT_FOUND",
            "-"
        ]
    );
    assert!(body["data"]["results"][0]["message"].as_str().unwrap().contains("kilograms"));
    // Refused mutations are consumed (the queue moves on) and kept, as typed.
    assert_eq!(body["data"]["lastMutationId"], 14);
    let mut tx = operator(&pool).await;
    let refused: Value = sqlx::query_scalar("SELECT after->'refused' FROM audit_log WHERE action = 'ledger.sync'")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(refused.as_array().unwrap().len(), 13);
    assert_eq!(refused[3]["mutation"]["entry"]["quantityKg"], "9999");
    drop(tx);

    // Whole-request faults: an old app, a bad device id, too many, out of order.
    let (status, old) = app
        .post_json(
            "/api/v1/ledger/sync",
            &json!({ "protocolVersion": 2, "deviceId": Uuid::now_v7(), "mutations": [] }),
            Some(&staff),
        )
        .await;
    assert_eq!(status, 400);
    assert!(old["error"]["fields"]["protocolVersion"].as_str().unwrap().contains("reload"));
    let (status, _) =
        app.post_json("/api/v1/ledger/sync", &json!({ "deviceId": "tablet-1", "mutations": [] }), Some(&staff)).await;
    assert_eq!(status, 400);
    let (status, unordered) = push(
        &app,
        &staff,
        Uuid::now_v7(),
        vec![create(2, Uuid::now_v7(), f, t, "1"), create(1, Uuid::now_v7(), f, t, "1")],
    )
    .await;
    assert_eq!((status, unordered["error"]["fields"]["mutations"].is_string()), (400, true));
    let many: Vec<Value> = (1..=1001).map(|i| create(i, Uuid::now_v7(), f, t, "1")).collect();
    let (status, _) = push(&app, &staff, Uuid::now_v7(), many).await;
    assert_eq!(status, 400);
    let (status, _) = app
        .post_json("/api/v1/ledger/sync", &json!({ "deviceId": Uuid::now_v7(), "mutations": "all" }), Some(&staff))
        .await;
    assert_eq!(status, 400);
}

#[sqlx::test(migrations = false)]
async fn who_may_sync_and_a_device_belongs_to_one_person(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let m = reference(&app, &staff).await;
    let device = Uuid::now_v7();
    let (status, _) =
        push(&app, &staff, device, vec![create(1, Uuid::now_v7(), &m.farmers[0], &m.flowers[0], "1")]).await;
    assert_eq!(status, 200);
    // Another person pushing as that tablet is refused, and nothing is applied.
    let (status, body) =
        push(&app, &admin, device, vec![create(2, Uuid::now_v7(), &m.farmers[0], &m.flowers[0], "1")]).await;
    assert_eq!(status, 403, "{body}");
    // Growers do not enter; a store's people have no ledger; anonymous callers sign in.
    let farmer = access_token(&app, "farmer@malar.demo").await;
    let (status, _) = app.get_json_as("/api/v1/ledger/reference", &farmer).await;
    assert_eq!(status, 403);
    let store_admin = access_token(&app, "admin@greenharvest.demo").await;
    let (status, body) = app.get_json_as("/api/v1/ledger/reference", &store_admin).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = app.get_json("/api/v1/ledger/reference").await;
    assert_eq!(status, 401);
    // Staff may not set rates; admins may.
    let rates = json!({ "date": morning().with_timezone(&FixedOffset::east_opt(19800).unwrap()).date_naive().to_string(), "rates": [] });
    let response =
        app.client.put(app.url("/api/v1/ledger/rates")).bearer_auth(&staff).json(&rates).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[sqlx::test(migrations = false)]
async fn two_tablets_editing_one_entry_offline_both_corrections_count(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let m = reference(&app, &staff).await;
    let (tablet_a, tablet_b) = (Uuid::now_v7(), Uuid::now_v7());
    let entry = Uuid::now_v7();
    let (_, created) = push(&app, &staff, tablet_a, vec![create(1, entry, &m.farmers[0], &m.flowers[0], "10")]).await;
    assert_eq!(statuses(&created), ["applied"]);
    // Tablet B (the admin's) pulls it, then both go offline and correct the weight.
    let (_, pulled) =
        app.get_json_as(&format!("/api/v1/ledger/changes?deviceId={tablet_b}&since=0&days=2&limit=1000"), &admin).await;
    assert!(pulled["data"]["entries"].as_array().unwrap().iter().any(|e| e["clientId"] == json!(entry)), "{pulled}");
    let base = json!({ "farmerId": m.farmers[0], "flowerTypeId": m.flowers[0], "quantityKg": "10.000" });
    let edit = |id: i64, kg: &str| json!({ "mutationId": id, "op": "update", "baseVersion": 1, "base": base, "entry": { "clientId": entry, "quantityKg": kg } });
    let (_, a) = push(&app, &staff, tablet_a, vec![edit(2, "12")]).await;
    assert_eq!(statuses(&a), ["applied"]);
    assert_eq!(a["data"]["results"][0]["entry"]["version"], 2);
    let (_, b) = push(&app, &admin, tablet_b, vec![edit(1, "11")]).await;
    assert_eq!(statuses(&b), ["conflict"], "{b}");
    let result = &b["data"]["results"][0];
    assert_eq!(
        (result["entry"]["quantityKg"].as_str(), result["entry"]["version"].as_i64()),
        (Some("13.000"), Some(3))
    );
    assert_eq!(result["conflict"]["resolution"], "merged");
    assert_eq!(
        result["conflict"]["fields"][0],
        json!({ "field": "quantityKg", "base": "10.000", "mine": "11.000", "theirs": "12.000", "result": "13.000" })
    );
    // Tablet A's next pull brings the merged version; B's panel lists the conflict.
    let (_, a_pull) =
        app.get_json_as(&format!("/api/v1/ledger/changes?deviceId={tablet_a}&since=0&days=2"), &staff).await;
    let merged =
        a_pull["data"]["entries"].as_array().unwrap().iter().find(|e| e["clientId"] == json!(entry)).cloned().unwrap();
    assert_eq!((merged["quantityKg"].as_str(), merged["version"].as_i64()), (Some("13.000"), Some(3)));
    let (_, b_pull) =
        app.get_json_as(&format!("/api/v1/ledger/changes?deviceId={tablet_b}&since=0&days=2"), &admin).await;
    let open = b_pull["data"]["openConflicts"].as_array().unwrap().clone();
    assert_eq!(open.len(), 1);
    assert_eq!(audit_count(&pool, "ledger.entry.conflict").await, 1);
    // A void made from the stale version is not applied: the server's copy is kept.
    let (_, void) = push(
        &app,
        &staff,
        tablet_a,
        vec![json!({ "mutationId": 3, "op": "delete", "baseVersion": 2, "entry": { "clientId": entry } })],
    )
    .await;
    assert_eq!(void["data"]["results"][0]["conflict"]["resolution"], "server_kept");
    assert_eq!(void["data"]["results"][0]["entry"]["status"], "recorded");
    // Staff cannot edit the admin's entries, nor a rate.
    let (_, mine) =
        push(&app, &admin, tablet_b, vec![create(2, Uuid::now_v7(), &m.farmers[1], &m.flowers[1], "4")]).await;
    let admins_entry = mine["data"]["results"][0]["entry"]["clientId"].as_str().unwrap().to_string();
    let (_, refused) = push(&app, &staff, tablet_a, vec![json!({ "mutationId": 4, "op": "update", "baseVersion": 1, "entry": { "clientId": admins_entry, "quantityKg": "5" } })]).await;
    assert_eq!(refused["data"]["results"][0]["reason"], "NOT_YOUR_ENTRY");
    // The date and time of an entry never change.
    let (_, moved) = push(&app, &staff, tablet_a, vec![json!({ "mutationId": 5, "op": "update", "baseVersion": 3, "entry": { "clientId": entry, "recordedAt": Utc::now().to_rfc3339() } })]).await;
    assert_eq!(moved["data"]["results"][0]["reason"], "IMMUTABLE_FIELD");
    // Acknowledging clears the panel.
    let id = open[0]["id"].as_str().unwrap();
    let (status, _) = app.post_json(&format!("/api/v1/ledger/conflicts/{id}/ack"), &json!({}), Some(&admin)).await;
    assert_eq!(status, 200);
    let (_, after) = app.get_json_as(&format!("/api/v1/ledger/changes?deviceId={tablet_b}&since=0"), &admin).await;
    assert_eq!(after["data"]["openConflicts"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = false)]
async fn an_entry_without_a_rate_is_kept_and_priced_when_the_rate_is_set(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let m = reference(&app, &staff).await;
    let day = morning().with_timezone(&FixedOffset::east_opt(19800).unwrap()).date_naive();
    let slot: Uuid = {
        let mut tx = operator(&pool).await;
        sqlx::query("DELETE FROM ledger_rates WHERE market_date = $1 AND flower_type_id = $2::uuid")
            .bind(day)
            .bind(&m.flowers[2])
            .execute(&mut *tx)
            .await
            .unwrap();
        let slot = sqlx::query_scalar("SELECT id FROM ledger_time_slots WHERE starts_at = '05:00'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        slot
    };
    let entry = Uuid::now_v7();
    let (_, body) =
        push(&app, &staff, Uuid::now_v7(), vec![create(1, entry, &m.farmers[0], &m.flowers[2], "2.5")]).await;
    let e = &body["data"]["results"][0]["entry"];
    assert_eq!(
        (e["rateSource"].as_str(), e["rate"].is_null(), e["total"].is_null()),
        (Some("pending"), true, true),
        "{body}"
    );
    // Not settled while pending: the grower is skipped and told why.
    let (status, outcome) = app
        .post_json(
            "/api/v1/ledger/settlements",
            &json!({ "farmerId": m.farmers[0], "from": day.to_string(), "to": day.to_string() }),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 201, "{outcome}");
    assert_eq!(outcome["data"]["settlements"].as_array().unwrap().len(), 0);
    assert_eq!(outcome["data"]["skipped"][0]["farmerId"], json!(m.farmers[0]));

    let rates =
        json!({ "date": day.to_string(), "rates": [{ "flowerTypeId": m.flowers[2], "slotId": slot, "rate": "400" }] });
    let response =
        app.client.put(app.url("/api/v1/ledger/rates")).bearer_auth(&admin).json(&rates).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let saved: Value = response.json().await.unwrap();
    assert_eq!(saved["data"]["ratedNow"], 1);
    let (_, found) = app.get_json_as(&format!("/api/v1/ledger/entries?clientId={entry}"), &admin).await;
    let e = &found["data"][0];
    assert_eq!(
        (e["rate"].as_str(), e["total"].as_str(), e["rateSource"].as_str(), e["version"].as_i64()),
        (Some("400.00"), Some("1000.00"), Some("slot"), Some(2))
    );
    assert_eq!(audit_count(&pool, "ledger.rates.saved").await, 1);
    // Bad rates: each named.
    let bad =
        json!({ "date": "2026-13-01", "rates": [{ "flowerTypeId": m.flowers[2], "slotId": slot, "rate": "400" }] });
    let response = app.client.put(app.url("/api/v1/ledger/rates")).bearer_auth(&admin).json(&bad).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let bad = json!({ "date": day.to_string(), "rates": [{ "flowerTypeId": m.flowers[2], "slotId": slot, "rate": "-4" }, { "flowerTypeId": "x", "slotId": slot, "rate": "4" }] });
    let response = app.client.put(app.url("/api/v1/ledger/rates")).bearer_auth(&admin).json(&bad).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["fields"]["rates.0.rate"].is_string()
            && body["error"]["fields"]["rates.1.flowerTypeId"].is_string(),
        "{body}"
    );
}

#[sqlx::test(migrations = false)]
async fn pulls_page_through_every_change_exactly_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let m = reference(&app, &staff).await;
    // Two tablets push while a third pulls in small pages.
    let pushers = [(staff.clone(), Uuid::now_v7()), (admin.clone(), Uuid::now_v7())].map(|(token, device)| {
        let app_url = app.url("/api/v1/ledger/sync");
        let client = app.client.clone();
        let (farmer, flower) = (m.farmers[0].clone(), m.flowers[0].clone());
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for batch in 0..5 {
                let mutations: Vec<Value> = (1..=20)
                    .map(|i| {
                        let id = Uuid::now_v7();
                        ids.push(id);
                        create(batch * 20 + i, id, &farmer, &flower, "1.5")
                    })
                    .collect();
                let r = client
                    .post(&app_url)
                    .bearer_auth(&token)
                    .json(&json!({ "deviceId": device, "mutations": mutations }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 200);
            }
            ids
        })
    });
    let puller = Uuid::now_v7();
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = 0;
    let start: i64 = {
        let (_, first) = app
            .get_json_as(&format!("/api/v1/ledger/changes?deviceId={puller}&since=0&days=2&limit=1000"), &staff)
            .await;
        first["data"]["entries"].as_array().unwrap().len() as i64
    };
    let mut done = false;
    while !done {
        done = pushers.iter().all(|p| p.is_finished());
        loop {
            let (_, page) = app
                .get_json_as(&format!("/api/v1/ledger/changes?deviceId={puller}&since={cursor}&days=2&limit=7"), &staff)
                .await;
            seen.extend(
                page["data"]["entries"].as_array().unwrap().iter().map(|e| e["clientId"].as_str().unwrap().to_string()),
            );
            cursor = page["data"]["cursor"].as_i64().unwrap();
            if !page["data"]["hasMore"].as_bool().unwrap() {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut pushed = Vec::new();
    for p in pushers {
        pushed.extend(p.await.unwrap());
    }
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a change was delivered twice");
    for id in &pushed {
        assert!(unique.contains(&id.to_string()), "change {id} was missed");
    }
    assert_eq!(seen.len() as i64, start + 200);
}

/// A tablet that was offline while the day was settled brings an entry recorded that
/// morning: it stays open (the settlement does not swallow it), goes into the next
/// settlement alone, and is locked from then on. An entry voided before the settlement
/// is in neither.
#[sqlx::test(migrations = false)]
async fn an_entry_synced_after_its_day_was_settled_goes_into_the_next_settlement(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let m = reference(&app, &staff).await;
    let day = morning().with_timezone(&FixedOffset::east_opt(19800).unwrap()).date_naive().to_string();
    let farmer = &m.farmers[1];
    let (on_time, voided, late) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (status, body) = push(
        &app,
        &staff,
        Uuid::now_v7(),
        vec![
            create(1, on_time, farmer, &m.flowers[0], "3"),
            create(2, voided, farmer, &m.flowers[0], "7"),
            json!({ "mutationId": 3, "op": "delete", "entry": { "clientId": voided } }),
        ],
    )
    .await;
    assert_eq!((status, statuses(&body)), (200, vec!["applied".to_string(); 3]), "{body}");

    let generate = async || {
        let (status, outcome) = app
            .post_json(
                "/api/v1/ledger/settlements",
                &json!({ "farmerId": farmer, "from": day, "to": day }),
                Some(&admin),
            )
            .await;
        assert_eq!(status, 201, "{outcome}");
        outcome["data"]["settlements"].as_array().unwrap().clone()
    };
    let first = generate().await;
    assert_eq!(first.len(), 1);
    let first_id = first[0]["id"].clone();

    let (_, body) = push(&app, &staff, Uuid::now_v7(), vec![create(1, late, farmer, &m.flowers[0], "2")]).await;
    assert_eq!(statuses(&body), ["applied"], "{body}");
    let settlement_of = async |id: Uuid| {
        let (_, found) = app.get_json_as(&format!("/api/v1/ledger/entries?clientId={id}"), &admin).await;
        found["data"][0]["settlementId"].clone()
    };
    assert_eq!(settlement_of(on_time).await, first_id);
    assert_eq!(settlement_of(voided).await, Value::Null);
    assert_eq!(settlement_of(late).await, Value::Null, "the late entry is still open");
    // Still editable while open.
    let (_, body) = push(
        &app,
        &staff,
        Uuid::now_v7(),
        vec![json!({ "mutationId": 1, "op": "update", "entry": { "clientId": late, "quantityKg": "2.5" } })],
    )
    .await;
    assert_eq!(statuses(&body), ["applied"], "{body}");

    let second = generate().await;
    assert_eq!(second.len(), 1, "only the late entry was left");
    assert_eq!(second[0]["entryCount"], 1);
    assert_eq!(second[0]["quantityKg"], "2.500");
    assert_eq!(settlement_of(late).await, second[0]["id"]);
    assert_eq!(settlement_of(on_time).await, first_id, "the first settlement keeps its entries");
    assert!(generate().await.is_empty(), "nothing is settled twice");
    // Each slip lists what its settlement took: the first keeps its entries, the second
    // has the late one alone.
    let slip_lines = async |id: &Value| {
        let (_, slip) = app.get_json_as(&format!("/api/v1/ledger/settlements/{}", id.as_str().unwrap()), &admin).await;
        slip["data"]["lines"].as_array().unwrap().clone()
    };
    let late_lines = slip_lines(&second[0]["id"]).await;
    assert_eq!(
        (late_lines.len(), late_lines[0]["entryCount"].as_u64(), late_lines[0]["quantityKg"].as_str()),
        (1, Some(1), Some("2.500"))
    );
    let first_lines = slip_lines(&first_id).await;
    assert_eq!(
        first_lines.iter().map(|l| l["entryCount"].as_u64().unwrap()).sum::<u64>(),
        first[0]["entryCount"].as_u64().unwrap()
    );
    let (_, body) = push(
        &app,
        &staff,
        Uuid::now_v7(),
        vec![json!({ "mutationId": 1, "op": "update", "entry": { "clientId": late, "quantityKg": "9" } })],
    )
    .await;
    assert_eq!(body["data"]["results"][0]["reason"], "SETTLED", "{body}");
}
