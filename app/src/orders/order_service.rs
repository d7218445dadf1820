//! Orders after checkout: payment completion, every state change (one transition
//! function, one event row each, one live event each), the expiry sweep, refunds, and
//! the queries behind the order pages and the API.

use super::checkout_service::lock_stock;
use super::model::*;
use crate::domain::delivery_slot::Slot;
use crate::domain::money::Money;
use crate::domain::order_state::{Actor, OrderAction, OrderState, transition};
use crate::error::AppError;
use crate::jobs::{self, NewJob, Queue};
use crate::live::{self, Topic};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

pub struct EventInput<'a> {
    pub from: Option<OrderState>,
    pub to: OrderState,
    pub action: &'a str,
    pub actor: Actor,
    pub actor_id: Option<Uuid>,
    pub reason: Option<String>,
    pub data: Option<serde_json::Value>,
}

/// A state read back from the database (its CHECK admits only valid ones).
fn state_of(text: &str) -> Result<OrderState, AppError> {
    text.parse().map_err(|e: String| AppError::internal("order state", e))
}

pub(crate) fn actor_str(a: Actor) -> &'static str {
    match a {
        Actor::Customer => "customer",
        Actor::Staff => "staff",
        Actor::Admin => "admin",
        Actor::System => "system",
    }
}

/// Appends the order's history row and tells the customer's and operations' live
/// streams, in the caller's transaction.
pub(crate) async fn record_event(
    tx: &mut PgConnection,
    tenant: Uuid,
    customer: Uuid,
    order: Uuid,
    e: EventInput<'_>,
) -> Result<i64, sqlx::Error> {
    let (seq, at): (i64, DateTime<Utc>) = sqlx::query_as(
        "INSERT INTO order_events (tenant_id, order_id, from_state, to_state, action, actor, actor_id, reason, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq, created_at",
    )
    .bind(tenant)
    .bind(order)
    .bind(e.from.map(OrderState::as_str))
    .bind(e.to.as_str())
    .bind(e.action)
    .bind(actor_str(e.actor))
    .bind(e.actor_id)
    .bind(&e.reason)
    .bind(&e.data)
    .fetch_one(&mut *tx)
    .await?;
    let view = OrderEventView {
        seq,
        from_state: e.from,
        to_state: e.to,
        action: e.action.to_string(),
        actor: actor_str(e.actor).to_string(),
        reason: e.reason,
        at,
    };
    let (topics, data) = live_events_of(tenant, customer, order, &view);
    let events: Vec<_> = topics.iter().map(|t| (t, "order", &data)).collect();
    live::publish_all(tx, &events).await?;
    Ok(seq)
}

/// Who hears of an order's event live (its customer and the store's operations), and
/// what they hear.
pub(crate) fn live_events_of(
    tenant: Uuid,
    customer: Uuid,
    order: Uuid,
    event: &OrderEventView,
) -> ([Topic; 2], serde_json::Value) {
    let data = serde_json::json!({ "orderId": order, "state": event.to_state, "event": event });
    ([Topic::Person { user: customer }, Topic::Operations { tenant }], data)
}

#[derive(FromRow)]
struct OrderHead {
    customer_id: Uuid,
    state: String,
    total: Decimal,
    refunded_amount: Decimal,
    paid_payment_id: Option<String>,
}

async fn lock_order(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
) -> Result<Option<(OrderHead, OrderState)>, AppError> {
    let head: Option<OrderHead> = sqlx::query_as(
        "SELECT customer_id, state, total, refunded_amount, paid_payment_id FROM orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tenant)
    .bind(order)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match head {
        Some(h) => {
            let state = state_of(&h.state)?;
            Some((h, state))
        }
        None => None,
    })
}

async fn set_state(tx: &mut PgConnection, tenant: Uuid, order: Uuid, to: OrderState) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET state = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(order)
        .bind(to.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A payment the gateway says it captured, from the signed callback, a verified
/// webhook, or reconciliation.
#[derive(Debug, Clone)]
pub struct CapturedPayment {
    pub gateway: String,
    pub gateway_order_id: String,
    pub gateway_payment_id: String,
    pub amount_paise: i64,
    pub method: Option<String>,
    /// `callback`, `webhook` or `reconciliation`.
    pub source: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// The order is now paid and its stock sold.
    Paid { tenant: Uuid, order: Uuid },
    /// This payment was applied before; nothing changed.
    AlreadyApplied { tenant: Uuid, order: Uuid },
    /// Money the order cannot use (paid twice, cancelled, stock gone, wrong amount):
    /// kept on record and refunded in full.
    Refunding { tenant: Uuid, order: Uuid, why: String },
    /// No order of ours has this gateway order.
    UnknownOrder,
}

/// Applies a captured payment exactly once. The order row lock serializes the
/// callback, the webhook and reconciliation racing for one order; the unique gateway
/// payment id makes each payment count once; `paid_payment_id` (unique) makes one
/// payment complete the order.
pub async fn complete_payment(pool: &PgPool, p: &CapturedPayment) -> Result<Completion, AppError> {
    let Some((tenant, order)) = order_by_gateway_order(pool, &p.gateway_order_id).await? else {
        return Ok(Completion::UnknownOrder);
    };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let Some((head, state)) = lock_order(&mut tx, tenant, order).await? else {
        return Ok(Completion::UnknownOrder);
    };
    let seen: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM payments WHERE gateway_payment_id = $1)")
        .bind(&p.gateway_payment_id)
        .fetch_one(&mut *tx)
        .await?;
    if seen {
        tx.commit().await?;
        return Ok(Completion::AlreadyApplied { tenant, order });
    }
    let amount = Money::from_paise(p.amount_paise);
    let total = Money::from_decimal(head.total);
    let why: Option<String> = if state != OrderState::PendingPayment {
        Some(match head.paid_payment_id {
            Some(ref other) => format!("the order was already paid by {other}"),
            None => format!("the order was already {state}"),
        })
    } else if amount != total {
        Some(format!("{} was paid but the order total is {}", amount.format_inr(), total.format_inr()))
    } else {
        let short = sell_reserved_stock(&mut tx, tenant, order).await?;
        (!short.is_empty()).then(|| "stock ran out before the payment arrived".to_string())
    };
    let payment_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payments (tenant_id, id, order_id, gateway, gateway_payment_id, gateway_order_id, amount, method, disposition, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant)
    .bind(payment_id)
    .bind(order)
    .bind(&p.gateway)
    .bind(&p.gateway_payment_id)
    .bind(&p.gateway_order_id)
    .bind(amount.amount())
    .bind(&p.method)
    .bind(if why.is_none() { "captured" } else { "surplus" })
    .bind(p.source)
    .execute(&mut *tx)
    .await?;
    let outcome = match why {
        None => {
            let to = transition(state, OrderAction::ConfirmPayment, Actor::System)
                .map_err(|e| AppError::internal("confirm", e))?;
            sqlx::query("UPDATE orders SET state = $3, paid_payment_id = $4, paid_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(order)
                .bind(to.as_str())
                .bind(&p.gateway_payment_id)
                .execute(&mut *tx)
                .await?;
            record_event(
                &mut tx,
                tenant,
                head.customer_id,
                order,
                EventInput {
                    from: Some(state),
                    to,
                    action: "confirm_payment",
                    actor: Actor::System,
                    actor_id: None,
                    reason: Some(format!("payment {} received ({})", p.gateway_payment_id, p.source)),
                    data: Some(serde_json::json!({ "paymentId": p.gateway_payment_id, "amount": amount })),
                },
            )
            .await?;
            Completion::Paid { tenant, order }
        }
        Some(why) => {
            let mut to = state;
            if state == OrderState::PendingPayment && why.starts_with("stock") {
                to = transition(state, OrderAction::Cancel, Actor::System)
                    .map_err(|e| AppError::internal("cancel", e))?;
                set_state(&mut tx, tenant, order, to).await?;
                release_reservations(&mut tx, tenant, order).await?;
            }
            queue_refund(&mut tx, tenant, order, payment_id, amount, &format!("automatic: {why}"), None).await?;
            record_event(
                &mut tx,
                tenant,
                head.customer_id,
                order,
                EventInput {
                    from: Some(state),
                    to,
                    action: if to == state { "refund_surplus_payment" } else { "cancel" },
                    actor: Actor::System,
                    actor_id: None,
                    reason: Some(format!("payment {} will be refunded in full: {why}", p.gateway_payment_id)),
                    data: Some(serde_json::json!({ "paymentId": p.gateway_payment_id, "amount": amount })),
                },
            )
            .await?;
            Completion::Refunding { tenant, order, why }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Turns the order's reservations into sold stock, if every item still has enough
/// (its own hold counts for it even past expiry, as long as nobody else took the
/// stock). Returns the items that fell short; on a shortfall nothing changed.
async fn sell_reserved_stock(tx: &mut PgConnection, tenant: Uuid, order: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let items: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT stock_item_id FROM order_lines WHERE tenant_id = $1 AND order_id = $2")
            .bind(tenant)
            .bind(order)
            .fetch_all(&mut *tx)
            .await?;
    lock_stock(tx, tenant, &items).await?;
    let short: Vec<Uuid> = sqlx::query_scalar(
        "WITH need AS (
             SELECT stock_item_id, sum(stock_quantity) AS quantity FROM order_lines
             WHERE tenant_id = $1 AND order_id = $2 GROUP BY stock_item_id),
         level AS (
             SELECT n.stock_item_id, n.quantity,
                    s.on_hand - coalesce((SELECT sum(r.quantity) FROM stock_reservations r
                                          WHERE r.tenant_id = $1 AND r.stock_item_id = n.stock_item_id
                                            AND r.reserved_until > now() AND r.order_id <> $2), 0) AS available
             FROM need n JOIN stock_items s ON s.tenant_id = $1 AND s.id = n.stock_item_id),
         short AS (SELECT stock_item_id FROM level WHERE available < quantity),
         sold AS (
             UPDATE stock_items s SET on_hand = s.on_hand - l.quantity, updated_at = now()
             FROM level l WHERE s.tenant_id = $1 AND s.id = l.stock_item_id AND NOT EXISTS (SELECT 1 FROM short)
             RETURNING s.id, l.quantity),
         moved AS (
             INSERT INTO stock_movements (tenant_id, stock_item_id, delta, reason, order_id)
             SELECT $1, id, -quantity, 'sold', $2 FROM sold RETURNING 1),
         released AS (
             DELETE FROM stock_reservations WHERE tenant_id = $1 AND order_id = $2 AND NOT EXISTS (SELECT 1 FROM short)
             RETURNING 1)
         SELECT stock_item_id FROM short",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    Ok(short)
}

async fn release_reservations(tx: &mut PgConnection, tenant: Uuid, order: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM stock_reservations WHERE tenant_id = $1 AND order_id = $2")
        .bind(tenant)
        .bind(order)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Puts sold stock back (a paid order cancelled before packing).
async fn restock(tx: &mut PgConnection, tenant: Uuid, order: Uuid, actor: Option<Uuid>) -> Result<(), sqlx::Error> {
    let items: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT stock_item_id FROM order_lines WHERE tenant_id = $1 AND order_id = $2")
            .bind(tenant)
            .bind(order)
            .fetch_all(&mut *tx)
            .await?;
    lock_stock(tx, tenant, &items).await?;
    sqlx::query(
        "WITH back AS (
             SELECT stock_item_id, sum(stock_quantity) AS quantity FROM order_lines
             WHERE tenant_id = $1 AND order_id = $2 GROUP BY stock_item_id),
         up AS (UPDATE stock_items s SET on_hand = s.on_hand + b.quantity, updated_at = now()
                FROM back b WHERE s.tenant_id = $1 AND s.id = b.stock_item_id RETURNING s.id, b.quantity)
         INSERT INTO stock_movements (tenant_id, stock_item_id, delta, reason, order_id, actor_id)
         SELECT $1, id, quantity, 'returned', $2, $3 FROM up",
    )
    .bind(tenant)
    .bind(order)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records a refund and queues its gateway call (the `payments.refund` job), in the
/// caller's transaction: the refund happens if and only if this commits.
async fn queue_refund(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    payment: Uuid,
    amount: Money,
    reason: &str,
    requested_by: Option<Uuid>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO refunds (tenant_id, id, order_id, payment_id, amount, reason, status, requested_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
    )
    .bind(tenant)
    .bind(id)
    .bind(order)
    .bind(payment)
    .bind(amount.amount())
    .bind(reason)
    .bind(requested_by)
    .execute(&mut *tx)
    .await?;
    jobs::enqueue(
        &mut *tx,
        NewJob::new(Queue::Payments, "payments.refund", serde_json::json!({ "refundId": id }))
            .tenant(tenant)
            .dedupe_key(format!("refund:{id}")),
    )
    .await?;
    Ok(id)
}

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

async fn captured_payment(tx: &mut PgConnection, tenant: Uuid, order: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM payments WHERE tenant_id = $1 AND order_id = $2 AND disposition = 'captured'")
        .bind(tenant)
        .bind(order)
        .fetch_optional(&mut *tx)
        .await
}

async fn set_refunded(tx: &mut PgConnection, tenant: Uuid, order: Uuid, amount: Money) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET refunded_amount = refunded_amount + $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(order)
        .bind(amount.amount())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Cancels unpaid orders whose hold ended more than `grace` ago (a payment may be
/// in flight at the deadline; its stock stops counting at the deadline, but the
/// order waits a little longer for it). Returns how many were cancelled.
pub async fn expire_unpaid(pool: &PgPool, grace: chrono::Duration, batch: i64) -> Result<u64, AppError> {
    // The sweep is about every tenant's unpaid orders by design.
    let due: Vec<(Uuid, Uuid)> = {
        let mut tx = crate::db::cross_tenant_tx(pool).await?;
        let rows = sqlx::query_as(
            "SELECT tenant_id, id FROM orders WHERE state = 'pending_payment' AND reserved_until < now() - $1::interval
             ORDER BY reserved_until LIMIT $2",
        )
        .bind(format!("{} seconds", grace.num_seconds()))
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows
    };
    let mut cancelled = 0;
    for (tenant, order) in due {
        let mut tx = crate::db::tenant_tx(pool, tenant).await?;
        // SKIP LOCKED: a payment being applied right now wins; the next sweep looks again.
        let head: Option<(Uuid, String)> = sqlx::query_as(
            "SELECT customer_id, state FROM orders WHERE tenant_id = $1 AND id = $2 AND state = 'pending_payment'
             AND reserved_until < now() - $3::interval FOR UPDATE SKIP LOCKED",
        )
        .bind(tenant)
        .bind(order)
        .bind(format!("{} seconds", grace.num_seconds()))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((customer, _)) = head else { continue };
        let to = transition(OrderState::PendingPayment, OrderAction::Cancel, Actor::System)
            .map_err(|e| AppError::internal("expire", e))?;
        release_reservations(&mut tx, tenant, order).await?;
        set_state(&mut tx, tenant, order, to).await?;
        record_event(
            &mut tx,
            tenant,
            customer,
            order,
            EventInput {
                from: Some(OrderState::PendingPayment),
                to,
                action: "cancel",
                actor: Actor::System,
                actor_id: None,
                reason: Some("payment was not received in time; the items went back on the shelf".into()),
                data: None,
            },
        )
        .await?;
        tx.commit().await?;
        cancelled += 1;
    }
    // Holds of orders no longer waiting (none should exist) stop mattering at their
    // deadline anyway; delete the expired ones so the table stays small.
    let mut tx = crate::db::cross_tenant_tx(pool).await?;
    sqlx::query(
        "DELETE FROM stock_reservations r WHERE r.reserved_until < now() - $1::interval
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = r.tenant_id AND o.id = r.order_id AND o.state = 'pending_payment')",
    )
    .bind(format!("{} seconds", grace.num_seconds()))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(cancelled)
}

/// Records the gateway's order for an unpaid order (first payment attempt), or
/// returns the one it already has. `None`: the order cannot be paid now.
pub async fn payable(pool: &PgPool, tenant: Uuid, order: Uuid, customer: Uuid) -> Result<Payable, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<(String, Decimal, Option<String>, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT state, total, gateway_order_id, reserved_until, number FROM orders WHERE tenant_id = $1 AND id = $2 AND customer_id = $3",
    )
    .bind(tenant)
    .bind(order)
    .bind(customer)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let (state, total, gateway_order_id, reserved_until, number) = row.ok_or_else(|| AppError::not_found("Order"))?;
    if state != OrderState::PendingPayment.as_str() {
        return Err(AppError::conflict(format!("This order is {} and cannot be paid", state.replace('_', " "))));
    }
    Ok(Payable { order, number, total: Money::from_decimal(total), gateway_order_id, reserved_until })
}

#[derive(Debug, Clone)]
pub struct Payable {
    pub order: Uuid,
    pub number: i64,
    pub total: Money,
    pub gateway_order_id: Option<String>,
    pub reserved_until: DateTime<Utc>,
}

pub async fn attach_gateway_order(
    pool: &PgPool,
    tenant: Uuid,
    order: Uuid,
    gateway_order_id: &str,
) -> Result<String, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    // First writer wins: two tabs paying at once share one gateway order.
    let id: String = sqlx::query_scalar(
        "UPDATE orders SET gateway_order_id = coalesce(gateway_order_id, $3), updated_at = now()
         WHERE tenant_id = $1 AND id = $2 RETURNING gateway_order_id",
    )
    .bind(tenant)
    .bind(order)
    .bind(gateway_order_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(FromRow)]
struct SummaryRow {
    id: Uuid,
    number: i64,
    state: String,
    total: Decimal,
    item_count: i64,
    created_at: DateTime<Utc>,
}

fn summary(r: SummaryRow) -> Result<OrderSummary, AppError> {
    Ok(OrderSummary {
        id: r.id,
        number: r.number,
        state: state_of(&r.state)?,
        total: Money::from_decimal(r.total),
        item_count: r.item_count,
        created_at: r.created_at,
    })
}

/// Newest first; `customer` limits to one person's orders, `state` to one state.
/// Keyset pagination on (created_at, id) via `before`.
pub async fn list(
    pool: &PgPool,
    tenant: Uuid,
    customer: Option<Uuid>,
    state: Option<OrderState>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<OrderSummary>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT o.id, o.number, o.state, o.total, o.created_at,
                (SELECT coalesce(sum(quantity), 0)::int8 FROM order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id) AS item_count
         FROM orders o
         WHERE o.tenant_id = $1 AND ($2::uuid IS NULL OR o.customer_id = $2) AND ($3::text IS NULL OR o.state = $3)
           AND ($4::timestamptz IS NULL OR (o.created_at, o.id) < ($4, $5))
         ORDER BY o.created_at DESC, o.id DESC LIMIT $6",
    )
    .bind(tenant)
    .bind(customer)
    .bind(state.map(OrderState::as_str))
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.into_iter().map(summary).collect()
}

/// One order with its lines, history and refunds. `customer`: only if it is theirs
/// (someone else's order is "not found", not "forbidden": its existence is private).
pub async fn detail(pool: &PgPool, tenant: Uuid, order: Uuid, customer: Option<Uuid>) -> Result<OrderDetail, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    #[derive(FromRow)]
    struct Row {
        number: i64,
        customer_id: Uuid,
        state: String,
        subtotal: Decimal,
        discount: Decimal,
        delivery_fee: Decimal,
        tax_included: Decimal,
        total: Decimal,
        refunded_amount: Decimal,
        coupon_code: Option<String>,
        address: serde_json::Value,
        slot_starts_at: DateTime<Utc>,
        slot_ends_at: DateTime<Utc>,
        reserved_until: DateTime<Utc>,
        created_at: DateTime<Utc>,
        paid_at: Option<DateTime<Utc>>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT number, customer_id, state, subtotal, discount, delivery_fee, tax_included, total, refunded_amount,
                coupon_code, address, slot_starts_at, slot_ends_at, reserved_until, created_at, paid_at
         FROM orders WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR customer_id = $3)",
    )
    .bind(tenant)
    .bind(order)
    .bind(customer)
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Order"))?;
    let lines: Vec<(Uuid, String, String, String, String, Decimal, i32, Decimal)> = sqlx::query_as(
        "SELECT variant_id, product_name, product_slug, variant_label, sku, unit_price, quantity, line_total
         FROM order_lines WHERE tenant_id = $1 AND order_id = $2 ORDER BY line_no",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    let events = events_in(&mut tx, tenant, order, 0).await?;
    let refunds: Vec<(Uuid, Decimal, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, amount, reason, status, created_at FROM refunds r
         WHERE tenant_id = $1 AND order_id = $2
           AND EXISTS (SELECT 1 FROM payments p WHERE p.tenant_id = r.tenant_id AND p.id = r.payment_id AND p.disposition = 'captured')
         ORDER BY created_at",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let slot = Slot { starts_at: row.slot_starts_at, ends_at: row.slot_ends_at };
    Ok(OrderDetail {
        id: order,
        number: row.number,
        customer_id: row.customer_id,
        state: state_of(&row.state)?,
        lines: lines
            .into_iter()
            .map(|(variant_id, product_name, product_slug, variant_label, sku, unit_price, quantity, line_total)| {
                OrderLineView {
                    variant_id,
                    product_name,
                    product_slug,
                    variant_label,
                    sku,
                    unit_price: Money::from_decimal(unit_price),
                    quantity,
                    line_total: Money::from_decimal(line_total),
                }
            })
            .collect(),
        subtotal: Money::from_decimal(row.subtotal),
        discount: Money::from_decimal(row.discount),
        delivery_fee: Money::from_decimal(row.delivery_fee),
        tax_included: Money::from_decimal(row.tax_included),
        total: Money::from_decimal(row.total),
        refunded_amount: Money::from_decimal(row.refunded_amount),
        coupon: row.coupon_code,
        address: serde_json::from_value(row.address).map_err(|e| AppError::internal("address", e))?,
        slot_starts_at: slot.starts_at,
        slot_ends_at: slot.ends_at,
        slot_label: slot.label(),
        reserved_until: row.reserved_until,
        created_at: row.created_at,
        paid_at: row.paid_at,
        events,
        refunds: refunds
            .into_iter()
            .map(|(id, amount, reason, status, created_at)| RefundView {
                id,
                amount: Money::from_decimal(amount),
                reason,
                status,
                created_at,
            })
            .collect(),
    })
}

async fn events_in(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    after: i64,
) -> Result<Vec<OrderEventView>, AppError> {
    let rows: Vec<(i64, Option<String>, String, String, String, Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT seq, from_state, to_state, action, actor, reason, created_at FROM order_events
         WHERE tenant_id = $1 AND order_id = $2 AND seq > $3 ORDER BY seq",
    )
    .bind(tenant)
    .bind(order)
    .bind(after)
    .fetch_all(&mut *tx)
    .await?;
    rows.into_iter()
        .map(|(seq, from, to, action, actor, reason, at)| {
            Ok(OrderEventView {
                seq,
                from_state: from.as_deref().map(state_of).transpose()?,
                to_state: state_of(&to)?,
                action,
                actor,
                reason,
                at,
            })
        })
        .collect()
}

/// The order's history after `after` (for polling clients and the API).
pub async fn events(
    pool: &PgPool,
    tenant: Uuid,
    order: Uuid,
    customer: Option<Uuid>,
    after: i64,
) -> Result<Vec<OrderEventView>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE tenant_id = $1 AND id = $2 AND ($3::uuid IS NULL OR customer_id = $3))")
        .bind(tenant)
        .bind(order)
        .bind(customer)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(AppError::not_found("Order"));
    }
    let events = events_in(&mut tx, tenant, order, after).await?;
    tx.commit().await?;
    Ok(events)
}

/// Our (tenant, order) for a gateway order id.
pub async fn order_by_gateway_order(pool: &PgPool, gateway_order_id: &str) -> Result<Option<(Uuid, Uuid)>, AppError> {
    let tenant: Option<Uuid> =
        sqlx::query_scalar("SELECT order_tenant_by_gateway_order($1)").bind(gateway_order_id).fetch_one(pool).await?;
    let Some(tenant) = tenant else { return Ok(None) };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let order: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM orders WHERE tenant_id = $1 AND gateway_order_id = $2")
            .bind(tenant)
            .bind(gateway_order_id)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(order.map(|o| (tenant, o)))
}

/// A line on the order's timeline that is not a state change (a refund settling).
pub async fn note(
    tx: &mut PgConnection,
    tenant: Uuid,
    customer: Uuid,
    order: Uuid,
    state: OrderState,
    action: &str,
    text: &str,
) -> Result<(), sqlx::Error> {
    record_event(
        tx,
        tenant,
        customer,
        order,
        EventInput {
            from: Some(state),
            to: state,
            action,
            actor: Actor::System,
            actor_id: None,
            reason: Some(text.to_string()),
            data: None,
        },
    )
    .await?;
    Ok(())
}
