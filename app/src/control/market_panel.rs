//! The market panel of a market tenant's tower: today's entries per flower (the ledger's
//! own flower tallies) and its settlements by stage.

use super::model::{MarketPanel, SettlementStage};
use crate::domain::ledger_report;
use crate::domain::market_slot::market_date;
use crate::domain::money::Money;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn market_in(tx: &mut PgConnection, tenant: Uuid) -> Result<MarketPanel, AppError> {
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&mut *tx).await?;
    let today = market_date(now);
    let flowers = crate::ledger::report_service::flower_tallies(tx, tenant, today, today, None).await?;
    let total = ledger_report::total(flowers.iter().map(|f| f.tally));
    // A slip is sent once its WhatsApp message left (or reached the grower).
    let stages: Vec<(String, i64, Decimal)> = sqlx::query_as(
        "SELECT stage, count(*), coalesce(sum(net_payable), 0) FROM (
             SELECT s.net_payable,
                    CASE WHEN s.status = 'generated' THEN 'generated'
                         WHEN s.status = 'approved' AND m.status IN ('sent', 'delivered', 'read') THEN 'sent'
                         WHEN s.status = 'approved' THEN 'approved'
                         ELSE 'paid' END AS stage
             FROM ledger_settlements s LEFT JOIN notification_outbox m ON m.id = s.message_id
             WHERE s.tenant_id = $1
               AND (s.status IN ('generated', 'approved') OR (s.status = 'paid' AND s.paid_at >= $2))
         ) staged GROUP BY stage",
    )
    .bind(tenant)
    .bind(super::service::start_of_today(now))
    .fetch_all(&mut *tx)
    .await?;
    let stage = |name: &str| {
        stages.iter().find(|s| s.0 == name).map_or(SettlementStage { count: 0, net_payable: Money::ZERO }, |s| {
            SettlementStage { count: s.1, net_payable: Money::from_decimal(s.2) }
        })
    };
    Ok(MarketPanel {
        market_date: today,
        flowers,
        total,
        generated: stage("generated"),
        approved: stage("approved"),
        sent: stage("sent"),
        paid_today: stage("paid"),
        read_at: now,
    })
}
