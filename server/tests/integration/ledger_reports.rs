//! The ledger's reports over `/api/v1/ledger/reports/…` and their pages: figures equal
//! the entries in the database, growers see only their own, a statement follows the
//! advance from given to recovered, and bad questions are named field by field.

use crate::support;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use support::{TestApp, access_token, operator};

/// The demo's morning of entries (yesterday's before the market opens at 04:00 IST).
fn demo_day() -> String {
    server::demo::market::demo_day(chrono::Utc::now()).to_string()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")).parse().unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_day_book_and_flower_summary_add_up_to_the_entries(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let day = demo_day();

    let (status, body) = app.get_json_as(&format!("/api/v1/ledger/reports/day-book?date={day}"), &staff).await;
    assert_eq!(status, 200, "{body}");
    let book = &body["data"];
    let mut tx = operator(&pool).await;
    let (count, kg, gross): (i64, Decimal, Decimal) = sqlx::query_as(
        "SELECT count(*), sum(quantity_kg), coalesce(sum(total), 0) FROM ledger_entries e JOIN tenants t ON t.id = e.tenant_id
         WHERE t.slug = 'malar' AND market_date = $1::date AND status = 'recorded'",
    )
    .bind(&day)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(count > 0, "the demo has a morning of entries");
    assert_eq!(book["total"]["entries"], count);
    assert_eq!(dec(&book["total"]["quantityKg"]), kg);
    assert_eq!(dec(&book["total"]["gross"]), gross);
    assert_eq!(book["ownOnly"], false);

    // Growers and flowers each add up to the day.
    let growers = book["growers"].as_array().unwrap();
    assert!(growers.len() > 1);
    assert_eq!(growers.iter().map(|g| dec(&g["tally"]["gross"])).sum::<Decimal>(), gross);
    let flowers = book["flowers"].as_array().unwrap();
    assert_eq!(flowers.iter().map(|f| dec(&f["tally"]["gross"])).sum::<Decimal>(), gross);
    assert_eq!(flowers.iter().map(|f| f["tally"]["entries"].as_i64().unwrap()).sum::<i64>(), count);
    let shares: Decimal = flowers.iter().map(|f| f["sharePercent"].as_str().unwrap().parse::<Decimal>().unwrap()).sum();
    assert!(
        (shares - Decimal::ONE_HUNDRED).abs() <= Decimal::new(5, 2) * Decimal::from(flowers.len() as i64),
        "{shares}"
    );
    // The average rate of a flower is its amount over its priced kilograms.
    for f in flowers {
        let (amount, priced): (Decimal, Decimal) = sqlx::query_as(
            "SELECT coalesce(sum(total), 0), coalesce(sum(quantity_kg) FILTER (WHERE rate IS NOT NULL), 0) FROM ledger_entries
             WHERE flower_type_id = $1::uuid AND market_date = $2::date AND status = 'recorded'",
        )
        .bind(f["flowerTypeId"].as_str().unwrap())
        .bind(&day)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(dec(&f["tally"]["gross"]), amount);
        if priced > Decimal::ZERO {
            assert_eq!(
                dec(&f["averageRate"]),
                (amount / priced).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            );
        }
    }

    // A period summary of one day is the day book's flowers.
    let (status, summary) =
        app.get_json_as(&format!("/api/v1/ledger/reports/flower-summary?from={day}&to={day}"), &staff).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["data"]["flowers"], book["flowers"]);
    assert_eq!(summary["data"]["total"], book["total"]);

    // A day with nothing on it is empty, not an error.
    let (status, empty) = app.get_json_as("/api/v1/ledger/reports/day-book?date=2026-01-01", &staff).await;
    assert_eq!(
        (status, empty["data"]["growers"].as_array().unwrap().len(), empty["data"]["total"]["gross"].as_str()),
        (200, 0, Some("0.00"))
    );

    // The page draws the chart (SVG from the server) beside the same table, in Tamil too.
    let page = app
        .get_html_with_cookies(
            &format!("/ledger/reports/flowers?from={day}&to={day}"),
            &format!("mandi_session={staff}"),
        )
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-testid="flower-chart""#) && html.contains("<svg"), "the chart is drawn");
    assert!(html.contains("Jasmine"), "flower names in English");
    let page = app
        .get_html_with_cookies(
            &format!("/ledger/reports/flowers?from={day}&to={day}"),
            &format!("mandi_session={staff}; mandi_lang=ta"),
        )
        .await;
    let html = page.text().await.unwrap();
    assert!(html.contains("பூ வாரியான சுருக்கம்") && html.contains("மல்லி"), "the page and chart in Tamil");
    let page = app
        .get_html_with_cookies(&format!("/ledger/reports/day-book?date={day}"), &format!("mandi_session={staff}"))
        .await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="day-total""#)
            && html.contains(&app::domain::money::Money::from_decimal(gross).format_inr()),
        "the day's total on the page"
    );
}

#[sqlx::test(migrations = false)]
async fn a_statement_follows_deliveries_settlements_and_the_advance(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = access_token(&app, "admin@malar.demo").await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let day = demo_day();
    let month_start = format!("{}-01", &day[..7]);

    // Grower no. 1 owes the demo's ₹2,000 advance, given ten days ago.
    let (status, before) = app
        .get_json_as(&format!("/api/v1/ledger/reports/farmer-statement?farmerId=1&from={day}&to={day}"), &staff)
        .await;
    assert_eq!(status, 200, "{before}");
    let s = &before["data"];
    assert_eq!(
        (s["grower"]["farmerNo"].as_i64(), s["openingAdvance"].as_str(), s["closingAdvance"].as_str()),
        (Some(1), Some("2000.00"), Some("2000.00"))
    );
    assert_eq!(s["unsettled"], s["total"], "nothing settled yet");
    assert!(s["total"]["entries"].as_i64().unwrap() > 0);
    let farmer_id = s["grower"]["id"].as_str().unwrap().to_string();

    // Settle the day: the statement shows the settlement and the recovery.
    let (status, outcome) = app
        .post_json(
            "/api/v1/ledger/settlements",
            &json!({ "farmerId": farmer_id, "from": day, "to": day }),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 201, "{outcome}");
    let settlement = &outcome["data"]["settlements"][0];
    let recovered = dec(&settlement["advanceRecovered"]);
    assert!(recovered > Decimal::ZERO);
    let advance_day =
        (chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap() - chrono::Days::new(10)).to_string();
    let from = advance_day.min(month_start);
    // The recovery is dated when the settlement was made: today, which is after the demo
    // day before the market opens.
    let to = app::domain::market_slot::market_date(chrono::Utc::now()).to_string();
    let (status, after) = app
        .get_json_as(
            &format!("/api/v1/ledger/reports/farmer-statement?farmerId={farmer_id}&from={from}&to={to}"),
            &staff,
        )
        .await;
    assert_eq!(status, 200, "{after}");
    let s = &after["data"];
    assert_eq!(s["unsettled"]["entries"], 0);
    assert_eq!(s["settlements"][0]["number"], settlement["number"]);
    assert_eq!(s["openingAdvance"], "0.00", "the period starts before the advance");
    let moves = s["advances"].as_array().unwrap();
    assert_eq!(moves.len(), 2, "{moves:?}");
    assert_eq!(
        (moves[0]["change"].as_str(), moves[0]["amount"].as_str(), moves[0]["balance"].as_str()),
        (Some("given"), Some("2000.00"), Some("2000.00"))
    );
    assert_eq!(
        (moves[1]["change"].as_str(), dec(&moves[1]["amount"]), moves[1]["detail"].as_str()),
        (Some("recovered"), recovered, settlement["number"].as_str())
    );
    assert_eq!(dec(&s["closingAdvance"]), Decimal::from(2000) - recovered);

    // The statement page shows the same, to staff.
    let page = app
        .get_html_with_cookies(
            &format!("/ledger/reports/statement?farmer=1&from={from}&to={to}"),
            &format!("mandi_session={staff}"),
        )
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="statement-advances""#) && html.contains(settlement["number"].as_str().unwrap())
    );
}

#[sqlx::test(migrations = false)]
async fn growers_read_only_their_own_figures(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let farmer = access_token(&app, "farmer@malar.demo").await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let day = demo_day();

    let (status, book) = app.get_json_as(&format!("/api/v1/ledger/reports/day-book?date={day}"), &farmer).await;
    assert_eq!(status, 200, "{book}");
    let growers = book["data"]["growers"].as_array().unwrap();
    assert_eq!(
        (growers.len(), growers[0]["farmerNo"].as_i64(), book["data"]["ownOnly"].as_bool()),
        (1, Some(1), Some(true))
    );
    assert_eq!(book["data"]["total"], growers[0]["tally"]);
    let (_, all) = app.get_json_as(&format!("/api/v1/ledger/reports/day-book?date={day}"), &staff).await;
    let own_in_all = all["data"]["growers"].as_array().unwrap().iter().find(|g| g["farmerNo"] == 1).unwrap().clone();
    assert_eq!(growers[0], own_in_all);

    let (_, summary) =
        app.get_json_as(&format!("/api/v1/ledger/reports/flower-summary?from={day}&to={day}"), &farmer).await;
    assert_eq!(summary["data"]["total"], growers[0]["tally"], "the summary is the grower's own");

    // Their own statement without naming themselves; nobody else's, by number or id.
    let (status, own) =
        app.get_json_as(&format!("/api/v1/ledger/reports/farmer-statement?from={day}&to={day}"), &farmer).await;
    assert_eq!((status, own["data"]["grower"]["farmerNo"].as_i64()), (200, Some(1)));
    let (status, _) = app
        .get_json_as(&format!("/api/v1/ledger/reports/farmer-statement?farmerId=2&from={day}&to={day}"), &farmer)
        .await;
    assert_eq!(status, 404);
    let other = all["data"]["growers"].as_array().unwrap().iter().find(|g| g["farmerNo"] == 2).unwrap()["farmerId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .get_json_as(&format!("/api/v1/ledger/reports/farmer-statement?farmerId={other}&from={day}&to={day}"), &farmer)
        .await;
    assert_eq!(status, 404);

    // Another market's people have no ledger here; customers have no reports.
    let customer = access_token(&app, "customer@greenharvest.demo").await;
    let (status, _) = app.get_json_as(&format!("/api/v1/ledger/reports/day-book?date={day}"), &customer).await;
    assert!(status == 403 || status == 404, "{status}");
    let (status, _) = app.get_json("/api/v1/ledger/reports/day-book").await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrations = false)]
async fn bad_questions_are_named_field_by_field(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let staff = access_token(&app, "staff@malar.demo").await;
    let day = demo_day();
    let cases: &[(&str, u16, &str)] = &[
        ("day-book?date=26-11-2026", 400, "date"),
        ("day-book?date=2026-02-30", 400, "date"),
        ("day-book?day=2026-01-01", 400, "query"),
        ("flower-summary?from=2026-01-01", 400, "to"),
        ("flower-summary?to=2026-01-01", 400, "from"),
        ("flower-summary?from=2026-03-01&to=2026-02-01", 400, "to"),
        ("flower-summary?from=2024-01-01&to=2026-01-01", 400, "to"),
        ("flower-summary?from=2026-01-01&to=2026-01-02&farmerId=1", 400, "farmerId"),
        ("farmer-statement?from=2026-01-01&to=2026-01-02", 400, "farmerId"),
        ("farmer-statement?farmerId=abc&from=2026-01-01&to=2026-01-02", 400, "farmerId"),
        ("farmer-statement?farmerId=0&from=2026-01-01&to=2026-01-02", 400, "farmerId"),
        ("farmer-statement?farmerId=-3&from=2026-01-01&to=2026-01-02", 400, "farmerId"),
    ];
    for (path, status, field) in cases {
        let (got, body) = app.get_json_as(&format!("/api/v1/ledger/reports/{path}"), &staff).await;
        assert_eq!(got, *status, "{path}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{path} names {field}: {body}");
    }
    let (status, body) = app
        .get_json_as(&format!("/api/v1/ledger/reports/farmer-statement?farmerId=9999&from={day}&to={day}"), &staff)
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, body) = app
        .get_json_as(
            &format!("/api/v1/ledger/reports/farmer-statement?farmerId={}&from={day}&to={day}", uuid::Uuid::nil()),
            &staff,
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("NOT_FOUND")));

    // The page says what is wrong instead of failing.
    let page = app
        .get_html_with_cookies(
            "/ledger/reports/flowers?from=2026-03-01&to=2026-02-01",
            &format!("mandi_session={staff}"),
        )
        .await;
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-testid="report-error""#), "a clear message on the page");
}
