//! The arithmetic of the ledger's reports: tallies of entries (count, weight, amount),
//! a flower's average rate, each flower's share of the day, and the running balance of
//! a grower's advances. The database sums; these rules decide what the sums mean, the
//! same in the server and in the browser.

use super::kilograms::Kg;
use super::money::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Entries counted, weighed and priced. Amounts are exact (paise, grams), so adding
/// tallies in any order gives the same total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub entries: i64,
    pub quantity_kg: Kg,
    /// Σ entry totals of the priced entries.
    pub gross: Money,
    /// Entries still waiting for their slot's rate: weighed, not yet priced.
    pub pending: i64,
}

impl Tally {
    pub const ZERO: Tally = Tally { entries: 0, quantity_kg: Kg::ZERO, gross: Money::ZERO, pending: 0 };

    /// A tally from the database's sums (`numeric`), which are whole grams and paise.
    pub fn from_sums(entries: i64, quantity_kg: Decimal, gross: Decimal, pending: i64) -> Tally {
        let grams = (quantity_kg * Decimal::ONE_THOUSAND).trunc();
        Tally {
            entries,
            quantity_kg: Kg::from_grams(i64::try_from(grams).unwrap_or(i64::MAX)),
            gross: Money::from_decimal(gross),
            pending,
        }
    }

    pub fn plus(self, other: Tally) -> Tally {
        Tally {
            entries: self.entries + other.entries,
            quantity_kg: self.quantity_kg + other.quantity_kg,
            gross: self.gross + other.gross,
            pending: self.pending + other.pending,
        }
    }

    /// The weighted average rate per kg over the priced entries, to the paisa (half
    /// away from zero); none when nothing is priced yet. `priced_kg` excludes entries
    /// still pending, whose weight has no amount yet.
    pub fn average_rate(self, priced_kg: Kg) -> Option<Money> {
        average_rate(self.gross, priced_kg)
    }
}

pub fn total<I: IntoIterator<Item = Tally>>(parts: I) -> Tally {
    parts.into_iter().fold(Tally::ZERO, Tally::plus)
}

/// Amount ÷ weight, to the paisa.
pub fn average_rate(gross: Money, kg: Kg) -> Option<Money> {
    (kg.amount() > Decimal::ZERO).then(|| Money::from_decimal(gross.amount() / kg.amount()))
}

/// `part` as a percentage of `whole` with one decimal (half away from zero); 0 when the
/// whole is nothing.
pub fn share_percent(part: Money, whole: Money) -> Decimal {
    if whole.amount().is_zero() {
        return Decimal::ZERO;
    }
    let mut p = (part.amount() * Decimal::ONE_HUNDRED / whole.amount())
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    p.rescale(1);
    p
}

/// One change to what a grower owes the market in advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum AdvanceMove {
    /// Cash given (or a shortfall carried forward): the balance grows.
    Given,
    /// Taken back from a settlement: the balance shrinks.
    Recovered,
}

/// The balance after each move, starting from `opening`. Recoveries come from
/// settlements, which never recover more than is outstanding, so a balance below zero
/// means the records disagree; it is shown as it is rather than hidden.
pub fn running_balance(opening: Money, moves: &[(AdvanceMove, Money)]) -> Vec<Money> {
    let mut balance = opening;
    moves
        .iter()
        .map(|(kind, amount)| {
            balance = match kind {
                AdvanceMove::Given => balance + *amount,
                AdvanceMove::Recovered => balance - *amount,
            };
            balance
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rs(r: i64) -> Money {
        Money::from_rupees(r)
    }

    #[test]
    fn average_rate_is_weighted_and_rounded_to_the_paisa() {
        // 2 kg at ₹100 and 1 kg at ₹101: ₹301 over 3 kg = ₹100.333… → ₹100.33.
        assert_eq!(average_rate(rs(301), Kg::from_grams(3000)), Some(Money::parse("100.33").unwrap()));
        // ₹0.05 over 10 kg = ₹0.005 → half away from zero → ₹0.01.
        assert_eq!(
            average_rate(Money::parse("0.05").unwrap(), Kg::from_grams(10_000)),
            Some(Money::parse("0.01").unwrap())
        );
        assert_eq!(average_rate(rs(10), Kg::ZERO), None);
    }

    #[test]
    fn shares_round_to_one_decimal_and_survive_an_empty_day() {
        assert_eq!(share_percent(rs(1), rs(3)).to_string(), "33.3");
        assert_eq!(share_percent(rs(2), rs(3)).to_string(), "66.7");
        assert_eq!(share_percent(rs(1), rs(8)).to_string(), "12.5");
        assert_eq!(share_percent(rs(5), Money::ZERO), Decimal::ZERO);
    }

    #[test]
    fn from_sums_keeps_grams_and_paise() {
        let t = Tally::from_sums(3, "12.345".parse().unwrap(), "5250.50".parse().unwrap(), 1);
        assert_eq!((t.quantity_kg.grams(), t.gross.paise(), t.entries, t.pending), (12_345, 525_050, 3, 1));
    }

    #[test]
    fn running_balance_follows_each_move() {
        let moves = [
            (AdvanceMove::Given, rs(2000)),
            (AdvanceMove::Recovered, rs(1500)),
            (AdvanceMove::Given, rs(300)),
            (AdvanceMove::Recovered, rs(800)),
        ];
        assert_eq!(running_balance(rs(100), &moves), vec![rs(2100), rs(600), rs(900), rs(100)]);
        assert!(running_balance(rs(100), &[]).is_empty());
    }

    fn tally() -> impl Strategy<Value = Tally> {
        (0i64..5_000, 0i64..50_000_000, 0i64..1_000_000_000, 0i64..50).prop_map(|(entries, grams, paise, pending)| {
            Tally { entries, quantity_kg: Kg::from_grams(grams), gross: Money::from_paise(paise), pending }
        })
    }

    proptest! {
        /// The grand total is the sum of the parts, whatever their order.
        #[test]
        fn totals_are_exact_and_order_free(parts in proptest::collection::vec(tally(), 0..40)) {
            let t = total(parts.clone());
            let mut reversed = parts.clone();
            reversed.reverse();
            prop_assert_eq!(t, total(reversed));
            prop_assert_eq!(t.gross.paise(), parts.iter().map(|p| p.gross.paise()).sum::<i64>());
            prop_assert_eq!(t.quantity_kg.grams(), parts.iter().map(|p| p.quantity_kg.grams()).sum::<i64>());
            prop_assert_eq!(t.entries, parts.iter().map(|p| p.entries).sum::<i64>());
        }

        /// A weighted average lies between the lowest and highest rate that made it.
        #[test]
        fn average_rate_lies_between_the_rates(lines in proptest::collection::vec((1i64..100_000, 1i64..2_000_000), 1..30)) {
            // (rate in paise, grams); each line's amount is rate × kg to the paisa.
            let gross = lines.iter().fold(Money::ZERO, |acc, (rate, grams)| acc + Money::from_paise(*rate).times(Kg::from_grams(*grams).amount()));
            let kg = lines.iter().map(|(_, g)| Kg::from_grams(*g)).sum::<Kg>();
            let avg = average_rate(gross, kg).unwrap();
            let lo = lines.iter().map(|l| l.0).min().unwrap();
            let hi = lines.iter().map(|l| l.0).max().unwrap();
            // Each line rounds by at most half a paisa, which can move the average by as much.
            prop_assert!(avg.paise() >= lo - 1 && avg.paise() <= hi + 1, "{} not in {}..={}", avg.paise(), lo, hi);
        }

        /// Shares of the parts of a whole add up to 100 % within the rounding of each.
        #[test]
        fn shares_add_up_to_the_whole(parts in proptest::collection::vec(1i64..10_000_000, 1..20)) {
            let whole = Money::from_paise(parts.iter().sum());
            let sum: Decimal = parts.iter().map(|p| share_percent(Money::from_paise(*p), whole)).sum();
            let slack = Decimal::new(5, 2) * Decimal::from(parts.len() as i64);
            prop_assert!((sum - Decimal::ONE_HUNDRED).abs() <= slack, "{sum}");
        }

        /// Given minus recovered, from the opening balance, is the closing balance.
        #[test]
        fn closing_balance_is_opening_plus_given_minus_recovered(opening in 0i64..10_000_000, moves in proptest::collection::vec((any::<bool>(), 1i64..1_000_000), 0..30)) {
            let moves: Vec<(AdvanceMove, Money)> = moves.into_iter().map(|(g, p)| (if g { AdvanceMove::Given } else { AdvanceMove::Recovered }, Money::from_paise(p))).collect();
            let balances = running_balance(Money::from_paise(opening), &moves);
            let given: i64 = moves.iter().filter(|m| m.0 == AdvanceMove::Given).map(|m| m.1.paise()).sum();
            let recovered: i64 = moves.iter().filter(|m| m.0 == AdvanceMove::Recovered).map(|m| m.1.paise()).sum();
            prop_assert_eq!(balances.last().copied().unwrap_or(Money::from_paise(opening)).paise(), opening + given - recovered);
        }
    }
}
