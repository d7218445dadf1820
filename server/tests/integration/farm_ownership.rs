//! Farm ownership end to end: owners' farms and statements (their own only, by code
//! and by row-level security), the estate admin's farms, agreements, revenue and
//! costs, and distributions paid to the paisa, once, with every hostile case refused.

use crate::support;
use app::domain::distribution::{Month, ist_date};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::str::FromStr;
use support::{TestApp, access_token, audit_count, operator, person_with_roles, send, user_id};
use uuid::Uuid;

async fn tenant(pool: &PgPool, slug: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1").bind(slug).fetch_one(pool).await.unwrap()
}

/// A farm of the estate of its own, with `units` share units.
async fn new_farm(pool: &PgPool, units: i32) -> (Uuid, String) {
    let estate = tenant(pool, "darjberry").await;
    let id = Uuid::now_v7();
    let slug = format!("test-farm-{}", &id.simple().to_string()[24..]);
    let mut tx = operator(pool).await;
    sqlx::query(
        "INSERT INTO farms (tenant_id, id, slug, name, region, state, total_units) VALUES ($1, $2, $3, $3, 'Test', 'WB', $4)",
    )
    .bind(estate)
    .bind(id)
    .bind(&slug)
    .bind(units)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (id, slug)
}

fn today() -> chrono::NaiveDate {
    ist_date(chrono::Utc::now())
}

/// A month long over, with no demo money in it.
fn old_month() -> Month {
    Month::containing(today() - chrono::Days::new(400))
}

fn day_in(month: Month, day: u32) -> String {
    (month.first_day() + chrono::Days::new(u64::from(day - 1))).to_string()
}

async fn agreement(
    app: &TestApp,
    admin: &str,
    farm: &str,
    owner: &str,
    units: i32,
    from: &str,
    to: Option<&str>,
) -> (u16, Value) {
    let body =
        json!({ "owner": owner, "units": units.to_string(), "startsOn": from, "endsOn": to, "pricePaid": "25000" });
    send(app, "POST", &format!("/api/v1/admin/farms/{farm}/agreements"), Some(body), admin).await
}

async fn money(
    app: &TestApp,
    admin: &str,
    farm: &str,
    kind: &str,
    on: &str,
    label: &str,
    amount: &str,
) -> (u16, Value) {
    let body = json!({ "kind": kind, "on": on, "label": label, "amount": amount });
    send(app, "POST", &format!("/api/v1/admin/farms/{farm}/money"), Some(body), admin).await
}

fn decimal(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_owner_sees_their_farms_with_score_breakdown_trend_and_payouts(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let token = access_token(&app, "customer@darjberry.demo").await;
    let (status, body) = send(&app, "GET", "/api/v1/me/farms", None, &token).await;
    assert_eq!(status, 200, "{body}");
    let farms = body["data"].as_array().unwrap();
    assert_eq!(farms.len(), 2, "customer@darjberry.demo holds shares in two farms");
    for f in farms {
        let score = f["health"]["score"].as_u64().unwrap();
        assert!(score <= 100);
        assert_eq!(f["health"]["survival"]["weight"], 40);
        assert!(f["trend"].as_array().unwrap().len() >= 30, "daily snapshots give the trend: {}", f["trend"]);
        assert!(f["holdings"].as_array().is_some_and(|h| !h.is_empty()));
        assert!(f["lastPayout"]["net"].is_string(), "the demo's settled months paid this owner: {f}");
    }
    let slug = farms[0]["slug"].as_str().unwrap();
    let (status, detail) = send(&app, "GET", &format!("/api/v1/me/farms/{slug}"), None, &token).await;
    assert_eq!(status, 200, "{detail}");
    assert!(!detail["data"]["plants"].as_array().unwrap().is_empty());
    assert_eq!(detail["data"]["periods"].as_array().unwrap().len(), 12);
    assert!(!detail["data"]["statements"].as_array().unwrap().is_empty());

    // The page renders for the owner with the chart and the breakdown in words.
    let cookies = web_cookies(&app, "customer@darjberry.demo").await;
    let page = app.get_html_with_cookies("/my/farms", &cookies).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"health-breakdown\"") && html.contains("<svg"), "chart and breakdown");
    // The demo's weekly visits count as care, said in words; with no reading the
    // conditions part says it is missing rather than hiding it.
    assert!(html.contains("Last visit") && html.contains("days ago"), "care from the visits");
    assert!(html.contains("No sensor or weather readings"), "a missing input is said, not hidden");
}

/// A browser's session: the access token in the session cookie.
async fn web_cookies(app: &TestApp, email: &str) -> String {
    format!("mandi_session={}", access_token(app, email).await)
}

#[sqlx::test(migrations = false)]
async fn someone_elses_farm_or_statement_is_not_found(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let token = access_token(&app, "customer@darjberry.demo").await;
    let me = user_id(&pool, "customer@darjberry.demo").await;
    let mut tx = operator(&pool).await;
    let (theirs, their_farm): (Uuid, String) = sqlx::query_as(
        "SELECT p.id, f.slug FROM payouts p JOIN farms f ON f.id = p.farm_id WHERE p.owner_id <> $1
         AND NOT EXISTS (SELECT 1 FROM ownership_agreements a WHERE a.farm_id = f.id AND a.owner_id = $1) LIMIT 1",
    )
    .bind(me)
    .fetch_one(&mut *tx)
    .await
    .expect("a payout of a farm the customer does not hold");
    drop(tx);
    for path in [
        format!("/api/v1/me/statements/{theirs}"),
        format!("/api/v1/me/statements/{theirs}/pdf"),
        format!("/api/v1/me/farms/{their_farm}"),
        "/api/v1/me/statements/not-a-uuid".to_string(),
        format!("/api/v1/me/statements/{}", Uuid::now_v7()),
    ] {
        let (status, body) = send(&app, "GET", &path, None, &token).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{path}");
    }
    // The browser's download door too.
    let cookies = web_cookies(&app, "customer@darjberry.demo").await;
    let r = app.get_html_with_cookies(&format!("/my/statements/{theirs}/pdf"), &cookies).await;
    assert_eq!(r.status(), 404);
}

#[sqlx::test(migrations = false)]
async fn row_level_security_narrows_an_owner_to_their_own_rows(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let estate = tenant(&pool, "darjberry").await;
    let me = user_id(&pool, "customer@darjberry.demo").await;
    let mut tx = app::db::owner_tx(&pool, estate, me).await.unwrap();
    // No WHERE: the policies alone.
    let others: i64 = sqlx::query_scalar("SELECT count(*) FROM ownership_agreements WHERE owner_id <> $1")
        .bind(me)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(others, 0);
    let other_payouts: i64 = sqlx::query_scalar("SELECT count(*) FROM payouts WHERE owner_id <> $1")
        .bind(me)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(other_payouts, 0);
    let farms: i64 = sqlx::query_scalar("SELECT count(*) FROM farms").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(farms, 2, "only the farms held");
    let foreign_counts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM plant_counts p WHERE NOT EXISTS
           (SELECT 1 FROM ownership_agreements a WHERE a.farm_id = p.farm_id)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(foreign_counts, 0);
    // The estate's admin scope (no owner) sees every farm.
    let mut admin = app::db::tenant_tx(&pool, estate).await.unwrap();
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM farms").fetch_one(&mut *admin).await.unwrap();
    assert!(all > 2);
}

#[sqlx::test(migrations = false)]
async fn a_distribution_previews_approves_once_and_pays_to_the_paisa(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@darjberry.demo").await;
    let (_, farm) = new_farm(&pool, 1000).await;
    let month = old_month();
    let start = (month.first_day() - chrono::Days::new(60)).to_string();
    let owners: Vec<Uuid> = [
        person_with_roles(&pool, "darjberry", &["customer"]).await,
        person_with_roles(&pool, "darjberry", &["customer"]).await,
        person_with_roles(&pool, "darjberry", &["customer"]).await,
    ]
    .to_vec();
    assert_eq!(agreement(&app, &admin, &farm, &owners[0].to_string(), 333, &start, None).await.0, 201);
    assert_eq!(agreement(&app, &admin, &farm, &owners[1].to_string(), 333, &start, None).await.0, 201);
    // The third joins on the 11th: it counts its days only.
    assert_eq!(agreement(&app, &admin, &farm, &owners[2].to_string(), 334, &day_in(month, 11), None).await.0, 201);
    assert_eq!(money(&app, &admin, &farm, "revenue", &day_in(month, 5), "auction", "100000.01").await.0, 201);
    assert_eq!(money(&app, &admin, &farm, "revenue", &day_in(month, 20), "direct", "2345.67").await.0, 201);
    assert_eq!(money(&app, &admin, &farm, "cost", &day_in(month, 7), "labour", "12000").await.0, 201);

    let (status, preview) =
        send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": farm, "period": month.to_string() })), &admin)
            .await;
    assert_eq!(status, 200, "{preview}");
    let run = &preview["data"];
    assert_eq!(run["status"], "preview");
    let distributable = decimal(&run["distributable"]);
    let fee = decimal(&run["platformFee"]);
    assert_eq!(distributable, decimal(&run["revenue"]) - fee - Decimal::from(12000));
    let id = run["id"].as_str().unwrap().to_string();

    let (status, approved) = send(&app, "POST", &format!("/api/v1/distributions/{id}/approve"), None, &admin).await;
    assert_eq!(status, 200, "{approved}");
    let payouts = approved["data"]["payouts"].as_array().unwrap();
    assert_eq!(payouts.len(), 3);
    let sum: Decimal = payouts.iter().map(|p| decimal(&p["gross"])).sum();
    assert_eq!(sum, distributable, "the parts add up to the paisa");
    for p in payouts {
        assert_eq!(decimal(&p["net"]), decimal(&p["gross"]) - decimal(&p["tds"]));
    }
    let late = payouts.iter().find(|p| p["ownerId"] == owners[2].to_string()).unwrap();
    assert_eq!(late["unitDays"], 334 * (month.days() - 10));

    // Again: the same run, no second set of payouts; a new preview answers it too.
    let (status, again) = send(&app, "POST", &format!("/api/v1/distributions/{id}/approve"), None, &admin).await;
    assert_eq!((status, &again["data"]["id"]), (200, &approved["data"]["id"]));
    let (_, re_preview) =
        send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": farm, "period": month.to_string() })), &admin)
            .await;
    assert_eq!(re_preview["data"]["id"], approved["data"]["id"]);
    let mut tx = operator(&pool).await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM payouts WHERE run_id = $1::uuid")
        .bind(&id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(count, 3);
    drop(tx);
    assert!(audit_count(&pool, "distribution.approved").await >= 1);

    // The owners hear of it, through the job, in their language.
    support::wait_for("owners to be told", std::time::Duration::from_secs(10), async || {
        let mut tx = operator(&pool).await;
        let n: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT user_id) FROM notification_outbox WHERE template = 'distribution_approved' AND user_id = ANY($1)",
        )
        .bind(&owners)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        n == 3
    })
    .await;

    // The paid month is frozen: costs, revenue and backdated agreements are refused.
    let (status, body) = money(&app, &admin, &farm, "cost", &day_in(month, 9), "transport", "10").await;
    assert_eq!(status, 409, "{body}");
    let newcomer = person_with_roles(&pool, "darjberry", &["customer"]).await;
    let mut tx = operator(&pool).await;
    sqlx::query("UPDATE farms SET total_units = 2000 WHERE slug = $1").bind(&farm).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let (status, body) = agreement(&app, &admin, &farm, &newcomer.to_string(), 10, &day_in(month, 2), None).await;
    assert_eq!(status, 409, "an agreement backdated into a paid month is refused: {body}");
    let after = month.next().first_day().to_string();
    let (status, body) = agreement(&app, &admin, &farm, &newcomer.to_string(), 10, &after, None).await;
    assert_eq!(status, 201, "from the next month on it is fine: {body}");
}

#[sqlx::test(migrations = false)]
async fn approval_refuses_a_preview_whose_inputs_changed(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@darjberry.demo").await;
    let (_, farm) = new_farm(&pool, 100).await;
    let month = old_month();
    let owner = person_with_roles(&pool, "darjberry", &["customer"]).await;
    agreement(&app, &admin, &farm, &owner.to_string(), 50, &day_in(month, 1), None).await;
    money(&app, &admin, &farm, "revenue", &day_in(month, 3), "auction", "5000").await;
    let (_, preview) =
        send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": farm, "period": month.to_string() })), &admin)
            .await;
    let id = preview["data"]["id"].as_str().unwrap().to_string();
    money(&app, &admin, &farm, "cost", &day_in(month, 4), "labour", "100").await;
    let (status, body) = send(&app, "POST", &format!("/api/v1/distributions/{id}/approve"), None, &admin).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "CONFLICT");
    // Rates changed since the preview: also refused.
    let (_, fresh) =
        send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": farm, "period": month.to_string() })), &admin)
            .await;
    let fresh_id = fresh["data"]["id"].as_str().unwrap().to_string();
    let (status, _) = send(
        &app,
        "PUT",
        "/api/v1/admin/ownership-settings",
        Some(json!({ "platformFeePercent": "7.5", "tdsPercent": "10" })),
        &admin,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(&app, "POST", &format!("/api/v1/distributions/{fresh_id}/approve"), None, &admin).await;
    assert_eq!(status, 409);
    // The replaced first preview no longer exists.
    let (status, _) = send(&app, "POST", &format!("/api/v1/distributions/{id}/approve"), None, &admin).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn nothing_to_pay_is_said_and_still_closes_the_month(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@darjberry.demo").await;
    let (_, farm) = new_farm(&pool, 100).await;
    let month = old_month();
    let owner = person_with_roles(&pool, "darjberry", &["customer"]).await;
    agreement(&app, &admin, &farm, &owner.to_string(), 50, &day_in(month, 1), None).await;
    let (_, run) =
        send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": farm, "period": month.to_string() })), &admin)
            .await;
    assert_eq!(run["data"]["nothingToPay"], "NO_REVENUE");
    assert!(run["data"]["payouts"].as_array().unwrap().is_empty());

    let next = month.next();
    money(&app, &admin, &farm, "revenue", &day_in(next, 3), "auction", "1000").await;
    money(&app, &admin, &farm, "cost", &day_in(next, 4), "fertiliser", "1500").await;
    let (_, run) =
        send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": farm, "period": next.to_string() })), &admin)
            .await;
    assert_eq!(run["data"]["nothingToPay"], "COSTS_EXCEED_REVENUE", "{run}");
    assert!(decimal(&run["data"]["distributable"]) < Decimal::ZERO);
    let id = run["data"]["id"].as_str().unwrap();
    let (status, approved) = send(&app, "POST", &format!("/api/v1/distributions/{id}/approve"), None, &admin).await;
    assert_eq!(status, 200);
    assert_eq!(approved["data"]["status"], "approved");
    assert!(approved["data"]["payouts"].as_array().unwrap().is_empty());
}

#[sqlx::test(migrations = false)]
async fn hostile_input_gets_field_errors_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@darjberry.demo").await;
    let (_, farm) = new_farm(&pool, 100).await;
    let owner = person_with_roles(&pool, "darjberry", &["customer"]).await;
    let stranger = user_id(&pool, "customer@greenharvest.demo").await;
    let month = old_month();

    let (status, body) =
        agreement(&app, &admin, &farm, &owner.to_string(), 10, &day_in(month, 10), Some(&day_in(month, 9))).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["endsOn"].is_string(), "{body}");
    let (status, body) = agreement(&app, &admin, &farm, &stranger.to_string(), 10, &day_in(month, 1), None).await;
    assert_eq!(status, 400, "another tenant's customer: {body}");
    assert!(body["error"]["fields"]["owner"].is_string());
    let (status, body) = agreement(&app, &admin, &farm, &owner.to_string(), 101, &day_in(month, 1), None).await;
    assert_eq!(status, 409, "more units than the farm has: {body}");
    for (field, amount) in [("amount", "-5"), ("amount", "12.345"), ("amount", "abc"), ("amount", "0")] {
        let (status, body) = money(&app, &admin, &farm, "cost", &day_in(month, 1), "labour", amount).await;
        assert_eq!(status, 400, "{amount}");
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    let (status, body) = money(&app, &admin, &farm, "revenue", &day_in(month, 1), "lottery", "5").await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["label"].is_string());
    let this_month = Month::containing(today()).to_string();
    let (status, body) =
        send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": farm, "period": this_month })), &admin).await;
    assert_eq!(status, 400, "a month not over yet: {body}");
    let (status, body) = send(
        &app,
        "POST",
        &format!("/api/v1/admin/farms/{farm}/money/import"),
        Some(json!({ "csv": "kind,on,label,amount\nrevenue,2025-01-03,auction,100\ncost,2025-13-01,labour,-1\n" })),
        &admin,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["fields"]["line 3.on"].is_string() && body["error"]["fields"]["line 3.amount"].is_string());
    let (status, body) = send(
        &app,
        "PUT",
        &format!("/api/v1/admin/farms/{farm}"),
        Some(json!({ "totalUnits": "100", "latitude": "95", "longitude": "88" })),
        &admin,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["latitude"].is_string());
    let mut tx = operator(&pool).await;
    let lines: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM farm_revenue r JOIN farms f ON f.id = r.farm_id WHERE f.slug = $1)
              + (SELECT count(*) FROM farm_costs c JOIN farms f ON f.id = c.farm_id WHERE f.slug = $1)
              + (SELECT count(*) FROM ownership_agreements a JOIN farms f ON f.id = a.farm_id WHERE f.slug = $1)",
    )
    .bind(&farm)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(lines, 0, "nothing was written, not even the good line of the bad import");
    // Units below what is held are refused too.
    drop(tx);
    agreement(&app, &admin, &farm, &owner.to_string(), 80, &day_in(month, 1), None).await;
    let (status, body) =
        send(&app, "PUT", &format!("/api/v1/admin/farms/{farm}"), Some(json!({ "totalUnits": "79" })), &admin).await;
    assert_eq!(status, 409, "{body}");
}

#[sqlx::test(migrations = false)]
async fn racing_agreements_never_oversubscribe_a_farm(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@darjberry.demo").await;
    let (_, farm) = new_farm(&pool, 100).await;
    let mut owners = Vec::new();
    for _ in 0..8 {
        owners.push(person_with_roles(&pool, "darjberry", &["customer"]).await);
    }
    let start = today().to_string();
    let ids: Vec<String> = owners.iter().map(Uuid::to_string).collect();
    let requests = ids.iter().map(|o| agreement(&app, &admin, &farm, o, 30, &start, None));
    let results = futures::future::join_all(requests).await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    let refused = results.iter().filter(|(s, _)| *s == 409).count();
    assert_eq!((created, refused), (3, 5), "{results:?}");
    let mut tx = operator(&pool).await;
    let held: i64 = sqlx::query_scalar(
        "SELECT sum(a.units) FROM ownership_agreements a JOIN farms f ON f.id = a.farm_id WHERE f.slug = $1",
    )
    .bind(&farm)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(held, 90);
}

#[sqlx::test(migrations = false)]
async fn payouts_are_marked_paid_once_and_owners_download_their_statement(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@darjberry.demo").await;
    let me = user_id(&pool, "customer@darjberry.demo").await;
    let mut tx = operator(&pool).await;
    let pending: Uuid = sqlx::query_scalar("SELECT id FROM payouts WHERE owner_id = $1 AND status = 'pending' LIMIT 1")
        .bind(me)
        .fetch_one(&mut *tx)
        .await
        .expect("the demo leaves the last month pending");
    drop(tx);
    let path = format!("/api/v1/distributions/payouts/{pending}/paid");
    let (status, body) = send(&app, "POST", &path, Some(json!({ "bankReference": "" })), &admin).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = send(&app, "POST", &path, Some(json!({ "bankReference": "UTR123" })), &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "paid");
    let (status, _) = send(&app, "POST", &path, Some(json!({ "bankReference": "UTR123" })), &admin).await;
    assert_eq!(status, 200, "the same reference again is a no-op");
    let (status, _) = send(&app, "POST", &path, Some(json!({ "bankReference": "UTR999" })), &admin).await;
    assert_eq!(status, 409);
    let mut tx = operator(&pool).await;
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_outbox WHERE template = 'payout_paid' AND user_id = $1 AND body LIKE '%UTR123%'",
    )
    .bind(me)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(told >= 1, "the owner is told");
    drop(tx);

    let token = access_token(&app, "customer@darjberry.demo").await;
    let (status, statement) = send(&app, "GET", &format!("/api/v1/me/statements/{pending}"), None, &token).await;
    assert_eq!(status, 200);
    assert_eq!(statement["data"]["bankReference"], "UTR123");
    let response = app
        .client
        .get(app.url(&format!("/api/v1/me/statements/{pending}/pdf")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("no-store"));
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    // The annual statement of the financial year, as JSON and as a PDF.
    let fy = app::domain::distribution::financial_year_of(today());
    let label = app::farms::model::financial_year_label(fy);
    let (status, annual) = send(&app, "GET", &format!("/api/v1/me/statements/annual/{label}"), None, &token).await;
    assert_eq!(status, 200, "{annual}");
    let (status, _) = send(&app, "GET", "/api/v1/me/statements/annual/2026-28", None, &token).await;
    assert_eq!(status, 400);
}

#[sqlx::test(migrations = false)]
async fn only_the_estates_admin_runs_ownership(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let owner = access_token(&app, "customer@darjberry.demo").await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let store_admin = access_token(&app, "admin@greenharvest.demo").await;
    for token in [&owner, &agent] {
        let (status, _) = send(&app, "GET", "/api/v1/admin/farms", None, token).await;
        assert_eq!(status, 403);
        let (status, _) =
            send(&app, "POST", "/api/v1/distributions", Some(json!({ "farm": "x", "period": "2025-01" })), token).await;
        assert_eq!(status, 403);
    }
    let (status, _) = send(&app, "GET", "/api/v1/me/farms", None, &agent).await;
    assert_eq!(status, 403, "a field agent holds no shares");
    // Another tenant's admin cannot reach darjberry's farms.
    let mut tx = operator(&pool).await;
    let slug: String = sqlx::query_scalar(
        "SELECT f.slug FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = 'darjberry' LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    drop(tx);
    let (status, _) = send(&app, "GET", &format!("/api/v1/admin/farms/{slug}/agreements"), None, &store_admin).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn the_daily_snapshot_scores_every_estate_farm(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let (farm, _) = new_farm(&pool, 10).await;
    let mut tx = operator(&pool).await;
    let day = today() + chrono::Days::new(1);
    let scored = app::farms::health_service::snapshot_day(&mut tx, day).await.unwrap();
    let estate_farms: i64 =
        sqlx::query_scalar("SELECT count(*) FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.kind = 'estate'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(scored as i64, estate_farms);
    let (score, basis): (i16, String) = sqlx::query_as(
        "SELECT score, breakdown -> 'survival' ->> 'basis' FROM farm_health_snapshots WHERE farm_id = $1 AND day = $2",
    )
    .bind(farm)
    .bind(day)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!((score, basis.as_str()), (35, "Missing"), "no data: the documented score of missing inputs");
}
