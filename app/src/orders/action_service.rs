//! What people do to an order after it is paid for (pack, ship, cancel, refunds): one
//! transition function decides, and each change is one transaction with its history row.

use super::order_events::{EventInput, record_event};
use super::order_rows::{lock_order, set_state};
use super::refunds::{self, NewRefund, captured_payment, queue_refund, set_refunded};
use super::stock_holds::{release_reservations, restock};
use crate::domain::money::Money;
use crate::domain::order_state::{Actor, OrderAction, OrderState, transition};
use crate::domain::refund::{self, AskedLine, RefundRuleError};
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
    /// For `ApproveRefund`: how much (default: what the waiting request's lines are
    /// worth, or else all that is left).
    pub amount: Option<Money>,
    /// For `RequestRefund`: which lines and how many of each (none: everything not yet
    /// asked for).
    pub lines: Vec<AskedLine>,
}

fn rule_error(e: RefundRuleError) -> AppError {
    AppError::validation(e.field(), e.to_string())
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
    let mut to = transition(state, cmd.action, by.actor).map_err(|e| match e {
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
                    NewRefund {
                        order,
                        payment,
                        amount: refundable,
                        reason: "order cancelled before packing",
                        requested_by: Some(by.user),
                        request: None,
                    },
                )
                .await?;
                set_refunded(&mut tx, tenant, order, refundable).await?;
                data = Some(serde_json::json!({ "refundId": id, "amount": refundable }));
            }
        }
        (OrderAction::RequestRefund, _) => {
            let bought = refunds::bought_lines(&mut tx, tenant, order).await?;
            let asked: Vec<AskedLine> = if cmd.lines.is_empty() {
                bought
                    .iter()
                    .filter(|l| l.claimable() > 0)
                    .map(|l| AskedLine { line_no: l.line_no, quantity: l.claimable() })
                    .collect()
            } else {
                cmd.lines.clone()
            };
            if asked.is_empty() {
                return Err(AppError::validation("lines", "every item of this order has already been returned"));
            }
            let amount = refund::value_of_lines(
                &bought,
                &asked,
                Money::from_decimal(head.subtotal),
                Money::from_decimal(head.discount),
            )
            .map_err(rule_error)?;
            let request = refunds::record_request(
                &mut tx,
                tenant,
                refunds::NewRequest {
                    order,
                    by: by.user,
                    reason: reason.as_deref().unwrap_or_default(),
                    amount,
                    lines: &asked,
                },
            )
            .await?;
            data = Some(serde_json::json!({ "requestId": request, "amount": amount, "lines": asked }));
        }
        (OrderAction::ApproveRefund, _) => {
            let paid = Money::from_decimal(head.total);
            let already = Money::from_decimal(head.refunded_amount);
            let request = refunds::open_request(&mut tx, tenant, order).await?;
            let amount =
                refund::approved_amount(cmd.amount, request.map(|(_, v)| v), paid - already).map_err(rule_error)?;
            let payment = captured_payment(&mut tx, tenant, order)
                .await?
                .ok_or_else(|| AppError::conflict("This order has no captured payment to refund"))?;
            let id = queue_refund(
                &mut tx,
                tenant,
                NewRefund {
                    order,
                    payment,
                    amount,
                    reason: reason.as_deref().unwrap_or("refund approved"),
                    requested_by: Some(by.user),
                    request: request.map(|(r, _)| r),
                },
            )
            .await?;
            set_refunded(&mut tx, tenant, order, amount).await?;
            if let Some((r, _)) = request {
                refunds::decide_request(&mut tx, tenant, r, "approved", by.user, reason.as_deref()).await?;
            }
            to = refund::state_after_refund(paid, already + amount);
            data = Some(serde_json::json!({
                "refundId": id, "requestId": request.map(|(r, _)| r), "amount": amount, "partial": to != OrderState::Refunded
            }));
        }
        (OrderAction::RejectRefund, _) => {
            if let Some((r, _)) = refunds::open_request(&mut tx, tenant, order).await? {
                refunds::decide_request(&mut tx, tenant, r, "rejected", by.user, reason.as_deref()).await?;
                data = Some(serde_json::json!({ "requestId": r }));
            }
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
    a.as_str()
}

pub fn parse_action(s: &str) -> Option<OrderAction> {
    OrderAction::ALL.into_iter().find(|a| action_str(*a) == s)
}
