//! The demo world's share ownership of Darjberry's estates, as the app loads it on
//! start: estates with a place, units and crops; twenty-odd owners whose agreements
//! never hold more units than an estate has on any day; 120 days of plant counts; and
//! one estate-month whose costs exceed its revenue.

use crate::support;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use server::demo::ownership::{LANDSLIP_ESTATE, landslip_month};
use sqlx::PgPool;
use support::{TestApp, access_token, operator};

/// The day the loader dated the books back from (the IST date; a test that crosses
/// midnight IST would see yesterday's load, which the checks allow for).
fn today() -> NaiveDate {
    app::domain::market_slot::market_date(chrono::Utc::now())
}

#[sqlx::test(migrations = false)]
async fn darjberry_estates_have_a_place_units_crops_and_settings(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let mut tx = operator(&pool).await;
    let estates: Vec<(String, Option<Decimal>, Option<Decimal>, i32, String, Vec<String>)> = sqlx::query_as(
        "SELECT f.name, f.latitude, f.longitude, f.total_units, f.infrastructure, f.crops
         FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = 'darjberry' ORDER BY f.name",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(estates.len() >= 3, "{estates:?}");
    for (name, latitude, longitude, units, infrastructure, crops) in &estates {
        let (latitude, longitude) = (latitude.expect("a place"), longitude.expect("a place"));
        // Darjeeling or the Nilgiris.
        assert!(latitude > Decimal::from(10) && latitude < Decimal::from(28), "{name}");
        assert!(longitude > Decimal::from(76) && longitude < Decimal::from(89), "{name}");
        assert!((1_000..=5_000).contains(units), "{name}: {units}");
        assert!(!infrastructure.is_empty() && !crops.is_empty(), "{name}");
    }
    let crops: Vec<&String> = estates.iter().flat_map(|e| &e.5).collect();
    assert!(crops.iter().any(|c| *c == "tea") && crops.iter().any(|c| *c != "tea"));

    let (fee, tds): (Decimal, Decimal) = sqlx::query_as(
        "SELECT platform_fee_percent, tds_percent FROM ownership_settings s JOIN tenants t ON t.id = s.tenant_id
         WHERE t.slug = 'darjberry'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(fee > Decimal::ZERO && tds > Decimal::ZERO);
    // The storefront tenant has none of it.
    let elsewhere: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM ownership_agreements a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug <> 'darjberry')
              + (SELECT count(*) FROM farms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug <> 'darjberry' AND f.total_units > 0)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(elsewhere, 0);
}

#[sqlx::test(migrations = false)]
async fn twenty_odd_owners_and_the_demo_customer_holds_two_estates(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut tx = operator(&pool).await;
    let (owners, tamil, ended, joined, long_held): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT a.owner_id),
                count(DISTINCT a.owner_id) FILTER (WHERE u.locale = 'ta'),
                count(*) FILTER (WHERE a.ends_on IS NOT NULL),
                count(*) FILTER (WHERE a.ends_on IS NULL AND a.starts_on > current_date - 120),
                count(*) FILTER (WHERE a.starts_on <= current_date - 180)
         FROM ownership_agreements a JOIN tenants t ON t.id = a.tenant_id JOIN users u ON u.id = a.owner_id
         WHERE t.slug = 'darjberry'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(owners >= 20, "{owners} owners");
    assert!(tamil >= 3, "{tamil} Tamil-speaking owners");
    assert!(ended > 0 && joined > 0 && long_held > 0, "{ended} ended, {joined} joined lately, {long_held} long held");

    let estates: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT a.farm_id) FROM ownership_agreements a JOIN users u ON u.id = a.owner_id
         WHERE u.email = 'customer@darjberry.demo'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(estates, 2);

    // Prices are whole rupees per unit, in a believable range.
    let (cheapest, dearest): (Decimal, Decimal) =
        sqlx::query_as("SELECT min(price_paid / units), max(price_paid / units) FROM ownership_agreements")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert!(cheapest >= Decimal::from(1_500) && dearest <= Decimal::from(4_000), "₹{cheapest}–₹{dearest}");
    tx.rollback().await.unwrap();

    // A new owner signs in like every demo account.
    access_token(&app, "owner07@darjberry.demo").await;
}

#[sqlx::test(migrations = false)]
async fn no_estate_is_ever_oversubscribed(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let mut tx = operator(&pool).await;
    let per_day: Vec<(String, NaiveDate, i64, i32)> = sqlx::query_as(
        "SELECT f.name, d::date, sum(a.units)::int8, f.total_units
         FROM farms f
         JOIN tenants t ON t.id = f.tenant_id AND t.slug = 'darjberry'
         CROSS JOIN generate_series((SELECT min(starts_on) FROM ownership_agreements), current_date + 1, interval '1 day') AS d
         JOIN ownership_agreements a ON a.tenant_id = f.tenant_id AND a.farm_id = f.id
              AND a.starts_on <= d::date AND (a.ends_on IS NULL OR a.ends_on >= d::date)
         GROUP BY f.name, d, f.total_units",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(per_day.len() > 365, "agreements span more than a year");
    let over: Vec<_> = per_day.iter().filter(|(_, _, held, units)| *held > i64::from(*units)).collect();
    assert!(over.is_empty(), "{over:?}");
    // Not vacuous: some estate is (nearly) sold out on some day.
    assert!(per_day.iter().any(|(_, _, held, units)| *held * 10 >= i64::from(*units) * 9));
    // The estates' shares are what the app's own check refuses to exceed.
    let refused = sqlx::query(
        "INSERT INTO ownership_agreements (tenant_id, id, farm_id, owner_id, units, starts_on, price_paid)
         SELECT f.tenant_id, gen_random_uuid(), f.id, u.id, f.total_units, current_date, 0
         FROM farms f, users u WHERE u.email = 'customer@darjberry.demo' AND f.name = 'Glenmora Tea Estate'",
    )
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert_eq!(refused.as_database_error().and_then(|e| e.code()).as_deref(), Some("MF001"), "{refused}");
}

#[sqlx::test(migrations = false)]
async fn every_estate_crop_has_120_days_of_plant_counts(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let mut tx = operator(&pool).await;
    let series: Vec<(String, String, Option<NaiveDate>, Option<NaiveDate>, i64)> = sqlx::query_as(
        "SELECT f.name, c.crop, min(p.counted_on), max(p.counted_on), count(p.id)
         FROM farms f JOIN tenants t ON t.id = f.tenant_id AND t.slug = 'darjberry'
         CROSS JOIN unnest(f.crops) AS c (crop)
         LEFT JOIN plant_counts p ON p.tenant_id = f.tenant_id AND p.farm_id = f.id AND p.crop = c.crop
         GROUP BY f.name, c.crop",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(series.len() >= 4, "{series:?}");
    let today = today();
    for (farm, crop, first, last, count) in series {
        let (first, last) = (first.expect("counts"), last.expect("counts"));
        assert_eq!((last - first).num_days(), 119, "{farm} {crop}");
        assert!(last == today || last == today.pred_opt().unwrap(), "{farm} {crop}: last count on {last}");
        assert!(count >= 17, "{farm} {crop}: {count} counts");
    }
    let odd: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM plant_counts WHERE source <> 'demo' OR lost <> planted - alive OR alive < planted * 0.9",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(odd, 0);
}

#[sqlx::test(migrations = false)]
async fn one_estate_month_costs_more_than_it_earned(pool: PgPool) {
    let _app = TestApp::spawn(pool.clone()).await;
    let mut tx = operator(&pool).await;
    let months: Vec<(String, NaiveDate, Decimal, Decimal)> = sqlx::query_as(
        "WITH r AS (SELECT farm_id, date_trunc('month', earned_on)::date AS month, sum(amount) AS revenue
                    FROM farm_revenue GROUP BY 1, 2),
              c AS (SELECT farm_id, date_trunc('month', incurred_on)::date AS month, sum(amount) AS costs
                    FROM farm_costs GROUP BY 1, 2)
         SELECT f.name, month, coalesce(revenue, 0), coalesce(costs, 0)
         FROM r FULL JOIN c USING (farm_id, month)
         JOIN farms f ON f.id = farm_id
         JOIN tenants t ON t.id = f.tenant_id AND t.slug = 'darjberry'
         ORDER BY 1, 2",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let red: Vec<_> = months.iter().filter(|(_, _, revenue, costs)| costs > revenue).collect();
    assert_eq!(red.len(), 1, "{months:?}");
    let (farm, month, revenue, _) = red[0];
    assert_eq!(farm, LANDSLIP_ESTATE);
    assert!(*revenue > Decimal::ZERO, "some revenue, just less than the costs");
    let today = today();
    assert!(*month == landslip_month(today) || *month == landslip_month(today.pred_opt().unwrap()));
    let black = months.iter().filter(|(_, _, revenue, costs)| revenue > costs).count();
    assert!(black >= 4 * 3, "most estate-months earn more than they cost: {months:?}");

    // All of it within the 120 days, in whole paise.
    let (first, last, fractional): (NaiveDate, NaiveDate, i64) = sqlx::query_as(
        "SELECT min(d), max(d), count(*) FILTER (WHERE scale(amount) > 2 OR amount <= 0)
         FROM (SELECT earned_on AS d, amount FROM farm_revenue UNION ALL SELECT incurred_on, amount FROM farm_costs) m",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!((last - first).num_days() <= 119 && last <= today, "{first}–{last}");
    assert_eq!(fractional, 0);
}
