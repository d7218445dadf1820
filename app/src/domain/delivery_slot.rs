//! Delivery windows a shopper can choose: three a day in the store's time zone
//! (Asia/Kolkata, UTC+05:30, which has no daylight saving), from tomorrow for a week,
//! plus today's windows that start at least `CUT_OFF_HOURS` from now.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

pub const WINDOWS: [(u32, u32); 3] = [(7, 10), (10, 13), (17, 20)];
pub const CUT_OFF_HOURS: i64 = 3;
pub const DAYS_AHEAD: i64 = 7;

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
            let hour = t.format("%-I").to_string();
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
pub fn open_slots(now: DateTime<Utc>) -> Vec<Slot> {
    let local_today = now.with_timezone(&ist()).date_naive();
    let earliest = now + Duration::hours(CUT_OFF_HOURS);
    (0..=DAYS_AHEAD)
        .flat_map(|d| {
            let day = local_today + Duration::days(d);
            WINDOWS.iter().filter_map(move |(from, to)| {
                let at = |h| ist().from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(h, 0, 0)?)).single();
                Some(Slot { starts_at: at(*from)?.with_timezone(&Utc), ends_at: at(*to)?.with_timezone(&Utc) })
            })
        })
        .filter(|s| s.starts_at >= earliest)
        .collect()
}

/// The open slot starting at `key` (RFC 3339), if it is one.
pub fn find_slot(now: DateTime<Utc>, key: &str) -> Option<Slot> {
    let at = DateTime::parse_from_rfc3339(key.trim()).ok()?.with_timezone(&Utc);
    open_slots(now).into_iter().find(|s| s.starts_at == at)
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
        let slots = open_slots(at("2026-11-26T08:00:00+05:30"));
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
        let first = open_slots(now)[0];
        assert_eq!(find_slot(now, &first.key()), Some(first));
        assert_eq!(find_slot(now, "2026-11-26T10:00:00+05:30"), None, "inside the cut-off");
        assert_eq!(find_slot(now, "2026-11-27T08:00:00+05:30"), None, "not a window start");
        assert_eq!(find_slot(now, "2027-01-01T07:00:00+05:30"), None, "too far ahead");
        assert_eq!(find_slot(now, "tomorrow"), None);
    }
}
