//! Settlements over `/api/v1/ledger/settlements`: the figures equal the domain rules
//! over the entries, advances are recovered oldest first and never twice, entries are
//! locked once settled, approval queues the slip on WhatsApp in the grower's language
//! (delivered by the sandbox), the link opens the slip without signing in, payment is
//! recorded; growers see and approve only their own.

use crate::support;

use app::domain::kilograms::Kg;
use app::domain::money::Money;
use app::domain::settlement::{MarketTerms, OutstandingAdvance, settle};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, access_token, audit_count, operator, wait_for};
use uuid::Uuid;

/// The demo's morning of entries (yesterday's before the market opens at 04:00 IST).
fn demo_day() -> String {
    server::demo::market::demo_day(chrono::Utc::now()).to_string()
}

fn money(v: &Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")).parse().unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_market_day_settles_by_the_rules_and_the_slip_reaches_the_grower(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let farmer = access_token(&app, "farmer@malar.demo").await;
    let day = demo_day();

    // Staff and growers do not generate.
    let (status, _) =
        app.post_json("/api/v1/ledger/settlements", &json!({ "from": day, "to": day }), Some(&staff)).await;
    assert_eq!(status, 403);
    let (status, body) =
        app.post_json("/api/v1/ledger/settlements", &json!({ "from": day, "to": "2020-01-01" }), Some(&admin)).await;
    assert_eq!((status, body["error"]["fields"]["to"].is_string()), (400, true));

    let (status, outcome) =
        app.post_json("/api/v1/ledger/settlements", &json!({ "from": day, "to": day }), Some(&admin)).await;
    assert_eq!(status, 201, "{outcome}");
    let settlements = outcome["data"]["settlements"].as_array().unwrap().clone();
    assert_eq!(settlements.len(), 40, "every demo grower had entries this morning");
    assert_eq!(audit_count(&pool, "ledger.settlement.generated").await, 1);

    // Each slip's figures are the domain's over that grower's entries.
    let terms = MarketTerms {
        commission_percent: Decimal::TEN,
        fee_per_entry: Money::from_rupees(2),
        fee_per_kg: Money::parse("0.50").unwrap(),
    };
    let mut tx = operator(&pool).await;
    for s in &settlements {
        let rows: Vec<(Decimal, Decimal)> = sqlx::query_as("SELECT rate, quantity_kg FROM ledger_entries WHERE ledger_entry_settlement(tenant_id, farmer_id, market_date, change_seq, status) = $1::uuid")
            .bind(s["id"].as_str().unwrap())
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let lines: Vec<(Money, Kg)> =
            rows.iter().map(|(r, q)| (Money::from_decimal(*r), Kg::from_decimal(*q).unwrap())).collect();
        let advances: Vec<OutstandingAdvance> = if s["farmerNo"] == 1 {
            vec![OutstandingAdvance {
                id: Uuid::nil(),
                given_on: chrono::NaiveDate::MIN,
                outstanding: Money::from_rupees(2000),
            }]
        } else {
            vec![]
        };
        let expected = settle(&lines, &terms, &advances);
        assert_eq!(s["entryCount"].as_u64().unwrap() as usize, lines.len());
        assert_eq!(money(&s["gross"]), expected.gross.amount(), "{s}");
        assert_eq!(money(&s["commission"]), expected.commission.amount());
        assert_eq!(money(&s["fees"]), expected.fees.amount());
        assert_eq!(money(&s["advanceRecovered"]), expected.advance_recovered.amount());
        assert_eq!(money(&s["netPayable"]), expected.net_payable.amount());
        assert_eq!(
            money(&s["netPayable"]) + money(&s["commission"]) + money(&s["fees"]) + money(&s["advanceRecovered"]),
            money(&s["gross"]) + money(&s["shortfall"])
        );
        assert_eq!(s["status"], "generated");
    }
    let unsettled: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE ledger_entry_settlement(tenant_id, farmer_id, market_date, change_seq, status) IS NULL AND status = 'recorded'")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(unsettled, 0);
    let entry: Uuid =
        sqlx::query_scalar("SELECT client_id FROM ledger_entries LIMIT 1").fetch_one(&mut *tx).await.unwrap();
    drop(tx);

    // Nothing is settled twice, and a settled entry is locked.
    let (_, again) =
        app.post_json("/api/v1/ledger/settlements", &json!({ "from": day, "to": day }), Some(&admin)).await;
    assert_eq!(again["data"]["settlements"].as_array().unwrap().len(), 0);
    let (_, edit) = app
        .post_json(
            "/api/v1/ledger/sync",
            &json!({ "deviceId": Uuid::now_v7(), "mutations": [{ "mutationId": 1, "op": "update", "entry": { "clientId": entry, "quantityKg": "1" } }] }),
            Some(&staff),
        )
        .await;
    assert_eq!(edit["data"]["results"][0]["reason"], "SETTLED", "{edit}");

    // The grower with the advance: recovered up to what it owes, and only once.
    let own = settlements.iter().find(|s| s["farmerNo"] == 1).unwrap();
    let own_id = own["id"].as_str().unwrap();
    let other_id = settlements.iter().find(|s| s["farmerNo"] == 2).unwrap()["id"].as_str().unwrap();
    assert!(money(&own["advanceRecovered"]) > Decimal::ZERO);
    let mut tx = operator(&pool).await;
    let outstanding: Decimal =
        sqlx::query_scalar("SELECT sum(outstanding) FROM ledger_advance_balances WHERE kind = 'advance'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(outstanding, Decimal::from(2000) - money(&own["advanceRecovered"]));
    drop(tx);

    // Growers see their own slip only, and approve only their own.
    let (status, slip) = app.get_json_as(&format!("/api/v1/ledger/settlements/{own_id}"), &farmer).await;
    assert_eq!(status, 200, "{slip}");
    assert!(!slip["data"]["lines"].as_array().unwrap().is_empty());
    assert!(
        slip["data"]["lines"][0]["flowerTa"].as_str().unwrap().chars().any(|c| ('\u{0B80}'..='\u{0BFF}').contains(&c))
    );
    // The slip's lines are the entries the settlement took, per flower and rate.
    let lines = slip["data"]["lines"].as_array().unwrap();
    assert_eq!(lines.iter().map(|l| money(&l["amount"])).sum::<Decimal>(), money(&own["gross"]), "{slip}");
    assert_eq!(
        lines.iter().map(|l| l["entryCount"].as_u64().unwrap()).sum::<u64>(),
        own["entryCount"].as_u64().unwrap()
    );
    let (status, _) = app.get_json_as(&format!("/api/v1/ledger/settlements/{other_id}"), &farmer).await;
    assert_eq!(status, 404);
    let (_, listed) = app.get_json_as("/api/v1/ledger/settlements", &farmer).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let (status, _) =
        app.post_json(&format!("/api/v1/ledger/settlements/{other_id}/approve"), &json!({}), Some(&farmer)).await;
    assert_eq!(status, 404);
    // Not approved: not payable.
    let (status, _) = app
        .post_json(&format!("/api/v1/ledger/settlements/{own_id}/paid"), &json!({ "method": "cash" }), Some(&admin))
        .await;
    assert_eq!(status, 409);

    // The grower approves: the slip goes out on WhatsApp, in Tamil, with a link.
    let (status, approved) =
        app.post_json(&format!("/api/v1/ledger/settlements/{own_id}/approve"), &json!({}), Some(&farmer)).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["data"]["settlement"]["status"], "approved");
    assert_eq!(approved["data"]["approvals"][0]["role"], "farmer");
    let mut tx = operator(&pool).await;
    let (channel, language, body): (String, String, String) =
        sqlx::query_as("SELECT channel, language, body FROM notification_outbox WHERE template = 'ledger_settlement'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    drop(tx);
    assert_eq!((channel.as_str(), language.as_str()), ("whatsapp", "ta"));
    assert!(body.contains("நிகரத் தொகை") && body.contains(own["number"].as_str().unwrap()), "{body}");
    let link = body.lines().last().unwrap().rsplit_once(' ').unwrap().1.to_string();
    let token = link.rsplit('/').next().unwrap();
    assert!(link.contains("/ledger/slip/"), "{link}");
    // Staff approve too: the approval is added, the message is not sent twice.
    let (status, twice) =
        app.post_json(&format!("/api/v1/ledger/settlements/{own_id}/approve"), &json!({}), Some(&staff)).await;
    assert_eq!(status, 200);
    assert_eq!(twice["data"]["approvals"].as_array().unwrap().len(), 2);
    let mut tx = operator(&pool).await;
    let messages: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notification_outbox WHERE template = 'ledger_settlement'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(messages, 1);
    drop(tx);
    // The sandbox delivers it; the settlement shows the status.
    wait_for("the slip delivered", std::time::Duration::from_secs(20), async || {
        let (_, s) = app.get_json_as(&format!("/api/v1/ledger/settlements/{own_id}"), &admin).await;
        matches!(s["data"]["settlement"]["messageStatus"].as_str(), Some("delivered" | "read"))
    })
    .await;

    // The link opens the slip without signing in; a wrong one does not.
    let (status, public) = app.get_json(&format!("/api/v1/ledger/slips/{token}")).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["data"]["settlement"]["id"], json!(own_id));
    let (status, _) = app.get_json(&format!("/api/v1/ledger/slips/{}", "A".repeat(43))).await;
    assert_eq!(status, 404);
    let (status, _) = app.get_json("/api/v1/ledger/slips/short").await;
    assert_eq!(status, 404);

    // Paid, once; a paid settlement is not approved again.
    let (status, body) = app
        .post_json(&format!("/api/v1/ledger/settlements/{own_id}/paid"), &json!({ "method": "gold" }), Some(&admin))
        .await;
    assert_eq!((status, body["error"]["fields"]["method"].is_string()), (400, true));
    let (status, paid) = app
        .post_json(
            &format!("/api/v1/ledger/settlements/{own_id}/paid"),
            &json!({ "method": "upi", "reference": "UPI-42" }),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["data"]["status"], "paid");
    let (status, _) =
        app.post_json(&format!("/api/v1/ledger/settlements/{own_id}/approve"), &json!({}), Some(&staff)).await;
    assert_eq!(status, 409);
    // A message that did not fail is not resent.
    let (status, _) =
        app.post_json(&format!("/api/v1/ledger/settlements/{own_id}/resend"), &json!({}), Some(&staff)).await;
    assert_eq!(status, 409);
}

#[sqlx::test(migrations = false)]
async fn deductions_beyond_gross_are_carried_forward_not_lost(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let day = demo_day();
    // A market whose fees exceed what a small load earns.
    let mut tx = operator(&pool).await;
    sqlx::query("UPDATE ledger_settings SET fee_per_kg = 5000").execute(&mut *tx).await.unwrap();
    let farmer: Uuid =
        sqlx::query_scalar("SELECT id FROM ledger_farmers WHERE farmer_no = 2").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let (status, outcome) = app
        .post_json("/api/v1/ledger/settlements", &json!({ "farmerId": farmer, "from": day, "to": day }), Some(&admin))
        .await;
    assert_eq!(status, 201, "{outcome}");
    let s = &outcome["data"]["settlements"][0];
    assert_eq!(money(&s["netPayable"]), Decimal::ZERO);
    assert!(money(&s["shortfall"]) > Decimal::ZERO);
    let mut tx = operator(&pool).await;
    let carried: Decimal =
        sqlx::query_scalar("SELECT amount FROM ledger_advances WHERE kind = 'carry_forward' AND farmer_id = $1")
            .bind(farmer)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(carried, money(&s["shortfall"]));
    // Unknown growers and bad ids are named.
    drop(tx);
    let (status, body) = app
        .post_json(
            "/api/v1/ledger/settlements",
            &json!({ "farmerId": Uuid::now_v7(), "from": day, "to": day }),
            Some(&admin),
        )
        .await;
    assert_eq!((status, body["error"]["fields"]["farmerId"].is_string()), (400, true));
    let (status, _) = app
        .post_json("/api/v1/ledger/settlements", &json!({ "farmerId": "nine", "from": day, "to": day }), Some(&admin))
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .post_json("/api/v1/ledger/settlements", &json!({ "from": "2026-01-01", "to": "2026-12-31" }), Some(&admin))
        .await;
    assert_eq!(status, 400);
}
