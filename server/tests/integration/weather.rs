//! The farms' weather: the hours gone by of each located estate farm's forecast
//! become readings of its `weather` sensor, once each however often it is pulled;
//! a provider that is down makes the job retry, and nothing stored is lost.

use crate::support;
use server::jobs::JobError;
use server::weather::pull_all;
use sqlx::PgPool;
use support::TestApp;

#[sqlx::test(migrations = false)]
async fn each_located_farm_gets_the_hours_gone_by_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let client = reqwest::Client::new();
    let base = app.url("/sandbox/weather");
    let pull = async |base: &str| {
        let mut tx = support::operator(&pool).await;
        let r = pull_all(&mut tx, &client, base).await;
        tx.commit().await.unwrap();
        r
    };
    let (farms, stored) = pull(&base).await.unwrap();
    assert!(farms > 0 && stored >= farms * 3 * 24, "{farms} farms, {stored} readings");
    let (_, again) = pull(&base).await.unwrap();
    assert_eq!(again, 0, "an hour already stored is not stored again");

    let mut tx = support::operator(&pool).await;
    let (ahead, metrics, unlocated): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE r.recorded_at > now()), count(DISTINCT r.metric),
                count(*) FILTER (WHERE f.latitude IS NULL)
         FROM sensor_readings r JOIN farms f ON f.tenant_id = r.tenant_id AND f.id = r.farm_id
         WHERE r.sensor = 'weather'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!((ahead, metrics, unlocated), (0, 3, 0), "observed hours only, three metrics, located farms only");

    let down = pull("http://127.0.0.1:9/nowhere").await;
    assert!(matches!(down, Err(JobError::Retry(_))), "{down:?}");
    // The sandbox refuses a place that is not on Earth, as a provider would.
    let bad = app.client.get(app.url("/sandbox/weather/v1/forecast?latitude=95&longitude=10")).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}
