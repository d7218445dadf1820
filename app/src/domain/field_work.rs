//! Field work's rules: which recurrence rules may make tasks (a bounded RFC 5545
//! subset, so no rule can make millions of tasks), and what a visit's plant counts
//! and position must be. Expanding a rule into dates is the `rrule` crate's job, on
//! the server; this only decides what it may be given.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Most tasks one recurring rule may make.
pub const MAX_OCCURRENCES: usize = 366;

/// Latest a recurring task may fall, in days after the first.
pub const MAX_SPAN_DAYS: i64 = 731;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Visit,
    Plucking,
    Pruning,
    Fertilising,
    PestCheck,
    Irrigation,
    Custom,
}

impl TaskKind {
    pub const ALL: [TaskKind; 7] = [
        TaskKind::Visit,
        TaskKind::Plucking,
        TaskKind::Pruning,
        TaskKind::Fertilising,
        TaskKind::PestCheck,
        TaskKind::Irrigation,
        TaskKind::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Visit => "visit",
            TaskKind::Plucking => "plucking",
            TaskKind::Pruning => "pruning",
            TaskKind::Fertilising => "fertilising",
            TaskKind::PestCheck => "pest_check",
            TaskKind::Irrigation => "irrigation",
            TaskKind::Custom => "custom",
        }
    }

    /// The title a task of this kind gets when none is given.
    pub fn default_title(self) -> &'static str {
        match self {
            TaskKind::Visit => "Field visit",
            TaskKind::Plucking => "Plucking",
            TaskKind::Pruning => "Pruning",
            TaskKind::Fertilising => "Fertilising",
            TaskKind::PestCheck => "Pest check",
            TaskKind::Irrigation => "Irrigation",
            TaskKind::Custom => "Task",
        }
    }
}

impl FromStr for TaskKind {
    type Err = String;
    fn from_str(s: &str) -> Result<TaskKind, String> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            "must be visit, plucking, pruning, fertilising, pest_check, irrigation or custom".to_string()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}

impl FromStr for TaskStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<TaskStatus, String> {
        match s {
            "open" => Ok(TaskStatus::Open),
            "done" => Ok(TaskStatus::Done),
            "cancelled" => Ok(TaskStatus::Cancelled),
            _ => Err("must be open, done or cancelled".into()),
        }
    }
}

/// Checks a recurrence rule (`FREQ=WEEKLY;BYDAY=MO;COUNT=12`) against the subset tasks
/// accept, and answers it in canonical form (upper case, parts in a fixed order).
/// Daily, weekly or monthly; every 1 to 12; ending by a `COUNT` of at most
/// [`MAX_OCCURRENCES`] or an `UNTIL` date, exactly one of them.
pub fn parse_rule(text: &str) -> Result<String, String> {
    let text = text.trim().trim_start_matches("RRULE:").trim();
    if text.is_empty() || text.len() > 200 {
        return Err("must be a recurrence rule of at most 200 characters, e.g. FREQ=WEEKLY;COUNT=12".into());
    }
    let mut freq = None;
    let mut interval = None;
    let mut count = None;
    let mut until = None;
    let mut by_day = None;
    let mut by_month_day = None;
    for part in text.split(';').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').ok_or_else(|| format!("{part:?} is not KEY=VALUE"))?;
        let (key, value) = (key.trim().to_ascii_uppercase(), value.trim().to_ascii_uppercase());
        let slot = match key.as_str() {
            "FREQ" => &mut freq,
            "INTERVAL" => &mut interval,
            "COUNT" => &mut count,
            "UNTIL" => &mut until,
            "BYDAY" => &mut by_day,
            "BYMONTHDAY" => &mut by_month_day,
            _ => return Err(format!("{key} is not supported: use FREQ, INTERVAL, COUNT, UNTIL, BYDAY or BYMONTHDAY")),
        };
        if slot.replace(value).is_some() {
            return Err(format!("{key} is given twice"));
        }
    }
    let freq = freq.ok_or("needs FREQ (DAILY, WEEKLY or MONTHLY)")?;
    if !matches!(freq.as_str(), "DAILY" | "WEEKLY" | "MONTHLY") {
        return Err(format!("FREQ={freq} is not allowed: tasks repeat DAILY, WEEKLY or MONTHLY"));
    }
    if let Some(i) = &interval
        && !i.parse::<u8>().is_ok_and(|n| (1..=12).contains(&n))
    {
        return Err("INTERVAL must be a whole number from 1 to 12".into());
    }
    match (&count, &until) {
        (None, None) => return Err("needs an end: COUNT (at most 366) or UNTIL (a date)".into()),
        (Some(_), Some(_)) => return Err("give COUNT or UNTIL, not both".into()),
        _ => {}
    }
    if let Some(c) = &count
        && !c.parse::<usize>().is_ok_and(|n| (1..=MAX_OCCURRENCES).contains(&n))
    {
        return Err(format!("COUNT must be a whole number from 1 to {MAX_OCCURRENCES}"));
    }
    if let Some(u) = &until {
        let day = &u[..u.len().min(8)];
        if chrono::NaiveDate::parse_from_str(day, "%Y%m%d").is_err() || !(u.len() == 8 || u.len() == 16) {
            return Err("UNTIL must be a date like 20270331 (or 20270331T000000Z)".into());
        }
    }
    if let Some(days) = &by_day {
        if freq == "DAILY" {
            return Err("BYDAY goes with WEEKLY or MONTHLY".into());
        }
        let ok = days.split(',').all(|d| {
            let code = d.trim_start_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
            matches!(code, "MO" | "TU" | "WE" | "TH" | "FR" | "SA" | "SU")
                && (freq == "MONTHLY" || code.len() == d.len())
        });
        if !ok {
            return Err("BYDAY must list days as MO, TU, WE, TH, FR, SA, SU".into());
        }
    }
    if let Some(days) = &by_month_day
        && (freq != "MONTHLY" || !days.split(',').all(|d| d.parse::<u8>().is_ok_and(|n| (1..=31).contains(&n))))
    {
        return Err("BYMONTHDAY goes with MONTHLY and lists days from 1 to 31".into());
    }
    let mut canonical = vec![format!("FREQ={freq}")];
    let named =
        [("INTERVAL", interval), ("BYDAY", by_day), ("BYMONTHDAY", by_month_day), ("COUNT", count), ("UNTIL", until)];
    for (key, value) in named {
        if let Some(v) = value {
            canonical.push(format!("{key}={v}"));
        }
    }
    Ok(canonical.join(";"))
}

/// One crop's count as a visit records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantCount {
    pub planted: u32,
    pub alive: u32,
    pub lost: u32,
}

/// Alive and lost are plants that were planted: together no more than planted.
pub fn check_plant_count(c: PlantCount) -> Result<PlantCount, String> {
    if c.planted > 10_000_000 {
        return Err("planted is more than any farm holds".into());
    }
    if u64::from(c.alive) + u64::from(c.lost) > u64::from(c.planted) {
        return Err(format!("alive ({}) and lost ({}) add up to more than planted ({})", c.alive, c.lost, c.planted));
    }
    Ok(c)
}

/// A position the browser gave, as decimal text: latitude and longitude on Earth
/// (kept to six places, about 10 cm), accuracy in metres not negative.
pub type Position = (Decimal, Decimal, Option<Decimal>);

pub fn parse_position(
    latitude: &str,
    longitude: &str,
    accuracy_m: Option<&str>,
) -> Result<Position, (&'static str, String)> {
    let number = |field: &'static str, text: &str, lo: i64, hi: i64| {
        Decimal::from_str(text.trim())
            .ok()
            .filter(|d| *d >= Decimal::from(lo) && *d <= Decimal::from(hi))
            .ok_or((field, format!("must be a number from {lo} to {hi}")))
    };
    let lat = number("latitude", latitude, -90, 90)?.round_dp(6);
    let lon = number("longitude", longitude, -180, 180)?.round_dp(6);
    let accuracy = accuracy_m.map(|a| number("accuracyM", a, 0, 100_000)).transpose()?.map(|d| d.round_dp(1));
    Ok((lat, lon, accuracy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounded_daily_weekly_and_monthly_rules_pass_in_canonical_form() {
        assert_eq!(parse_rule("freq=weekly;byday=mo,th;count=10").unwrap(), "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10");
        assert_eq!(
            parse_rule("RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20270331").unwrap(),
            "FREQ=DAILY;INTERVAL=2;UNTIL=20270331"
        );
        assert_eq!(
            parse_rule("FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=24").unwrap(),
            "FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=24"
        );
        assert!(parse_rule("FREQ=MONTHLY;BYDAY=1MO;COUNT=6").is_ok());
    }

    #[test]
    fn rules_that_could_make_millions_of_tasks_are_refused() {
        for (rule, says) in [
            ("FREQ=SECONDLY;COUNT=5", "not allowed"),
            ("FREQ=HOURLY;COUNT=5", "not allowed"),
            ("FREQ=DAILY", "needs an end"),
            ("FREQ=DAILY;COUNT=100000", "COUNT must"),
            ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "not both"),
            ("FREQ=DAILY;INTERVAL=0;COUNT=3", "INTERVAL"),
            ("FREQ=DAILY;UNTIL=tomorrow", "UNTIL"),
            ("FREQ=DAILY;BYDAY=MO;COUNT=3", "BYDAY goes"),
            ("FREQ=WEEKLY;BYDAY=1MO;COUNT=3", "BYDAY must"),
            ("FREQ=WEEKLY;BYSETPOS=1;COUNT=3", "not supported"),
            ("FREQ=WEEKLY;FREQ=DAILY;COUNT=3", "twice"),
            ("COUNT=3", "needs FREQ"),
            ("", "at most 200"),
        ] {
            let e = parse_rule(rule).unwrap_err();
            assert!(e.contains(says), "{rule}: {e}");
        }
    }

    #[test]
    fn counts_add_up_and_positions_are_on_earth() {
        assert!(check_plant_count(PlantCount { planted: 100, alive: 90, lost: 10 }).is_ok());
        assert!(check_plant_count(PlantCount { planted: 100, alive: 95, lost: 10 }).is_err());
        let (lat, lon, acc) = parse_position("27.04123456", "88.2663", Some("12.25")).unwrap();
        assert_eq!(
            (lat.to_string(), lon.to_string(), acc.map(|a| a.to_string())),
            ("27.041235".into(), "88.2663".into(), Some("12.2".into()))
        );
        assert_eq!(parse_position("97", "88.2", None).unwrap_err().0, "latitude");
        assert_eq!(parse_position("27", "NaN", None).unwrap_err().0, "longitude");
        assert_eq!(parse_position("27", "88", Some("-1")).unwrap_err().0, "accuracyM");
    }

    proptest! {
        #[test]
        fn any_accepted_rule_is_bounded_and_canonical(text in "[A-Za-z=;,0-9]{0,60}") {
            if let Ok(rule) = parse_rule(&text) {
                prop_assert!(rule.contains("COUNT=") ^ rule.contains("UNTIL="));
                prop_assert_eq!(parse_rule(&rule).unwrap(), rule.clone());
            }
        }
    }
}
