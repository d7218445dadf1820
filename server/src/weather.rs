//! The farms' weather: each hour, every estate farm with a location asks an
//! Open-Meteo-shaped forecast API for its hourly temperature, humidity and rainfall,
//! and the hours gone by become readings of its `weather` sensor (judged against the
//! crops' ranges like any sensor's). Outside production the provider is the app's own
//! sandbox (`/sandbox/weather/v1/forecast`), which invents plausible, repeatable
//! weather from the place and the hour.

use crate::jobs::schedules::Schedule;
use crate::jobs::{BoxFuture, Handler, Job, JobError};
use app::domain::readings::{Forecast, observed_weather};
use app::field::readings_service::{FarmRef, store_weather};
use app::jobs::Queue;
use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use chrono::{Duration, Timelike, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

pub const PULL_JOB: &str = "weather.pull";

/// Five past each hour, once the provider has the hour that ended.
pub const SCHEDULES: &[Schedule] =
    &[Schedule { name: "weather-pull", cron: "0 5 * * * *", queue: Queue::Maintenance, kind: PULL_JOB }];

/// Pulls every estate farm's weather from `base` (`None`: weather is off).
pub struct Pull {
    pub base: Option<String>,
    pub client: reqwest::Client,
}

impl Handler for Pull {
    fn run<'a>(&'a self, _job: &'a Job, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let Some(base) = &self.base else {
                tracing::info!("weather is off (MANDI_WEATHER_PROVIDER=off)");
                return Ok(());
            };
            let (farms, stored) = pull_all(tx, &self.client, base).await?;
            tracing::info!(farms, stored, "weather pulled");
            Ok(())
        })
    }
}

/// Pulls and stores every located estate farm's weather in the caller's transaction.
/// One farm's provider failure does not hold back the others; the job is retried
/// when any failed, and hours already stored are no-ops. Returns (farms, readings
/// stored).
pub async fn pull_all(
    conn: &mut PgConnection,
    client: &reqwest::Client,
    base: &str,
) -> Result<(usize, usize), JobError> {
    // Every estate's farms in one pass.
    sqlx::query("SELECT set_config('mandi.cross_tenant', 'on', true)").execute(&mut *conn).await?;
    let farms: Vec<(Uuid, Uuid, String, Vec<String>, Decimal, Decimal)> = sqlx::query_as(
        "SELECT f.tenant_id, f.id, f.name, f.crops, f.latitude, f.longitude
         FROM farms f JOIN tenants t ON t.id = f.tenant_id AND t.kind = 'estate'
         WHERE f.latitude IS NOT NULL ORDER BY f.tenant_id, f.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let (mut stored, mut failed) = (0, Vec::new());
    for (tenant, id, name, crops, latitude, longitude) in &farms {
        let url = format!(
            "{base}/v1/forecast?latitude={latitude}&longitude={longitude}\
             &hourly=temperature_2m,relative_humidity_2m,precipitation&past_days=1&forecast_days=1&timezone=GMT"
        );
        let forecast = match client.get(&url).send().await.and_then(|r| r.error_for_status()) {
            Ok(r) => r.json::<Forecast>().await,
            Err(e) => Err(e),
        };
        let forecast = match forecast {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(farm = %id, error = %e, "weather provider failed for a farm");
                failed.push(name.clone());
                continue;
            }
        };
        let farm = FarmRef { tenant: *tenant, id: *id, name: name.clone(), crops: crops.clone() };
        let outcome = store_weather(conn, &farm, &observed_weather(&forecast, Utc::now()))
            .await
            .map_err(|e| JobError::Retry(format!("storing {name}'s weather: {e}")))?;
        stored += outcome.stored;
    }
    if !failed.is_empty() {
        return Err(JobError::Retry(format!("the weather provider failed for {}", failed.join(", "))));
    }
    Ok((farms.len(), stored))
}

#[derive(Deserialize)]
struct Place {
    latitude: f64,
    longitude: f64,
}

/// The sandbox provider's forecast: yesterday and today, hour by hour (UTC), in
/// Open-Meteo's shape. Cooler uphill and north, warmest mid-afternoon in India,
/// a shower in some hours.
async fn sandbox_forecast(Query(place): Query<Place>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !(-90.0..=90.0).contains(&place.latitude) || !(-180.0..=180.0).contains(&place.longitude) {
        return (axum::http::StatusCode::BAD_REQUEST, axum::Json(json!({ "error": true, "reason": "bad place" })))
            .into_response();
    }
    let start = (Utc::now() - Duration::days(1)).date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let (mut time, mut temperature, mut humidity, mut rain) = (vec![], vec![], vec![], vec![]);
    for h in 0..48 {
        let at = start + Duration::hours(h);
        // 09:30 UTC is 15:00 in India.
        let phase = (f64::from(at.hour()) - 9.5) / 24.0 * std::f64::consts::TAU;
        let base = 30.0 - (place.latitude.abs() - 10.0).max(0.0) * 0.6;
        temperature.push(((base + 6.0 * phase.cos()) * 10.0).round() / 10.0);
        humidity.push((72.0 - 15.0 * phase.cos()).round());
        let seed =
            (place.latitude * 1000.0).abs() as i64 + (place.longitude * 1000.0).abs() as i64 + at.timestamp() / 3600;
        rain.push(if seed % 7 == 0 { 1.6 } else { 0.0 });
        time.push(at.format("%Y-%m-%dT%H:%M").to_string());
    }
    axum::Json(json!({
        "latitude": place.latitude,
        "longitude": place.longitude,
        "timezone": "GMT",
        "hourly_units": { "time": "iso8601", "temperature_2m": "°C", "relative_humidity_2m": "%", "precipitation": "mm" },
        "hourly": { "time": time, "temperature_2m": temperature, "relative_humidity_2m": humidity, "precipitation": rain },
    }))
    .into_response()
}

pub fn sandbox_router() -> Router {
    Router::new().route("/sandbox/weather/v1/forecast", get(sandbox_forecast))
}
