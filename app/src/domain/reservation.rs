//! How much of each stock item a set of order lines needs. Lines that draw on the
//! same stock (two pack sizes of one lot) are summed before anything is checked, and
//! the result is in stock-item order: every checkout locks stock rows in that one
//! order, so two concurrent checkouts cannot deadlock on each other.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One line as stock sees it: `quantity` packs, each taking `per_unit` of the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDraw {
    pub stock_item: Uuid,
    pub quantity: u32,
    pub per_unit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockNeed {
    pub stock_item: Uuid,
    pub quantity: i64,
}

/// The summed need per stock item, ordered by stock item id.
pub fn stock_needs(draws: &[StockDraw]) -> Vec<StockNeed> {
    let mut by_item: BTreeMap<Uuid, i64> = BTreeMap::new();
    for d in draws {
        *by_item.entry(d.stock_item).or_default() += i64::from(d.quantity) * i64::from(d.per_unit);
    }
    by_item.into_iter().map(|(stock_item, quantity)| StockNeed { stock_item, quantity }).collect()
}

/// How many packs of `per_unit` fit in `available` (never negative).
pub fn packs_available(available: i64, per_unit: u32) -> i64 {
    if per_unit == 0 { 0 } else { available.max(0) / i64::from(per_unit) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_pack_sizes_of_one_lot_are_summed() {
        let lot = Uuid::from_u128(7);
        let other = Uuid::from_u128(3);
        let needs = stock_needs(&[
            StockDraw { stock_item: lot, quantity: 2, per_unit: 250 },
            StockDraw { stock_item: other, quantity: 1, per_unit: 1 },
            StockDraw { stock_item: lot, quantity: 1, per_unit: 500 },
        ]);
        assert_eq!(needs, vec![StockNeed { stock_item: other, quantity: 1 }, StockNeed { stock_item: lot, quantity: 1000 }]);
        assert_eq!(packs_available(1000, 250), 4);
        assert_eq!(packs_available(-5, 250), 0);
    }

    proptest! {
        #[test]
        fn needs_are_sorted_unique_and_conserve_quantity(draws in prop::collection::vec((0u128..6, 1u32..100, 1u32..1000), 0..30)) {
            let draws: Vec<StockDraw> = draws.into_iter().map(|(i, q, p)| StockDraw { stock_item: Uuid::from_u128(i), quantity: q, per_unit: p }).collect();
            let needs = stock_needs(&draws);
            prop_assert!(needs.windows(2).all(|w| w[0].stock_item < w[1].stock_item));
            let total: i64 = draws.iter().map(|d| i64::from(d.quantity) * i64::from(d.per_unit)).sum();
            prop_assert_eq!(needs.iter().map(|n| n.quantity).sum::<i64>(), total);
            prop_assert!(needs.iter().all(|n| n.quantity > 0));
        }
    }
}
