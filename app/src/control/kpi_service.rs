//! The KPIs' daily rows: the rollup that recomputes every day marked since it last ran
//! (migration …40 says what marks a day), and the tower's read of them.

use super::model::{KpiPanel, TenantKind};
use crate::domain::distribution::ist_date;
use crate::domain::kpi::{KpiDay, reached_customer, summarize};
use crate::domain::money::Money;
use crate::domain::order_state::OrderState;
use crate::error::AppError;
use crate::live::{self, Topic};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Published on a tenant's operations stream when its KPIs were recomputed.
pub const KPI_UPDATED: &str = "kpi.updated";

/// Days the panel shows: the chart's 30 and the window of 30 before today.
pub const CHART_DAYS: i64 = 30;

/// Takes the marked days and recomputes each whole from its sources, in the caller's
/// cross-tenant transaction, then tells each tenant's tower. Returns the days written.
///
/// Runs one at a time: a run that read a day before a change committed must not
/// write after a later run that saw it.
pub async fn rollup(tx: &mut PgConnection) -> Result<usize, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('mandi-kpi-rollup'))").execute(&mut *tx).await?;
    let marked: Vec<(Uuid, NaiveDate)> = sqlx::query_as(
        "WITH taken AS (DELETE FROM kpi_dirty_days RETURNING tenant_id, day)
         SELECT DISTINCT tenant_id, day FROM taken ORDER BY tenant_id, day",
    )
    .fetch_all(&mut *tx)
    .await?;
    if marked.is_empty() {
        return Ok(0);
    }
    let reached: Vec<&str> = OrderState::ALL.into_iter().filter(|s| reached_customer(*s)).map(|s| s.as_str()).collect();
    sqlx::query(
        "INSERT INTO kpi_days (tenant_id, day, orders, gmv, refunded, reached, cancelled_paid,
                               settlements, settled, farm_revenue, computed_at)
         SELECT m.tenant_id, m.day, o.orders, coalesce(o.gmv, 0), coalesce(o.refunded, 0), o.reached,
                o.cancelled_paid, s.settlements, coalesce(s.settled, 0), coalesce(r.revenue, 0), now()
         FROM unnest($1::uuid[], $2::date[]) AS m (tenant_id, day)
         CROSS JOIN LATERAL (
             SELECT count(*) AS orders, sum(total) AS gmv, sum(refunded_amount) AS refunded,
                    count(*) FILTER (WHERE state = ANY($3)) AS reached,
                    count(*) FILTER (WHERE state = 'cancelled') AS cancelled_paid
             FROM orders
             WHERE tenant_id = m.tenant_id AND paid_at IS NOT NULL
               AND created_at >= store_day_start(m.day) AND created_at < store_day_start(m.day + 1)
         ) o
         CROSS JOIN LATERAL (
             SELECT count(*) AS settlements, sum(net_payable) AS settled FROM ledger_settlements
             WHERE tenant_id = m.tenant_id AND status <> 'cancelled'
               AND generated_at >= store_day_start(m.day) AND generated_at < store_day_start(m.day + 1)
         ) s
         CROSS JOIN LATERAL (
             SELECT sum(amount) AS revenue FROM farm_revenue WHERE tenant_id = m.tenant_id AND earned_on = m.day
         ) r
         ON CONFLICT (tenant_id, day) DO UPDATE SET
             orders = EXCLUDED.orders, gmv = EXCLUDED.gmv, refunded = EXCLUDED.refunded,
             reached = EXCLUDED.reached, cancelled_paid = EXCLUDED.cancelled_paid,
             settlements = EXCLUDED.settlements, settled = EXCLUDED.settled,
             farm_revenue = EXCLUDED.farm_revenue, computed_at = EXCLUDED.computed_at",
    )
    .bind(marked.iter().map(|m| m.0).collect::<Vec<_>>())
    .bind(marked.iter().map(|m| m.1).collect::<Vec<_>>())
    .bind(&reached)
    .execute(&mut *tx)
    .await?;
    let mut tenants: Vec<Uuid> = marked.iter().map(|m| m.0).collect();
    tenants.dedup();
    let topics: Vec<(Topic, serde_json::Value)> = tenants
        .iter()
        .map(|&tenant| {
            let days = marked.iter().filter(|m| m.0 == tenant).count();
            (Topic::Operations { tenant }, serde_json::json!({ "days": days }))
        })
        .collect();
    let events: Vec<_> = topics.iter().map(|(t, d)| (t, KPI_UPDATED, d)).collect();
    live::publish_all(tx, &events).await?;
    Ok(marked.len())
}

type DayRow = (NaiveDate, i32, Decimal, Decimal, i32, i32, i32, Decimal, Decimal, DateTime<Utc>);

/// The panel as the rollup last left it: never figured from the orders themselves.
pub async fn kpis_in(tx: &mut PgConnection, tenant: Uuid, kind: TenantKind) -> Result<KpiPanel, AppError> {
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *tx).await?;
    let today = ist_date(now);
    let rows: Vec<DayRow> = sqlx::query_as(
        "SELECT day, orders, gmv, refunded, reached, cancelled_paid, settlements, settled, farm_revenue, computed_at
         FROM kpi_days WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day",
    )
    .bind(tenant)
    .bind(today - Duration::days(CHART_DAYS))
    .bind(today)
    .fetch_all(&mut *tx)
    .await?;
    let computed_at = rows.iter().map(|r| r.9).max();
    let days: Vec<KpiDay> = rows
        .into_iter()
        .map(|(day, orders, gmv, refunded, reached, cancelled_paid, settlements, settled, farm_revenue, _)| KpiDay {
            day,
            orders: orders.into(),
            gmv: Money::from_decimal(gmv),
            refunded: Money::from_decimal(refunded),
            reached: reached.into(),
            cancelled_paid: cancelled_paid.into(),
            settlements: settlements.into(),
            settled: Money::from_decimal(settled),
            farm_revenue: Money::from_decimal(farm_revenue),
        })
        .collect();
    let chart = super::kpi_chart::daily_chart_svg(kind, &days, today)?;
    Ok(KpiPanel { kind, today, summary: summarize(&days, today), chart, computed_at })
}

pub async fn kpi_panel(pool: &PgPool, tenant: Uuid) -> Result<KpiPanel, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let kind: String =
        sqlx::query_scalar("SELECT kind FROM tenants WHERE id = $1").bind(tenant).fetch_one(&mut *tx).await?;
    let panel = kpis_in(&mut tx, tenant, TenantKind::parse(&kind).unwrap_or(TenantKind::Store)).await?;
    tx.commit().await?;
    Ok(panel)
}
