//! The commission agent's settlement with a grower (PRODUCT.md §4): gross of the
//! entries, the market's commission and fees, advances recovered from what remains,
//! and the net payable. The same functions run on the server (the slip of record) and
//! in the tablet (the figures shown while offline).

use super::kilograms::Kg;
use super::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a market charges growers: a percentage of gross, a fee per entry and a fee
/// per kilogram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketTerms {
    pub commission_percent: Decimal,
    pub fee_per_entry: Money,
    pub fee_per_kg: Money,
}

/// An entry's total: rate per kg × weight, rounded once to paise.
pub fn entry_total(rate_per_kg: Money, weight: Kg) -> Money {
    rate_per_kg.times(weight.amount())
}

pub fn commission(gross: Money, terms: &MarketTerms) -> Money {
    gross.percent(terms.commission_percent)
}

/// Fees for `entries` entries weighing `weight` in all, rounded once.
pub fn fees(entries: u32, weight: Kg, terms: &MarketTerms) -> Money {
    Money::from_decimal(
        terms.fee_per_entry.amount() * Decimal::from(entries) + terms.fee_per_kg.amount() * weight.amount(),
    )
}

/// An advance given to the grower, with what is still owed on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutstandingAdvance {
    pub id: uuid::Uuid,
    pub given_on: chrono::NaiveDate,
    pub outstanding: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recovery {
    pub advance_id: uuid::Uuid,
    pub amount: Money,
}

/// Recovers advances oldest first, never more than `available` in all and never more
/// than an advance still owes.
pub fn recover(advances: &[OutstandingAdvance], available: Money) -> Vec<Recovery> {
    let mut ordered: Vec<&OutstandingAdvance> = advances.iter().filter(|a| a.outstanding > Money::ZERO).collect();
    ordered.sort_by_key(|a| (a.given_on, a.id));
    let mut left = available.max(Money::ZERO);
    let mut out = Vec::new();
    for a in ordered {
        if left == Money::ZERO {
            break;
        }
        let amount = a.outstanding.min(left);
        left = left - amount;
        out.push(Recovery { advance_id: a.id, amount });
    }
    out
}

/// A settlement's figures. When commission and fees exceed gross, nothing is paid or
/// recovered and the difference is the `shortfall` the grower owes the market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementFigures {
    pub entry_count: u32,
    pub weight: Kg,
    pub gross: Money,
    pub commission: Money,
    pub fees: Money,
    pub recoveries: Vec<Recovery>,
    pub advance_recovered: Money,
    pub shortfall: Money,
    pub net_payable: Money,
}

/// Settles from the entries' totals already summed (as the database sums them).
pub fn settle_totals(
    entry_count: u32,
    weight: Kg,
    gross: Money,
    terms: &MarketTerms,
    advances: &[OutstandingAdvance],
) -> SettlementFigures {
    let commission = commission(gross, terms);
    let fees = fees(entry_count, weight, terms);
    let available = gross - commission - fees;
    let (recoveries, shortfall) = if available.is_negative() {
        (Vec::new(), Money::ZERO - available)
    } else {
        (recover(advances, available), Money::ZERO)
    };
    let advance_recovered: Money = recoveries.iter().map(|r| r.amount).sum();
    let net_payable = if available.is_negative() { Money::ZERO } else { available - advance_recovered };
    SettlementFigures {
        entry_count,
        weight,
        gross,
        commission,
        fees,
        recoveries,
        advance_recovered,
        shortfall,
        net_payable,
    }
}

/// Settles a list of entries given as (rate per kg, weight).
pub fn settle(entries: &[(Money, Kg)], terms: &MarketTerms, advances: &[OutstandingAdvance]) -> SettlementFigures {
    let gross = entries.iter().map(|&(rate, kg)| entry_total(rate, kg)).sum();
    let weight = entries.iter().map(|&(_, kg)| kg).sum();
    settle_totals(u32::try_from(entries.len()).expect("entries fit u32"), weight, gross, terms, advances)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn terms(pct: i64, per_entry_paise: i64, per_kg_paise: i64) -> MarketTerms {
        MarketTerms {
            commission_percent: Decimal::from(pct),
            fee_per_entry: Money::from_paise(per_entry_paise),
            fee_per_kg: Money::from_paise(per_kg_paise),
        }
    }

    fn advance(n: u128, day: u32, rupees: i64) -> OutstandingAdvance {
        OutstandingAdvance {
            id: uuid::Uuid::from_u128(n),
            given_on: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            outstanding: Money::from_rupees(rupees),
        }
    }

    #[test]
    fn a_morning_of_jasmine() {
        // 12.5 kg at ₹480/kg and 3.25 kg at ₹520/kg; 10 % commission, ₹5 per entry, ₹1 per kg.
        let entries = [
            (Money::from_rupees(480), Kg::parse("12.5").unwrap()),
            (Money::from_rupees(520), Kg::parse("3.25").unwrap()),
        ];
        let s = settle(&entries, &terms(10, 500, 100), &[advance(1, 20, 1_000), advance(2, 21, 10_000)]);
        assert_eq!(s.gross, Money::from_rupees(7_690));
        assert_eq!(s.commission, Money::from_rupees(769));
        assert_eq!(s.fees, Money::from_paise(2_575)); // ₹10 + ₹15.75
        assert_eq!(s.advance_recovered, Money::from_paise(689_525), "all that remains after commission and fees");
        assert_eq!(s.recoveries[0].amount, Money::from_rupees(1_000), "the older advance first, in full");
        assert_eq!(s.net_payable, Money::ZERO);
        assert_eq!(s.weight.to_string(), "15.750");
    }

    #[test]
    fn fees_above_gross_leave_a_shortfall_and_recover_nothing() {
        let s =
            settle(&[(Money::from_paise(100), Kg::parse("0.5").unwrap())], &terms(10, 500, 0), &[advance(1, 1, 100)]);
        assert_eq!(s.gross, Money::from_paise(50));
        assert_eq!(s.net_payable, Money::ZERO);
        assert!(s.recoveries.is_empty());
        assert_eq!(s.shortfall, Money::from_paise(455));
    }

    fn money(max_paise: i64) -> impl Strategy<Value = Money> {
        (0..=max_paise).prop_map(Money::from_paise)
    }

    proptest! {
        #[test]
        fn net_and_deductions_make_up_gross(
            entries in prop::collection::vec((money(200_000), 1i64..=500_000), 0..40),
            pct in 0i64..=20, per_entry in 0i64..=2_000, per_kg in 0i64..=500,
            owed in prop::collection::vec((1u32..=28, 0i64..=50_000), 0..5),
        ) {
            let entries: Vec<(Money, Kg)> = entries.into_iter().map(|(r, g)| (r, Kg::from_grams(g))).collect();
            let advances: Vec<OutstandingAdvance> = owed.iter().enumerate().map(|(i, &(d, r))| advance(i as u128, d, r)).collect();
            let s = settle(&entries, &terms(pct, per_entry, per_kg), &advances);
            prop_assert_eq!(s.net_payable + s.commission + s.fees + s.advance_recovered, s.gross + s.shortfall);
            prop_assert!(!s.net_payable.is_negative() && !s.shortfall.is_negative());
            prop_assert!(s.shortfall == Money::ZERO || (s.net_payable == Money::ZERO && s.advance_recovered == Money::ZERO));
            let total_owed: Money = advances.iter().map(|a| a.outstanding).sum();
            prop_assert!(s.advance_recovered <= total_owed, "never recovers more than is owed");
            for r in &s.recoveries {
                let a = advances.iter().find(|a| a.id == r.advance_id).unwrap();
                prop_assert!(r.amount <= a.outstanding && r.amount > Money::ZERO);
            }
            // Exact in paise: the gross is the sum of the entries' rounded totals.
            prop_assert_eq!(s.gross.paise(), entries.iter().map(|&(r, k)| entry_total(r, k).paise()).sum::<i64>());
            // The database's sums give the same slip as the entries one by one.
            let by_totals = settle_totals(s.entry_count, s.weight, s.gross, &terms(pct, per_entry, per_kg), &advances);
            prop_assert_eq!(by_totals, s);
        }

        #[test]
        fn recovery_is_oldest_first(owed in prop::collection::vec((1u32..=28, 1i64..=50_000), 1..6), available in money(10_000_000)) {
            let advances: Vec<OutstandingAdvance> = owed.iter().enumerate().map(|(i, &(d, r))| advance(i as u128, d, r)).collect();
            let recovered = recover(&advances, available);
            let mut ordered = advances.clone();
            ordered.sort_by_key(|a| (a.given_on, a.id));
            // Every advance before the last one touched is cleared in full.
            for (i, r) in recovered.iter().enumerate() {
                prop_assert_eq!(r.advance_id, ordered[i].id);
                if i + 1 < recovered.len() {
                    prop_assert_eq!(r.amount, ordered[i].outstanding);
                }
            }
            prop_assert!(recovered.iter().map(|r| r.amount).sum::<Money>() <= available);
        }

        #[test]
        fn an_entry_total_is_within_half_a_paisa(rate in money(500_000), grams in 1i64..=10_000_000) {
            let kg = Kg::from_grams(grams);
            let exact = rate.amount() * kg.amount();
            let total = entry_total(rate, kg);
            prop_assert!((total.amount() - exact).abs() <= Decimal::new(5, 3));
        }
    }
}
