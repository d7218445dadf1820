//! What the control tower's panels show, as the page and its islands receive it.

use crate::alerts::model::Alert;
use crate::domain::money::Money;
use crate::domain::order_state::OrderState;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a tenant runs, which decides its panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    Store,
    Estate,
    Market,
}

impl TenantKind {
    pub fn parse(s: &str) -> Option<TenantKind> {
        match s {
            "store" => Some(TenantKind::Store),
            "estate" => Some(TenantKind::Estate),
            "market" => Some(TenantKind::Market),
            _ => None,
        }
    }

    /// Whether the tenant sells through the storefront (orders and stock panels).
    pub fn sells(self) -> bool {
        self == TenantKind::Store
    }
}

/// The tower as first drawn: each panel's data, read once; islands keep them current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tower {
    pub tenant_name: String,
    pub kind: TenantKind,
    pub orders: Option<OrdersPanel>,
    pub inventory: Option<InventoryPanel>,
    pub market: Option<MarketPanel>,
    pub field: Option<FieldPanel>,
    pub alerts: AlertsPanel,
    pub jobs: JobsPanel,
    pub notifications: NotificationsPanel,
    pub kpis: KpiPanel,
    /// The newest live event when these were read: a screen resumes its stream after it.
    pub live_from: i64,
    /// Whether the reader also runs the platform (links the platform's tower).
    pub platform_operator: bool,
}

/// The platform's tower (`/control/platform`): what belongs to no tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformTower {
    pub jobs: JobsPanel,
    pub notifications: NotificationsPanel,
    pub unmatched: Vec<UnmatchedPayment>,
    pub live_from: i64,
}

/// A payment the provider reported that no order of any tenant claims (its webhook
/// named an order nobody has): found, never resolved yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedPayment {
    pub id: Uuid,
    pub kind: String,
    pub reference: String,
    /// What the provider said, as it said it (shown escaped).
    pub detail: String,
    pub found_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    pub state: OrderState,
    /// Orders in this state now (resting states: those that reached it today).
    pub count: i64,
    /// Of those, how many have sat past the state's limit.
    pub stuck: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TowerOrder {
    pub id: Uuid,
    pub number: i64,
    pub state: OrderState,
    pub total: Money,
    pub customer_name: String,
    pub placed_at: DateTime<Utc>,
    /// When it reached its state (its last change).
    pub state_since: DateTime<Utc>,
    pub stuck: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersPanel {
    pub by_state: Vec<StateCount>,
    pub newest: Vec<TowerOrder>,
    /// The orders past their state's limit, the longest waiting first.
    pub stuck: Vec<TowerOrder>,
    pub read_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowStockLine {
    pub stock_item_id: Uuid,
    pub sku: String,
    pub products: String,
    pub on_hand: i64,
    pub threshold: i64,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryPanel {
    /// Stock items at or under their threshold, the emptiest first (at most 20 shown).
    pub low: Vec<LowStockLine>,
    pub low_count: i64,
    /// Holds of unpaid orders now: how many, and how many stock units they hold.
    pub holds: i64,
    pub held_units: i64,
    /// Stock units sold today (store time) and, of the items that sold, what was there.
    pub sold_today: i64,
    pub sell_through: Option<Decimal>,
    pub read_at: DateTime<Utc>,
}

/// Someone of the tenant an alert can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    pub id: Uuid,
    pub name: String,
}

/// An alert as the tower lists it: with the names of who acknowledged, took and
/// resolved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TowerAlert {
    pub alert: Alert,
    pub assigned_to: Option<Assignee>,
    pub acknowledged_by: Option<String>,
    pub resolved_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertsPanel {
    /// Alerts not yet resolved, by severity: critical, warning, info.
    pub open_by_severity: [i64; 3],
    pub page: Vec<TowerAlert>,
    /// The cursor of the next (older) page, if there is one.
    pub next: Option<String>,
    pub people: Vec<Assignee>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueLine {
    pub queue: String,
    pub ready: i64,
    pub scheduled: i64,
    pub running: i64,
    pub dead: i64,
    /// Finished in the last hour.
    pub done_last_hour: i64,
    /// Waiting to try again after a failure.
    pub retrying: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobsPanel {
    pub queues: Vec<QueueLine>,
    pub dead: Vec<DeadLetter>,
    pub read_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelLine {
    pub channel: String,
    /// Messages of the last 24 hours, and how far they got.
    pub total: i64,
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedMessage {
    pub id: Uuid,
    pub channel: String,
    pub template: String,
    pub attempts: i16,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationsPanel {
    pub channels: Vec<ChannelLine>,
    pub failures: Vec<FailedMessage>,
    pub read_at: DateTime<Utc>,
}

/// Settlements at one stage: how many, and what they pay growers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementStage {
    pub count: i64,
    pub net_payable: Money,
}

/// A market's day on the tower: what came in per flower, and where settlements stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketPanel {
    pub market_date: chrono::NaiveDate,
    pub flowers: Vec<crate::ledger::report_model::FlowerTally>,
    pub total: crate::domain::ledger_report::Tally,
    /// Waiting for approval; approved, their slip not yet sent; sent and not yet paid;
    /// paid today.
    pub generated: SettlementStage,
    pub approved: SettlementStage,
    pub sent: SettlementStage,
    pub paid_today: SettlementStage,
    pub read_at: DateTime<Utc>,
}

/// An estate's field work on the tower: open tasks due today or before, and the field
/// agents they may be given to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldPanel {
    pub today: chrono::NaiveDate,
    /// Soonest due first (the overdue lead).
    pub tasks: Vec<crate::field::model::TaskView>,
    pub agents: Vec<crate::field::model::Choice>,
    pub read_at: DateTime<Utc>,
}

/// The KPIs as the rollup last computed them: today against the days before, and a
/// chart of the tenant's main figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiPanel {
    pub kind: TenantKind,
    pub today: chrono::NaiveDate,
    pub summary: crate::domain::kpi::KpiSummary,
    /// SVG drawn on the server; `None` when there is nothing to draw.
    pub chart: Option<String>,
    /// When the newest of the days shown was computed; `None` before the first rollup.
    pub computed_at: Option<DateTime<Utc>>,
}

/// The delivered share of a channel's messages that finished, in whole percent.
pub fn delivery_rate(line: &ChannelLine) -> Option<i64> {
    let finished = line.delivered + line.failed;
    (finished > 0).then(|| (line.delivered * 100 + finished / 2) / finished)
}

/// How long ago, in words short enough for a busy screen: `45 s`, `12 min`, `3 h`, `2 d`.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn ages_read_at_a_glance() {
        let now = Utc::now();
        assert_eq!(age(now, now), "0 s");
        assert_eq!(age(now - Duration::seconds(59), now), "59 s");
        assert_eq!(age(now - Duration::minutes(12), now), "12 min");
        assert_eq!(age(now - Duration::hours(47), now), "47 h");
        assert_eq!(age(now - Duration::days(3), now), "3 d");
        assert_eq!(age(now + Duration::minutes(1), now), "0 s", "a clock ahead is not negative");
    }

    #[test]
    fn delivery_rate_counts_what_finished() {
        let line = |delivered, failed, pending| ChannelLine {
            channel: "sms".into(),
            total: delivered + failed + pending,
            delivered,
            failed,
            pending,
        };
        assert_eq!(delivery_rate(&line(0, 0, 5)), None);
        assert_eq!(delivery_rate(&line(9, 1, 100)), Some(90));
        assert_eq!(delivery_rate(&line(2, 1, 0)), Some(67));
    }
}
