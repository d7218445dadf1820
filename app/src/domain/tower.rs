//! The control tower's rules: when an order has sat too long in its state, which step
//! moves it on, and how much of the stock that sold today has gone.

use super::order_state::{OrderAction, OrderState};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

/// How long an order may stay in a state before the tower shows it as stuck; `None`
/// for states an order rests in (delivered, cancelled, refunded).
///
/// Unpaid orders lose their hold after the reservation time (15 minutes unless set
/// otherwise), so half an hour unpaid means the expiry job is behind. A paid order is packed the same morning; a packed one leaves
/// within the afternoon; a shipped one arrives the next day; a refund asked for is
/// answered within a working day.
pub fn stuck_after(state: OrderState) -> Option<Duration> {
    match state {
        OrderState::PendingPayment => Some(Duration::minutes(30)),
        OrderState::Paid => Some(Duration::hours(2)),
        OrderState::Packed => Some(Duration::hours(4)),
        OrderState::Shipped => Some(Duration::hours(24)),
        OrderState::OutForDelivery => Some(Duration::hours(6)),
        OrderState::RefundRequested => Some(Duration::hours(24)),
        OrderState::Delivered | OrderState::Cancelled | OrderState::Refunded => None,
    }
}

/// Whether an order in `state` since `since` is stuck at `now`.
pub fn is_stuck(state: OrderState, since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    stuck_after(state).is_some_and(|limit| now - since > limit)
}

/// The step that moves an order on along the fulfilment path, if staff take it (payment
/// is confirmed by the provider, a refund by its own screen).
pub fn next_step(state: OrderState) -> Option<OrderAction> {
    match state {
        OrderState::Paid => Some(OrderAction::Pack),
        OrderState::Packed => Some(OrderAction::Ship),
        OrderState::Shipped => Some(OrderAction::SendOutForDelivery),
        OrderState::OutForDelivery => Some(OrderAction::Deliver),
        _ => None,
    }
}

/// What the tower's button for `action` says.
pub fn step_label(action: OrderAction) -> &'static str {
    match action {
        OrderAction::Pack => "Pack",
        OrderAction::Ship => "Ship",
        OrderAction::SendOutForDelivery => "Out for delivery",
        OrderAction::Deliver => "Delivered",
        OrderAction::Cancel => "Cancel",
        _ => "Move on",
    }
}

/// Of the stock that sold today, the share gone, in percent to one place:
/// `sold / (sold + still on hand)`; `None` when nothing sold.
pub fn sell_through(sold: i64, on_hand: i64) -> Option<Decimal> {
    if sold <= 0 {
        return None;
    }
    let base = sold + on_hand.max(0);
    Some((Decimal::from(sold) * Decimal::from(100) / Decimal::from(base)).round_dp(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn resting_states_are_never_stuck() {
        let long_ago = Utc::now() - Duration::days(400);
        for state in [OrderState::Delivered, OrderState::Cancelled, OrderState::Refunded] {
            assert!(!is_stuck(state, long_ago, Utc::now()));
        }
    }

    #[test]
    fn an_order_is_stuck_only_past_its_states_limit() {
        let now = Utc::now();
        assert!(!is_stuck(OrderState::Paid, now - Duration::minutes(119), now));
        assert!(is_stuck(OrderState::Paid, now - Duration::minutes(121), now));
        assert!(is_stuck(OrderState::PendingPayment, now - Duration::minutes(31), now));
        assert!(!is_stuck(OrderState::Shipped, now - Duration::hours(23), now));
    }

    #[test]
    fn next_steps_follow_the_fulfilment_path() {
        assert_eq!(next_step(OrderState::Paid), Some(OrderAction::Pack));
        assert_eq!(next_step(OrderState::OutForDelivery), Some(OrderAction::Deliver));
        assert_eq!(next_step(OrderState::PendingPayment), None);
        assert_eq!(next_step(OrderState::Delivered), None);
        for state in OrderState::ALL {
            if let Some(action) = next_step(state) {
                let to =
                    crate::domain::order_state::transition(state, action, crate::domain::order_state::Actor::Staff)
                        .expect("staff may take the next step");
                assert!(to.fulfilment_step() > state.fulfilment_step());
            }
        }
    }

    #[test]
    fn sell_through_is_the_share_of_what_was_there() {
        assert_eq!(sell_through(0, 50), None);
        assert_eq!(sell_through(25, 75), Some(Decimal::new(250, 1)));
        assert_eq!(sell_through(10, 0), Some(Decimal::from(100)));
        assert_eq!(sell_through(1, 2), Some(Decimal::new(333, 1)));
    }

    proptest! {
        #[test]
        fn sell_through_stays_within_0_and_100(sold in 1i64..1_000_000, on_hand in -10i64..1_000_000) {
            let pct = sell_through(sold, on_hand).unwrap();
            prop_assert!(pct > Decimal::ZERO && pct <= Decimal::from(100));
        }
    }
}
