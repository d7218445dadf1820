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
    /// Nobody has visited the farm for too long.
    pub const NO_RECENT_VISIT: &str = "no_recent_visit";
    /// Tasks of the farm left past their day.
    pub const TASKS_OVERDUE: &str = "tasks_overdue";
    /// A lot's temperature outside its crop's cold chain.
    pub const COLD_CHAIN_EXCURSION: &str = "cold_chain_excursion";
    /// A stock item at or under its low-stock threshold.
    pub const LOW_STOCK: &str = "low_stock";
    /// Reconciliation found the payment provider and the order book disagreeing.
    pub const PAYMENT_MISMATCH: &str = "payment_mismatch";
    /// A messaging provider failing so often that its circuit opened: messages wait.
    pub const PROVIDER_CIRCUIT_OPEN: &str = "provider_circuit_open";
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
    let text = |k: &str| match details.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
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
        (kinds::NO_RECENT_VISIT, "ta") => match text("lastVisit").as_str() {
            "" => format!("{place}: இதுவரை கள ஆய்வு எதுவும் பதிவாகவில்லை."),
            last => format!("{place}: {} நாட்களுக்கு மேலாக கள ஆய்வு இல்லை (கடைசியாக {last}).", text("dueDays")),
        },
        (kinds::NO_RECENT_VISIT, _) => match text("lastVisit").as_str() {
            "" => format!("{place}: no field visit has been recorded yet."),
            last => format!("{place}: no field visit for over {} days (the last on {last}).", text("dueDays")),
        },
        (kinds::TASKS_OVERDUE, "ta") => format!(
            "{place}: {} பணி(கள்) காலம் கடந்துள்ளன; பழையது {} அன்று செய்ய வேண்டியது.",
            text("overdue"),
            text("oldestDue")
        ),
        (kinds::TASKS_OVERDUE, _) => {
            format!("{place}: {} task(s) past due, the oldest due on {}.", text("overdue"), text("oldestDue"))
        }
        (kinds::COLD_CHAIN_EXCURSION, "ta") => format!(
            "தொகுதி {}: குளிர் சங்கிலிக்கு வெளியே {} °C ({}, வரம்பு {}–{} °C).",
            text("code"),
            text("temperatureC"),
            text("place"),
            text("minC"),
            text("maxC")
        ),
        (kinds::COLD_CHAIN_EXCURSION, _) => format!(
            "Lot {}: {} °C, outside its cold chain of {}–{} °C ({}). Check the lot before it is sold.",
            text("code"),
            text("temperatureC"),
            text("minC"),
            text("maxC"),
            text("place")
        ),
        (kinds::LOW_STOCK, "ta") => format!(
            "கையிருப்பு குறைவு: {} ({}) — {} {} மட்டுமே கையிருப்பில் உள்ளது (எல்லை {}).",
            text("sku"),
            text("products"),
            text("available"),
            text("unit"),
            text("threshold")
        ),
        (kinds::LOW_STOCK, _) => format!(
            "Low stock: {} ({}), {} {} on hand (threshold {}). Receive more or hide the packs.",
            text("sku"),
            text("products"),
            text("available"),
            text("unit"),
            text("threshold")
        ),
        (kinds::PROVIDER_CIRCUIT_OPEN, "ta") => format!(
            "{} சேவை தோல்வியடைகிறது: செய்திகள் வரிசையில் காத்திருக்கின்றன; {} வினாடிகளில் மீண்டும் முயற்சிக்கப்படும்.",
            text("channel"),
            text("retryInSecs")
        ),
        (kinds::PROVIDER_CIRCUIT_OPEN, _) => format!(
            "The {} provider keeps failing: messages wait in the queue and are tried again in {} s.",
            text("channel"),
            text("retryInSecs")
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
        let overdue = json!({ "overdue": 2, "oldestDue": "2026-12-01" });
        assert_eq!(
            message(kinds::TASKS_OVERDUE, &overdue, "t", "Badamtam", "en"),
            "Badamtam: 2 task(s) past due, the oldest due on 2026-12-01."
        );
        let never = json!({ "lastVisit": null, "dueDays": 14 });
        assert_eq!(
            message(kinds::NO_RECENT_VISIT, &never, "t", "Badamtam", "en"),
            "Badamtam: no field visit has been recorded yet."
        );
        assert!(
            message(kinds::NO_RECENT_VISIT, &json!({ "lastVisit": "2026-11-01", "dueDays": 14 }), "t", "B", "ta")
                .contains("14")
        );
    }
}
