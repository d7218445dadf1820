//! Field operations' requests and answers, as every door shows them.

use crate::domain::readings::RawReading;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/farms/{id}/readings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadingBatch {
    /// Up to 1,000 readings. Each is stored once per sensor, metric and time: sending
    /// one again is a no-op, sending it with another value is refused (409).
    pub readings: Vec<RawReading>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IngestOutcome {
    /// Readings stored by this request.
    pub stored: usize,
    /// Readings already stored with the same value (sent before), left as they were.
    pub duplicates: usize,
    /// Out of range now, by the farm's crops' thresholds.
    pub out_of_range: usize,
    /// Alerts this batch opened (none when one was already open for the farm).
    pub alerts_opened: usize,
}

/// A crop's range for a metric, as ops set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ThresholdView {
    pub crop: String,
    pub metric: String,
    pub unit: String,
    /// Decimal strings; `null` for no bound on that side.
    pub min: Option<String>,
    pub max: Option<String>,
    /// Readings in a row outside the range that open an alert.
    pub consecutive: u16,
}

/// `PUT /api/v1/reading-thresholds/{crop}/{metric}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThresholdRequest {
    pub min: Option<String>,
    pub max: Option<String>,
    /// Default 3.
    pub consecutive: Option<u16>,
}
