//! Changing stock by hand: why (damage, a count that was wrong, goods returned), by how
//! much, and the rules every change obeys: never below zero, never below what is held
//! for orders being paid, and an item at or under its threshold is low.

use crate::error::FieldErrors;
use serde::{Deserialize, Serialize};

/// Why stock changed by hand (the `stock_movements.reason` written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustReason {
    /// Spoiled or broken: stock goes down.
    Damage,
    /// A count found the books wrong: either way.
    CountCorrection,
    /// Goods came back sellable: stock goes up.
    Return,
}

impl AdjustReason {
    pub fn movement(self) -> &'static str {
        match self {
            AdjustReason::Damage => "damaged",
            AdjustReason::CountCorrection => "count_corrected",
            AdjustReason::Return => "returned",
        }
    }
}

/// A change typed into the stock screen or sent to the API, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub reason: AdjustReason,
    /// Grams or units (as the item counts), never zero.
    pub delta: i64,
    pub note: Option<String>,
}

/// Largest change in one adjustment: a tonne in grams.
pub const MAX_DELTA: i64 = 1_000_000_000;

impl Adjustment {
    pub fn parse(reason: &str, delta: &str, note: &str) -> Result<Adjustment, FieldErrors> {
        let mut fields = FieldErrors::new();
        let reason = match reason.trim() {
            "damage" => Some(AdjustReason::Damage),
            "count_correction" => Some(AdjustReason::CountCorrection),
            "return" => Some(AdjustReason::Return),
            _ => {
                fields.insert("reason".into(), "must be damage, count_correction or return".into());
                None
            }
        };
        let delta = match delta.trim().parse::<i64>() {
            Ok(0) => {
                fields.insert("delta".into(), "must not be zero".into());
                None
            }
            Ok(d) if d.abs() > MAX_DELTA => {
                fields.insert("delta".into(), format!("must be at most {MAX_DELTA} either way"));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                fields.insert(
                    "delta".into(),
                    "must be a whole number (grams or units; negative takes stock away)".into(),
                );
                None
            }
        };
        match (reason, delta) {
            (Some(AdjustReason::Damage), Some(d)) if d > 0 => {
                fields.insert("delta".into(), "damage takes stock away: give a negative number".into());
            }
            (Some(AdjustReason::Return), Some(d)) if d < 0 => {
                fields.insert("delta".into(), "a return adds stock: give a positive number".into());
            }
            _ => {}
        }
        let note = note.trim();
        if note.chars().count() > 500 {
            fields.insert("note".into(), "must be at most 500 characters".into());
        }
        match (reason, delta) {
            (Some(reason), Some(delta)) if fields.is_empty() => {
                Ok(Adjustment { reason, delta, note: (!note.is_empty()).then(|| note.to_string()) })
            }
            _ => Err(fields),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("would leave {on_hand} + ({delta}) below zero")]
    BelowZero { on_hand: i64, delta: i64 },
    #[error("{held} are held for orders being paid; at least that many must stay")]
    BelowHeld { held: i64 },
}

/// What is on hand after `delta`, if the change is allowed.
pub fn apply(on_hand: i64, held: i64, delta: i64) -> Result<i64, StockError> {
    let after = on_hand + delta;
    if after < 0 {
        return Err(StockError::BelowZero { on_hand, delta });
    }
    if delta < 0 && after < held {
        return Err(StockError::BelowHeld { held });
    }
    Ok(after)
}

/// Whether an item is low: its count on hand is at or under its threshold (a threshold
/// of 0 means the store does not watch it). `stock_service` asks the same in SQL.
pub fn is_low(on_hand: i64, threshold: i64) -> bool {
    threshold > 0 && on_hand <= threshold
}

/// A threshold as typed: a whole number of grams or units, 0 to stop watching.
pub fn parse_threshold(raw: &str) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (0..=MAX_DELTA).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 0 to {MAX_DELTA}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn adjustments_parse_or_name_what_is_wrong() {
        let a = Adjustment::parse("damage", "-250", " crushed in transit ").unwrap();
        assert_eq!((a.reason, a.delta, a.note.as_deref()), (AdjustReason::Damage, -250, Some("crushed in transit")));
        assert_eq!(Adjustment::parse("count_correction", "40", "").unwrap().delta, 40);
        let keys = |r: &str, d: &str, n: &str| Adjustment::parse(r, d, n).unwrap_err().into_keys().collect::<Vec<_>>();
        assert_eq!(keys("theft", "ten", ""), ["delta", "reason"]);
        assert_eq!(keys("damage", "5", ""), ["delta"]);
        assert_eq!(keys("return", "-5", ""), ["delta"]);
        assert_eq!(keys("count_correction", "0", &"x".repeat(501)), ["delta", "note"]);
        assert_eq!(keys("count_correction", "99999999999", ""), ["delta"]);
    }

    #[test]
    fn stock_never_goes_below_zero_or_below_what_is_held() {
        assert_eq!(apply(100, 0, -100), Ok(0));
        assert_eq!(apply(100, 0, -101), Err(StockError::BelowZero { on_hand: 100, delta: -101 }));
        assert_eq!(apply(100, 60, -50), Err(StockError::BelowHeld { held: 60 }));
        assert_eq!(apply(10, 60, 5), Ok(15), "adding is always allowed");
        assert!(is_low(10, 10) && !is_low(11, 10) && !is_low(0, 0));
        assert_eq!(parse_threshold(" 500 "), Ok(500));
        assert!(parse_threshold("-1").is_err() && parse_threshold("lots").is_err());
    }

    proptest! {
        #[test]
        fn an_allowed_change_leaves_a_count_that_covers_the_holds(on_hand in 0i64..10_000, held in 0i64..10_000, delta in -20_000i64..20_000) {
            if let Ok(after) = apply(on_hand, held, delta) {
                prop_assert!(after >= 0);
                prop_assert_eq!(after, on_hand + delta);
                if delta < 0 { prop_assert!(after >= held); }
            }
        }
    }
}
