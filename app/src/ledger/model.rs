//! What the commission ledger looks like to its readers: the tablet's sync engine, the
//! ledger pages and REST clients. Decimals travel as strings (`"12.500"`, `"420.00"`).
//! Sync input stays as strings until the service parses it, so one bad mutation is
//! answered on its own instead of failing a whole batch a tablet would retry forever.

use crate::domain::kilograms::Kg;
use crate::domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The sync protocol this server speaks; a tablet on another is asked to reload.
pub const PROTOCOL_VERSION: u32 = 1;
/// Most mutations one push may carry (the tablet sends 500 at a time).
pub const MAX_MUTATIONS_PER_PUSH: usize = 1000;
/// Most changes one pull returns.
pub const MAX_CHANGES_PER_PULL: i64 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LedgerSettings {
    /// Percent of gross, e.g. `"10.00"`.
    pub commission_percent: String,
    pub fee_per_entry: Money,
    pub fee_per_kg: Money,
    pub max_entry_kg: Kg,
    pub backdate_days: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmerRef {
    pub id: Uuid,
    pub farmer_no: i32,
    pub name_en: String,
    pub name_ta: String,
    pub village: String,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    /// `en` or `ta`: the language of their slips and messages.
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FlowerTypeRef {
    pub id: Uuid,
    pub code: String,
    pub name_en: String,
    pub name_ta: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlotRef {
    pub id: Uuid,
    /// Market local time (IST), `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RateRef {
    pub date: NaiveDate,
    pub flower_type_id: Uuid,
    pub slot_id: Uuid,
    pub rate: Money,
}

/// What a tablet keeps to work offline: the market's lists and the rates of the
/// days around today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReferenceData {
    pub market_name: String,
    pub settings: LedgerSettings,
    pub farmers: Vec<FarmerRef>,
    pub flower_types: Vec<FlowerTypeRef>,
    pub slots: Vec<SlotRef>,
    /// Yesterday's, today's and tomorrow's (market days).
    pub rates: Vec<RateRef>,
    /// Moves whenever any of the above changes; `GET changes` reports it.
    pub reference_version: i64,
    pub market_date: NaiveDate,
    pub server_time: DateTime<Utc>,
    pub protocol_version: u32,
}

/// One ledger entry as the server holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EntryView {
    pub client_id: Uuid,
    pub farmer_id: Uuid,
    pub flower_type_id: Uuid,
    pub market_date: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub slot_id: Option<Uuid>,
    pub quantity_kg: Kg,
    /// `null` while no rate is set for the entry's slot (`rateSource` `pending`).
    pub rate: Option<Money>,
    pub total: Option<Money>,
    /// `slot`, `override` or `pending`.
    pub rate_source: String,
    /// `recorded` or `void`.
    pub status: String,
    pub version: i32,
    pub entered_by: Uuid,
    pub device_id: Option<Uuid>,
    pub settlement_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub change_seq: i64,
}

/// The fields of an entry as a device sends them; parsed per mutation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EntryInput {
    /// The entry's id, minted on the device (UUID v7).
    pub client_id: String,
    pub farmer_id: Option<String>,
    pub flower_type_id: Option<String>,
    /// Kilograms, up to three decimals: `"12.5"`.
    pub quantity_kg: Option<String>,
    /// RFC 3339, by the device's clock. Create only; it never changes.
    pub recorded_at: Option<String>,
    /// Admins only: a rate instead of the slot's.
    pub rate_override: Option<String>,
}

/// The fields the device last saw from the server, for merging an edit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BaseInput {
    pub farmer_id: String,
    pub flower_type_id: String,
    pub quantity_kg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MutationInput {
    /// The device's own sequence number: 1, 2, 3, … with no gaps.
    pub mutation_id: i64,
    /// `create`, `update` or `delete` (a delete voids the entry; history is kept).
    pub op: String,
    /// Update and delete: the entry version the change was made from.
    pub base_version: Option<i32>,
    /// Update: the fields as they were at `baseVersion`.
    pub base: Option<BaseInput>,
    pub entry: EntryInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SyncRequest {
    /// The sync protocol the app speaks (now 1); absent means 1.
    pub protocol_version: Option<u32>,
    /// The device's id (a UUID it minted once).
    pub device_id: String,
    /// The app build, for support.
    pub app_version: Option<String>,
    pub mutations: Vec<MutationInput>,
}

/// A field both sides changed, and what the rules made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldConflict {
    pub field: String,
    pub base: String,
    pub mine: String,
    pub theirs: String,
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConflictView {
    pub id: Uuid,
    pub client_id: Uuid,
    pub mutation_id: i64,
    pub base_version: i32,
    pub server_version: i32,
    /// `merged` (the merged entry was written) or `server_kept` (the edit was not applied).
    pub resolution: String,
    /// Why the server kept its copy, when it did.
    pub reason: Option<String>,
    pub fields: Vec<FieldConflict>,
    pub created_at: DateTime<Utc>,
}

/// What became of one mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    pub mutation_id: i64,
    /// `applied`, `duplicate` (already applied earlier: nothing changed now),
    /// `conflict` (see `conflict`) or `rejected` (see `reason`).
    pub status: String,
    /// The entry as the server now holds it.
    pub entry: Option<EntryView>,
    /// A stable code: `QUANTITY_INVALID`, `UNKNOWN_FARMER`, `MUTATION_GAP`, …
    pub reason: Option<String>,
    pub message: Option<String>,
    /// With `MUTATION_GAP`: the id the server expects next; resend from there.
    pub expected_mutation_id: Option<i64>,
    pub conflict: Option<ConflictView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SyncResponse {
    pub device_id: Uuid,
    /// The last of this device's mutations the server has applied.
    pub last_mutation_id: i64,
    pub reference_version: i64,
    pub server_time: DateTime<Utc>,
    pub results: Vec<ItemResult>,
}

/// Entries changed by others since a cursor, oldest change first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangesPage {
    pub entries: Vec<EntryView>,
    /// Pass as `since` next time.
    pub cursor: i64,
    pub has_more: bool,
    pub reference_version: i64,
    /// This device's conflicts nobody has acknowledged yet.
    pub open_conflicts: Vec<ConflictView>,
}

/// A rate to set: flower type × slot on one market day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RateInput {
    pub flower_type_id: String,
    pub slot_id: String,
    /// Rupees per kilogram, e.g. `"420"`.
    pub rate: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RatesInput {
    /// The market day, `YYYY-MM-DD`.
    pub date: String,
    pub rates: Vec<RateInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RatesSaved {
    pub date: NaiveDate,
    pub saved: usize,
    /// Entries that were waiting for one of these rates and are now priced.
    pub rated_now: usize,
    pub reference_version: i64,
}

/// Generate settlements for one farmer (`farmerId`) or for every farmer with
/// unsettled entries, over the market days `from`..=`to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GenerateInput {
    pub farmer_id: Option<String>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SettlementView {
    pub id: Uuid,
    pub number: String,
    pub farmer_id: Uuid,
    pub farmer_no: i32,
    pub farmer_name_en: String,
    pub farmer_name_ta: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// `generated`, `approved`, `paid` or `cancelled`.
    pub status: String,
    pub entry_count: i32,
    pub quantity_kg: String,
    pub gross: Money,
    pub commission_percent: String,
    pub commission: Money,
    pub fees: Money,
    pub advance_recovered: Money,
    /// Deductions beyond gross, carried forward as an advance to recover later.
    pub shortfall: Money,
    pub net_payable: Money,
    pub language: String,
    pub generated_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The WhatsApp (or SMS) message with the slip: `queued`, `sent`, `delivered`,
    /// `read` or `failed`; `null` before approval.
    pub message_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SkippedFarmer {
    pub farmer_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GenerateOutcome {
    pub settlements: Vec<SettlementView>,
    /// Farmers with entries still waiting for a rate: settle them once it is set.
    pub skipped: Vec<SkippedFarmer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlipLine {
    pub flower_type_id: Uuid,
    pub flower_en: String,
    pub flower_ta: String,
    pub rate: Money,
    pub entry_count: i32,
    pub quantity_kg: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlipApproval {
    pub role: String,
    pub display_name: String,
    pub at: DateTime<Utc>,
}

/// A settlement slip: the figures, and what they are made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlipView {
    pub market_name: String,
    pub settlement: SettlementView,
    pub lines: Vec<SlipLine>,
    pub approvals: Vec<SlipApproval>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EntriesQuery {
    pub date: Option<String>,
    pub farmer_id: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PaidInput {
    /// `cash`, `upi` or `bank`.
    pub method: String,
    /// A UPI or bank reference, if any.
    pub reference: Option<String>,
}
