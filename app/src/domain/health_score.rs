//! A farm's health score, 0–100, as PRODUCT.md defines it:
//!
//! 40 × plant survival (alive / planted) + 25 × care recency (1 − days since the last
//! visit / 30, floored at 0) + 15 × task discipline (1 − overdue / open tasks) + 20 ×
//! conditions (share of the last 7 days' readings within thresholds).
//!
//! Every part says what it counted, so a page can explain the number. When an input is
//! missing the part is still defined, and says so: no plants counted scores 0 (nothing
//! is known to be alive), no visit ever scores 0 (nobody has cared for it), no open
//! tasks scores full marks (nothing is overdue), no readings in the window scores full
//! marks (no reading was out of range) — each marked `Missing` so the page tells the
//! owner the score rests on an absence of data, not on good data.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

pub const SURVIVAL_WEIGHT: u32 = 40;
pub const CARE_WEIGHT: u32 = 25;
pub const TASK_WEIGHT: u32 = 15;
pub const CONDITIONS_WEIGHT: u32 = 20;
/// A visit older than this many days no longer counts toward care.
pub const CARE_HORIZON_DAYS: i64 = 30;
/// Readings of the last this many days count toward conditions.
pub const CONDITIONS_WINDOW_DAYS: i64 = 7;

/// What the score is computed from, gathered by the caller for one farm on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HealthInputs {
    /// Latest count per crop, summed over crops.
    pub planted: u64,
    pub alive: u64,
    /// Days since the last field visit; `None` when no visit was ever recorded.
    pub days_since_visit: Option<i64>,
    pub open_tasks: u64,
    pub overdue_tasks: u64,
    /// Readings of the last seven days, and how many were within their thresholds.
    pub readings: u64,
    pub readings_in_range: u64,
}

/// Whether a part was computed from data or stands in for data that is not there yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    Measured,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The part's points, at most its weight, to two decimals.
    pub points: Decimal,
    pub weight: u32,
    pub basis: Basis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthScore {
    /// The sum of the parts rounded to a whole number, 0–100.
    pub score: u8,
    pub survival: Part,
    pub care: Part,
    pub tasks: Part,
    pub conditions: Part,
    pub inputs: HealthInputs,
}

fn part(weight: u32, fraction: Decimal, basis: Basis) -> Part {
    let fraction = fraction.clamp(Decimal::ZERO, Decimal::ONE);
    Part { points: (Decimal::from(weight) * fraction).round_dp(2), weight, basis }
}

fn ratio(numerator: u64, denominator: u64) -> Decimal {
    Decimal::from(numerator) / Decimal::from(denominator)
}

/// The score of one farm. Inconsistent inputs (more alive than planted, more overdue
/// than open, a visit in the future) are clamped to the nearest meaningful value rather
/// than producing a score outside 0–100.
pub fn health_score(inputs: HealthInputs) -> HealthScore {
    let survival = if inputs.planted == 0 {
        part(SURVIVAL_WEIGHT, Decimal::ZERO, Basis::Missing)
    } else {
        part(SURVIVAL_WEIGHT, ratio(inputs.alive.min(inputs.planted), inputs.planted), Basis::Measured)
    };
    let care = match inputs.days_since_visit {
        None => part(CARE_WEIGHT, Decimal::ZERO, Basis::Missing),
        Some(days) => {
            let days = days.clamp(0, CARE_HORIZON_DAYS);
            part(CARE_WEIGHT, Decimal::ONE - Decimal::from(days) / Decimal::from(CARE_HORIZON_DAYS), Basis::Measured)
        }
    };
    let tasks = if inputs.open_tasks == 0 {
        part(TASK_WEIGHT, Decimal::ONE, Basis::Missing)
    } else {
        part(
            TASK_WEIGHT,
            Decimal::ONE - ratio(inputs.overdue_tasks.min(inputs.open_tasks), inputs.open_tasks),
            Basis::Measured,
        )
    };
    let conditions = if inputs.readings == 0 {
        part(CONDITIONS_WEIGHT, Decimal::ONE, Basis::Missing)
    } else {
        part(CONDITIONS_WEIGHT, ratio(inputs.readings_in_range.min(inputs.readings), inputs.readings), Basis::Measured)
    };
    let total = survival.points + care.points + tasks.points + conditions.points;
    let score = total.round().to_u8().unwrap_or(0).min(100);
    HealthScore { score, survival, care, tasks, conditions, inputs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inputs(planted: u64, alive: u64, visit: Option<i64>, open: u64, overdue: u64, r: u64, ok: u64) -> HealthInputs {
        HealthInputs {
            planted,
            alive,
            days_since_visit: visit,
            open_tasks: open,
            overdue_tasks: overdue,
            readings: r,
            readings_in_range: ok,
        }
    }

    #[test]
    fn a_perfect_farm_scores_100() {
        let s = health_score(inputs(1000, 1000, Some(0), 4, 0, 50, 50));
        assert_eq!(s.score, 100);
        assert_eq!(s.survival.basis, Basis::Measured);
    }

    #[test]
    fn each_part_follows_the_product_formula() {
        // 900/1000 alive, visited 6 days ago, 1 of 4 tasks overdue, 45 of 50 readings fine.
        let s = health_score(inputs(1000, 900, Some(6), 4, 1, 50, 45));
        assert_eq!(s.survival.points, Decimal::new(3600, 2));
        assert_eq!(s.care.points, Decimal::new(2000, 2));
        assert_eq!(s.tasks.points, Decimal::new(1125, 2));
        assert_eq!(s.conditions.points, Decimal::new(1800, 2));
        assert_eq!(s.score, 85); // 85.25
    }

    #[test]
    fn a_visit_a_month_old_or_older_earns_no_care() {
        assert_eq!(health_score(inputs(10, 10, Some(30), 0, 0, 0, 0)).care.points, Decimal::ZERO);
        assert_eq!(health_score(inputs(10, 10, Some(400), 0, 0, 0, 0)).care.points, Decimal::ZERO);
    }

    #[test]
    fn missing_inputs_are_marked_and_scored_as_documented() {
        let s = health_score(HealthInputs::default());
        assert_eq!(s.survival, Part { points: Decimal::ZERO, weight: 40, basis: Basis::Missing });
        assert_eq!(s.care, Part { points: Decimal::ZERO, weight: 25, basis: Basis::Missing });
        assert_eq!(s.tasks.basis, Basis::Missing);
        assert_eq!(s.tasks.points, Decimal::from(15));
        assert_eq!(s.conditions.basis, Basis::Missing);
        assert_eq!(s.conditions.points, Decimal::from(20));
        assert_eq!(s.score, 35);
    }

    #[test]
    fn inconsistent_inputs_are_clamped() {
        let s = health_score(inputs(10, 50, Some(-3), 2, 9, 5, 8));
        assert_eq!(s.score, 100 - 15);
    }

    proptest! {
        #[test]
        fn the_score_is_the_rounded_sum_of_parts_within_their_weights(
            planted in 0u64..100_000, alive in 0u64..100_000, visit in proptest::option::of(-5i64..100),
            open in 0u64..50, overdue in 0u64..60, readings in 0u64..2_000, ok in 0u64..2_100,
        ) {
            let s = health_score(inputs(planted, alive, visit, open, overdue, readings, ok));
            for p in [s.survival, s.care, s.tasks, s.conditions] {
                prop_assert!(p.points >= Decimal::ZERO && p.points <= Decimal::from(p.weight));
            }
            let sum = s.survival.points + s.care.points + s.tasks.points + s.conditions.points;
            prop_assert_eq!(Decimal::from(s.score), sum.round());
            prop_assert!(s.score <= 100);
        }

        #[test]
        fn more_survivors_never_lower_the_score(planted in 1u64..10_000, a in 0u64..10_000, b in 0u64..10_000) {
            let (lo, hi) = (a.min(b), a.max(b));
            let low = health_score(inputs(planted, lo, Some(3), 2, 1, 10, 7));
            let high = health_score(inputs(planted, hi, Some(3), 2, 1, 10, 7));
            prop_assert!(high.score >= low.score);
        }
    }
}
