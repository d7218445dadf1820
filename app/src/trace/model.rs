//! Provenance as its readers see it (product page, trace page, REST clients), and the
//! pure rules about batch codes and how provenance is shown.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The farm a lot came from, as the product page, a farm's storefront and the trace
/// page name it. Here, below the storefront's catalogue, because provenance starts at the
/// farm and the catalogue shows provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub region: String,
    pub description: String,
}

/// A certificate behind a lot: its farm's (organic operation) or the lot's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CertificationView {
    pub scheme: String,
    pub scheme_slug: String,
    pub issuer: String,
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Past its `valid_until` today.
    pub expired: bool,
    /// `farm` or `batch`: what the certificate covers.
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabResultView {
    pub test: String,
    pub analyte_group: String,
    /// Decimal strings, as every quantity in the API.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub value: String,
    pub unit: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub limit: String,
    /// `max` (residues, contaminants) or `min` (quality specs such as °Brix).
    pub limit_kind: String,
    pub passed: bool,
    pub lab: String,
    pub tested_on: NaiveDate,
    pub report_number: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckpointView {
    pub stage: String,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    /// °C as a decimal string, when measured.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub temperature_c: Option<String>,
    pub recorded_by: String,
}

/// One lot with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchTrace {
    pub code: String,
    pub crop: String,
    pub harvested_on: NaiveDate,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub quantity: String,
    pub unit: String,
    pub farm: FarmSummary,
    pub certifications: Vec<CertificationView>,
    pub lab_results: Vec<LabResultView>,
    pub checkpoints: Vec<CheckpointView>,
}

impl BatchTrace {
    pub fn trace_href(&self) -> String {
        format!("/trace/{}", self.code)
    }

    /// Every test passed (a lot with a failed test is withdrawn from sale).
    pub fn all_tests_passed(&self) -> bool {
        self.lab_results.iter().all(|l| l.passed)
    }
}

/// A product sold from a traced lot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TracedProduct {
    pub name: String,
    pub slug: String,
    /// Link to the product page when this storefront sells it.
    pub href: Option<String>,
}

/// The public trace page of one batch code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TraceReport {
    pub batch: BatchTrace,
    /// The organisation that sells the lot.
    pub seller: String,
    pub products: Vec<TracedProduct>,
    /// The lot's whole history in the order it was recorded.
    pub events: Vec<BatchEventView>,
    /// Whether that history is as it was recorded.
    pub chain: ChainState,
    /// The crop's cold chain, when it has one.
    pub cold_chain: Option<ColdChainView>,
    /// Where the farm is, when its admins have set it.
    pub farm_location: Option<FarmLocation>,
}

/// A point on the map (decimal degrees as strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmLocation {
    pub latitude: String,
    pub longitude: String,
}

impl FarmLocation {
    /// The spot on OpenStreetMap.
    pub fn map_href(&self) -> String {
        format!("https://www.openstreetmap.org/?mlat={0}&mlon={1}#map=13/{0}/{1}", self.latitude, self.longitude)
    }
}

impl TraceReport {
    /// Temperatures recorded outside the cold chain.
    pub fn excursions(&self) -> usize {
        self.events.iter().filter(|e| e.excursion == Some(true)).count()
    }
}

/// One event of a lot's history, as anyone may read it (no person is named).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchEventView {
    /// Its place in the order of recording (1, 2, …).
    pub seq: i64,
    pub event_id: Uuid,
    /// harvested, graded, packed, cold_stored, lab_tested, certified, shipped,
    /// in_transit, received, temperature_reading or sold.
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub place: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub temperature_c: Option<String>,
    /// The team, company or laboratory that recorded it.
    pub actor: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub quantity_kg: Option<String>,
    pub note: String,
    pub lab_result: Option<LabResultView>,
    pub certificate: Option<CertificationView>,
    /// For a temperature judged against the crop's cold chain: outside it.
    pub excursion: Option<bool>,
    /// GS1 event hash (`ni:///sha-256;…?ver=CBV2.0`).
    pub event_hash: String,
    /// SHA-256 of the event hash and the previous chain digest, in hex.
    pub chain_hash: String,
}

/// A crop's cold chain in °C (decimal strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ColdChainView {
    pub crop: String,
    pub min_c: String,
    pub max_c: String,
}

/// The verdict on a lot's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChainState {
    /// `intact`, `broken`, or `empty` (nothing recorded yet).
    pub status: String,
    pub events: i64,
    /// The last chain digest: the whole history's fingerprint.
    pub head: Option<String>,
    /// The first event that does not add up.
    pub broken_at: Option<i64>,
    /// `event_altered`, `chain_altered`, `sequence_gap` or `truncated`.
    pub problem: Option<String>,
    /// The verdict in plain words.
    pub message: String,
    pub verified_at: DateTime<Utc>,
}

impl ChainState {
    pub fn intact(&self) -> bool {
        self.status != "broken"
    }
}

/// A lot in the back office's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchSummary {
    pub code: String,
    pub crop: String,
    pub farm_name: String,
    pub harvested_on: NaiveDate,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub quantity: String,
    pub unit: String,
    pub events: i64,
    /// The kind of the newest event recorded.
    pub last_event: Option<String>,
    /// A temperature was recorded outside the crop's cold chain.
    pub excursion: bool,
}

/// A page of lots, newest harvest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchList {
    pub batches: Vec<BatchSummary>,
    /// Pass as `after` for the next page; none on the last.
    pub next: Option<String>,
}

/// A new lot, as its harvest is recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct NewBatch {
    /// Upper-case letters, digits and dashes, 3–40 (`GH-VEG-000123`); unique.
    pub code: String,
    /// The farm's id or slug.
    pub farm: String,
    pub crop: String,
    /// `YYYY-MM-DD`.
    pub harvested_on: String,
    /// Kilograms, to the gram.
    pub quantity_kg: String,
    pub place: String,
    pub actor: String,
}

/// A lot's history as its handlers see it (the back office and REST clients).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchHistory {
    pub code: String,
    pub crop: String,
    pub harvested_on: NaiveDate,
    pub events: Vec<BatchEventView>,
    pub chain: ChainState,
}

/// A crop's cold chain as an admin sets it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ColdChainRequest {
    /// °C
    pub min_c: String,
    /// °C
    pub max_c: String,
}

/// What recording an event did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordedEvent {
    pub event: BatchEventView,
    /// False when the same event had been recorded before (a retry).
    pub created: bool,
    /// An excursion opened this alert.
    pub alert_id: Option<Uuid>,
}

/// Batch codes as the database allows them (`^[A-Z0-9][A-Z0-9-]{2,39}$`); lowercase
/// input (a hand-typed label) is accepted and upper-cased. `None` for anything else.
pub fn normalize_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    let ok = (3..=40).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'-');
    ok.then_some(code)
}

pub fn stage_label(stage: &str) -> &'static str {
    match stage.parse::<crate::domain::batch_event::EventKind>() {
        Ok(kind) => kind.label(),
        Err(_) => "Recorded",
    }
}

/// Times are shown in India Standard Time (UTC+05:30, no daylight saving).
pub fn format_ist(at: DateTime<Utc>) -> String {
    let local = at.naive_utc() + chrono::Duration::minutes(330);
    format!("{} IST", local.format("%-d %b %Y, %H:%M"))
}

pub fn format_date(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// `"≤ 0.01 mg/kg"` or `"≥ 10 °Brix"`.
pub fn limit_label(result: &LabResultView) -> String {
    let sign = if result.limit_kind == "min" { "≥" } else { "≤" };
    format!("{sign} {} {}", result.limit, result.unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_and_upper_cased() {
        assert_eq!(normalize_code("gh-tea-000001").as_deref(), Some("GH-TEA-000001"));
        assert_eq!(normalize_code(" GH-SPI-000012 ").as_deref(), Some("GH-SPI-000012"));
        for bad in ["", "AB", "-ABC", "GH_TEA", "GH TEA", "../etc", "GH-TÉA", &"A".repeat(41), "gh%2Ftea"] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_show_in_ist() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-19T00:45:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(format_ist(at), "19 Nov 2026, 06:15 IST");
        assert_eq!(format_date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()), "5 Jan 2026");
    }
}
