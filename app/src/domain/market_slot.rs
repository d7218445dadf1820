//! The market's clock: which market day and which time slot an instant falls in.
//! The market keeps Indian time (UTC+05:30, no daylight saving), so a fixed offset is
//! exact; a slot is a half-open range of local time, [start, end).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketSlot {
    pub id: Uuid,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("slot {0} ends before it starts")]
    Backwards(usize),
    #[error("slots {0} and {1} overlap")]
    Overlap(usize, usize),
}

fn market_offset() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("valid offset")
}

/// The market day an instant belongs to (the IST calendar date).
pub fn market_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&market_offset()).date_naive()
}

/// The market's wall-clock time at an instant.
pub fn market_time(at: DateTime<Utc>) -> NaiveTime {
    at.with_timezone(&market_offset()).time()
}

/// The slot whose [start, end) holds `at`'s market time; `None` between slots.
pub fn slot_at(slots: &[MarketSlot], at: DateTime<Utc>) -> Option<&MarketSlot> {
    let t = market_time(at);
    slots.iter().find(|s| s.starts_at <= t && t < s.ends_at)
}

/// Slots must each run forwards and never overlap, so an instant has one rate.
pub fn validate_slots(slots: &[MarketSlot]) -> Result<(), SlotError> {
    if let Some(i) = slots.iter().position(|s| s.ends_at <= s.starts_at) {
        return Err(SlotError::Backwards(i));
    }
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&i| slots[i].starts_at);
    for pair in order.windows(2) {
        let (a, b) = (&slots[pair[0]], &slots[pair[1]]);
        if b.starts_at < a.ends_at {
            return Err(SlotError::Overlap(pair[0].min(pair[1]), pair[0].max(pair[1])));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn hourly() -> Vec<MarketSlot> {
        (4..9)
            .map(|h| MarketSlot { id: Uuid::from_u128(h as u128), starts_at: hm(h, 0), ends_at: hm(h + 1, 0) })
            .collect()
    }

    #[test]
    fn half_past_ten_utc_is_four_in_the_morning_of_the_next_market_day() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 22, 30, 0).unwrap();
        assert_eq!(market_date(at), NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        assert_eq!(slot_at(&hourly(), at).unwrap().starts_at, hm(4, 0));
    }

    #[test]
    fn a_slot_includes_its_start_and_excludes_its_end() {
        let slots = hourly();
        let ist = |h, m| market_offset().with_ymd_and_hms(2026, 11, 27, h, m, 0).unwrap().with_timezone(&Utc);
        assert_eq!(slot_at(&slots, ist(5, 0)).unwrap().starts_at, hm(5, 0));
        assert_eq!(slot_at(&slots, ist(8, 59)).unwrap().starts_at, hm(8, 0));
        assert!(slot_at(&slots, ist(9, 0)).is_none());
        assert!(slot_at(&slots, ist(3, 59)).is_none());
    }

    #[test]
    fn refuses_backwards_and_overlapping_slots() {
        let s = |a, b| MarketSlot { id: Uuid::nil(), starts_at: hm(a, 0), ends_at: hm(b, 0) };
        assert_eq!(validate_slots(&[s(5, 4)]), Err(SlotError::Backwards(0)));
        assert_eq!(validate_slots(&[s(6, 8), s(4, 7)]), Err(SlotError::Overlap(0, 1)));
        assert_eq!(validate_slots(&[s(4, 5), s(5, 6)]), Ok(()));
        assert_eq!(validate_slots(&hourly()), Ok(()));
    }

    proptest! {
        /// Valid slots never both hold an instant.
        #[test]
        fn at_most_one_slot_holds_any_instant(bounds in proptest::collection::vec((0u32..1440, 1u32..240), 1..8), probe in 0i64..86_400 * 3) {
            let slots: Vec<MarketSlot> = bounds.iter().enumerate().map(|(i, (start, len))| {
                let end = (start + len).min(1439);
                MarketSlot { id: Uuid::from_u128(i as u128), starts_at: hm(start / 60, start % 60), ends_at: hm(end / 60, end % 60) }
            }).collect();
            let at = Utc.timestamp_opt(1_790_000_000 + probe, 0).unwrap();
            let t = market_time(at);
            let holding = slots.iter().filter(|s| s.starts_at <= t && t < s.ends_at).count();
            if validate_slots(&slots).is_ok() {
                prop_assert!(holding <= 1);
                prop_assert_eq!(slot_at(&slots, at).is_some(), holding == 1);
            } else {
                // Refused only for a real fault: a backwards slot or two that share a minute.
                let backwards = slots.iter().any(|s| s.ends_at <= s.starts_at);
                let overlap = slots.iter().enumerate().any(|(i, a)| slots[i + 1..].iter().any(|b| a.starts_at < b.ends_at && b.starts_at < a.ends_at));
                prop_assert!(backwards || overlap);
            }
        }
    }
}
