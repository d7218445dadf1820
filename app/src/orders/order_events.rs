//! An order's history: one row per event, and the live events that tell its customer
//! and the store's operations, written in the caller's transaction.

use super::model::*;
use crate::domain::order_state::{Actor, OrderState};
use crate::live::{self, Topic};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
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

/// Who hears of an order's event live (its customer, the store's operations and its
/// order queue), and what they hear.
pub(crate) fn live_events_of(
    tenant: Uuid,
    customer: Uuid,
    order: Uuid,
    event: &OrderEventView,
) -> ([Topic; 3], serde_json::Value) {
    let data = serde_json::json!({ "orderId": order, "state": event.to_state, "event": event });
    ([Topic::Person { user: customer }, Topic::Operations { tenant }, Topic::Orders { tenant }], data)
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
