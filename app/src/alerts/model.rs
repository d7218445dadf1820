//! What an alert is, as every door shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        [Severity::Info, Severity::Warning, Severity::Critical]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| "must be info, warning or critical".to_string())
    }
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Farm,
    Batch,
    StockItem,
    Order,
    Payment,
    NotificationProvider,
}

impl SubjectType {
    pub const ALL: [SubjectType; 6] = [
        SubjectType::Farm,
        SubjectType::Batch,
        SubjectType::StockItem,
        SubjectType::Order,
        SubjectType::Payment,
        SubjectType::NotificationProvider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Farm => "farm",
            SubjectType::Batch => "batch",
            SubjectType::StockItem => "stock_item",
            SubjectType::Order => "order",
            SubjectType::Payment => "payment",
            SubjectType::NotificationProvider => "notification_provider",
        }
    }
}

impl FromStr for SubjectType {
    type Err = String;
    fn from_str(s: &str) -> Result<SubjectType, String> {
        SubjectType::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| "must be farm, batch, stock_item, order, payment or notification_provider".to_string())
    }
}

/// Where an alert stands: open (nobody has looked), acknowledged (someone is on it),
/// resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl FromStr for AlertStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<AlertStatus, String> {
        match s {
            "open" => Ok(AlertStatus::Open),
            "acknowledged" => Ok(AlertStatus::Acknowledged),
            "resolved" => Ok(AlertStatus::Resolved),
            _ => Err("must be open, acknowledged or resolved".into()),
        }
    }
}

/// Kinds the rules of this release open.
pub mod kinds {
    /// Several readings in a row outside a crop's range.
    pub const READING_OUT_OF_RANGE: &str = "reading_out_of_range";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: Uuid,
    pub kind: String,
    pub severity: Severity,
    pub subject_type: SubjectType,
    pub subject_id: String,
    pub title: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub details: serde_json::Value,
    pub status: AlertStatus,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// `null` on a resolved alert: resolved by the rule that opened it.
    pub resolved_by: Option<Uuid>,
    pub resolution: Option<String>,
}

/// What narrows a list of alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub kind: Option<String>,
    pub severity: Option<Severity>,
    pub subject_type: Option<SubjectType>,
    pub subject_id: Option<String>,
}

/// The message for an alert in a language (`en`, `ta`); `place` names its subject.
pub fn message(kind: &str, details: &serde_json::Value, title: &str, place: &str, language: &str) -> String {
    let text = |k: &str| details.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    match (kind, language) {
        (kinds::READING_OUT_OF_RANGE, "ta") => format!(
            "{place}: {} அளவீடுகள் தொடர்ந்து வரம்புக்கு வெளியே ({} உணரி, கடைசி {} {}). தயவுசெய்து பார்க்கவும்.",
            metric_ta(&text("metric")),
            text("sensor"),
            text("latest"),
            text("unit"),
        ),
        (kinds::READING_OUT_OF_RANGE, _) => format!(
            "{place}: {} readings out of range several times in a row (sensor {}, latest {} {}). Please take a look.",
            text("metric").replace('_', " "),
            text("sensor"),
            text("latest"),
            text("unit"),
        ),
        (_, "ta") => format!("{place}: எச்சரிக்கை — {title}"),
        _ => format!("{place}: alert — {title}"),
    }
}

fn metric_ta(metric: &str) -> &'static str {
    match metric {
        "temperature" => "வெப்பநிலை",
        "humidity" => "காற்று ஈரப்பதம்",
        "soil_moisture" => "மண் ஈரப்பதம்",
        "rainfall" => "மழை அளவு",
        "soil_ph" => "மண் pH",
        _ => "ஒளி",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reading_alerts_read_in_each_language() {
        let details = json!({ "metric": "soil_moisture", "sensor": "soil-3", "latest": "4.2", "unit": "%" });
        let en = message(kinds::READING_OUT_OF_RANGE, &details, "t", "Badamtam", "en");
        assert_eq!(
            en,
            "Badamtam: soil moisture readings out of range several times in a row (sensor soil-3, latest 4.2 %). Please take a look."
        );
        let ta = message(kinds::READING_OUT_OF_RANGE, &details, "t", "Badamtam", "ta");
        assert!(ta.starts_with("Badamtam: மண் ஈரப்பதம்") && ta.contains("soil-3"));
        assert_eq!(message("other", &json!({}), "Cold room warm", "Store", "en"), "Store: alert — Cold room warm");
    }
}
