//! The control tower's reads and its few acts of its own (assigning an alert, retrying
//! or discarding a dead letter, sending a failed message again). Every read names the
//! tenant and runs under its row-level security; rows that belong to no tenant
//! (platform jobs, sign-in codes) are left out, since they are no tenant's business:
//! the jobs and messages panels read them only in the platform's scope
//! ([`Scope::Platform`], see `platform`). Acting on orders and acknowledging or
//! resolving alerts go through their own services.

use super::market_panel::market_in;
use super::model::*;
use crate::alerts::model::Alert;
use crate::audit::{self, Entry};
use crate::domain::money::Money;
use crate::domain::order_state::OrderState;
use crate::domain::tower::{is_stuck, sell_through, stuck_after};
use crate::error::AppError;
use crate::live::{self, Topic};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::str::FromStr;
use uuid::Uuid;

/// Whose jobs and messages a panel shows and may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Tenant(Uuid),
    /// Those of no tenant; only a platform operator is given this scope.
    Platform,
}

impl Scope {
    pub fn tenant(self) -> Option<Uuid> {
        match self {
            Scope::Tenant(t) => Some(t),
            Scope::Platform => None,
        }
    }

    /// The rows of this scope in a query whose `$1` is [`Scope::tenant`]. Two texts, not
    /// one with `IS NOT DISTINCT FROM`, so each is planned on its index.
    fn rows(self, alias: &str) -> String {
        match self {
            Scope::Tenant(_) => format!("{alias}.tenant_id = $1"),
            Scope::Platform => format!("{alias}.tenant_id IS NULL AND $1::uuid IS NULL"),
        }
    }

    pub fn topic(self) -> Topic {
        match self {
            Scope::Tenant(tenant) => Topic::Operations { tenant },
            Scope::Platform => Topic::Platform,
        }
    }

    /// A transaction under row-level security as this scope sees it: the tenant's, or
    /// none set (rows of no tenant are the only ones visible).
    pub async fn begin(self, pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, AppError> {
        Ok(match self {
            Scope::Tenant(tenant) => crate::db::tenant_tx(pool, tenant).await?,
            Scope::Platform => pool.begin().await?,
        })
    }
}

/// Alerts a page of the queue shows.
pub const ALERTS_PAGE: i64 = 25;

/// The whole tower for its first drawing, in one transaction (one consistent moment).
pub async fn tower(pool: &PgPool, tenant: Uuid) -> Result<Tower, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (tenant_name, kind): (String, String) =
        sqlx::query_as("SELECT name, kind FROM tenants WHERE id = $1").bind(tenant).fetch_one(&mut *tx).await?;
    let kind = TenantKind::parse(&kind).unwrap_or(TenantKind::Store);
    // Read first: a screen that resumes from here may see an event twice, never miss one.
    let live_from: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM live_events WHERE topic = $1")
        .bind(Topic::Operations { tenant }.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let (orders, inventory) = if kind.sells() {
        (Some(orders_in(&mut tx, tenant).await?), Some(inventory_in(&mut tx, tenant).await?))
    } else {
        (None, None)
    };
    let market =
        if kind == TenantKind::Market { Some(super::market_panel::market_in(&mut tx, tenant).await?) } else { None };
    let tower = Tower {
        tenant_name,
        kind,
        orders,
        inventory,
        market,
        field: None,
        alerts: alerts_in(&mut tx, tenant, None).await?,
        jobs: jobs_in(&mut tx, Scope::Tenant(tenant)).await?,
        notifications: notifications_in(&mut tx, Scope::Tenant(tenant)).await?,
        kpis: super::kpi_service::kpis_in(&mut tx, tenant, kind).await?,
        live_from,
        platform_operator: false,
    };
    tx.commit().await?;
    Ok(tower)
}

/// Reads one panel in its own transaction.
macro_rules! panel {
    ($name:ident, $inner:ident, $out:ty) => {
        pub async fn $name(pool: &PgPool, tenant: Uuid) -> Result<$out, AppError> {
            let mut tx = crate::db::tenant_tx(pool, tenant).await?;
            let panel = $inner(&mut tx, tenant).await?;
            tx.commit().await?;
            Ok(panel)
        }
    };
}
panel!(orders_panel, orders_in, OrdersPanel);
panel!(inventory_panel, inventory_in, InventoryPanel);
panel!(market_panel, market_in, MarketPanel);

pub async fn jobs_panel(pool: &PgPool, scope: Scope) -> Result<JobsPanel, AppError> {
    let mut tx = scope.begin(pool).await?;
    let panel = jobs_in(&mut tx, scope).await?;
    tx.commit().await?;
    Ok(panel)
}

pub async fn notifications_panel(pool: &PgPool, scope: Scope) -> Result<NotificationsPanel, AppError> {
    let mut tx = scope.begin(pool).await?;
    let panel = notifications_in(&mut tx, scope).await?;
    tx.commit().await?;
    Ok(panel)
}

pub async fn alerts_panel(
    pool: &PgPool,
    tenant: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> Result<AlertsPanel, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let panel = alerts_in(&mut tx, tenant, before).await?;
    tx.commit().await?;
    Ok(panel)
}

/// Midnight today in store time (India), as an instant.
pub(super) fn start_of_today(now: DateTime<Utc>) -> DateTime<Utc> {
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("IST");
    let local = now.with_timezone(&ist).date_naive().and_hms_opt(0, 0, 0).expect("midnight");
    local.and_local_timezone(ist).single().expect("IST has no gaps").with_timezone(&Utc)
}

type OrderRow = (Uuid, i64, String, Decimal, String, DateTime<Utc>, DateTime<Utc>);

fn tower_order(row: OrderRow, now: DateTime<Utc>) -> TowerOrder {
    let (id, number, state, total, customer_name, placed_at, state_since) = row;
    // The table's check admits only these.
    let state = parse_state(&state);
    TowerOrder {
        id,
        number,
        state,
        total: Money::from_decimal(total),
        customer_name,
        placed_at,
        state_since,
        stuck: is_stuck(state, state_since, now),
    }
}

fn parse_state(s: &str) -> OrderState {
    OrderState::ALL.into_iter().find(|st| st.as_str() == s).unwrap_or(OrderState::PendingPayment)
}

const ORDER_COLUMNS: &str =
    "o.id, o.number, o.state, o.total, coalesce(o.address->>'name', ''), o.created_at, o.updated_at";

async fn orders_in(tx: &mut PgConnection, tenant: Uuid) -> Result<OrdersPanel, AppError> {
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *tx).await?;
    let (active, resting): (Vec<OrderState>, Vec<OrderState>) =
        OrderState::ALL.into_iter().partition(|s| stuck_after(*s).is_some());
    let limits: Vec<f64> = active.iter().map(|s| stuck_after(*s).map_or(0.0, |d| d.num_seconds() as f64)).collect();
    let names = |states: &[OrderState]| states.iter().map(|s| s.as_str()).collect::<Vec<_>>();
    // Orders still moving are few whatever the store's age; resting ones are counted
    // for today only (a year of delivered orders is not the tower's business).
    let counts: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT l.state, c.n, c.stuck
         FROM unnest($2::text[], $3::float8[]) AS l (state, secs)
         -- Per state, so each count walks its state in the index: a join was planned as
         -- a scan of every order (170 ms over a year of them).
         CROSS JOIN LATERAL (
             SELECT count(*) AS n, count(*) FILTER (WHERE o.updated_at < now() - make_interval(secs => l.secs)) AS stuck
             FROM orders o WHERE o.tenant_id = $1 AND o.state = l.state
         ) c
         UNION ALL
         SELECT o.state, count(*), 0 FROM orders o
         WHERE o.tenant_id = $1 AND o.updated_at >= $4 AND o.state = ANY($5)
         GROUP BY o.state",
    )
    .bind(tenant)
    .bind(names(&active))
    .bind(&limits)
    .bind(start_of_today(now))
    .bind(names(&resting))
    .fetch_all(&mut *tx)
    .await?;
    let by_state = OrderState::ALL
        .into_iter()
        .map(|state| {
            let (count, stuck) =
                counts.iter().find(|(s, _, _)| s == state.as_str()).map(|(_, c, s)| (*c, *s)).unwrap_or((0, 0));
            StateCount { state, count, stuck }
        })
        .collect();
    let newest: Vec<OrderRow> = sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT 8"
    ))
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    let stuck: Vec<OrderRow> = sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM unnest($2::text[], $3::float8[]) AS l (state, secs)
         CROSS JOIN LATERAL (
             SELECT * FROM orders o WHERE o.tenant_id = $1 AND o.state = l.state
               AND o.updated_at < now() - make_interval(secs => l.secs)
             ORDER BY o.updated_at LIMIT 10) o
         ORDER BY o.updated_at LIMIT 10"
    ))
    .bind(tenant)
    .bind(names(&active))
    .bind(&limits)
    .fetch_all(&mut *tx)
    .await?;
    Ok(OrdersPanel {
        by_state,
        newest: newest.into_iter().map(|r| tower_order(r, now)).collect(),
        stuck: stuck.into_iter().map(|r| tower_order(r, now)).collect(),
        read_at: now,
    })
}

async fn inventory_in(tx: &mut PgConnection, tenant: Uuid) -> Result<InventoryPanel, AppError> {
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *tx).await?;
    let low: Vec<(Uuid, String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT s.id, s.sku, coalesce(p.names, ''), s.on_hand, s.low_stock_threshold::bigint, s.unit
         FROM stock_items s
         LEFT JOIN LATERAL (SELECT string_agg(DISTINCT pr.name, ', ') AS names FROM product_variants v
                            JOIN products pr ON pr.tenant_id = v.tenant_id AND pr.id = v.product_id
                            WHERE v.tenant_id = s.tenant_id AND v.stock_item_id = s.id) p ON true
         WHERE s.tenant_id = $1 AND s.is_low
         ORDER BY s.on_hand::numeric / s.low_stock_threshold, s.sku LIMIT 20",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    let (low_count, holds, held_units, sold_today, on_hand_of_sold): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "WITH sold AS (
             SELECT m.stock_item_id, -sum(m.delta) AS units FROM stock_movements m
             WHERE m.tenant_id = $1 AND m.reason = 'sold' AND m.created_at >= $2
             GROUP BY m.stock_item_id)
         SELECT (SELECT count(*) FROM stock_items s
                 WHERE s.tenant_id = $1 AND s.is_low),
                (SELECT count(*) FROM stock_reservations r WHERE r.tenant_id = $1 AND r.reserved_until > now()),
                (SELECT coalesce(sum(r.quantity), 0)::bigint FROM stock_reservations r
                 WHERE r.tenant_id = $1 AND r.reserved_until > now()),
                (SELECT coalesce(sum(units), 0)::bigint FROM sold),
                (SELECT coalesce(sum(s.on_hand), 0)::bigint FROM sold
                 JOIN stock_items s ON s.tenant_id = $1 AND s.id = sold.stock_item_id)",
    )
    .bind(tenant)
    .bind(start_of_today(now))
    .fetch_one(&mut *tx)
    .await?;
    Ok(InventoryPanel {
        low: low
            .into_iter()
            .map(|(stock_item_id, sku, products, on_hand, threshold, unit)| LowStockLine {
                stock_item_id,
                sku,
                products,
                on_hand,
                threshold,
                unit,
            })
            .collect(),
        low_count,
        holds,
        held_units,
        sold_today,
        sell_through: sell_through(sold_today, on_hand_of_sold),
        read_at: now,
    })
}

#[derive(sqlx::FromRow)]
struct AlertLine {
    id: Uuid,
    assigned_to: Option<Uuid>,
    assignee: Option<String>,
    acknowledger: Option<String>,
    resolver: Option<String>,
}

/// Alerts not yet resolved, newest first, a page at a time (keyset: `before` is the
/// last one shown), with who is on each.
async fn alerts_in(
    tx: &mut PgConnection,
    tenant: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> Result<AlertsPanel, AppError> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT severity, count(*) FROM alerts WHERE tenant_id = $1 AND resolved_at IS NULL GROUP BY severity",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    let count = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let mut page = crate::alerts::service::unresolved_in(&mut *tx, before, ALERTS_PAGE + 1).await?;
    let next = (page.len() as i64 > ALERTS_PAGE).then(|| {
        page.truncate(ALERTS_PAGE as usize);
        page.last().map(|a| crate::time_cursor::encode(a.opened_at, a.id)).unwrap_or_default()
    });
    let page = tower_alerts(&mut *tx, tenant, page).await?;
    Ok(AlertsPanel {
        open_by_severity: [count("critical"), count("warning"), count("info")],
        page,
        next,
        people: people_in(&mut *tx, tenant).await?,
    })
}

/// Who an alert can be given to: the tenant's operations people, admins and field agents.
async fn people_in(tx: &mut PgConnection, tenant: Uuid) -> Result<Vec<Assignee>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = $1 AND m.role IN ('ops', 'admin', 'field_agent', 'staff')
         ORDER BY u.display_name, u.id LIMIT 200",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|(id, name)| Assignee { id, name }).collect())
}

pub(super) async fn jobs_in(tx: &mut PgConnection, scope: Scope) -> Result<JobsPanel, AppError> {
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *tx).await?;
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT q.queue,
                count(j.id) FILTER (WHERE j.status = 'queued' AND j.run_at <= now()),
                count(j.id) FILTER (WHERE j.status = 'queued' AND j.run_at > now()),
                count(j.id) FILTER (WHERE j.status = 'running'),
                count(j.id) FILTER (WHERE j.status = 'dead'),
                (SELECT count(*) FROM jobs d WHERE {done} AND d.queue = q.queue
                   AND d.status = 'succeeded' AND d.finished_at > now() - interval '1 hour'),
                count(j.id) FILTER (WHERE j.status = 'queued' AND j.attempts > 0)
         FROM unnest($2::text[]) AS q (queue)
         LEFT JOIN jobs j ON {open} AND j.queue = q.queue AND j.status IN ('queued', 'running', 'dead')
         GROUP BY q.queue ORDER BY q.queue",
        done = scope.rows("d"),
        open = scope.rows("j"),
    ))
    .bind(scope.tenant())
    .bind(crate::jobs::Queue::ALL.iter().map(|q| q.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    let dead: Vec<(i64, String, String, i32, Option<String>, Option<DateTime<Utc>>)> = sqlx::query_as(&format!(
        "SELECT id, queue, kind, attempts, last_error, finished_at FROM jobs j
         WHERE {} AND status = 'dead' ORDER BY id DESC LIMIT 20",
        scope.rows("j")
    ))
    .bind(scope.tenant())
    .fetch_all(&mut *tx)
    .await?;
    Ok(JobsPanel {
        queues: rows
            .into_iter()
            .map(|(queue, ready, scheduled, running, dead, done_last_hour, retrying)| QueueLine {
                queue,
                ready,
                scheduled,
                running,
                dead,
                done_last_hour,
                retrying,
            })
            .collect(),
        dead: dead
            .into_iter()
            .map(|(id, queue, kind, attempts, last_error, finished_at)| DeadLetter {
                id,
                queue,
                kind,
                attempts,
                last_error,
                finished_at,
            })
            .collect(),
        read_at: now,
    })
}

pub(super) async fn notifications_in(tx: &mut PgConnection, scope: Scope) -> Result<NotificationsPanel, AppError> {
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *tx).await?;
    let channels: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT c.channel, count(n.id),
                count(n.id) FILTER (WHERE n.status IN ('delivered', 'read')),
                count(n.id) FILTER (WHERE n.status = 'failed'),
                count(n.id) FILTER (WHERE n.status IN ('queued', 'sent'))
         FROM unnest(ARRAY['whatsapp', 'sms', 'email', 'in_app']) AS c (channel)
         LEFT JOIN notification_outbox n ON {} AND n.channel = c.channel
              AND n.created_at > now() - interval '24 hours'
         GROUP BY c.channel ORDER BY min(array_position(ARRAY['whatsapp', 'sms', 'email', 'in_app'], c.channel))",
        scope.rows("n")
    ))
    .bind(scope.tenant())
    .fetch_all(&mut *tx)
    .await?;
    let failures: Vec<(Uuid, String, String, i16, Option<String>, DateTime<Utc>)> = sqlx::query_as(&format!(
        "SELECT id, channel, template, attempts, last_error, created_at FROM notification_outbox n
         WHERE {} AND status = 'failed' AND created_at > now() - interval '7 days'
         ORDER BY created_at DESC LIMIT 20",
        scope.rows("n")
    ))
    .bind(scope.tenant())
    .fetch_all(&mut *tx)
    .await?;
    Ok(NotificationsPanel {
        channels: channels
            .into_iter()
            .map(|(channel, total, delivered, failed, pending)| ChannelLine {
                channel,
                total,
                delivered,
                failed,
                pending,
            })
            .collect(),
        failures: failures
            .into_iter()
            .map(|(id, channel, template, attempts, last_error, created_at)| FailedMessage {
                id,
                channel,
                template,
                attempts,
                last_error,
                created_at,
            })
            .collect(),
        read_at: now,
    })
}

/// Gives an alert to someone of the tenant (or takes it back with `None`). Assigning a
/// resolved alert is a conflict; assigning it to whoever has it already changes nothing.
pub async fn assign_alert(
    pool: &PgPool,
    tenant: Uuid,
    actor: Uuid,
    id: Uuid,
    to: Option<Uuid>,
    ip: Option<&str>,
) -> Result<TowerAlert, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let current: Option<(Option<Uuid>, bool)> = sqlx::query_as(
        "SELECT assigned_to, resolved_at IS NOT NULL FROM alerts WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((before, resolved)) = current else { return Err(AppError::not_found("Alert")) };
    if resolved {
        return Err(AppError::conflict("This alert is resolved; there is nothing left to assign"));
    }
    if let Some(person) = to
        && !people_in(&mut tx, tenant).await?.iter().any(|p| p.id == person)
    {
        return Err(AppError::validation("assignee", "is not one of this tenant's operations people"));
    }
    if before != to {
        sqlx::query("UPDATE alerts SET assigned_to = $3, assigned_at = now() WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            Entry {
                before: Some(serde_json::json!({ "assignedTo": before })),
                after: Some(serde_json::json!({ "assignedTo": to })),
                ..Entry::event(Some(tenant), Some(actor), "alert.assigned", format!("alert:{id}"), ip)
            },
        )
        .await?;
        let event = serde_json::json!({ "id": id, "assignedTo": to, "by": actor });
        live::publish(&mut tx, &Topic::Operations { tenant }, "alert.assigned", &event).await?;
    }
    let panel = alerts_with(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(panel)
}

/// One alert as the tower lists it.
async fn alerts_with(tx: &mut PgConnection, tenant: Uuid, id: Uuid) -> Result<TowerAlert, AppError> {
    let alert: Alert = crate::alerts::service::find_in(&mut *tx, id).await?;
    let mut lines = tower_alerts(tx, tenant, vec![alert]).await?;
    lines.pop().ok_or_else(|| AppError::not_found("Alert"))
}

/// The alerts with the names of who has each, acknowledged and resolved it.
async fn tower_alerts(tx: &mut PgConnection, tenant: Uuid, alerts: Vec<Alert>) -> Result<Vec<TowerAlert>, AppError> {
    let lines: Vec<AlertLine> = sqlx::query_as(
        "SELECT a.id, a.assigned_to, ua.display_name AS assignee, uk.display_name AS acknowledger,
                ur.display_name AS resolver
         FROM alerts a
         LEFT JOIN users ua ON ua.id = a.assigned_to
         LEFT JOIN users uk ON uk.id = a.acknowledged_by
         LEFT JOIN users ur ON ur.id = a.resolved_by
         WHERE a.tenant_id = $1 AND a.id = ANY($2)",
    )
    .bind(tenant)
    .bind(alerts.iter().map(|a| a.id).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    Ok(alerts
        .into_iter()
        .map(|alert| {
            let line = lines.iter().find(|l| l.id == alert.id);
            TowerAlert {
                assigned_to: line.and_then(|l| {
                    l.assigned_to.map(|id| Assignee { id, name: l.assignee.clone().unwrap_or_default() })
                }),
                acknowledged_by: line.and_then(|l| l.acknowledger.clone()),
                resolved_by: line.and_then(|l| l.resolver.clone()),
                alert,
            }
        })
        .collect())
}

/// What an operator does with a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterAct {
    /// Run it again with a fresh set of attempts.
    Retry,
    /// Never run it; kept for the record until retention removes it.
    Discard,
}

impl FromStr for DeadLetterAct {
    type Err = AppError;
    fn from_str(s: &str) -> Result<DeadLetterAct, AppError> {
        match s {
            "retry" => Ok(DeadLetterAct::Retry),
            "discard" => Ok(DeadLetterAct::Discard),
            _ => Err(AppError::validation("action", "must be retry or discard")),
        }
    }
}

/// Retries or discards one of the scope's dead letters. A job of another tenant, or of
/// none to a tenant, is not found; one no longer dead (someone acted first) is a conflict.
pub async fn act_on_dead_letter(
    pool: &PgPool,
    scope: Scope,
    actor: Uuid,
    id: i64,
    act: DeadLetterAct,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let mut tx = scope.begin(pool).await?;
    let status: Option<String> =
        sqlx::query_scalar(&format!("SELECT status FROM jobs j WHERE {} AND id = $2", scope.rows("j")))
            .bind(scope.tenant())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    in_status(status, "Job", "dead", "only a dead letter can be acted on; this job is")?;
    let action = match act {
        DeadLetterAct::Retry => {
            crate::jobs::retry_dead(&mut *tx, id).await?;
            "job.retried"
        }
        DeadLetterAct::Discard => {
            sqlx::query("UPDATE jobs SET status = 'discarded', finished_at = now() WHERE id = $1 AND status = 'dead'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            "job.discarded"
        }
    };
    acted(&mut tx, scope, actor, action, format!("job:{id}"), serde_json::json!(id), ip).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends one of the scope's failed messages again.
pub async fn retry_message(
    pool: &PgPool,
    scope: Scope,
    actor: Uuid,
    id: Uuid,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let mut tx = scope.begin(pool).await?;
    let status: Option<String> =
        sqlx::query_scalar(&format!("SELECT status FROM notification_outbox n WHERE {} AND id = $2", scope.rows("n")))
            .bind(scope.tenant())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    in_status(status, "Message", "failed", "only a failed message can be retried; this one is")?;
    if !crate::outbox::retry_failed(&mut tx, id).await? {
        return Err(AppError::conflict("only a failed message can be retried"));
    }
    let action = "notification.retried";
    acted(&mut tx, scope, actor, action, format!("message:{id}"), serde_json::json!(id), ip).await?;
    tx.commit().await?;
    Ok(())
}

/// A job or message found in `status` is acted on only in `wanted`: not found is 404,
/// any other status (someone acted first) a conflict that names it.
fn in_status(status: Option<String>, what: &'static str, wanted: &str, otherwise: &str) -> Result<(), AppError> {
    match status.as_deref() {
        None => Err(AppError::not_found(what)),
        Some(s) if s == wanted => Ok(()),
        Some(other) => Err(AppError::conflict(format!("{otherwise} {other}"))),
    }
}

/// An operator's act on a job or message: audited, and told to the scope's towers.
async fn acted(
    tx: &mut PgConnection,
    scope: Scope,
    actor: Uuid,
    action: &str,
    target: String,
    id: serde_json::Value,
    ip: Option<&str>,
) -> Result<(), sqlx::Error> {
    audit::record(&mut *tx, Entry::event(scope.tenant(), Some(actor), action, target, ip)).await?;
    live::publish(tx, &scope.topic(), action, &serde_json::json!({ "id": id, "by": actor })).await
}

/// Open tasks due by today, read as the caller (the task board's own rules apply).
pub async fn field_panel(pool: &PgPool, claims: &crate::account::tokens::Claims) -> Result<FieldPanel, AppError> {
    let read_at = Utc::now();
    let today = crate::domain::distribution::ist_date(read_at);
    let filter = crate::field::tasks_service::TaskFilter {
        status: Some(crate::domain::field_work::TaskStatus::Open),
        due_to: Some(today),
        ..Default::default()
    };
    let board = crate::field::tasks_service::board(pool, claims, &filter).await?;
    Ok(FieldPanel { today, tasks: board.tasks, agents: board.agents, read_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_starts_at_midnight_in_india() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(start_of_today(at("2026-12-07T10:00:00Z")), at("2026-12-06T18:30:00Z"));
        // 20:00 UTC is already the next day in India.
        assert_eq!(start_of_today(at("2026-12-07T20:00:00Z")), at("2026-12-07T18:30:00Z"));
    }
}
