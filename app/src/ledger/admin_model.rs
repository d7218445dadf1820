//! What the ledger's admin screens and `/api/v1/ledger/{farmers,flower-types,slots,
//! terms,advances}` read and write: the market's growers, flower types, time slots,
//! terms and advances. Inputs stay text until the service parses them (numbers may be
//! sent as JSON numbers or strings), so every bad field is named in the answer.
//! In an update every field is optional: what is left out stays as it is.

use crate::domain::kilograms::Kg;
use crate::domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// A number or a string, kept as the text the service parses (`7`, `"7"`, `"12.50"`).
fn number_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// A grower (farmer) of the market, as the admin sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrowerView {
    pub id: Uuid,
    pub farmer_no: i32,
    pub name_en: String,
    pub name_ta: String,
    pub village: String,
    /// E.164, `+919840012345`.
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    /// `en` or `ta`: the language of their slips and messages.
    pub language: String,
    pub active: bool,
    /// Whether the grower has their own sign-in.
    pub has_sign_in: bool,
}

/// A grower to add or change. `farmerNo` is the next free number when left out; at
/// least one of `nameEn` and `nameTa`; phones in E.164 (`+91…`; a 10-digit Indian
/// mobile number gets `+91`), `""` removes one; `language` `en` or `ta` (default `ta`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrowerInput {
    #[serde(default, deserialize_with = "number_or_text")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i32>))]
    pub farmer_no: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub name_ta: Option<String>,
    #[serde(default)]
    pub village: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub whatsapp: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FlowerTypeView {
    pub id: Uuid,
    pub code: String,
    pub name_en: String,
    pub name_ta: String,
    /// Order on the tablet (smallest first).
    pub position: i32,
    pub active: bool,
}

/// A flower type to add or change: `code` two to six letters A–Z (unique in the
/// market), both names required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowerTypeInput {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub name_ta: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i32>))]
    pub position: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlotView {
    pub id: Uuid,
    /// Market local time (IST), `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    pub active: bool,
}

/// A time slot to add or change: `HH:MM` market time, ending after it starts, and
/// sharing no minute with another active slot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotInput {
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// The market's terms as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TermsView {
    /// Percent of gross, `"10.00"`.
    pub commission_percent: String,
    pub fee_per_entry: Money,
    pub fee_per_kg: Money,
    pub max_entry_kg: Kg,
    pub backdate_days: i32,
    pub updated_at: Option<DateTime<Utc>>,
}

/// New terms, as decimal strings (numbers are read too): `commissionPercent` 0–100,
/// fees zero or more, `maxEntryKg` above zero, `backdateDays` 0–31. Left out: unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TermsInput {
    #[serde(default, deserialize_with = "number_or_text")]
    pub commission_percent: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    pub fee_per_entry: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    pub fee_per_kg: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    pub max_entry_kg: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i32>))]
    pub backdate_days: Option<String>,
}

/// An advance (or a carried-forward shortfall) and what of it is still owed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdvanceView {
    pub id: Uuid,
    pub farmer_id: Uuid,
    pub farmer_no: i32,
    pub farmer_name_en: String,
    pub farmer_name_ta: String,
    pub given_on: NaiveDate,
    pub amount: Money,
    /// What later settlements have not recovered yet.
    pub outstanding: Money,
    /// `advance` or `carry_forward`.
    pub kind: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Give a grower an advance: `amount` in rupees above zero, `givenOn` `YYYY-MM-DD`
/// (default today), `note` up to 500 characters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvanceInput {
    #[serde(default)]
    pub farmer_id: Option<String>,
    #[serde(default)]
    pub given_on: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub amount: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}
