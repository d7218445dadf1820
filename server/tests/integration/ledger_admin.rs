//! The market admin's reference data over `/api/v1/ledger/{farmers,flower-types,slots,
//! terms,advances}`: what an admin adds or changes reaches the tablets (the reference
//! data, with a higher `referenceVersion`), is audited, and only admins write it;
//! every bad field is named, taken numbers, codes and times are conflicts, and another
//! market's growers are out of sight.

use crate::support;

use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, access_token, audit_count, operator};
use uuid::Uuid;

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: &Value, bearer: &str) -> (u16, Value) {
    let response =
        app.client.request(method, app.url(path)).bearer_auth(bearer).json(body).send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON body") })
}

async fn patch(app: &TestApp, path: &str, body: &Value, bearer: &str) -> (u16, Value) {
    send(app, reqwest::Method::PATCH, path, body, bearer).await
}

async fn put(app: &TestApp, path: &str, body: &Value, bearer: &str) -> (u16, Value) {
    send(app, reqwest::Method::PUT, path, body, bearer).await
}

async fn reference(app: &TestApp, bearer: &str) -> Value {
    let (status, body) = app.get_json_as("/api/v1/ledger/reference", bearer).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

fn version(reference: &Value) -> i64 {
    reference["referenceVersion"].as_i64().expect("referenceVersion")
}

/// Asserts a 400 naming `field`.
#[track_caller]
fn names_field((status, body): (u16, Value), field: &str) {
    assert_eq!(status, 400, "{field}: {body}");
    assert!(body["error"]["fields"][field].is_string(), "expected field {field} in {body}");
}

#[sqlx::test(migrations = false)]
async fn an_admins_changes_reach_the_tablets_and_are_audited(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let v0 = version(&reference(&app, &staff).await);

    // A grower: the next free number, phone normalised.
    let (status, grower) = app
        .post_json("/api/v1/ledger/farmers", &json!({ "nameEn": "Kumar", "nameTa": "குமார்", "village": "Thovalai", "phone": "98400 12345", "language": "en" }), Some(&admin))
        .await;
    assert_eq!(status, 201, "{grower}");
    let grower = grower["data"].clone();
    assert_eq!(grower["farmerNo"], 41, "the demo has growers 1–40");
    assert_eq!(grower["phone"], "+919840012345");
    let grower_id = grower["id"].as_str().unwrap().to_string();
    let (status, edited) = patch(
        &app,
        &format!("/api/v1/ledger/farmers/{grower_id}"),
        &json!({ "whatsapp": "+919840054321", "village": "Kanyakumari" }),
        &admin,
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (edited["data"]["whatsapp"].as_str(), edited["data"]["nameTa"].as_str()),
        (Some("+919840054321"), Some("குமார்"))
    );
    let (status, numbered) =
        app.post_json("/api/v1/ledger/farmers", &json!({ "farmerNo": 500, "nameTa": "வள்ளி" }), Some(&admin)).await;
    assert_eq!(
        (status, numbered["data"]["farmerNo"].as_i64(), numbered["data"]["language"].as_str()),
        (201, Some(500), Some("ta")),
        "{numbered}"
    );

    // A flower type, a slot after the demo's 04:00–09:00, new terms, an advance.
    let (status, flower) = app
        .post_json(
            "/api/v1/ledger/flower-types",
            &json!({ "code": "tha", "nameEn": "Lotus", "nameTa": "தாமரை" }),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 201, "{flower}");
    assert_eq!(flower["data"]["code"], "THA");
    let flower_id = flower["data"]["id"].as_str().unwrap().to_string();
    let (status, renamed) =
        patch(&app, &format!("/api/v1/ledger/flower-types/{flower_id}"), &json!({ "nameEn": "Lotus (pink)" }), &admin)
            .await;
    assert_eq!((status, renamed["data"]["nameEn"].as_str()), (200, Some("Lotus (pink)")), "{renamed}");
    let (status, slot) =
        app.post_json("/api/v1/ledger/slots", &json!({ "startsAt": "09:00", "endsAt": "10:30" }), Some(&admin)).await;
    assert_eq!(status, 201, "{slot}");
    let slot_id = slot["data"]["id"].as_str().unwrap().to_string();
    let (status, moved) =
        patch(&app, &format!("/api/v1/ledger/slots/{slot_id}"), &json!({ "endsAt": "11:00" }), &admin).await;
    assert_eq!((status, moved["data"]["endsAt"].as_str()), (200, Some("11:00")), "{moved}");
    let (status, terms) = put(&app, "/api/v1/ledger/terms", &json!({ "commissionPercent": "8.5", "feePerEntry": "3", "feePerKg": 0.75, "maxEntryKg": "400", "backdateDays": 5 }), &admin).await;
    assert_eq!(status, 200, "{terms}");
    assert_eq!(terms["data"]["commissionPercent"], "8.50");
    let (status, advance) = app
        .post_json(
            "/api/v1/ledger/advances",
            &json!({ "farmerId": grower_id, "amount": "1500.50", "note": "seed money" }),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 201, "{advance}");
    assert_eq!(
        (advance["data"]["amount"].as_str(), advance["data"]["outstanding"].as_str()),
        (Some("1500.50"), Some("1500.50"))
    );

    // The tablets see it all, with a version that moved once per change.
    let r = reference(&app, &staff).await;
    assert_eq!(version(&r), v0 + 9, "nine writes");
    let farmer = r["farmers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == grower_id.as_str())
        .expect("the new grower")
        .clone();
    assert_eq!(
        (farmer["village"].as_str(), farmer["whatsapp"].as_str(), farmer["language"].as_str()),
        (Some("Kanyakumari"), Some("+919840054321"), Some("en"))
    );
    assert!(r["flowerTypes"].as_array().unwrap().iter().any(|f| f["code"] == "THA" && f["nameEn"] == "Lotus (pink)"));
    assert!(r["slots"].as_array().unwrap().iter().any(|s| s["startsAt"] == "09:00" && s["endsAt"] == "11:00"));
    assert_eq!(r["settings"]["commissionPercent"], "8.50");
    assert_eq!(r["settings"]["backdateDays"], 5);
    assert_eq!(r["settings"]["feePerKg"], "0.75");

    // Staff read the lists the tablet needs; the advances list is the admin's.
    let (status, farmers) = app.get_json_as("/api/v1/ledger/farmers?q=kumar", &staff).await;
    assert_eq!(status, 200, "{farmers}");
    assert_eq!(farmers["data"].as_array().unwrap().len(), 1);
    let (status, slots) = app.get_json_as("/api/v1/ledger/slots", &staff).await;
    assert_eq!((status, slots["data"].as_array().unwrap().len()), (200, 6));
    let (status, _) = app.get_json_as("/api/v1/ledger/terms", &staff).await;
    assert_eq!(status, 200);
    let (status, _) = app.get_json_as("/api/v1/ledger/flower-types", &staff).await;
    assert_eq!(status, 200);
    let (status, advances) = app.get_json_as(&format!("/api/v1/ledger/advances?farmerId={grower_id}"), &admin).await;
    assert_eq!((status, advances["data"].as_array().unwrap().len()), (200, 1), "{advances}");

    // A slot switched off leaves the tablets' list.
    let (status, _) =
        patch(&app, &format!("/api/v1/ledger/slots/{slot_id}"), &json!({ "active": false }), &admin).await;
    assert_eq!(status, 200);
    let r = reference(&app, &staff).await;
    assert_eq!(r["slots"].as_array().unwrap().len(), 5);

    for (action, n) in [
        ("ledger.farmer.created", 2),
        ("ledger.farmer.updated", 1),
        ("ledger.flower_type.created", 1),
        ("ledger.flower_type.updated", 1),
        ("ledger.slot.created", 1),
        ("ledger.slot.updated", 2),
        ("ledger.terms.updated", 1),
        ("ledger.advance.given", 1),
    ] {
        assert_eq!(audit_count(&pool, action).await, n, "{action}");
    }
    let mut tx = operator(&pool).await;
    let (before, after): (Value, Value) =
        sqlx::query_as("SELECT before, after FROM audit_log WHERE action = 'ledger.farmer.updated'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!((before["village"].as_str(), after["village"].as_str()), (Some("Thovalai"), Some("Kanyakumari")));
}

#[sqlx::test(migrations = false)]
async fn only_admins_write(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let farmer = access_token(&app, "farmer@malar.demo").await;
    let (_, growers) = app.get_json_as("/api/v1/ledger/farmers", &admin).await;
    let some_grower = growers["data"][0]["id"].as_str().unwrap().to_string();
    let (_, flowers) = app.get_json_as("/api/v1/ledger/flower-types", &admin).await;
    let some_flower = flowers["data"][0]["id"].as_str().unwrap().to_string();
    let (_, slots) = app.get_json_as("/api/v1/ledger/slots", &admin).await;
    let some_slot = slots["data"][0]["id"].as_str().unwrap().to_string();

    let writes: Vec<(reqwest::Method, String, Value)> = vec![
        (reqwest::Method::POST, "/api/v1/ledger/farmers".into(), json!({ "nameEn": "Intruder" })),
        (reqwest::Method::PATCH, format!("/api/v1/ledger/farmers/{some_grower}"), json!({ "nameEn": "Renamed" })),
        (
            reqwest::Method::POST,
            "/api/v1/ledger/flower-types".into(),
            json!({ "code": "XYZ", "nameEn": "X", "nameTa": "எக்ஸ்" }),
        ),
        (reqwest::Method::PATCH, format!("/api/v1/ledger/flower-types/{some_flower}"), json!({ "nameEn": "Renamed" })),
        (reqwest::Method::POST, "/api/v1/ledger/slots".into(), json!({ "startsAt": "12:00", "endsAt": "13:00" })),
        (reqwest::Method::PATCH, format!("/api/v1/ledger/slots/{some_slot}"), json!({ "active": false })),
        (reqwest::Method::PUT, "/api/v1/ledger/terms".into(), json!({ "commissionPercent": "1" })),
        (reqwest::Method::POST, "/api/v1/ledger/advances".into(), json!({ "farmerId": some_grower, "amount": "100" })),
    ];
    for token in [&staff, &farmer] {
        for (method, path, body) in &writes {
            let (status, answer) = send(&app, method.clone(), path, body, token).await;
            assert_eq!(status, 403, "{method} {path}: {answer}");
        }
    }
    // Growers read none of it; staff do not see the advances.
    for path in [
        "/api/v1/ledger/farmers",
        "/api/v1/ledger/flower-types",
        "/api/v1/ledger/slots",
        "/api/v1/ledger/terms",
        "/api/v1/ledger/advances",
    ] {
        let (status, _) = app.get_json_as(path, &farmer).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _) = app.get_json_as("/api/v1/ledger/advances", &staff).await;
    assert_eq!(status, 403);
    for action in [
        "ledger.farmer.created",
        "ledger.farmer.updated",
        "ledger.flower_type.created",
        "ledger.slot.created",
        "ledger.terms.updated",
        "ledger.advance.given",
    ] {
        assert_eq!(audit_count(&pool, action).await, 0, "{action}");
    }
}

#[sqlx::test(migrations = false)]
async fn bad_input_is_named_field_by_field(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let v0 = version(&reference(&app, &staff).await);
    let post = |path: &'static str, body: Value| {
        let (app, admin) = (&app, &admin);
        async move { app.post_json(path, &body, Some(admin)).await }
    };

    // Growers.
    names_field(post("/api/v1/ledger/farmers", json!({ "nameEn": "  ", "nameTa": "" })).await, "nameEn");
    names_field(post("/api/v1/ledger/farmers", json!({})).await, "nameTa");
    names_field(post("/api/v1/ledger/farmers", json!({ "nameEn": "A", "phone": "12345" })).await, "phone");
    names_field(
        post("/api/v1/ledger/farmers", json!({ "nameEn": "A", "whatsapp": "+91 98400 1234x" })).await,
        "whatsapp",
    );
    names_field(post("/api/v1/ledger/farmers", json!({ "nameEn": "A", "language": "fr" })).await, "language");
    names_field(post("/api/v1/ledger/farmers", json!({ "nameEn": "A", "farmerNo": -3 })).await, "farmerNo");
    names_field(post("/api/v1/ledger/farmers", json!({ "nameEn": "A", "farmerNo": "seven" })).await, "farmerNo");
    names_field(post("/api/v1/ledger/farmers", json!({ "nameEn": "A".repeat(121) })).await, "nameEn");
    let (status, body) = post("/api/v1/ledger/farmers", json!({ "nameEn": "Second Kumar", "farmerNo": 1 })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CONFLICT")), "{body}");
    assert!(body["error"]["fields"]["farmerNo"].as_str().unwrap().contains("already in use"), "{body}");
    let (_, growers) = app.get_json_as("/api/v1/ledger/farmers", &admin).await;
    let first = growers["data"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = patch(&app, &format!("/api/v1/ledger/farmers/{first}"), &json!({ "farmerNo": 2 }), &admin).await;
    assert_eq!(status, 409);
    names_field(
        patch(&app, &format!("/api/v1/ledger/farmers/{first}"), &json!({ "nameEn": "", "nameTa": "" }), &admin).await,
        "nameEn",
    );
    let (status, _) =
        patch(&app, &format!("/api/v1/ledger/farmers/{}", Uuid::now_v7()), &json!({ "nameEn": "Nobody" }), &admin)
            .await;
    assert_eq!(status, 404);
    names_field(patch(&app, "/api/v1/ledger/farmers/not-a-uuid", &json!({ "nameEn": "Nobody" }), &admin).await, "id");

    // Flower types.
    for bad in ["R", "R0SE", "TOOLONG", "மல்"] {
        names_field(
            post("/api/v1/ledger/flower-types", json!({ "code": bad, "nameEn": "X", "nameTa": "எக்ஸ்" })).await,
            "code",
        );
    }
    names_field(post("/api/v1/ledger/flower-types", json!({ "code": "NEW", "nameEn": "New" })).await, "nameTa");
    names_field(
        post("/api/v1/ledger/flower-types", json!({ "code": "NEW", "nameEn": " ", "nameTa": "புது" })).await,
        "nameEn",
    );
    let (status, body) =
        post("/api/v1/ledger/flower-types", json!({ "code": "jas", "nameEn": "Jasmine again", "nameTa": "மல்லி" }))
            .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["fields"]["code"].is_string(), "{body}");

    // Slots (the demo's run 04:00–09:00, hourly).
    let (status, body) = post("/api/v1/ledger/slots", json!({ "startsAt": "08:30", "endsAt": "09:30" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("CONFLICT")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("08:00"), "{body}");
    assert!(body["error"]["fields"]["startsAt"].is_string() && body["error"]["fields"]["endsAt"].is_string(), "{body}");
    let (status, _) = post("/api/v1/ledger/slots", json!({ "startsAt": "04:00", "endsAt": "04:30" })).await;
    assert_eq!(status, 409);
    names_field(post("/api/v1/ledger/slots", json!({ "startsAt": "11:00", "endsAt": "10:00" })).await, "endsAt");
    names_field(post("/api/v1/ledger/slots", json!({ "startsAt": "11:00", "endsAt": "11:00" })).await, "endsAt");
    names_field(post("/api/v1/ledger/slots", json!({ "startsAt": "25:00", "endsAt": "26:00" })).await, "startsAt");
    names_field(post("/api/v1/ledger/slots", json!({ "startsAt": "10:00" })).await, "endsAt");

    // Terms.
    for bad in [json!("101"), json!("-1"), json!("abc"), json!(101), json!("10.125")] {
        names_field(
            put(&app, "/api/v1/ledger/terms", &json!({ "commissionPercent": bad }), &admin).await,
            "commissionPercent",
        );
    }
    names_field(put(&app, "/api/v1/ledger/terms", &json!({ "feePerEntry": "-2" }), &admin).await, "feePerEntry");
    names_field(put(&app, "/api/v1/ledger/terms", &json!({ "feePerKg": -0.5 }), &admin).await, "feePerKg");
    names_field(put(&app, "/api/v1/ledger/terms", &json!({ "maxEntryKg": "0" }), &admin).await, "maxEntryKg");
    names_field(put(&app, "/api/v1/ledger/terms", &json!({ "backdateDays": 32 }), &admin).await, "backdateDays");
    // One bad field refuses the whole change.
    let (status, body) =
        put(&app, "/api/v1/ledger/terms", &json!({ "commissionPercent": "5", "feePerEntry": "x" }), &admin).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(reference(&app, &staff).await["settings"]["commissionPercent"], "10.00");

    // Advances.
    for bad in [json!("0"), json!("-100"), json!("lots"), json!(0), json!("10.005")] {
        names_field(post("/api/v1/ledger/advances", json!({ "farmerId": first, "amount": bad })).await, "amount");
    }
    names_field(post("/api/v1/ledger/advances", json!({ "farmerId": first })).await, "amount");
    names_field(
        post("/api/v1/ledger/advances", json!({ "farmerId": first, "amount": "100", "note": "n".repeat(501) })).await,
        "note",
    );
    names_field(
        post("/api/v1/ledger/advances", json!({ "farmerId": first, "amount": "100", "givenOn": "yesterday" })).await,
        "givenOn",
    );
    names_field(
        post("/api/v1/ledger/advances", json!({ "farmerId": first, "amount": "100", "givenOn": "2999-01-01" })).await,
        "givenOn",
    );
    names_field(
        post("/api/v1/ledger/advances", json!({ "farmerId": Uuid::now_v7(), "amount": "100" })).await,
        "farmerId",
    );
    names_field(post("/api/v1/ledger/advances", json!({ "farmerId": "nope", "amount": "100" })).await, "farmerId");
    // Unknown fields are refused rather than ignored.
    names_field(
        post("/api/v1/ledger/advances", json!({ "farmerId": first, "amount": "100", "extra": 1 })).await,
        "body",
    );

    // Nothing was written.
    assert_eq!(version(&reference(&app, &staff).await), v0);
    for action in [
        "ledger.farmer.created",
        "ledger.farmer.updated",
        "ledger.flower_type.created",
        "ledger.slot.created",
        "ledger.terms.updated",
        "ledger.advance.given",
    ] {
        assert_eq!(audit_count(&pool, action).await, 0, "{action}");
    }
}

#[sqlx::test(migrations = false)]
async fn another_markets_growers_are_out_of_sight(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    // A second market, with a grower of its own.
    let (other_tenant, other_grower) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = operator(&pool).await;
    sqlx::query(
        "INSERT INTO tenants (id, slug, name, kind) VALUES ($1, 'thovalai', 'Thovalai flower market', 'market')",
    )
    .bind(other_tenant)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO ledger_farmers (tenant_id, id, farmer_no, name_en) VALUES ($1, $2, 900, 'Elsewhere')")
        .bind(other_tenant)
        .bind(other_grower)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (status, _) =
        patch(&app, &format!("/api/v1/ledger/farmers/{other_grower}"), &json!({ "nameEn": "Taken over" }), &admin)
            .await;
    assert_eq!(status, 404);
    names_field(
        app.post_json("/api/v1/ledger/advances", &json!({ "farmerId": other_grower, "amount": "100" }), Some(&admin))
            .await,
        "farmerId",
    );
    let (_, listed) = app.get_json_as("/api/v1/ledger/farmers?q=Elsewhere", &admin).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
    // Their number is theirs: this market may use 900 too.
    let (status, body) =
        app.post_json("/api/v1/ledger/farmers", &json!({ "farmerNo": 900, "nameEn": "Here" }), Some(&admin)).await;
    assert_eq!(status, 201, "{body}");
    let mut tx = operator(&pool).await;
    let name: String = sqlx::query_scalar("SELECT name_en FROM ledger_farmers WHERE id = $1")
        .bind(other_grower)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(name, "Elsewhere");

    // A store's admin has no ledger at all.
    let store_admin = access_token(&app, "admin@greenharvest.demo").await;
    let (status, _) = app.get_json_as("/api/v1/ledger/farmers", &store_admin).await;
    assert!(status == 403 || status == 404, "{status}");
}

#[sqlx::test(migrations = false)]
async fn the_admin_screens_render_in_both_languages(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let as_admin = format!("mandi_session={admin}");
    for path in [
        "/ledger/admin",
        "/ledger/admin/growers",
        "/ledger/admin/flowers",
        "/ledger/admin/slots",
        "/ledger/admin/terms",
        "/ledger/admin/advances",
    ] {
        let page = app.get_html_with_cookies(path, &as_admin).await;
        assert_eq!(page.status().as_u16(), 200, "{path}");
    }
    let html = app.get_html_with_cookies("/ledger/admin/growers?q=1", &as_admin).await.text().await.unwrap();
    assert!(html.contains("data-testid=\"grower-form\""), "the admin gets the form");
    assert!(html.contains("data-testid=\"error-phone\""));
    assert!(html.contains("grower-row"));
    let html = app
        .get_html_with_cookies("/ledger/admin/terms", &format!("{as_admin}; mandi_lang=ta"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("சந்தை விதிமுறைகள்"), "in Tamil");
    assert!(html.contains("value=\"10.00\""), "the current commission");
    // Staff see the lists, without the forms.
    let html = app
        .get_html_with_cookies("/ledger/admin/flowers", &format!("mandi_session={staff}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("flower-row") && !html.contains("flower-form"));
}
