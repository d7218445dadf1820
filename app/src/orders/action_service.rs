//! What people do to an order after it is paid for (pack, ship, cancel, refunds): one
//! transition function decides, and each change is one transaction with its history row.

use super::order_events::{EventInput, record_event};
use super::order_rows::{lock_order, set_state};
use super::refunds::{captured_payment, queue_refund, set_refunded};
use super::stock_holds::{release_reservations, restock};
use crate::domain::money::Money;
use crate::domain::order_state::{Actor, OrderAction, OrderState, transition};
use crate::error::AppError;
use sqlx::PgPool;
use uuid::Uuid;

/// Who is acting on an order, as the access layer established.
#[derive(Debug, Clone, Copy)]
pub struct Acting {
    pub actor: Actor,
    pub user: Uuid,
}

/// What someone asks to do to an order, from the staff screen, the customer's order
/// page or the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderCommand {
    pub action: OrderAction,
    pub reason: Option<String>,
    /// For `ApproveRefund`: how much (default: all that is left).
    pub amount: Option<Money>,
}

/// Moves an order along: the pure transition decides, then its side effects (stock
/// back, refunds) and its history row are written in one transaction.
pub async fn act(
    pool: &PgPool,
    tenant: Uuid,
    order: Uuid,
    by: Acting,
    cmd: &OrderCommand,
) -> Result<OrderState, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let Some((head, state)) = lock_order(&mut tx, tenant, order).await? else {
        return Err(AppError::not_found("Order"));
    };
    if by.actor == Actor::Customer && head.customer_id != by.user {
        return Err(AppError::not_found("Order"));
    }
    let to = transition(state, cmd.action, by.actor).map_err(|e| match e {
        crate::domain::order_state::TransitionError::NotPermitted { .. } => AppError::Forbidden,
        other => AppError::conflict(capitalise(&other.to_string())),
    })?;
    let reason = cmd.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::validation("reason", "must be at most 500 characters"));
    }
    if cmd.action == OrderAction::RequestRefund && reason.is_none() {
        return Err(AppError::validation("reason", "tell us what went wrong"));
    }
    let mut data = None;
    match (cmd.action, state) {
        (OrderAction::Cancel, OrderState::PendingPayment) => release_reservations(&mut tx, tenant, order).await?,
        (OrderAction::Cancel, _) => {
            // Paid and not yet packed: the stock goes back and the money in full.
            restock(&mut tx, tenant, order, Some(by.user)).await?;
            let refundable = Money::from_decimal(head.total - head.refunded_amount);
            if let Some(payment) = captured_payment(&mut tx, tenant, order).await? {
                let id = queue_refund(
                    &mut tx,
                    tenant,
                    order,
                    payment,
                    refundable,
                    "order cancelled before packing",
                    Some(by.user),
                )
                .await?;
                set_refunded(&mut tx, tenant, order, refundable).await?;
                data = Some(serde_json::json!({ "refundId": id, "amount": refundable }));
            }
        }
        (OrderAction::ApproveRefund, _) => {
            let left = Money::from_decimal(head.total - head.refunded_amount);
            let amount = cmd.amount.unwrap_or(left);
            if amount <= Money::ZERO || amount > left {
                return Err(AppError::validation(
                    "amount",
                    format!("must be more than ₹0 and at most {}", left.format_inr()),
                ));
            }
            let payment = captured_payment(&mut tx, tenant, order)
                .await?
                .ok_or_else(|| AppError::conflict("This order has no captured payment to refund"))?;
            let id = queue_refund(
                &mut tx,
                tenant,
                order,
                payment,
                amount,
                reason.as_deref().unwrap_or("refund approved"),
                Some(by.user),
            )
            .await?;
            set_refunded(&mut tx, tenant, order, amount).await?;
            data = Some(serde_json::json!({ "refundId": id, "amount": amount, "partial": amount < left }));
        }
        // The lots it came from record their sale on their chains.
        (OrderAction::Deliver, _) => {
            crate::trace::chain_service::record_sales(&mut tx, tenant, order).await?;
        }
        _ => {}
    }
    set_state(&mut tx, tenant, order, to).await?;
    record_event(
        &mut tx,
        tenant,
        head.customer_id,
        order,
        EventInput {
            from: Some(state),
            to,
            action: action_str(cmd.action),
            actor: by.actor,
            actor_id: Some(by.user),
            reason,
            data,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

pub fn action_str(a: OrderAction) -> &'static str {
    match a {
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

pub fn parse_action(s: &str) -> Option<OrderAction> {
    OrderAction::ALL.into_iter().find(|a| action_str(*a) == s)
}
