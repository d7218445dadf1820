//! Delivery windows a shopper can choose: the store's windows each day in its time zone
//! (Asia/Kolkata, UTC+05:30, which has no daylight saving), from tomorrow for the days
//! the store books ahead, plus today's windows that start at least the cut-off from now.
//! The store sets windows, cut-off and days at `/admin/settings` ([`SlotRules`]).

use crate::error::FieldErrors;
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// A store that has set nothing delivers 7–10, 10–13 and 17–20, books a week ahead and
/// stops taking a window 3 hours before it starts.
pub const WINDOWS: [(u32, u32); 3] = [(7, 10), (10, 13), (17, 20)];
pub const CUT_OFF_HOURS: i64 = 3;
pub const DAYS_AHEAD: i64 = 7;
/// Most windows a day.
pub const MAX_WINDOWS: usize = 8;

/// One daily delivery window, in store time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Window {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "07:00"))]
    pub starts: NaiveTime,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "10:00"))]
    pub ends: NaiveTime,
}

/// When the store delivers and how far ahead it books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlotRules {
    pub windows: Vec<Window>,
    /// A window can be booked until this many hours before it starts.
    pub cut_off_hours: i64,
    /// Days after today that can be booked.
    pub days_ahead: i64,
}

impl Default for SlotRules {
    fn default() -> SlotRules {
        let at = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("valid hour");
        SlotRules {
            windows: WINDOWS.iter().map(|(s, e)| Window { starts: at(*s), ends: at(*e) }).collect(),
            cut_off_hours: CUT_OFF_HOURS,
            days_ahead: DAYS_AHEAD,
        }
    }
}

impl SlotRules {
    /// Parses the settings form: windows as `HH:MM` pairs, the cut-off in hours (0–48)
    /// and days ahead (1–30). Windows must not overlap; they are kept in time order.
    pub fn parse(
        windows: &[(String, String)],
        cut_off_hours: &str,
        days_ahead: &str,
    ) -> Result<SlotRules, FieldErrors> {
        let mut fields = FieldErrors::new();
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
        let mut parsed = Vec::new();
        for (i, (s, e)) in windows.iter().enumerate() {
            match (time(s), time(e)) {
                (Some(starts), Some(ends)) if starts < ends => parsed.push(Window { starts, ends }),
                (Some(_), Some(_)) => {
                    fields.insert(format!("windows.{i}"), "must end after it starts".into());
                }
                _ => {
                    fields.insert(format!("windows.{i}"), "times must be like 07:00".into());
                }
            }
        }
        parsed.sort_by_key(|w| w.starts);
        if windows.is_empty() {
            fields.insert("windows".into(), "add at least one delivery window".into());
        } else if windows.len() > MAX_WINDOWS {
            fields.insert("windows".into(), format!("at most {MAX_WINDOWS} windows a day"));
        } else if parsed.windows(2).any(|w| w[1].starts < w[0].ends) {
            fields.insert("windows".into(), "windows must not overlap".into());
        }
        let number = |name: &str, raw: &str, range: std::ops::RangeInclusive<i64>, fields: &mut FieldErrors| match raw
            .trim()
            .parse::<i64>()
        {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                fields.insert(name.into(), format!("must be a whole number from {} to {}", range.start(), range.end()));
                None
            }
        };
        let cut_off = number("cutOffHours", cut_off_hours, 0..=48, &mut fields);
        let days = number("daysAhead", days_ahead, 1..=30, &mut fields);
        match (cut_off, days) {
            (Some(cut_off_hours), Some(days_ahead)) if fields.is_empty() => {
                Ok(SlotRules { windows: parsed, cut_off_hours, days_ahead })
            }
            _ => Err(fields),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("valid offset")
}

impl Slot {
    /// Stable text form used in forms and the API: the start in RFC 3339.
    pub fn key(&self) -> String {
        self.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// "Thu 27 Nov, 7–10 am" in store time.
    pub fn label(&self) -> String {
        let s = self.starts_at.with_timezone(&ist());
        let e = self.ends_at.with_timezone(&ist());
        let h = |t: DateTime<FixedOffset>| {
            let hour = if t.minute() == 0 { t.format("%-I") } else { t.format("%-I:%M") }.to_string();
            (hour, t.format("%P").to_string())
        };
        let (sh, sp) = h(s);
        let (eh, ep) = h(e);
        if sp == ep {
            format!("{}, {sh}–{eh} {ep}", s.format("%a %-d %b"))
        } else {
            format!("{}, {sh} {sp}–{eh} {ep}", s.format("%a %-d %b"))
        }
    }
}

/// Every slot open for booking at `now`, earliest first.
pub fn open_slots(now: DateTime<Utc>, rules: &SlotRules) -> Vec<Slot> {
    let local_today = now.with_timezone(&ist()).date_naive();
    let earliest = now + Duration::hours(rules.cut_off_hours);
    (0..=rules.days_ahead)
        .flat_map(|d| {
            let day = local_today + Duration::days(d);
            rules.windows.iter().filter_map(move |w| {
                let at = |t| ist().from_local_datetime(&day.and_time(t)).single();
                Some(Slot { starts_at: at(w.starts)?.with_timezone(&Utc), ends_at: at(w.ends)?.with_timezone(&Utc) })
            })
        })
        .filter(|s| s.starts_at >= earliest)
        .collect()
}

/// The open slot starting at `key` (RFC 3339), if it is one.
pub fn find_slot(now: DateTime<Utc>, rules: &SlotRules, key: &str) -> Option<Slot> {
    let at = DateTime::parse_from_rfc3339(key.trim()).ok()?.with_timezone(&Utc);
    open_slots(now, rules).into_iter().find(|s| s.starts_at == at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn cut_off_and_window_times_in_store_time() {
        // 08:00 IST: the 7–10 window is gone; 10–13 starts in 2 h (< 3 h cut-off); 17–20 is open.
        let slots = open_slots(at("2026-11-26T08:00:00+05:30"), &SlotRules::default());
        assert_eq!(slots[0].starts_at, at("2026-11-26T17:00:00+05:30"));
        assert_eq!(slots[0].label(), "Thu 26 Nov, 5–8 pm");
        assert_eq!(slots[1].label(), "Fri 27 Nov, 7–10 am");
        assert_eq!(slots[2].label(), "Fri 27 Nov, 10 am–1 pm");
        assert_eq!(slots.len(), 1 + 7 * 3);
        assert!(slots.windows(2).all(|w| w[0].starts_at < w[1].starts_at));
    }

    #[test]
    fn only_open_slots_are_found() {
        let now = at("2026-11-26T08:00:00+05:30");
        let rules = SlotRules::default();
        let first = open_slots(now, &rules)[0];
        assert_eq!(find_slot(now, &rules, &first.key()), Some(first));
        assert_eq!(find_slot(now, &rules, "2026-11-26T10:00:00+05:30"), None, "inside the cut-off");
        assert_eq!(find_slot(now, &rules, "2026-11-27T08:00:00+05:30"), None, "not a window start");
        assert_eq!(find_slot(now, &rules, "2027-01-01T07:00:00+05:30"), None, "too far ahead");
        assert_eq!(find_slot(now, &rules, "tomorrow"), None);
    }

    #[test]
    fn a_store_sets_its_own_windows_cut_off_and_days() {
        let w = |s: &str, e: &str| (s.to_string(), e.to_string());
        let rules = SlotRules::parse(&[w("18:30", "21:00"), w("06:00", "08:30")], "1", "2").unwrap();
        assert_eq!(rules.windows[0].starts, NaiveTime::from_hms_opt(6, 0, 0).unwrap(), "kept in time order");
        let slots = open_slots(at("2026-11-26T08:00:00+05:30"), &rules);
        assert_eq!(slots.len(), 1 + 2 * 2);
        assert_eq!(slots[0].label(), "Thu 26 Nov, 6:30–9 pm");
        let bad = SlotRules::parse(&[w("10:00", "09:00"), w("7am", "9")], "49", "0").unwrap_err();
        let keys: Vec<_> = bad.keys().cloned().collect();
        assert_eq!(keys, ["cutOffHours", "daysAhead", "windows.0", "windows.1"]);
        let bad = SlotRules::parse(&[w("07:00", "10:00"), w("09:00", "11:00")], "3", "7").unwrap_err();
        assert_eq!(bad["windows"], "windows must not overlap");
        assert!(SlotRules::parse(&[], "3", "7").unwrap_err().contains_key("windows"));
    }
}
