//! The rules of the ledger's reference data as an admin types it (PRODUCT.md §4):
//! market terms, flower codes, slot times, advances. Everything arrives as text and is
//! parsed exactly (decimals with `rust_decimal`, never floats); each rule answers with
//! words a person can act on, and the caller names the field.

use super::kilograms::Kg;
use super::market_slot::{MarketSlot, SlotError, validate_slots};
use super::money::Money;
use chrono::NaiveTime;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Largest fee or advance the columns hold (`numeric(12,2)` / `numeric(14,2)`), kept
/// well below both: ₹1,00,00,000.
const MAX_RUPEES: i64 = 10_000_000;

/// Commission as a percent of gross: 0–100, at most two decimals (`12.5`).
pub fn parse_percent(raw: &str) -> Result<Decimal, String> {
    let s = raw.trim();
    let (_, frac) = super::decimal_text::plain_decimal_parts(s)
        .ok_or_else(|| "must be a percent from 0 to 100, such as 10 or 12.5".to_string())?;
    if frac.is_some_and(|f| f.len() > 2) {
        return Err("must have at most two decimals".into());
    }
    let value = Decimal::from_str(s).map_err(|_| "must be a percent from 0 to 100, such as 10 or 12.5".to_string())?;
    if value > Decimal::ONE_HUNDRED {
        return Err("must be at most 100".into());
    }
    Ok(value)
}

/// A fee in rupees: zero or more, at most two decimals.
pub fn parse_fee(raw: &str) -> Result<Money, String> {
    let m = Money::parse(raw).map_err(|e| format!("{e}"))?;
    if m.is_negative() {
        return Err("must be zero or more".into());
    }
    if m.amount() > Decimal::from(MAX_RUPEES) {
        return Err("is too large".into());
    }
    Ok(m)
}

/// An advance in rupees: more than zero, at most two decimals.
pub fn parse_advance(raw: &str) -> Result<Money, String> {
    let m = Money::parse(raw).map_err(|e| format!("{e}"))?;
    if m <= Money::ZERO {
        return Err("must be an amount above zero, such as 2000".into());
    }
    if m.amount() > Decimal::from(MAX_RUPEES) {
        return Err("is too large".into());
    }
    Ok(m)
}

/// The largest single entry a tablet accepts: more than zero kilograms.
pub fn parse_max_kg(raw: &str) -> Result<Kg, String> {
    Kg::parse(raw).map_err(|e| format!("{e}"))
}

/// How many days back an entry may be dated: a whole number from 0 to 31.
pub fn parse_backdate_days(raw: &str) -> Result<i32, String> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|d| (0..=31).contains(d))
        .ok_or_else(|| "must be a whole number of days from 0 to 31".into())
}

/// A flower's short code as typed on a tablet: two to six letters A–Z (lower case is
/// raised, so `ros` is `ROS`).
pub fn parse_flower_code(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if (2..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err("must be 2 to 6 letters A–Z, such as MAL or ROSE".into())
    }
}

/// A market time as `HH:MM` (24-hour clock).
pub fn parse_hhmm(raw: &str) -> Result<NaiveTime, String> {
    let s = raw.trim();
    let ok = s.len() == 5 && s.as_bytes()[2] == b':';
    ok.then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| "must be a time as HH:MM, such as 04:30".into())
}

/// Why a slot cannot join the market's active slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotProblem {
    EndsBeforeStart,
    /// Overlaps this other active slot.
    Overlaps(MarketSlot),
}

/// Whether `candidate` may be active beside `others` (the other active slots, without
/// the candidate's own old version): it runs forwards and shares no minute.
pub fn check_slot(others: &[MarketSlot], candidate: &MarketSlot) -> Result<(), SlotProblem> {
    if candidate.ends_at <= candidate.starts_at {
        return Err(SlotProblem::EndsBeforeStart);
    }
    let mut all: Vec<MarketSlot> = others.iter().filter(|s| s.id != candidate.id).cloned().collect();
    all.push(candidate.clone());
    let last = all.len() - 1;
    match validate_slots(&all) {
        Ok(()) => Ok(()),
        Err(SlotError::Backwards(_)) => Err(SlotProblem::EndsBeforeStart),
        Err(SlotError::Overlap(a, b)) => {
            let other = if a == last { b } else { a };
            // Two old slots that already overlap are not this change's fault; find the
            // one the candidate itself collides with.
            if other != last && a != last && b != last {
                return match all[..last]
                    .iter()
                    .find(|s| candidate.starts_at < s.ends_at && s.starts_at < candidate.ends_at)
                {
                    Some(s) => Err(SlotProblem::Overlaps(s.clone())),
                    None => Ok(()),
                };
            }
            Err(SlotProblem::Overlaps(all[other].clone()))
        }
    }
}

/// A free-text field: trimmed, at most `max` characters.
pub fn bounded_text(raw: &str, max: usize) -> Result<String, String> {
    let s = raw.trim().to_string();
    if s.chars().count() > max { Err(format!("must be at most {max} characters")) } else { Ok(s) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn percents_are_exact_and_bounded() {
        assert_eq!(parse_percent("10"), Ok(Decimal::TEN));
        assert_eq!(parse_percent(" 12.5 "), Ok(Decimal::new(125, 1)));
        assert_eq!(parse_percent("0"), Ok(Decimal::ZERO));
        assert_eq!(parse_percent("100.00"), Ok(Decimal::new(10000, 2)));
        for bad in ["101", "100.01", "-1", "abc", "", "1e2", "10.125", "0.1.2"] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fees_may_be_zero_but_never_negative() {
        assert_eq!(parse_fee("0"), Ok(Money::ZERO));
        assert_eq!(parse_fee("2.50"), Ok(Money::from_paise(250)));
        for bad in ["-1", "abc", "1.005", "", "100000000"] {
            assert!(parse_fee(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn advances_are_above_zero() {
        assert_eq!(parse_advance("2000"), Ok(Money::from_rupees(2000)));
        for bad in ["0", "-5", "0.00", "two thousand", ""] {
            assert!(parse_advance(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn limits() {
        assert!(parse_max_kg("500").is_ok());
        assert!(parse_max_kg("0").is_err());
        assert!(parse_max_kg("-3").is_err());
        assert_eq!(parse_backdate_days("31"), Ok(31));
        assert_eq!(parse_backdate_days(" 0 "), Ok(0));
        for bad in ["32", "-1", "1.5", "x"] {
            assert!(parse_backdate_days(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flower_codes_are_two_to_six_letters() {
        assert_eq!(parse_flower_code("mal"), Ok("MAL".into()));
        assert_eq!(parse_flower_code(" ROSE "), Ok("ROSE".into()));
        for bad in ["M", "TOOLONG", "R0SE", "MA L", "மல்", ""] {
            assert!(parse_flower_code(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn times_are_hh_mm() {
        assert_eq!(parse_hhmm("04:30"), Ok(hm(4, 30)));
        for bad in ["4:30", "24:00", "04:60", "0430", "04:30:00", ""] {
            assert!(parse_hhmm(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_slot_may_touch_but_not_overlap_another() {
        let s =
            |id: u128, a: u32, b: u32| MarketSlot { id: Uuid::from_u128(id), starts_at: hm(a, 0), ends_at: hm(b, 0) };
        let existing = [s(1, 4, 5), s(2, 5, 6)];
        assert_eq!(check_slot(&existing, &s(3, 6, 7)), Ok(()));
        assert_eq!(check_slot(&existing, &s(3, 5, 7)), Err(SlotProblem::Overlaps(s(2, 5, 6))));
        assert_eq!(check_slot(&existing, &s(3, 7, 6)), Err(SlotProblem::EndsBeforeStart));
        // Editing a slot in place does not collide with its old self.
        assert_eq!(check_slot(&existing, &s(2, 5, 7)), Ok(()));
        assert_eq!(check_slot(&existing, &s(2, 4, 7)), Err(SlotProblem::Overlaps(s(1, 4, 5))));
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(bounded_text("  Thovalai ", 10), Ok("Thovalai".into()));
        assert!(bounded_text(&"அ".repeat(501), 500).is_err());
        assert!(bounded_text(&"அ".repeat(500), 500).is_ok());
    }
}
