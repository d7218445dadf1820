//! Refunds as shops do them: a shopper asks for some lines of a delivered order back,
//! an admin returns money in as many parts as it takes, and never more than was paid.
//!
//! The value of returned lines shares out the order's discount in proportion (a coupon
//! paid for part of every line), rounded down to the paisa, so asking for every line
//! never comes to more than was paid for the goods.

use super::money::Money;
use super::order_state::OrderState;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// A line of the order as bought, with how much of it earlier requests already claim
/// (waiting or approved; a refused request frees its quantity again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoughtLine {
    pub line_no: i32,
    pub unit_price: Money,
    pub quantity: i32,
    pub claimed: i32,
}

impl BoughtLine {
    pub fn claimable(&self) -> i32 {
        (self.quantity - self.claimed).max(0)
    }
}

/// A line a shopper asks to return, and how many of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AskedLine {
    pub line_no: i32,
    pub quantity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundRuleError {
    #[error("choose at least one item to return")]
    NoLines,
    #[error("line {0} is not in this order")]
    UnknownLine(i32),
    #[error("line {0} is listed twice")]
    Duplicate(i32),
    #[error("line {line_no}: at most {max} can be returned")]
    TooMany { line_no: i32, max: i32 },
    #[error("line {0}: the quantity must be at least 1")]
    NotPositive(i32),
    #[error("nothing paid for this order is left to refund")]
    NothingLeft,
    #[error("must be more than ₹0 and at most {}", .left.format_inr())]
    Amount { left: Money },
}

impl RefundRuleError {
    /// The form field (or API field) the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            RefundRuleError::Amount { .. } | RefundRuleError::NothingLeft => "amount",
            _ => "lines",
        }
    }
}

/// What the asked lines are worth: their price less their share of the order's
/// discount, rounded down to the paisa.
pub fn value_of_lines(
    bought: &[BoughtLine],
    asked: &[AskedLine],
    subtotal: Money,
    discount: Money,
) -> Result<Money, RefundRuleError> {
    if asked.is_empty() {
        return Err(RefundRuleError::NoLines);
    }
    let mut gross = Decimal::ZERO;
    for (i, a) in asked.iter().enumerate() {
        if asked[..i].iter().any(|b| b.line_no == a.line_no) {
            return Err(RefundRuleError::Duplicate(a.line_no));
        }
        let line = bought.iter().find(|l| l.line_no == a.line_no).ok_or(RefundRuleError::UnknownLine(a.line_no))?;
        if a.quantity < 1 {
            return Err(RefundRuleError::NotPositive(a.line_no));
        }
        if a.quantity > line.claimable() {
            return Err(RefundRuleError::TooMany { line_no: a.line_no, max: line.claimable() });
        }
        gross += line.unit_price.amount() * Decimal::from(a.quantity);
    }
    if subtotal.amount().is_zero() {
        return Ok(Money::ZERO);
    }
    let paid_share = (subtotal.amount() - discount.amount()) / subtotal.amount();
    Ok(floor_paise(gross * paid_share))
}

fn floor_paise(value: Decimal) -> Money {
    let paise = (value * Decimal::ONE_HUNDRED).floor().to_i64().unwrap_or(0).max(0);
    Money::from_paise(paise)
}

/// The amount an admin refunds: what they typed, or else what the request suggests
/// (capped at what is left), and in every case more than nothing and no more than what
/// remains of what was paid.
pub fn approved_amount(typed: Option<Money>, suggested: Option<Money>, left: Money) -> Result<Money, RefundRuleError> {
    if left <= Money::ZERO {
        return Err(RefundRuleError::NothingLeft);
    }
    let amount = match (typed, suggested) {
        (Some(t), _) => t,
        (None, Some(s)) => s.min(left),
        (None, None) => left,
    };
    if amount <= Money::ZERO || amount > left {
        return Err(RefundRuleError::Amount { left });
    }
    Ok(amount)
}

/// Where an order stands once `refunded` of its `total` has gone back: refunded only
/// when all of it has; otherwise it stays delivered, its refunds listed beside it.
pub fn state_after_refund(total: Money, refunded: Money) -> OrderState {
    if refunded >= total { OrderState::Refunded } else { OrderState::Delivered }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(line_no: i32, rupees: i64, quantity: i32, claimed: i32) -> BoughtLine {
        BoughtLine { line_no, unit_price: Money::from_rupees(rupees), quantity, claimed }
    }

    #[test]
    fn returned_lines_carry_their_share_of_the_discount() {
        let bought = [line(1, 100, 2, 0), line(2, 50, 1, 0)];
        let asked = [AskedLine { line_no: 1, quantity: 1 }];
        // 10 % off a ₹250 basket: one ₹100 pack returns ₹90.
        let v = value_of_lines(&bought, &asked, Money::from_rupees(250), Money::from_rupees(25)).unwrap();
        assert_eq!(v, Money::from_rupees(90));
        let v = value_of_lines(&bought, &asked, Money::from_rupees(250), Money::ZERO).unwrap();
        assert_eq!(v, Money::from_rupees(100));
    }

    #[test]
    fn every_bad_request_is_named() {
        let bought = [line(1, 100, 2, 1), line(2, 50, 1, 0)];
        let s = Money::from_rupees(250);
        let ask = |v: &[(i32, i32)]| {
            let asked: Vec<_> = v.iter().map(|&(line_no, quantity)| AskedLine { line_no, quantity }).collect();
            value_of_lines(&bought, &asked, s, Money::ZERO)
        };
        assert_eq!(ask(&[]), Err(RefundRuleError::NoLines));
        assert_eq!(ask(&[(3, 1)]), Err(RefundRuleError::UnknownLine(3)));
        assert_eq!(ask(&[(2, 1), (2, 1)]), Err(RefundRuleError::Duplicate(2)));
        assert_eq!(ask(&[(1, 2)]), Err(RefundRuleError::TooMany { line_no: 1, max: 1 }));
        assert_eq!(ask(&[(2, 0)]), Err(RefundRuleError::NotPositive(2)));
        assert_eq!(ask(&[(2, -1)]), Err(RefundRuleError::NotPositive(2)));
        assert_eq!(ask(&[(1, 1), (2, 1)]), Ok(Money::from_rupees(150)));
    }

    #[test]
    fn approvals_stay_within_what_is_left() {
        let left = Money::from_rupees(100);
        assert_eq!(approved_amount(None, None, left), Ok(left));
        assert_eq!(approved_amount(None, Some(Money::from_rupees(40)), left), Ok(Money::from_rupees(40)));
        assert_eq!(approved_amount(None, Some(Money::from_rupees(400)), left), Ok(left));
        assert_eq!(approved_amount(Some(Money::from_rupees(101)), None, left), Err(RefundRuleError::Amount { left }));
        assert_eq!(approved_amount(Some(Money::ZERO), None, left), Err(RefundRuleError::Amount { left }));
        assert_eq!(approved_amount(Some(Money::from_rupees(-5)), None, left), Err(RefundRuleError::Amount { left }));
        assert_eq!(approved_amount(None, None, Money::ZERO), Err(RefundRuleError::NothingLeft));
        assert_eq!(RefundRuleError::Amount { left }.to_string(), "must be more than ₹0 and at most ₹100.00");
    }

    #[test]
    fn an_order_is_refunded_only_when_all_of_it_is() {
        let total = Money::from_paise(25_050);
        assert_eq!(state_after_refund(total, Money::from_paise(25_049)), OrderState::Delivered);
        assert_eq!(state_after_refund(total, total), OrderState::Refunded);
    }

    fn basket() -> impl Strategy<Value = (Vec<BoughtLine>, i64)> {
        (proptest::collection::vec((1i64..500_000, 1i32..20), 1..8), 0u32..=100).prop_map(|(lines, pct)| {
            let bought: Vec<_> = lines
                .into_iter()
                .enumerate()
                .map(|(i, (paise, q))| BoughtLine {
                    line_no: i as i32 + 1,
                    unit_price: Money::from_paise(paise),
                    quantity: q,
                    claimed: 0,
                })
                .collect();
            (bought, i64::from(pct))
        })
    }

    proptest! {
        /// Returning everything, one line at a time in any split, never comes to more
        /// than was paid for the goods.
        #[test]
        fn returning_everything_never_exceeds_what_the_goods_cost((bought, pct) in basket(), split in 1i32..4) {
            let subtotal: Money = bought.iter().map(|l| l.unit_price.times(Decimal::from(l.quantity))).sum();
            let discount = Money::from_paise(subtotal.paise() * pct / 100);
            let mut returned = Money::ZERO;
            let mut lines = bought.clone();
            for l in &bought {
                let mut left = l.quantity;
                while left > 0 {
                    let q = left.min(split);
                    let asked = [AskedLine { line_no: l.line_no, quantity: q }];
                    returned = returned + value_of_lines(&lines, &asked, subtotal, discount).unwrap();
                    lines.iter_mut().find(|x| x.line_no == l.line_no).unwrap().claimed += q;
                    left -= q;
                }
                let asked = [AskedLine { line_no: l.line_no, quantity: 1 }];
                let refused = matches!(value_of_lines(&lines, &asked, subtotal, discount), Err(RefundRuleError::TooMany { .. }));
                prop_assert!(refused);
            }
            prop_assert!(returned <= subtotal - discount);
            // and rounding loses at most a paisa a request
            prop_assert!((subtotal - discount - returned).paise() <= bought.iter().map(|l| i64::from(l.quantity)).sum::<i64>());
        }

        /// Any sequence of approvals: the sum approved never passes the total.
        #[test]
        fn approvals_never_pass_the_total(total in 1i64..10_000_000, asks in proptest::collection::vec(proptest::option::of(-1_000i64..10_000_000), 0..12)) {
            let total = Money::from_paise(total);
            let mut refunded = Money::ZERO;
            for a in asks {
                if let Ok(amount) = approved_amount(a.map(Money::from_paise), None, total - refunded) {
                    refunded = refunded + amount;
                }
                prop_assert!(refunded <= total);
                prop_assert_eq!(state_after_refund(total, refunded) == OrderState::Refunded, refunded == total);
            }
        }
    }
}
