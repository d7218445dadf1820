//! Sensor and weather readings: what a reading must be to be stored, and when readings
//! out of a crop's range become an alert. Pure, so the batch endpoint, the weather
//! pull and the tests share one set of rules.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Most readings one request may carry.
pub const MAX_BATCH: usize = 1_000;

/// A device clock a little ahead of ours is tolerated; more is a wrong clock.
pub const FUTURE_SLACK: Duration = Duration::minutes(5);

/// What is measured, each in one unit. A value outside `plausible` is a broken sensor
/// or a wrong unit, refused rather than stored (it would trip every threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Temperature,
    Humidity,
    SoilMoisture,
    Rainfall,
    SoilPh,
    Light,
}

impl Metric {
    pub const ALL: [Metric; 6] =
        [Metric::Temperature, Metric::Humidity, Metric::SoilMoisture, Metric::Rainfall, Metric::SoilPh, Metric::Light];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Temperature => "temperature",
            Metric::Humidity => "humidity",
            Metric::SoilMoisture => "soil_moisture",
            Metric::Rainfall => "rainfall",
            Metric::SoilPh => "soil_ph",
            Metric::Light => "light",
        }
    }

    /// The one unit each metric is stored in.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Temperature => "C",
            Metric::Humidity | Metric::SoilMoisture => "%",
            Metric::Rainfall => "mm",
            Metric::SoilPh => "pH",
            Metric::Light => "lx",
        }
    }

    /// Inclusive bounds of a value that can be real anywhere a farm can be.
    pub fn plausible(self) -> (Decimal, Decimal) {
        let d = |n: i64| Decimal::from(n);
        match self {
            Metric::Temperature => (d(-50), d(60)),
            Metric::Humidity | Metric::SoilMoisture => (d(0), d(100)),
            Metric::Rainfall => (d(0), d(500)),
            Metric::SoilPh => (d(0), d(14)),
            Metric::Light => (d(0), d(200_000)),
        }
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Metric, String> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
            format!("is not a metric we record (one of {})", known.join(", "))
        })
    }
}

/// A reading as sent: every field text, so each can be refused with its own message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RawReading {
    /// The sensor's name on this farm (letters, digits, `.`, `_`, `-`, `:`; up to 64).
    pub sensor: String,
    /// `temperature`, `humidity`, `soil_moisture`, `rainfall`, `soil_ph` or `light`.
    pub metric: String,
    /// A decimal string, e.g. `"24.5"`.
    pub value: String,
    /// The metric's unit: `C`, `%`, `%`, `mm`, `pH`, `lx`.
    pub unit: String,
    /// When the sensor took it (RFC 3339).
    pub time: String,
}

/// A reading that may be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub sensor: String,
    pub metric: Metric,
    pub value: Decimal,
    pub recorded_at: DateTime<Utc>,
}

/// A refused field, named as the request names it (`readings[3].value`).
pub type FieldError = (String, String);

fn sensor_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')) {
        return Err("may hold only letters, digits, '.', '_', '-' and ':'".into());
    }
    Ok(s.to_string())
}

/// Parses one reading taken before `now` (plus a little slack).
pub fn parse_reading(raw: &RawReading, now: DateTime<Utc>) -> Result<Reading, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let sensor = sensor_name(&raw.sensor).map_err(|e| errors.push(("sensor", e))).ok();
    let metric = raw.metric.trim().parse::<Metric>().map_err(|e| errors.push(("metric", e))).ok();
    if let Some(m) = metric
        && raw.unit.trim() != m.unit()
    {
        errors.push(("unit", format!("must be {} for {}", m.unit(), m.as_str())));
    }
    let value = match Decimal::from_str(raw.value.trim()) {
        Ok(v) => match metric {
            Some(m) => {
                let (lo, hi) = m.plausible();
                if v < lo || v > hi {
                    errors.push(("value", format!("{v} {} cannot be real: {lo} to {hi} is", m.unit())));
                    None
                } else {
                    Some(v)
                }
            }
            None => Some(v),
        },
        Err(_) => {
            errors.push(("value", "must be a decimal number, e.g. 24.5".into()));
            None
        }
    };
    let recorded_at = match DateTime::parse_from_rfc3339(raw.time.trim()) {
        Ok(t) if t.with_timezone(&Utc) > now + FUTURE_SLACK => {
            errors.push(("time", "is in the future: check the sensor's clock".into()));
            None
        }
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(("time", "must be an RFC 3339 time, e.g. 2026-12-06T05:30:00Z".into()));
            None
        }
    };
    match (sensor, metric, value, recorded_at) {
        (Some(sensor), Some(metric), Some(value), Some(recorded_at)) if errors.is_empty() => {
            Ok(Reading { sensor, metric, value, recorded_at })
        }
        _ => Err(errors),
    }
}

/// Parses a batch: every reading, or every refusal with its place in the batch.
pub fn parse_batch(raw: &[RawReading], now: DateTime<Utc>) -> Result<Vec<Reading>, Vec<FieldError>> {
    if raw.is_empty() {
        return Err(vec![("readings".into(), "must hold at least one reading".into())]);
    }
    if raw.len() > MAX_BATCH {
        return Err(vec![(
            "readings".into(),
            format!("holds {} readings; send at most {MAX_BATCH} per request", raw.len()),
        )]);
    }
    let mut ok = Vec::with_capacity(raw.len());
    let mut refused = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        match parse_reading(r, now) {
            Ok(r) => ok.push(r),
            Err(errs) => refused.extend(errs.into_iter().map(|(f, m)| (format!("readings[{i}].{f}"), m))),
        }
    }
    if refused.is_empty() { Ok(ok) } else { Err(refused) }
}

/// A crop's acceptable range for a metric, and how many readings in a row outside it
/// make an alert (one noisy sample does not).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub consecutive: u16,
}

/// Most readings in a row a threshold may ask for.
pub const MAX_CONSECUTIVE: u16 = 100;

impl Threshold {
    pub fn new(min: Option<Decimal>, max: Option<Decimal>, consecutive: u16) -> Result<Threshold, FieldError> {
        if min.is_none() && max.is_none() {
            return Err(("min".into(), "give a minimum, a maximum or both".into()));
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo >= hi
        {
            return Err(("max".into(), "must be above the minimum".into()));
        }
        if !(1..=MAX_CONSECUTIVE).contains(&consecutive) {
            return Err(("consecutive".into(), format!("must be from 1 to {MAX_CONSECUTIVE}")));
        }
        Ok(Threshold { min, max, consecutive })
    }

    pub fn outside(&self, value: Decimal) -> bool {
        self.min.is_some_and(|lo| value < lo) || self.max.is_some_and(|hi| value > hi)
    }

    /// A farm growing several crops keeps each crop's range: the strictest bounds, and
    /// the shortest run.
    pub fn strictest(all: impl IntoIterator<Item = Threshold>) -> Option<Threshold> {
        all.into_iter().reduce(|a, b| Threshold {
            min: a.min.max(b.min),
            max: match (a.max, b.max) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
            consecutive: a.consecutive.min(b.consecutive),
        })
    }
}

/// Whether the newest readings of one sensor's metric (newest first) trip an alert:
/// `needed` of them, all out of range.
pub fn tripped(newest_first: &[bool], needed: u16) -> bool {
    let n = usize::from(needed);
    n > 0 && newest_first.len() >= n && newest_first[..n].iter().all(|out| *out)
}

/// The sensor name weather readings are stored under.
pub const WEATHER_SENSOR: &str = "weather";

/// An Open-Meteo-shaped forecast's hourly block: parallel arrays of UTC hours
/// (`2026-12-06T05:00`) and values.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Hourly {
    pub time: Vec<String>,
    #[serde(default)]
    pub temperature_2m: Vec<Option<f64>>,
    #[serde(default)]
    pub relative_humidity_2m: Vec<Option<f64>>,
    #[serde(default)]
    pub precipitation: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Forecast {
    pub hourly: Hourly,
}

/// The hours of a forecast that have passed by `now`, as readings of the `weather`
/// sensor: temperature (°C), humidity (%) and rainfall (mm). Forecast hours yet to
/// come are not readings; missing and implausible values are left out, as a broken
/// sensor's would be refused.
pub fn observed_weather(f: &Forecast, now: DateTime<Utc>) -> Vec<Reading> {
    let h = &f.hourly;
    let mut out = Vec::new();
    for (i, t) in h.time.iter().enumerate() {
        let Ok(at) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M") else { continue };
        let at = at.and_utc();
        if at > now {
            continue;
        }
        for (metric, values) in [
            (Metric::Temperature, &h.temperature_2m),
            (Metric::Humidity, &h.relative_humidity_2m),
            (Metric::Rainfall, &h.precipitation),
        ] {
            let Some(Some(v)) = values.get(i) else { continue };
            let Some(value) =
                <Decimal as rust_decimal::prelude::FromPrimitive>::from_f64(*v).map(|d| d.round_dp(2).normalize())
            else {
                continue;
            };
            let (lo, hi) = metric.plausible();
            if value >= lo && value <= hi {
                out.push(Reading { sensor: WEATHER_SENSOR.into(), metric, value, recorded_at: at });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw(metric: &str, value: &str, unit: &str, time: &str) -> RawReading {
        RawReading {
            sensor: "soil-1".into(),
            metric: metric.into(),
            value: value.into(),
            unit: unit.into(),
            time: time.into(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-06T06:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_good_reading_parses() {
        let r = parse_reading(&raw("temperature", "24.5", "C", "2026-12-06T05:30:00+05:30"), now()).unwrap();
        assert_eq!(r.metric, Metric::Temperature);
        assert_eq!(r.value, Decimal::new(245, 1));
        assert_eq!(r.recorded_at, "2026-12-06T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn absurd_future_and_mislabelled_readings_are_refused_by_field() {
        let fields =
            |r: RawReading| parse_reading(&r, now()).unwrap_err().into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        assert_eq!(fields(raw("temperature", "-80", "C", "2026-12-06T05:00:00Z")), ["value"]);
        assert_eq!(fields(raw("humidity", "400", "%", "2026-12-06T05:00:00Z")), ["value"]);
        assert_eq!(fields(raw("temperature", "20", "F", "2026-12-06T05:00:00Z")), ["unit"]);
        assert_eq!(fields(raw("temperature", "20", "C", "2026-12-07T05:00:00Z")), ["time"]);
        assert_eq!(fields(raw("temperature", "warm", "C", "yesterday")), ["value", "time"]);
        assert_eq!(fields(raw("mood", "1", "C", "2026-12-06T05:00:00Z")), ["metric"]);
        let mut bad_sensor = raw("temperature", "20", "C", "2026-12-06T05:00:00Z");
        bad_sensor.sensor = "<script>".into();
        assert_eq!(fields(bad_sensor), ["sensor"]);
    }

    #[test]
    fn a_clock_a_few_minutes_ahead_is_tolerated() {
        assert!(parse_reading(&raw("light", "1000", "lx", "2026-12-06T06:04:00Z"), now()).is_ok());
    }

    #[test]
    fn batches_are_whole_and_name_each_refusal_by_place() {
        assert!(parse_batch(&[], now()).is_err());
        let good = raw("rainfall", "2.5", "mm", "2026-12-06T05:00:00Z");
        let too_many = vec![good.clone(); MAX_BATCH + 1];
        assert_eq!(parse_batch(&too_many, now()).unwrap_err()[0].0, "readings");
        assert_eq!(parse_batch(&vec![good.clone(); MAX_BATCH], now()).unwrap().len(), MAX_BATCH);
        let errs =
            parse_batch(&[good.clone(), raw("rainfall", "-1", "mm", "2026-12-06T05:00:00Z")], now()).unwrap_err();
        assert_eq!(errs.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), ["readings[1].value"]);
    }

    #[test]
    fn thresholds_need_a_bound_in_order_and_a_sane_run() {
        let d = Decimal::from;
        assert!(Threshold::new(None, None, 3).is_err());
        assert!(Threshold::new(Some(d(30)), Some(d(10)), 3).is_err());
        assert!(Threshold::new(Some(d(10)), Some(d(30)), 0).is_err());
        assert!(Threshold::new(Some(d(10)), Some(d(30)), MAX_CONSECUTIVE + 1).is_err());
        let t = Threshold::new(Some(d(10)), Some(d(30)), 3).unwrap();
        assert!(t.outside(d(9)) && t.outside(d(31)) && !t.outside(d(10)) && !t.outside(d(30)));
    }

    #[test]
    fn several_crops_keep_the_strictest_range_and_shortest_run() {
        let d = Decimal::from;
        let tea = Threshold::new(Some(d(10)), Some(d(30)), 3).unwrap();
        let cardamom = Threshold::new(Some(d(15)), None, 5).unwrap();
        let both = Threshold::strictest([tea, cardamom]).unwrap();
        assert_eq!(both, Threshold { min: Some(d(15)), max: Some(d(30)), consecutive: 3 });
        assert_eq!(Threshold::strictest([]), None);
    }

    #[test]
    fn one_noisy_sample_is_not_a_run() {
        assert!(!tripped(&[true, false, true], 3));
        assert!(!tripped(&[true, true], 3));
        assert!(tripped(&[true, true, true, false], 3));
        assert!(!tripped(&[], 0));
    }

    #[test]
    fn weather_readings_are_the_hours_gone_by_and_plausible() {
        let f: Forecast = serde_json::from_value(serde_json::json!({
            "hourly": {
                "time": ["2026-12-06T04:00", "2026-12-06T05:00", "2026-12-06T06:00", "2026-12-06T07:00", "bad"],
                "temperature_2m": [14.25, null, 99.0, 15.0, 1.0],
                "relative_humidity_2m": [80, 82, 84, 86, 1],
                "precipitation": [0.0, 1.2, 0.0, 0.0, 0.0]
            }
        }))
        .unwrap();
        let r = observed_weather(&f, now());
        // 07:00 is still ahead; 99 °C is no weather; a missing value is no reading.
        let got: Vec<(String, Metric, String)> =
            r.iter().map(|r| (r.recorded_at.format("%H").to_string(), r.metric, r.value.to_string())).collect();
        assert_eq!(
            got,
            [
                ("04".into(), Metric::Temperature, "14.25".into()),
                ("04".into(), Metric::Humidity, "80".into()),
                ("04".into(), Metric::Rainfall, "0".into()),
                ("05".into(), Metric::Humidity, "82".into()),
                ("05".into(), Metric::Rainfall, "1.2".into()),
                ("06".into(), Metric::Humidity, "84".into()),
                ("06".into(), Metric::Rainfall, "0".into()),
            ]
        );
        assert!(r.iter().all(|r| r.sensor == WEATHER_SENSOR));
    }

    proptest! {
        #[test]
        fn tripped_means_the_newest_n_are_all_out(runs in proptest::collection::vec(any::<bool>(), 0..20), n in 1u16..10) {
            let expected = runs.len() >= usize::from(n) && runs.iter().take(usize::from(n)).all(|b| *b);
            prop_assert_eq!(tripped(&runs, n), expected);
        }

        #[test]
        fn the_strictest_range_is_inside_each(a in -50i64..60, b in 1i64..50, c in -50i64..60, e in 1i64..50) {
            let t1 = Threshold::new(Some(Decimal::from(a)), Some(Decimal::from(a + b)), 3).unwrap();
            let t2 = Threshold::new(Some(Decimal::from(c)), Some(Decimal::from(c + e)), 2).unwrap();
            let s = Threshold::strictest([t1, t2]).unwrap();
            for v in -60i64..120 {
                let v = Decimal::from(v);
                if t1.outside(v) || t2.outside(v) { prop_assert!(s.outside(v)); }
            }
        }
    }
}
