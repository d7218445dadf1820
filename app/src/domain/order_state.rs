//! The order lifecycle of PRODUCT.md as one pure transition function.
//!
//! `pending_payment → paid → packed → shipped → out_for_delivery → delivered`, with
//! `cancelled` before packing and `refund_requested → refunded` after delivery. Every
//! caller (checkout, webhooks, staff screens, jobs) goes through [`transition`], so a
//! rule about who may move an order where exists exactly once.
//!
//! An approved refund reaches `refunded` only when everything paid has gone back; a
//! part refund returns the order to `delivered` (see `refund::state_after_refund`),
//! so it can be refunded again. An admin may also refund a delivered order directly.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    PendingPayment,
    Paid,
    Packed,
    Shipped,
    OutForDelivery,
    Delivered,
    Cancelled,
    RefundRequested,
    Refunded,
}

/// What someone asks to happen to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    ConfirmPayment,
    Pack,
    Ship,
    SendOutForDelivery,
    Deliver,
    Cancel,
    RequestRefund,
    ApproveRefund,
    RejectRefund,
}

/// Who asks. `System` is the platform itself: payment webhooks, reservation expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Staff,
    Admin,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TransitionError {
    #[error("an order that is {from} cannot be {}", .action.past_tense())]
    NotAllowedFrom { from: OrderState, action: OrderAction },
    #[error("{actor:?} may not {}", .action.verb())]
    NotPermitted { actor: Actor, action: OrderAction },
}

impl OrderState {
    pub const ALL: [OrderState; 9] = [
        OrderState::PendingPayment,
        OrderState::Paid,
        OrderState::Packed,
        OrderState::Shipped,
        OrderState::OutForDelivery,
        OrderState::Delivered,
        OrderState::Cancelled,
        OrderState::RefundRequested,
        OrderState::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::PendingPayment => "pending_payment",
            OrderState::Paid => "paid",
            OrderState::Packed => "packed",
            OrderState::Shipped => "shipped",
            OrderState::OutForDelivery => "out_for_delivery",
            OrderState::Delivered => "delivered",
            OrderState::Cancelled => "cancelled",
            OrderState::RefundRequested => "refund_requested",
            OrderState::Refunded => "refunded",
        }
    }

    /// No action leaves these states.
    pub fn is_terminal(self) -> bool {
        matches!(self, OrderState::Cancelled | OrderState::Refunded)
    }

    /// Position along the fulfilment path, for timelines; `None` off the main path.
    pub fn fulfilment_step(self) -> Option<u8> {
        match self {
            OrderState::PendingPayment => Some(0),
            OrderState::Paid => Some(1),
            OrderState::Packed => Some(2),
            OrderState::Shipped => Some(3),
            OrderState::OutForDelivery => Some(4),
            OrderState::Delivered => Some(5),
            _ => None,
        }
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

impl FromStr for OrderState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| format!("unknown order state {s:?}"))
    }
}

impl OrderAction {
    pub const ALL: [OrderAction; 9] = [
        OrderAction::ConfirmPayment,
        OrderAction::Pack,
        OrderAction::Ship,
        OrderAction::SendOutForDelivery,
        OrderAction::Deliver,
        OrderAction::Cancel,
        OrderAction::RequestRefund,
        OrderAction::ApproveRefund,
        OrderAction::RejectRefund,
    ];

    /// The action's name in requests (`pack`, `send_out_for_delivery`).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderAction::ConfirmPayment => "confirm_payment",
            OrderAction::Pack => "pack",
            OrderAction::Ship => "ship",
            OrderAction::SendOutForDelivery => "send_out_for_delivery",
            OrderAction::Deliver => "deliver",
            OrderAction::Cancel => "cancel",
            OrderAction::RequestRefund => "request_refund",
            OrderAction::ApproveRefund => "approve_refund",
            OrderAction::RejectRefund => "reject_refund",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            OrderAction::ConfirmPayment => "confirm payment",
            OrderAction::Pack => "pack the order",
            OrderAction::Ship => "ship the order",
            OrderAction::SendOutForDelivery => "send the order out for delivery",
            OrderAction::Deliver => "mark the order delivered",
            OrderAction::Cancel => "cancel the order",
            OrderAction::RequestRefund => "request a refund",
            OrderAction::ApproveRefund => "approve a refund",
            OrderAction::RejectRefund => "reject a refund",
        }
    }

    fn past_tense(self) -> &'static str {
        match self {
            OrderAction::ConfirmPayment => "marked paid",
            OrderAction::Pack => "packed",
            OrderAction::Ship => "shipped",
            OrderAction::SendOutForDelivery => "sent out for delivery",
            OrderAction::Deliver => "delivered",
            OrderAction::Cancel => "cancelled",
            OrderAction::RequestRefund => "refund-requested",
            OrderAction::ApproveRefund => "refunded",
            OrderAction::RejectRefund => "refund-rejected",
        }
    }

    /// Who may ask for this action at all, whatever the order's state.
    fn permitted(self, actor: Actor) -> bool {
        use Actor::*;
        use OrderAction::*;
        match self {
            // Only the gateway's verified webhook confirms money.
            ConfirmPayment => actor == System,
            Pack | Ship | SendOutForDelivery | Deliver => matches!(actor, Staff | Admin),
            // System cancels unpaid orders whose reservation expired.
            Cancel => matches!(actor, Customer | Admin | System),
            RequestRefund => matches!(actor, Customer | Admin),
            ApproveRefund | RejectRefund => actor == Admin,
        }
    }
}

/// The next state when `actor` performs `action` on an order in `from`.
pub fn transition(from: OrderState, action: OrderAction, actor: Actor) -> Result<OrderState, TransitionError> {
    use OrderAction::*;
    use OrderState::*;
    if !action.permitted(actor) {
        return Err(TransitionError::NotPermitted { actor, action });
    }
    let to = match (from, action) {
        (PendingPayment, ConfirmPayment) => Paid,
        (Paid, Pack) => Packed,
        (Packed, Ship) => Shipped,
        (Shipped, SendOutForDelivery) => OutForDelivery,
        (OutForDelivery, Deliver) => Delivered,
        // Unpaid orders may be cancelled by anyone allowed to cancel; paid ones only
        // before packing, and never by the expiry job (it only sweeps unpaid orders).
        (PendingPayment, Cancel) => Cancelled,
        (Paid, Cancel) if actor != Actor::System => Cancelled,
        (Delivered, RequestRefund) => RefundRequested,
        (RefundRequested | Delivered, ApproveRefund) => Refunded,
        (RefundRequested, RejectRefund) => Delivered,
        _ => return Err(TransitionError::NotAllowedFrom { from, action }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Actor::*;
    use OrderAction::*;
    use OrderState::*;
    use proptest::prelude::*;

    #[test]
    fn happy_path_to_delivery() {
        let steps = [
            (ConfirmPayment, System, Paid),
            (Pack, Staff, Packed),
            (Ship, Staff, Shipped),
            (SendOutForDelivery, Staff, OutForDelivery),
            (Deliver, Staff, Delivered),
            (RequestRefund, Customer, RefundRequested),
            (ApproveRefund, Admin, Refunded),
        ];
        let mut state = PendingPayment;
        for (action, actor, expected) in steps {
            state = transition(state, action, actor).unwrap();
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn customer_cancels_only_before_packing() {
        assert_eq!(transition(PendingPayment, Cancel, Customer), Ok(Cancelled));
        assert_eq!(transition(Paid, Cancel, Customer), Ok(Cancelled));
        assert!(matches!(transition(Packed, Cancel, Customer), Err(TransitionError::NotAllowedFrom { .. })));
    }

    #[test]
    fn expiry_job_only_cancels_unpaid_orders() {
        assert_eq!(transition(PendingPayment, Cancel, System), Ok(Cancelled));
        assert!(transition(Paid, Cancel, System).is_err());
    }

    #[test]
    fn customers_cannot_fulfil_or_pay() {
        for action in [ConfirmPayment, Pack, Ship, SendOutForDelivery, Deliver, ApproveRefund] {
            assert_eq!(
                transition(PendingPayment, action, Customer),
                Err(TransitionError::NotPermitted { actor: Customer, action })
            );
        }
    }

    #[test]
    fn rejected_refund_returns_to_delivered() {
        assert_eq!(transition(RefundRequested, RejectRefund, Admin), Ok(Delivered));
    }

    #[test]
    fn errors_read_well() {
        let e = transition(Shipped, Cancel, Customer).unwrap_err();
        assert_eq!(e.to_string(), "an order that is shipped cannot be cancelled");
    }

    #[test]
    fn states_round_trip_through_strings() {
        for s in OrderState::ALL {
            assert_eq!(s.as_str().parse::<OrderState>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert!("shipping".parse::<OrderState>().is_err());
    }

    fn any_action() -> impl Strategy<Value = OrderAction> {
        proptest::sample::select(OrderAction::ALL.to_vec())
    }
    fn any_actor() -> impl Strategy<Value = Actor> {
        proptest::sample::select(vec![Customer, Staff, Admin, System])
    }
    fn any_state() -> impl Strategy<Value = OrderState> {
        proptest::sample::select(OrderState::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn terminal_states_accept_nothing(state in any_state(), action in any_action(), actor in any_actor()) {
            if state.is_terminal() {
                prop_assert!(transition(state, action, actor).is_err());
            }
        }

        #[test]
        fn fulfilment_never_goes_backwards(state in any_state(), action in any_action(), actor in any_actor()) {
            if let Ok(next) = transition(state, action, actor)
                && let (Some(a), Some(b)) = (state.fulfilment_step(), next.fulfilment_step()) {
                    // one step forward, or a rejected refund landing back on delivered
                    prop_assert!(b == a + 1 || (state == RefundRequested && next == Delivered));
                }
        }

        /// Any sequence of requests from PendingPayment: an order is delivered only after
        /// it was paid, packed and shipped, and refunded only after it was delivered.
        #[test]
        fn histories_respect_the_lifecycle(
            requests in proptest::collection::vec((any_action(), any_actor()), 0..40)
        ) {
            let mut state = PendingPayment;
            let mut seen = vec![state];
            for (action, actor) in requests {
                if let Ok(next) = transition(state, action, actor) {
                    state = next;
                    seen.push(state);
                }
            }
            let first = |s: OrderState| seen.iter().position(|x| *x == s);
            if let Some(d) = first(Delivered) {
                for before in [Paid, Packed, Shipped, OutForDelivery] {
                    prop_assert!(first(before).is_some_and(|i| i < d));
                }
            }
            if let Some(r) = first(Refunded) {
                prop_assert!(first(Delivered).is_some_and(|i| i < r));
            }
            if let Some(c) = first(Cancelled) {
                prop_assert!(first(Packed).is_none_or(|i| i > c));
                prop_assert_eq!(c, seen.len() - 1, "nothing follows cancellation");
            }
        }
    }
}
