//! What a cart costs: line totals, a coupon discount, the delivery fee and the GST
//! already inside the prices. One pure function, used by the cart island, the checkout
//! page, the API and the order snapshot alike.

use super::money::Money;
use crate::error::FieldErrors;
use chrono::{DateTime, Utc};
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

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum CouponValue {
    /// Percent of the subtotal (`12.5` is 12.5 %).
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    Percent(Decimal),
    /// A fixed amount (never more than the subtotal).
    Fixed(Money),
}

/// A store's coupon: what it takes off, above which order, when, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Coupon {
    /// Upper case letters and digits, as shoppers type it (any case).
    pub code: String,
    pub value: CouponValue,
    /// Most a percent coupon takes off.
    pub max_off: Option<Money>,
    pub min_subtotal: Money,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Orders that may use it, all shoppers together (cancelled orders give theirs back).
    pub total_limit: Option<i32>,
    /// Orders one shopper may use it on.
    pub per_customer_limit: Option<i32>,
    pub active: bool,
}

/// How often a coupon has been used (by orders not cancelled), counted under the
/// coupon's row lock at checkout so two shoppers cannot both take the last use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CouponUses {
    pub total: i64,
    pub by_customer: i64,
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
    /// A store that has set nothing: ₹49 delivery, free from ₹499, no coupons.
    fn default() -> PricingRules {
        PricingRules {
            delivery_fee: Money::from_rupees(49),
            free_delivery_from: Money::from_rupees(499),
            coupons: vec![],
        }
    }
}

/// Most a fee, threshold or coupon amount may be: far above any real basket, so a
/// typing slip (an extra zero or three) is caught.
const MAX_SETTING: i64 = 1_000_000;

fn amount(fields: &mut FieldErrors, name: &str, raw: &str, allow_zero: bool) -> Option<Money> {
    match Money::parse(raw) {
        Ok(m) if m.is_negative() || (!allow_zero && m == Money::ZERO) => {
            fields.insert(name.into(), if allow_zero { "must not be negative" } else { "must be more than ₹0" }.into());
            None
        }
        Ok(m) if m > Money::from_rupees(MAX_SETTING) => {
            fields.insert(name.into(), format!("must be at most {}", Money::from_rupees(MAX_SETTING).format_inr()));
            None
        }
        Ok(m) => Some(m),
        Err(e) => {
            fields.insert(name.into(), e.to_string());
            None
        }
    }
}

impl PricingRules {
    /// The delivery fee and the free-delivery threshold as typed into the settings.
    pub fn parse_delivery(fee: &str, free_from: &str) -> Result<(Money, Money), FieldErrors> {
        let mut fields = FieldErrors::new();
        let fee = amount(&mut fields, "deliveryFee", fee, true);
        let free = amount(&mut fields, "freeDeliveryFrom", free_from, true);
        match (fee, free) {
            (Some(fee), Some(free)) => Ok((fee, free)),
            _ => Err(fields),
        }
    }
}

/// A coupon as typed into the settings form or sent to the API: every field text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct CouponInput {
    pub code: String,
    /// `percent` or `fixed`.
    pub kind: String,
    /// Percent (`10`, `12.5`) or rupees (`50.00`).
    pub value: String,
    pub max_off: String,
    pub min_subtotal: String,
    /// RFC 3339 or `YYYY-MM-DD` (from the start of that day, store time).
    pub valid_from: String,
    /// RFC 3339 or `YYYY-MM-DD` (to the end of that day, store time).
    pub valid_until: String,
    pub total_limit: String,
    pub per_customer_limit: String,
    /// `true` unless `false`.
    pub active: String,
}

impl Coupon {
    pub fn parse(input: &CouponInput) -> Result<Coupon, FieldErrors> {
        let mut fields = FieldErrors::new();
        let code = input.code.trim().to_ascii_uppercase();
        if !(3..=24).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            fields.insert("code".into(), "must be 3 to 24 letters or digits".into());
        }
        let value = match input.kind.trim() {
            "percent" => match Decimal::from_str_exact(input.value.trim()) {
                Ok(p) if p > Decimal::ZERO && p <= Decimal::ONE_HUNDRED && p.scale() <= 2 => {
                    Some(CouponValue::Percent(p))
                }
                _ => {
                    fields.insert("value".into(), "must be a percentage above 0 and at most 100".into());
                    None
                }
            },
            "fixed" => amount(&mut fields, "value", &input.value, false).map(CouponValue::Fixed),
            _ => {
                fields.insert("kind".into(), "must be percent or fixed".into());
                None
            }
        };
        let optional_amount = |fields: &mut FieldErrors, name: &str, raw: &str| {
            if raw.trim().is_empty() { Some(None) } else { amount(fields, name, raw, false).map(Some) }
        };
        let max_off = optional_amount(&mut fields, "maxOff", &input.max_off);
        let min_subtotal = if input.min_subtotal.trim().is_empty() {
            Some(Money::ZERO)
        } else {
            amount(&mut fields, "minSubtotal", &input.min_subtotal, true)
        };
        let when =
            |fields: &mut FieldErrors, name: &str, raw: &str, end_of_day: bool| -> Option<Option<DateTime<Utc>>> {
                let raw = raw.trim();
                if raw.is_empty() {
                    return Some(None);
                }
                if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
                    return Some(Some(t.with_timezone(&Utc)));
                }
                match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                    Ok(d) => {
                        let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("valid offset");
                        let day = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
                        let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(ist).single();
                        start.map(|t| Some(t.with_timezone(&Utc) - chrono::Duration::seconds(i64::from(end_of_day))))
                    }
                    Err(_) => {
                        fields.insert(name.into(), "must be a date like 2026-12-31".into());
                        None
                    }
                }
            };
        let valid_from = when(&mut fields, "validFrom", &input.valid_from, false);
        let valid_until = when(&mut fields, "validUntil", &input.valid_until, true);
        if let (Some(Some(f)), Some(Some(u))) = (valid_from, valid_until)
            && u <= f
        {
            fields.insert("validUntil".into(), "must be after the first day".into());
        }
        let limit = |fields: &mut FieldErrors, name: &str, raw: &str| -> Option<Option<i32>> {
            match raw.trim() {
                "" => Some(None),
                t => match t.parse::<i32>() {
                    Ok(n) if (1..=10_000_000).contains(&n) => Some(Some(n)),
                    _ => {
                        fields.insert(name.into(), "must be a whole number of at least 1 (blank: no limit)".into());
                        None
                    }
                },
            }
        };
        let total_limit = limit(&mut fields, "totalLimit", &input.total_limit);
        let per_customer_limit = limit(&mut fields, "perCustomerLimit", &input.per_customer_limit);
        let active = match input.active.trim() {
            "" | "true" | "on" => true,
            "false" | "off" => false,
            _ => {
                fields.insert("active".into(), "must be true or false".into());
                true
            }
        };
        if !fields.is_empty() {
            return Err(fields);
        }
        Ok(Coupon {
            code,
            value: value.expect("checked"),
            max_off: max_off.expect("checked"),
            min_subtotal: min_subtotal.expect("checked"),
            valid_from: valid_from.expect("checked"),
            valid_until: valid_until.expect("checked"),
            total_limit: total_limit.expect("checked"),
            per_customer_limit: per_customer_limit.expect("checked"),
            active,
        })
    }

    /// What it takes off a subtotal.
    pub fn discount_on(&self, subtotal: Money) -> Money {
        let off = match self.value {
            CouponValue::Percent(p) => subtotal.percent(p),
            CouponValue::Fixed(m) => m,
        };
        let capped = self.max_off.map_or(off, |cap| off.min(cap));
        capped.min(subtotal)
    }

    /// Whether a shopper may use it at `now`, given how often it has been used.
    pub fn usable(&self, now: DateTime<Utc>, uses: CouponUses) -> Result<(), PricingError> {
        if !self.active {
            return Err(PricingError::UnknownCoupon);
        }
        if let Some(from) = self.valid_from
            && now < from
        {
            return Err(PricingError::CouponNotYet(from));
        }
        if let Some(until) = self.valid_until
            && now > until
        {
            return Err(PricingError::CouponExpired(until));
        }
        if self.total_limit.is_some_and(|n| uses.total >= i64::from(n)) {
            return Err(PricingError::CouponUsedUp);
        }
        if let Some(n) = self.per_customer_limit
            && uses.by_customer >= i64::from(n)
        {
            return Err(PricingError::CouponUsedByYou(n));
        }
        Ok(())
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
    #[error("can be used from {}", store_day(.0))]
    CouponNotYet(DateTime<Utc>),
    #[error("expired on {}", store_day(.0))]
    CouponExpired(DateTime<Utc>),
    #[error("has been used as many times as it may be")]
    CouponUsedUp,
    #[error("you have used it as many times as it allows ({0})")]
    CouponUsedByYou(i32),
}

fn store_day(t: &DateTime<Utc>) -> String {
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("valid offset");
    t.with_timezone(&ist).format("%-d %b %Y").to_string()
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
            let found = rules
                .coupons
                .iter()
                .find(|c| c.active && c.code.eq_ignore_ascii_case(code))
                .ok_or(PricingError::UnknownCoupon)?;
            if subtotal < found.min_subtotal {
                return Err(PricingError::CouponMinimum(found.min_subtotal));
            }
            Some(found)
        }
    };
    let discount = coupon.map_or(Money::ZERO, |c| c.discount_on(subtotal));
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

    fn fresh10() -> CouponInput {
        CouponInput {
            code: "fresh10".into(),
            kind: "percent".into(),
            value: "10".into(),
            max_off: "100".into(),
            min_subtotal: "300".into(),
            ..Default::default()
        }
    }

    fn with_coupon() -> PricingRules {
        PricingRules { coupons: vec![Coupon::parse(&fresh10()).unwrap()], ..PricingRules::default() }
    }

    #[test]
    fn coupons_parse_or_name_every_bad_field() {
        let c = Coupon::parse(&fresh10()).unwrap();
        assert_eq!((c.code.as_str(), c.value, c.active), ("FRESH10", CouponValue::Percent(Decimal::from(10)), true));
        let bad = CouponInput {
            code: "<b>".into(),
            kind: "bogof".into(),
            max_off: "-1".into(),
            min_subtotal: "ten".into(),
            valid_from: "2026-12-31".into(),
            valid_until: "2026-12-01".into(),
            total_limit: "0".into(),
            per_customer_limit: "1.5".into(),
            active: "maybe".into(),
            ..Default::default()
        };
        let keys: Vec<_> = Coupon::parse(&bad).unwrap_err().keys().cloned().collect();
        assert_eq!(
            keys,
            ["active", "code", "kind", "maxOff", "minSubtotal", "perCustomerLimit", "totalLimit", "validUntil"]
        );
        for value in ["0", "101", "-5", "abc", "10.555"] {
            let e = Coupon::parse(&CouponInput { value: value.into(), ..fresh10() }).unwrap_err();
            assert!(e.contains_key("value"), "{value}");
        }
        let e =
            Coupon::parse(&CouponInput { kind: "fixed".into(), value: "99999999".into(), ..fresh10() }).unwrap_err();
        assert!(e["value"].contains("at most"));
    }

    #[test]
    fn a_fixed_coupon_never_takes_more_than_the_basket() {
        let c = Coupon::parse(&CouponInput { kind: "fixed".into(), value: "50".into(), ..fresh10() }).unwrap();
        assert_eq!(c.discount_on(Money::from_rupees(400)), Money::from_rupees(50));
        assert_eq!(c.discount_on(Money::from_rupees(30)), Money::from_rupees(30));
    }

    #[test]
    fn dates_and_use_limits_are_enforced_with_reasons() {
        let c = Coupon::parse(&CouponInput {
            valid_from: "2026-12-01".into(),
            valid_until: "2026-12-31".into(),
            total_limit: "100".into(),
            per_customer_limit: "1".into(),
            ..fresh10()
        })
        .unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let none = CouponUses::default();
        assert_eq!(c.usable(at("2026-12-15T10:00:00+05:30"), none), Ok(()));
        // The last second of the last day (store time) still counts; the next does not.
        assert_eq!(c.usable(at("2026-12-31T23:59:59+05:30"), none), Ok(()));
        let e = c.usable(at("2027-01-01T00:00:00+05:30"), none).unwrap_err();
        assert_eq!(e.to_string(), "expired on 31 Dec 2026");
        assert_eq!(
            c.usable(at("2026-11-30T23:00:00+05:30"), none).unwrap_err().to_string(),
            "can be used from 1 Dec 2026"
        );
        let now = at("2026-12-15T10:00:00+05:30");
        assert_eq!(c.usable(now, CouponUses { total: 100, by_customer: 0 }), Err(PricingError::CouponUsedUp));
        assert_eq!(c.usable(now, CouponUses { total: 5, by_customer: 1 }), Err(PricingError::CouponUsedByYou(1)));
        let off = Coupon { active: false, ..c };
        assert_eq!(off.usable(now, none), Err(PricingError::UnknownCoupon));
    }

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
        let rules = with_coupon();
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
            let rules = with_coupon();
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
