//! The control tower's KPIs, figured from the daily rows the rollup job stores: today
//! against the daily average of the 7 and the 30 days before it.
//!
//! Rates over a window are figured from the window's sums (the average order value of
//! a week is its GMV over its orders), never as an average of daily rates, so a quiet
//! day weighs what it sold.

use super::money::Money;
use super::order_state::OrderState;
use chrono::{Duration, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// One store day as the rollup stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiDay {
    pub day: NaiveDate,
    /// Paid orders placed that day, what they came to, and what of it was refunded.
    pub orders: i64,
    pub gmv: Money,
    pub refunded: Money,
    /// Of those orders, how many reached the customer, and how many were cancelled
    /// after payment; the others are still on their way.
    pub reached: i64,
    pub cancelled_paid: i64,
    /// Market settlements generated that day (not cancelled), and their net payable.
    pub settlements: i64,
    pub settled: Money,
    pub farm_revenue: Money,
}

impl KpiDay {
    pub fn empty(day: NaiveDate) -> KpiDay {
        KpiDay {
            day,
            orders: 0,
            gmv: Money::ZERO,
            refunded: Money::ZERO,
            reached: 0,
            cancelled_paid: 0,
            settlements: 0,
            settled: Money::ZERO,
            farm_revenue: Money::ZERO,
        }
    }
}

/// Whether a paid order in `state` reached its customer: refunds are asked for and
/// granted only after delivery.
pub fn reached_customer(state: OrderState) -> bool {
    matches!(state, OrderState::Delivered | OrderState::RefundRequested | OrderState::Refunded)
}

/// The figures of a day, or a window's daily average.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub gmv: Money,
    /// Orders a day; a window's average keeps one decimal.
    pub orders: Decimal,
    pub average_order: Option<Money>,
    /// Percent, to one place: of the paid orders whose outcome is known, those that
    /// reached the customer.
    pub fill_rate: Option<Decimal>,
    /// Percent, to one place, of the GMV refunded.
    pub refund_rate: Option<Decimal>,
    pub settlements: Decimal,
    pub settled: Money,
    pub farm_revenue: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiSummary {
    pub today: Figures,
    /// Daily averages of the 7 and the 30 days before today.
    pub last_7: Figures,
    pub last_30: Figures,
}

#[derive(Default)]
struct Totals {
    orders: i64,
    gmv: Money,
    refunded: Money,
    reached: i64,
    cancelled_paid: i64,
    settlements: i64,
    settled: Money,
    farm_revenue: Money,
}

impl Totals {
    fn of<'a>(days: impl Iterator<Item = &'a KpiDay>) -> Totals {
        days.fold(Totals::default(), |t, d| Totals {
            orders: t.orders + d.orders,
            gmv: t.gmv + d.gmv,
            refunded: t.refunded + d.refunded,
            reached: t.reached + d.reached,
            cancelled_paid: t.cancelled_paid + d.cancelled_paid,
            settlements: t.settlements + d.settlements,
            settled: t.settled + d.settled,
            farm_revenue: t.farm_revenue + d.farm_revenue,
        })
    }

    /// Sums shown as a daily average over `days`; rates from the sums.
    fn per_day(&self, days: i64) -> Figures {
        let n = Decimal::from(days.max(1));
        let average = |m: Money| Money::from_decimal(m.amount() / n);
        let count = |c: i64| (Decimal::from(c) / n).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
        Figures {
            gmv: average(self.gmv),
            orders: count(self.orders),
            average_order: (self.orders > 0)
                .then(|| Money::from_decimal(self.gmv.amount() / Decimal::from(self.orders))),
            fill_rate: percent(self.reached, self.reached + self.cancelled_paid),
            refund_rate: (!self.gmv.amount().is_zero())
                .then(|| round_percent(self.refunded.amount() * Decimal::ONE_HUNDRED / self.gmv.amount())),
            settlements: count(self.settlements),
            settled: average(self.settled),
            farm_revenue: average(self.farm_revenue),
        }
    }
}

fn round_percent(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
}

fn percent(part: i64, whole: i64) -> Option<Decimal> {
    (whole > 0).then(|| round_percent(Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole)))
}

/// Days `[today - days, today - 1]`.
fn before(today: NaiveDate, days: i64) -> impl Fn(&KpiDay) -> bool {
    move |d| d.day < today && d.day >= today - Duration::days(days)
}

/// Today's figures against the 7 and 30 days before; days with no row count as nothing
/// sold, and rows outside the windows are ignored.
pub fn summarize(days: &[KpiDay], today: NaiveDate) -> KpiSummary {
    KpiSummary {
        today: Totals::of(days.iter().filter(|d| d.day == today)).per_day(1),
        last_7: Totals::of(days.iter().filter(|d| before(today, 7)(d))).per_day(7),
        last_30: Totals::of(days.iter().filter(|d| before(today, 30)(d))).per_day(30),
    }
}

/// The `count` days ending today, oldest first, with a figure each (zero for a day
/// with no row): what the chart draws.
pub fn daily_series(
    days: &[KpiDay],
    today: NaiveDate,
    count: i64,
    figure: fn(&KpiDay) -> Money,
) -> Vec<(NaiveDate, Money)> {
    (0..count)
        .rev()
        .map(|back| {
            let day = today - Duration::days(back);
            (day, days.iter().find(|d| d.day == day).map_or(Money::ZERO, figure))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap() + Duration::days(n)
    }

    fn sold(n: i64, orders: i64, gmv: i64) -> KpiDay {
        KpiDay { orders, gmv: Money::from_rupees(gmv), reached: orders, ..KpiDay::empty(day(n)) }
    }

    #[test]
    fn today_stands_against_the_days_before_it() {
        let today = day(30);
        let mut days = vec![sold(30, 4, 2_000)];
        days.extend((23..30).map(|n| sold(n, 2, 700)));
        days.push(sold(5, 10, 9_000));
        let s = summarize(&days, today);
        assert_eq!(s.today.gmv, Money::from_rupees(2_000));
        assert_eq!(s.today.orders, Decimal::from(4));
        assert_eq!(s.today.average_order, Some(Money::from_rupees(500)));
        assert_eq!(s.last_7.gmv, Money::from_rupees(700));
        assert_eq!(s.last_7.orders, Decimal::from(2));
        assert_eq!(s.last_7.average_order, Some(Money::from_rupees(350)));
        // 7 × ₹700 + ₹9,000 over 30 days; 14 + 10 orders.
        assert_eq!(s.last_30.gmv, Money::from_decimal(Decimal::from(13_900) / Decimal::from(30)));
        assert_eq!(s.last_30.orders, "0.8".parse().unwrap());
        assert_eq!(s.last_30.average_order, Some(Money::from_decimal(Decimal::from(13_900) / Decimal::from(24))));
    }

    #[test]
    fn rates_come_from_the_sums() {
        let today = day(10);
        let days = vec![
            KpiDay {
                orders: 10,
                gmv: Money::from_rupees(1_000),
                refunded: Money::from_rupees(50),
                reached: 6,
                cancelled_paid: 2,
                ..KpiDay::empty(day(9))
            },
            KpiDay {
                orders: 1,
                gmv: Money::from_rupees(3_000),
                refunded: Money::from_rupees(3_000),
                reached: 1,
                ..KpiDay::empty(day(8))
            },
        ];
        let s = summarize(&days, today);
        // 3,050 of 4,000 refunded; 7 of 9 orders with an outcome reached the customer.
        assert_eq!(s.last_7.refund_rate, Some("76.3".parse().unwrap()));
        assert_eq!(s.last_7.fill_rate, Some("77.8".parse().unwrap()));
        assert_eq!(s.today, Totals::default().per_day(1));
        assert_eq!((s.today.average_order, s.today.fill_rate, s.today.refund_rate), (None, None, None));
    }

    #[test]
    fn the_chart_has_a_point_for_every_day() {
        let today = day(10);
        let series = daily_series(&[sold(10, 1, 40), sold(8, 1, 25), sold(2, 1, 99)], today, 3, |d| d.gmv);
        assert_eq!(
            series,
            vec![(day(8), Money::from_rupees(25)), (day(9), Money::ZERO), (day(10), Money::from_rupees(40))]
        );
    }

    #[test]
    fn only_paid_orders_that_were_delivered_reached_the_customer() {
        let reached: Vec<_> = OrderState::ALL.into_iter().filter(|s| reached_customer(*s)).collect();
        assert_eq!(reached, vec![OrderState::Delivered, OrderState::RefundRequested, OrderState::Refunded]);
    }

    fn any_day() -> impl Strategy<Value = KpiDay> {
        (0i64..60, 0i64..500, 0i64..5_000_000, 0i64..=100, 0i64..200, 0i64..10_000_000, 0i64..10_000_000).prop_map(
            |(n, orders, gmv_paise, refunded_pct, cancelled, settled, revenue)| {
                let gmv = Money::from_paise(gmv_paise);
                KpiDay {
                    day: day(n),
                    orders: orders + cancelled,
                    gmv,
                    refunded: Money::from_paise(gmv_paise * refunded_pct / 100),
                    reached: orders,
                    cancelled_paid: cancelled,
                    settlements: orders / 10,
                    settled: Money::from_paise(settled),
                    farm_revenue: Money::from_paise(revenue),
                }
            },
        )
    }

    proptest! {
        #[test]
        fn rates_stay_within_a_hundred_and_averages_within_a_paisa_per_day(
            days in proptest::collection::vec(any_day(), 0..40),
        ) {
            let today = day(45);
            let s = summarize(&days, today);
            for f in [&s.today, &s.last_7, &s.last_30] {
                for rate in [f.fill_rate, f.refund_rate].into_iter().flatten() {
                    prop_assert!(rate >= Decimal::ZERO && rate <= Decimal::ONE_HUNDRED);
                }
            }
            let window: Vec<_> = days.iter().filter(|d| d.day < today && d.day >= today - Duration::days(30)).collect();
            let gmv: Decimal = window.iter().map(|d| d.gmv.amount()).sum();
            let off = (s.last_30.gmv.amount() * Decimal::from(30) - gmv).abs();
            prop_assert!(off <= Decimal::new(15, 2), "{off}");
            // Order does not matter.
            let mut reversed = days.clone();
            reversed.reverse();
            prop_assert_eq!(summarize(&reversed, today), s);
        }
    }
}
