//! Revenue distribution: a farm's revenue for a month, less the platform's fee and the
//! operating costs, is shared among its owners pro rata to the unit-days each held in
//! the month, in paise, by the largest-remainder method, so the parts add up exactly to
//! the distributable amount.

use super::money::Money;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A calendar month (periods are months in Asia/Kolkata: the dates are local dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    first: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    #[error("is not a month (use YYYY-MM, e.g. 2026-11)")]
    NotAMonth,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|first| Month { first })
    }

    pub fn containing(day: NaiveDate) -> Month {
        Month { first: day.with_day(1).expect("day 1 exists") }
    }

    /// `YYYY-MM`, strictly.
    pub fn parse(input: &str) -> Result<Month, MonthError> {
        let s = input.trim();
        let (y, m) = s.split_once('-').ok_or(MonthError::NotAMonth)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(MonthError::NotAMonth);
        }
        let year: i32 = y.parse().map_err(|_| MonthError::NotAMonth)?;
        let month: u32 = m.parse().map_err(|_| MonthError::NotAMonth)?;
        if !(2000..=2200).contains(&year) {
            return Err(MonthError::NotAMonth);
        }
        Month::new(year, month).ok_or(MonthError::NotAMonth)
    }

    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first - chrono::Days::new(1)
    }

    pub fn next(self) -> Month {
        let (y, m) = if self.first.month() == 12 {
            (self.first.year() + 1, 1)
        } else {
            (self.first.year(), self.first.month() + 1)
        };
        Month::new(y, m).expect("a valid month")
    }

    pub fn days(self) -> i64 {
        (self.last_day() - self.first).num_days() + 1
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.first.year(), self.first.month())
    }
}

/// The date in India (Asia/Kolkata, UTC+05:30, no daylight saving) at an instant.
pub fn ist_date(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (at + chrono::Duration::minutes(330)).date_naive()
}

/// The Indian financial year that contains a day: April to March, named by the year it
/// starts in (2026 → 2026-04-01 ..= 2027-03-31).
pub fn financial_year_of(day: NaiveDate) -> i32 {
    if day.month() >= 4 { day.year() } else { day.year() - 1 }
}

pub fn financial_year_bounds(start_year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((NaiveDate::from_ymd_opt(start_year, 4, 1)?, NaiveDate::from_ymd_opt(start_year + 1, 3, 31)?))
}

/// One ownership agreement as the distribution sees it: units held from `starts_on` to
/// `ends_on`, both inclusive (`None`: open-ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    pub owner: Uuid,
    pub units: u32,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl Holding {
    /// Units × days held within `month`.
    pub fn unit_days_in(&self, month: Month) -> i64 {
        let from = self.starts_on.max(month.first_day());
        let to = self.ends_on.map_or(month.last_day(), |e| e.min(month.last_day()));
        if to < from { 0 } else { ((to - from).num_days() + 1) * i64::from(self.units) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionInputs {
    pub revenue: Money,
    pub costs: Money,
    /// The platform's share of revenue, in percent (e.g. 5.00).
    pub platform_fee_percent: Decimal,
}

/// Why a run pays nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NothingToPay {
    NoRevenue,
    CostsExceedRevenue,
    NoUnitDays,
}

impl NothingToPay {
    pub fn code(self) -> &'static str {
        match self {
            NothingToPay::NoRevenue => "NO_REVENUE",
            NothingToPay::CostsExceedRevenue => "COSTS_EXCEED_REVENUE",
            NothingToPay::NoUnitDays => "NO_UNIT_DAYS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerShare {
    pub owner: Uuid,
    pub unit_days: i64,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    pub revenue: Money,
    pub platform_fee: Money,
    pub costs: Money,
    /// Revenue − fee − costs; may be negative, in which case nothing is paid.
    pub distributable: Money,
    pub total_unit_days: i64,
    /// One share per owner with unit-days in the month, by owner id. Empty when
    /// `nothing_to_pay` says why.
    pub shares: Vec<OwnerShare>,
    pub nothing_to_pay: Option<NothingToPay>,
}

/// The platform's fee on `revenue`, rounded to paise.
pub fn platform_fee(revenue: Money, percent: Decimal) -> Money {
    Money::from_decimal(revenue.amount() * percent / Decimal::ONE_HUNDRED)
}

/// Tax deducted at source from a payout at `percent`, rounded to paise, never more than
/// the payout.
pub fn tds(gross: Money, percent: Decimal) -> Money {
    if gross.is_negative() || percent <= Decimal::ZERO {
        return Money::ZERO;
    }
    Money::from_decimal(gross.amount() * percent.min(Decimal::ONE_HUNDRED) / Decimal::ONE_HUNDRED)
}

/// Splits a month's distributable revenue among the holdings' owners.
///
/// Each owner's exact share is `distributable × their unit-days / all unit-days`. Every
/// owner first gets that share rounded down to a paisa; the paise left over go one each
/// to the owners with the largest remainders, ties going to more unit-days, then to the
/// lower owner id, so the same inputs always give the same split.
pub fn distribute(month: Month, inputs: DistributionInputs, holdings: &[Holding]) -> Distribution {
    let platform_fee = platform_fee(inputs.revenue, inputs.platform_fee_percent);
    let distributable = inputs.revenue - platform_fee - inputs.costs;
    let mut unit_days: BTreeMap<Uuid, i64> = BTreeMap::new();
    for h in holdings {
        let d = h.unit_days_in(month);
        if d > 0 {
            *unit_days.entry(h.owner).or_default() += d;
        }
    }
    let total_unit_days: i64 = unit_days.values().sum();
    let nothing_to_pay = if inputs.revenue <= Money::ZERO {
        Some(NothingToPay::NoRevenue)
    } else if distributable <= Money::ZERO {
        Some(NothingToPay::CostsExceedRevenue)
    } else if total_unit_days == 0 {
        Some(NothingToPay::NoUnitDays)
    } else {
        None
    };
    let mut result = Distribution {
        revenue: inputs.revenue,
        platform_fee,
        costs: inputs.costs,
        distributable,
        total_unit_days,
        shares: Vec::new(),
        nothing_to_pay,
    };
    if nothing_to_pay.is_some() {
        return result;
    }
    let pool = i128::from(distributable.paise());
    let total = i128::from(total_unit_days);
    let mut parts: Vec<(Uuid, i64, i128, i128)> = unit_days
        .iter()
        .map(|(&owner, &days)| {
            let exact = pool * i128::from(days);
            (owner, days, exact / total, exact % total)
        })
        .collect();
    let handed_out: i128 = parts.iter().map(|p| p.2).sum();
    let left_over = usize::try_from(pool - handed_out).expect("fewer paise left than owners");
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&parts[a], &parts[b]);
        pb.3.cmp(&pa.3).then(pb.1.cmp(&pa.1)).then(pa.0.cmp(&pb.0))
    });
    for &i in order.iter().take(left_over) {
        parts[i].2 += 1;
    }
    result.shares = parts
        .into_iter()
        .map(|(owner, days, paise, _)| OwnerShare {
            owner,
            unit_days: days,
            amount: Money::from_paise(i64::try_from(paise).expect("a share within the pool")),
        })
        .collect();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn owner(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn nov() -> Month {
        Month::new(2026, 11).unwrap()
    }

    fn inputs(revenue: i64, costs: i64, fee: i64) -> DistributionInputs {
        DistributionInputs {
            revenue: Money::from_rupees(revenue),
            costs: Money::from_rupees(costs),
            platform_fee_percent: Decimal::from(fee),
        }
    }

    fn whole(o: u128, units: u32) -> Holding {
        Holding { owner: owner(o), units, starts_on: day(2025, 1, 1), ends_on: None }
    }

    #[test]
    fn months_parse_strictly_and_know_their_days() {
        assert_eq!(Month::parse("2026-11").unwrap().days(), 30);
        assert_eq!(Month::parse("2028-02").unwrap().days(), 29);
        assert_eq!(Month::parse("2026-12").unwrap().next().to_string(), "2027-01");
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-00", "abcd-ef", "1999-01"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn financial_years_run_april_to_march() {
        assert_eq!(financial_year_of(day(2026, 4, 1)), 2026);
        assert_eq!(financial_year_of(day(2027, 3, 31)), 2026);
        assert_eq!(financial_year_bounds(2026), Some((day(2026, 4, 1), day(2027, 3, 31))));
    }

    #[test]
    fn agreements_starting_or_ending_mid_month_count_their_days() {
        let h = Holding { owner: owner(1), units: 10, starts_on: day(2026, 11, 21), ends_on: None };
        assert_eq!(h.unit_days_in(nov()), 100);
        let h = Holding { owner: owner(1), units: 3, starts_on: day(2026, 1, 1), ends_on: Some(day(2026, 11, 1)) };
        assert_eq!(h.unit_days_in(nov()), 3);
        let h = Holding { owner: owner(1), units: 3, starts_on: day(2026, 12, 1), ends_on: None };
        assert_eq!(h.unit_days_in(nov()), 0);
    }

    #[test]
    fn fee_and_costs_come_off_before_the_split() {
        // ₹10,000 revenue, 5% fee, ₹1,000 costs → ₹8,500 among 1:3 holdings.
        let d = distribute(nov(), inputs(10_000, 1_000, 5), &[whole(1, 10), whole(2, 30)]);
        assert_eq!(d.platform_fee, Money::from_rupees(500));
        assert_eq!(d.distributable, Money::from_rupees(8_500));
        assert_eq!(d.shares[0].amount, Money::from_paise(212_500));
        assert_eq!(d.shares[1].amount, Money::from_paise(637_500));
    }

    #[test]
    fn left_over_paise_go_to_the_largest_remainders_then_deterministically() {
        // ₹1.00 among three equal owners: 34 + 33 + 33, the extra paisa to the lowest id.
        let d = distribute(nov(), inputs(1, 0, 0), &[whole(3, 1), whole(1, 1), whole(2, 1)]);
        let paise: Vec<(Uuid, i64)> = d.shares.iter().map(|s| (s.owner, s.amount.paise())).collect();
        assert_eq!(paise, vec![(owner(1), 34), (owner(2), 33), (owner(3), 33)]);
    }

    #[test]
    fn nothing_is_paid_and_the_run_says_why() {
        assert_eq!(distribute(nov(), inputs(0, 0, 5), &[whole(1, 1)]).nothing_to_pay, Some(NothingToPay::NoRevenue));
        let d = distribute(nov(), inputs(1_000, 2_000, 5), &[whole(1, 1)]);
        assert_eq!(d.nothing_to_pay, Some(NothingToPay::CostsExceedRevenue));
        assert!(d.shares.is_empty() && d.distributable.is_negative());
        assert_eq!(distribute(nov(), inputs(1_000, 0, 5), &[]).nothing_to_pay, Some(NothingToPay::NoUnitDays));
    }

    #[test]
    fn tds_is_a_rounded_share_of_the_payout() {
        assert_eq!(tds(Money::from_paise(10_001), Decimal::from(10)), Money::from_paise(1_000));
        assert_eq!(tds(Money::from_rupees(100), Decimal::ZERO), Money::ZERO);
    }

    fn holdings() -> impl Strategy<Value = Vec<Holding>> {
        prop::collection::vec((1u128..40, 1u32..5_000, 0u32..60, proptest::option::of(0u32..60)), 0..60).prop_map(|v| {
            v.into_iter()
                .map(|(o, units, start, len)| {
                    let starts_on = day(2026, 10, 1) + chrono::Days::new(u64::from(start));
                    Holding {
                        owner: owner(o),
                        units,
                        starts_on,
                        ends_on: len.map(|l| starts_on + chrono::Days::new(u64::from(l))),
                    }
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_parts_sum_exactly_and_stay_within_a_paisa_of_the_exact_share(
            revenue in 0i64..1_000_000_000_000, costs in 0i64..100_000_000_000, fee in 0i64..=30, hs in holdings(),
        ) {
            let inputs = DistributionInputs {
                revenue: Money::from_paise(revenue),
                costs: Money::from_paise(costs),
                platform_fee_percent: Decimal::from(fee),
            };
            let d = distribute(nov(), inputs, &hs);
            if d.nothing_to_pay.is_some() {
                prop_assert!(d.shares.is_empty());
                prop_assert!(d.distributable <= Money::ZERO || d.total_unit_days == 0 || d.revenue <= Money::ZERO);
            } else {
                let sum: i64 = d.shares.iter().map(|s| s.amount.paise()).sum();
                prop_assert_eq!(sum, d.distributable.paise());
                for s in &d.shares {
                    prop_assert!(s.unit_days > 0);
                    let exact = Decimal::from(d.distributable.paise()) * Decimal::from(s.unit_days)
                        / Decimal::from(d.total_unit_days);
                    let got = Decimal::from(s.amount.paise());
                    prop_assert!(got >= exact.floor() && got <= exact.floor() + Decimal::ONE);
                    prop_assert!(got - exact <= Decimal::ONE);
                }
            }
        }

        #[test]
        fn the_split_does_not_depend_on_the_order_of_agreements(hs in holdings(), revenue in 1i64..10_000_000) {
            let inputs = DistributionInputs { revenue: Money::from_paise(revenue), costs: Money::ZERO, platform_fee_percent: Decimal::ZERO };
            let mut reversed = hs.clone();
            reversed.reverse();
            prop_assert_eq!(distribute(nov(), inputs, &hs), distribute(nov(), inputs, &reversed));
        }
    }
}
