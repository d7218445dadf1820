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

/// A task on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    pub id: uuid::Uuid,
    pub series_id: Option<uuid::Uuid>,
    pub farm_id: uuid::Uuid,
    pub farm_name: String,
    pub kind: crate::domain::field_work::TaskKind,
    pub title: String,
    pub notes: String,
    pub due_on: chrono::NaiveDate,
    pub assignee_id: Option<uuid::Uuid>,
    pub assignee_name: Option<String>,
    pub status: crate::domain::field_work::TaskStatus,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub visit_id: Option<uuid::Uuid>,
}

/// `POST /api/v1/field/tasks`: one task, or one per occurrence of `rrule` from `dueOn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTaskRequest {
    /// The farm's id or slug.
    pub farm: String,
    pub kind: String,
    /// Required for `custom`; otherwise the kind's name.
    pub title: Option<String>,
    pub notes: Option<String>,
    /// `YYYY-MM-DD`: the task's day, or a series' first.
    pub due_on: String,
    /// A field agent of the tenant (their user id); empty for nobody yet.
    pub assignee: Option<String>,
    /// A bounded RFC 5545 rule: `FREQ=DAILY|WEEKLY|MONTHLY`, optional `INTERVAL`
    /// (1–12), `BYDAY`, `BYMONTHDAY`, and `COUNT` (≤ 366) or `UNTIL`.
    pub rrule: Option<String>,
}

/// `PATCH /api/v1/field/tasks/{id}`: only what is given changes. A field agent may
/// only mark their own task done.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TaskUpdateRequest {
    /// A field agent's id; `"none"` (or `""`) for nobody; absent leaves it as it is.
    pub assignee: Option<String>,
    pub due_on: Option<String>,
    pub status: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PositionInput {
    /// Decimal degrees as text, e.g. `"27.0412"`.
    pub latitude: String,
    pub longitude: String,
    /// Metres, as the browser reports it.
    pub accuracy_m: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlantCountInput {
    pub crop: String,
    pub planted: u32,
    pub alive: u32,
    pub lost: u32,
}

/// `POST /api/v1/field/visits`, as a phone sends it, online or after an outage: `id`
/// is made by the phone (a UUID), so sending it again stores it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisitRequest {
    pub id: uuid::Uuid,
    /// The farm's id or slug.
    pub farm: String,
    /// The phone's time of the visit (RFC 3339).
    pub visited_at: String,
    #[serde(default)]
    pub notes: String,
    pub position: Option<PositionInput>,
    #[serde(default)]
    pub plant_counts: Vec<PlantCountInput>,
    /// Tasks of the farm this visit completes.
    #[serde(default)]
    pub completes_tasks: Vec<uuid::Uuid>,
    /// Readings taken by hand during the visit (a handheld meter), one per metric,
    /// stored as the agent's handheld sensor at the visit's time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<VisitReadingInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisitReadingInput {
    /// `temperature`, `humidity`, `soil_moisture`, `rainfall`, `soil_ph` or `light`, in
    /// its one unit (`C`, `%`, `%`, `mm`, `pH`, `lx`).
    pub metric: String,
    /// A decimal string, e.g. `"31.5"`.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitView {
    pub id: uuid::Uuid,
    pub farm_id: uuid::Uuid,
    pub farm_name: String,
    pub agent_id: uuid::Uuid,
    pub agent_name: String,
    pub visited_at: chrono::DateTime<chrono::Utc>,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub notes: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub latitude: Option<rust_decimal::Decimal>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub longitude: Option<rust_decimal::Decimal>,
    pub plant_counts: Vec<PlantCountInput>,
    /// Photos stored for the visit (`/files/{id}`, `/files/{id}/thumbnail`), in the
    /// order they arrived. Photos still on their way from the phone are not here yet.
    #[serde(default)]
    pub photos: Vec<VisitPhoto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitPhoto {
    pub id: uuid::Uuid,
    pub width: u32,
    pub height: u32,
}

/// `PATCH /api/v1/field/visits/{id}`: its author corrects the notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisitNotesRequest {
    pub notes: String,
}

/// What became of a visit sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitRecorded {
    pub visit: VisitView,
    /// False when this exact visit had been stored before (a resend).
    pub created: bool,
    /// The named tasks this visit completed (others were not open tasks of the farm).
    pub tasks_completed: Vec<uuid::Uuid>,
}

/// A choice in the board's selects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub id: uuid::Uuid,
    /// A farm's slug; empty for a person.
    pub key: String,
    pub name: String,
}

/// `/ops/tasks`: the tasks shown, and what the forms offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub tasks: Vec<TaskView>,
    pub farms: Vec<Choice>,
    pub agents: Vec<Choice>,
    /// Whether the viewer plans and assigns (ops), or only works their own.
    pub manages: bool,
}

/// What the field app keeps on the phone to work offline: the agent, the tenant's farms
/// with their crops, and their open tasks due by today (overdue ones first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDay {
    pub agent_id: uuid::Uuid,
    pub agent_name: String,
    pub tenant: String,
    pub today: chrono::NaiveDate,
    pub farms: Vec<FieldFarm>,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldFarm {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub crops: Vec<String>,
}

/// `POST /api/v1/farms/{id}/sensor-keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSensorKey {
    /// What the key is for, e.g. "Soil probe, north block".
    pub name: String,
}

/// A farm's sensor key. `key` is present only in the answer that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SensorKeyView {
    pub id: uuid::Uuid,
    pub farm_id: uuid::Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `msk_…`: send it as `Authorization: Bearer <key>` to this farm's readings. Shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}
