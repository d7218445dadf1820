//! What the ledger's reports carry: the day book, a grower's statement and the
//! flower-wise summary, as the API and the report pages share them.

use super::model::SettlementView;
use crate::domain::ledger_report::{AdvanceMove, Tally};
use crate::domain::money::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrowerTally {
    pub farmer_id: Uuid,
    pub farmer_no: i32,
    pub name_en: String,
    pub name_ta: String,
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FlowerTally {
    pub flower_type_id: Uuid,
    pub code: String,
    pub name_en: String,
    pub name_ta: String,
    pub tally: Tally,
    /// Gross ÷ priced kilograms, to the paisa; `null` when nothing is priced yet.
    pub average_rate: Option<Money>,
    /// This flower's share of the period's gross, in percent with one decimal.
    pub share_percent: String,
}

/// One market day: what each grower brought and what each flower made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DayBook {
    pub date: NaiveDate,
    pub growers: Vec<GrowerTally>,
    pub flowers: Vec<FlowerTally>,
    pub total: Tally,
    /// True when the reader is a grower, who sees only their own row.
    pub own_only: bool,
}

/// Per flower over a period of market days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FlowerSummary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub flowers: Vec<FlowerTally>,
    pub total: Tally,
    pub own_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatementGrower {
    pub id: Uuid,
    pub farmer_no: i32,
    pub name_en: String,
    pub name_ta: String,
    pub village: String,
}

/// A grower's deliveries of one flower on one market day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatementDay {
    pub date: NaiveDate,
    pub flower_type_id: Uuid,
    pub flower_en: String,
    pub flower_ta: String,
    pub tally: Tally,
}

/// An advance given, or recovered by a settlement, and the balance after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdvanceLine {
    pub date: NaiveDate,
    pub change: AdvanceMove,
    pub amount: Money,
    pub balance: Money,
    /// The note of an advance, or the number of the settlement that recovered it.
    pub detail: String,
}

/// A grower's account over a period: deliveries, settlements and advances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmerStatement {
    pub grower: StatementGrower,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<StatementDay>,
    pub total: Tally,
    /// Entries of the period no settlement has taken yet.
    pub unsettled: Tally,
    pub settlements: Vec<SettlementView>,
    /// Advances outstanding when the period began.
    pub opening_advance: Money,
    pub advances: Vec<AdvanceLine>,
    pub closing_advance: Money,
}
