//! What a cart costs: line totals, a coupon discount, the delivery fee and the GST
//! already inside the prices. One pure function, used by the cart island, the checkout
//! page, the API and the order snapshot alike.

use super::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One cart line as priced today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLine {
    pub unit_price: Money,
    pub quantity: u32,
    /// GST rate inside the shelf price, in percent (0 for fresh produce, 5 for tea).
    pub gst_percent: Decimal,
}

/// A percentage off the subtotal, capped, above a minimum order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub code: String,
    pub percent: Decimal,
    pub max_off: Money,
    pub min_subtotal: Money,
}

/// The store's pricing settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingRules {
    pub delivery_fee: Money,
    /// At or above this subtotal (after discount) delivery is free.
    pub free_delivery_from: Money,
    pub coupons: Vec<Coupon>,
}

impl Default for PricingRules {
    fn default() -> PricingRules {
        PricingRules {
            delivery_fee: Money::from_rupees(49),
            free_delivery_from: Money::from_rupees(499),
            coupons: vec![Coupon {
                code: "FRESH10".into(),
                percent: Decimal::from(10),
                max_off: Money::from_rupees(100),
                min_subtotal: Money::from_rupees(300),
            }],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub line_totals: Vec<Money>,
    pub subtotal: Money,
    pub discount: Money,
    pub delivery_fee: Money,
    /// The GST contained in what is paid (prices are tax-inclusive, as in India).
    pub tax_included: Money,
    pub total: Money,
    pub coupon: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PricingError {
    #[error("the cart is empty")]
    Empty,
    #[error("is not a coupon we know")]
    UnknownCoupon,
    #[error("applies to orders of {0} or more")]
    CouponMinimum(Money),
}

/// Prices `lines` under `rules`, with the coupon the shopper typed (if any).
pub fn quote(lines: &[PriceLine], rules: &PricingRules, coupon: Option<&str>) -> Result<Quote, PricingError> {
    if lines.is_empty() {
        return Err(PricingError::Empty);
    }
    let line_totals: Vec<Money> = lines.iter().map(|l| l.unit_price.times(Decimal::from(l.quantity))).collect();
    let subtotal: Money = line_totals.iter().copied().sum();
    let coupon = match coupon.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(code) => {
            let found =
                rules.coupons.iter().find(|c| c.code.eq_ignore_ascii_case(code)).ok_or(PricingError::UnknownCoupon)?;
            if subtotal < found.min_subtotal {
                return Err(PricingError::CouponMinimum(found.min_subtotal));
            }
            Some(found)
        }
    };
    let discount = coupon.map_or(Money::ZERO, |c| subtotal.percent(c.percent).min(c.max_off).min(subtotal));
    let after_discount = subtotal - discount;
    let delivery_fee = if after_discount >= rules.free_delivery_from { Money::ZERO } else { rules.delivery_fee };
    // GST inside each line, with the discount spread over lines by value: tax on what
    // is actually paid. Rounded per line, as an invoice would print it.
    let tax_included = if subtotal == Money::ZERO {
        Money::ZERO
    } else {
        lines
            .iter()
            .zip(&line_totals)
            .map(|(l, total)| {
                let paid = total.amount() - discount.amount() * total.amount() / subtotal.amount();
                Money::from_decimal(paid * l.gst_percent / (Decimal::ONE_HUNDRED + l.gst_percent))
            })
            .sum()
    };
    Ok(Quote {
        line_totals,
        subtotal,
        discount,
        delivery_fee,
        tax_included,
        total: after_discount + delivery_fee,
        coupon: coupon.map(|c| c.code.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(rupees: i64, qty: u32, gst: i64) -> PriceLine {
        PriceLine { unit_price: Money::from_rupees(rupees), quantity: qty, gst_percent: Decimal::from(gst) }
    }

    #[test]
    fn small_order_pays_delivery_large_does_not() {
        let rules = PricingRules::default();
        let q = quote(&[line(120, 2, 0)], &rules, None).unwrap();
        assert_eq!(
            (q.subtotal, q.delivery_fee, q.total),
            (Money::from_rupees(240), Money::from_rupees(49), Money::from_rupees(289))
        );
        let q = quote(&[line(250, 2, 5)], &rules, None).unwrap();
        assert_eq!((q.delivery_fee, q.total), (Money::ZERO, Money::from_rupees(500)));
        // 5% GST inside ₹500: 500 × 5 / 105 = 23.809… → 23.81
        assert_eq!(q.tax_included, Money::from_paise(2381));
    }

    #[test]
    fn coupons_cap_and_minimum() {
        let rules = PricingRules::default();
        let q = quote(&[line(400, 1, 0)], &rules, Some(" fresh10 ")).unwrap();
        assert_eq!(
            (q.discount, q.delivery_fee, q.total),
            (Money::from_rupees(40), Money::from_rupees(49), Money::from_rupees(409))
        );
        let q = quote(&[line(3000, 1, 0)], &rules, Some("FRESH10")).unwrap();
        assert_eq!(q.discount, Money::from_rupees(100), "capped");
        assert_eq!(
            quote(&[line(100, 1, 0)], &rules, Some("FRESH10")),
            Err(PricingError::CouponMinimum(Money::from_rupees(300)))
        );
        assert_eq!(quote(&[line(100, 1, 0)], &rules, Some("FREE")), Err(PricingError::UnknownCoupon));
        assert_eq!(quote(&[], &rules, None), Err(PricingError::Empty));
    }

    proptest! {
        #[test]
        fn totals_add_up_exactly(
            lines in prop::collection::vec((1i64..500_000, 1u32..100, prop::sample::select(vec![0i64, 5, 12, 18])), 1..12),
            use_coupon in any::<bool>(),
        ) {
            let lines: Vec<PriceLine> = lines.into_iter().map(|(paise, q, g)| PriceLine {
                unit_price: Money::from_paise(paise), quantity: q, gst_percent: Decimal::from(g),
            }).collect();
            let rules = PricingRules::default();
            let q = match quote(&lines, &rules, use_coupon.then_some("FRESH10")) {
                Ok(q) => q,
                Err(PricingError::CouponMinimum(_)) => return Ok(()),
                Err(e) => panic!("{e}"),
            };
            let sum: Money = q.line_totals.iter().copied().sum();
            prop_assert_eq!(sum, q.subtotal);
            for (l, t) in lines.iter().zip(&q.line_totals) {
                prop_assert_eq!(t.paise(), l.unit_price.paise() * i64::from(l.quantity));
            }
            prop_assert_eq!(q.total, q.subtotal - q.discount + q.delivery_fee);
            prop_assert!(q.discount <= q.subtotal && q.discount <= Money::from_rupees(100));
            prop_assert!(!q.total.is_negative());
            prop_assert!(q.tax_included <= q.total);
            prop_assert_eq!(q.delivery_fee == Money::ZERO, q.subtotal - q.discount >= rules.free_delivery_from);
            // Every amount is whole paise.
            for m in [q.subtotal, q.discount, q.delivery_fee, q.tax_included, q.total] {
                prop_assert!((m.amount() * Decimal::ONE_HUNDRED).fract().is_zero(), "{} is not whole paise", m);
            }
        }
    }
}
