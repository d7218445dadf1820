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

/// The needs that what was free of each stock item (`free`, by item; an item not in
/// it has nothing free) cannot cover, each with what was free of it. Only ever a
/// reason to refuse early: whether stock is held is decided under the stock rows'
/// locks, never from an earlier read.
pub fn shortfalls(needs: &[StockNeed], free: &[(Uuid, i64)]) -> Vec<(Uuid, i64)> {
    needs
        .iter()
        .filter_map(|n| {
            let free = free.iter().find(|(item, _)| *item == n.stock_item).map_or(0, |(_, f)| *f);
            (free < n.quantity).then_some((n.stock_item, free))
        })
        .collect()
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
        assert_eq!(
            needs,
            vec![StockNeed { stock_item: other, quantity: 1 }, StockNeed { stock_item: lot, quantity: 1000 }]
        );
        assert_eq!(packs_available(1000, 250), 4);
        assert_eq!(packs_available(-5, 250), 0);
    }

    #[test]
    fn a_need_is_short_when_less_is_free_than_the_summed_quantity() {
        let (lot, other, unknown) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let needs = stock_needs(&[
            StockDraw { stock_item: lot, quantity: 2, per_unit: 250 },
            StockDraw { stock_item: lot, quantity: 1, per_unit: 500 },
            StockDraw { stock_item: other, quantity: 3, per_unit: 1 },
        ]);
        // 1000 of the lot needed: 999 free is short even though each line alone fits.
        assert_eq!(shortfalls(&needs, &[(lot, 999), (other, 3)]), vec![(lot, 999)]);
        assert_eq!(shortfalls(&needs, &[(lot, 1000), (other, 3)]), vec![]);
        assert_eq!(shortfalls(&needs, &[(other, -4)]), vec![(lot, 0), (other, -4)]);
        let unknown_need = [StockNeed { stock_item: unknown, quantity: 1 }];
        assert_eq!(shortfalls(&unknown_need, &[]), vec![(unknown, 0)]);
    }

    proptest! {
        #[test]
        fn short_exactly_when_free_is_below_the_need(needs in prop::collection::vec((0u128..8, 1i64..1000), 0..8), free in prop::collection::vec((0u128..8, -50i64..1000), 0..8)) {
            let needs = stock_needs(&needs.iter().map(|&(i, q)| StockDraw { stock_item: Uuid::from_u128(i), quantity: q as u32, per_unit: 1 }).collect::<Vec<_>>());
            let mut free: Vec<(Uuid, i64)> = free.into_iter().map(|(i, f)| (Uuid::from_u128(i), f)).collect();
            free.sort();
            free.dedup_by_key(|f| f.0);
            let short = shortfalls(&needs, &free);
            for n in &needs {
                let f = free.iter().find(|x| x.0 == n.stock_item).map_or(0, |x| x.1);
                prop_assert_eq!(short.contains(&(n.stock_item, f)), f < n.quantity);
            }
            prop_assert!(short.len() <= needs.len());
        }

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
