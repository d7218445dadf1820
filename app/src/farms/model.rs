//! What farm owners' pages, the estate's admin screens and the REST API exchange about
//! farms, shares, money and distributions, and the parsing of their input.

use crate::domain::distribution::Month;
use crate::domain::health_score::HealthScore;
use crate::domain::money::Money;
use crate::error::{AppError, FieldErrors};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One agreement as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Holding {
    pub agreement_id: Uuid,
    pub units: i32,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub price_paid: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PayoutSummary {
    pub payout_id: Uuid,
    /// `YYYY-MM`.
    pub period: String,
    pub gross: Money,
    pub tds: Money,
    pub net: Money,
    /// `pending` (approved, not yet paid) or `paid`.
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub score: u8,
}

/// A farm on its owner's list: `/my/farms`, `GET /api/v1/me/farms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OwnedFarm {
    pub farm_id: Uuid,
    pub slug: String,
    pub name: String,
    pub region: String,
    pub state: String,
    pub total_units: i32,
    /// Units the owner holds today (agreements in force).
    pub units_held: i64,
    pub holdings: Vec<Holding>,
    pub price_paid: Money,
    /// Today's score with its parts, computed now from the farm's data.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub health: HealthScore,
    /// Daily snapshots of the last 90 days, oldest first.
    pub trend: Vec<TrendPoint>,
    pub last_payout: Option<PayoutSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlantCountPoint {
    pub counted_on: NaiveDate,
    pub planted: i32,
    pub alive: i32,
    pub lost: i32,
}

/// A crop's latest count and its history (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CropInventory {
    pub crop: String,
    pub latest: PlantCountPoint,
    pub history: Vec<PlantCountPoint>,
}

/// A month of a farm's money as its owners see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PeriodMoney {
    pub period: String,
    pub revenue: Money,
    pub costs: Money,
    /// The owner's payout for the month, once its distribution is approved.
    pub payout: Option<PayoutSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmProfile {
    pub farm_id: Uuid,
    pub slug: String,
    pub name: String,
    pub region: String,
    pub state: String,
    pub description: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub latitude: Option<Decimal>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub longitude: Option<Decimal>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub area_acres: Option<Decimal>,
    pub infrastructure: String,
    pub crops: Vec<String>,
    pub total_units: i32,
}

/// `/my/farms/{slug}`, `GET /api/v1/me/farms/{slug}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OwnedFarmDetail {
    pub profile: FarmProfile,
    pub summary: OwnedFarm,
    pub plants: Vec<CropInventory>,
    /// Newest first, at most twelve months.
    pub periods: Vec<PeriodMoney>,
    pub statements: Vec<PayoutSummary>,
    /// The farm's alerts not yet resolved, newest first.
    #[serde(default)]
    pub alerts: Vec<crate::alerts::model::Alert>,
    /// The latest field visits, newest first.
    #[serde(default)]
    pub visits: Vec<crate::field::model::VisitView>,
}

/// One owner's statement of one distribution run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    pub payout_id: Uuid,
    pub estate: String,
    pub owner_name: String,
    /// `en` or `ta`: statements follow the owner's language.
    pub language: String,
    pub farm_name: String,
    pub period: String,
    pub revenue: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub platform_fee_percent: Decimal,
    pub platform_fee: Money,
    pub costs: Money,
    pub distributable: Money,
    pub total_unit_days: i64,
    pub unit_days: i64,
    pub gross: Money,
    pub tds: Money,
    pub net: Money,
    pub status: String,
    pub approved_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub bank_reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AnnualLine {
    pub payout_id: Uuid,
    pub farm_name: String,
    pub period: String,
    pub gross: Money,
    pub tds: Money,
    pub net: Money,
    pub paid_at: Option<DateTime<Utc>>,
}

/// Payouts of one Indian financial year (April–March) with the tax deducted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AnnualStatement {
    pub estate: String,
    pub owner_name: String,
    pub language: String,
    /// `2026-27`.
    pub financial_year: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lines: Vec<AnnualLine>,
    pub gross: Money,
    pub tds: Money,
    pub net: Money,
}

// ---- The estate's admin ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdminFarm {
    pub profile: FarmProfile,
    /// Units held today across agreements in force.
    pub units_held: i64,
    pub owners: i64,
}

/// The editable profile of a farm; every field is required (send what it has).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmProfileRequest {
    pub description: Option<String>,
    /// Degrees, −90 to 90; empty with longitude empty for no location.
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub area_acres: Option<String>,
    pub infrastructure: Option<String>,
    /// Crop names, comma-separated or as a list.
    pub crops: Option<String>,
    pub total_units: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FarmProfileUpdate {
    pub description: String,
    pub location: Option<(Decimal, Decimal)>,
    pub area_acres: Option<Decimal>,
    pub infrastructure: String,
    pub crops: Vec<String>,
    pub total_units: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub owner_contact: Option<String>,
    pub units: i32,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub price_paid: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgreementRequest {
    /// The owner's user id, e-mail or phone; they must be a customer of the estate.
    pub owner: Option<String>,
    pub units: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub price_paid: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAgreement {
    pub owner: String,
    pub units: i32,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub price_paid: Money,
}

/// A line of a farm's revenue (`auction`, `direct`) or costs (a category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MoneyLine {
    pub id: Uuid,
    pub farm_id: Uuid,
    /// `revenue` or `cost`.
    pub kind: String,
    pub on: NaiveDate,
    /// Revenue: `auction` or `direct`. Cost: its category.
    pub label: String,
    pub amount: Money,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MoneyLineRequest {
    pub kind: Option<String>,
    pub on: Option<String>,
    pub label: Option<String>,
    pub amount: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Revenue,
    Cost,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMoneyLine {
    pub kind: LineKind,
    pub on: NaiveDate,
    pub label: String,
    pub amount: Money,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    pub imported: usize,
    pub revenue: Money,
    pub costs: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OwnershipSettings {
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub platform_fee_percent: Decimal,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub tds_percent: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OwnershipSettingsRequest {
    pub platform_fee_percent: Option<String>,
    pub tds_percent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PayoutLine {
    /// `None` in a preview: payouts exist once the run is approved.
    pub payout_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub unit_days: i64,
    pub gross: Money,
    pub tds: Money,
    pub net: Money,
    pub status: String,
    pub bank_reference: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DistributionRun {
    pub id: Uuid,
    pub farm_id: Uuid,
    pub farm_name: String,
    pub period: String,
    /// `preview` or `approved`.
    pub status: String,
    pub revenue: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub platform_fee_percent: Decimal,
    pub platform_fee: Money,
    pub costs: Money,
    pub distributable: Money,
    pub total_unit_days: i64,
    /// Why nothing is paid: `NO_REVENUE`, `COSTS_EXCEED_REVENUE`, `NO_UNIT_DAYS`.
    pub nothing_to_pay: Option<String>,
    pub payouts: Vec<PayoutLine>,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreviewRequest {
    /// The farm's id or slug.
    pub farm: Option<String>,
    /// `YYYY-MM`, a month that has ended.
    pub period: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MarkPaidRequest {
    pub bank_reference: Option<String>,
}

// ---- Parsing ----

fn required<'a>(value: &'a Option<String>, field: &str, fields: &mut FieldErrors) -> Option<&'a str> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Some(v),
        _ => {
            fields.insert(field.into(), "is required".into());
            None
        }
    }
}

pub fn parse_date(value: &str, field: &str, fields: &mut FieldErrors) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) if (2000..=2200).contains(&chrono::Datelike::year(&d)) => Some(d),
        _ => {
            fields.insert(field.into(), "must be a date as YYYY-MM-DD".into());
            None
        }
    }
}

fn parse_decimal_in(
    value: &str,
    field: &str,
    min: Decimal,
    max: Decimal,
    scale: u32,
    fields: &mut FieldErrors,
) -> Option<Decimal> {
    let parsed = crate::domain::decimal_text::plain_decimal_parts(value.trim_start_matches('-'))
        .and_then(|_| value.parse::<Decimal>().ok());
    match parsed {
        Some(d) if d.scale() > scale => {
            fields.insert(field.into(), format!("has more than {scale} decimal places"));
            None
        }
        Some(d) if d >= min && d <= max => Some(d),
        Some(_) => {
            fields.insert(field.into(), format!("must be between {min} and {max}"));
            None
        }
        None => {
            fields.insert(field.into(), "must be a number".into());
            None
        }
    }
}

fn parse_whole(value: &str, field: &str, min: i64, max: i64, fields: &mut FieldErrors) -> Option<i64> {
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        Ok(_) => {
            fields.insert(field.into(), format!("must be between {min} and {max}"));
            None
        }
        Err(_) => {
            fields.insert(field.into(), "must be a whole number".into());
            None
        }
    }
}

fn parse_money(value: &str, field: &str, fields: &mut FieldErrors) -> Option<Money> {
    match Money::parse(value) {
        Ok(m) if m.is_negative() => {
            fields.insert(field.into(), "must not be negative".into());
            None
        }
        Ok(m) => Some(m),
        Err(e) => {
            fields.insert(field.into(), e.to_string());
            None
        }
    }
}

fn bounded_text(value: Option<&str>, field: &str, max: usize, fields: &mut FieldErrors) -> String {
    let text = value.unwrap_or("").trim().to_string();
    if text.chars().count() > max {
        fields.insert(field.into(), format!("must be at most {max} characters"));
    }
    text
}

fn done<T>(value: Option<T>, fields: FieldErrors) -> Result<T, AppError> {
    match value {
        Some(v) if fields.is_empty() => Ok(v),
        _ => Err(AppError::Validation { fields }),
    }
}

pub const MAX_UNITS: i64 = 10_000_000;

impl FarmProfileRequest {
    pub fn parse(&self) -> Result<FarmProfileUpdate, AppError> {
        let mut fields = FieldErrors::new();
        let description = bounded_text(self.description.as_deref(), "description", 4000, &mut fields);
        let infrastructure = bounded_text(self.infrastructure.as_deref(), "infrastructure", 2000, &mut fields);
        let lat = self.latitude.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let lon = self.longitude.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let location = match (lat, lon) {
            (None, None) => Some(None),
            (Some(a), Some(o)) => {
                let a = parse_decimal_in(a, "latitude", Decimal::from(-90), Decimal::from(90), 6, &mut fields);
                let o = parse_decimal_in(o, "longitude", Decimal::from(-180), Decimal::from(180), 6, &mut fields);
                a.zip(o).map(Some)
            }
            (None, Some(_)) => {
                fields.insert("latitude".into(), "is required with a longitude".into());
                None
            }
            (Some(_), None) => {
                fields.insert("longitude".into(), "is required with a latitude".into());
                None
            }
        };
        let area_acres = match self.area_acres.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(a) => parse_decimal_in(a, "areaAcres", Decimal::new(1, 2), Decimal::from(10_000_000), 2, &mut fields)
                .map(Some),
        };
        let mut crops: Vec<String> = Vec::new();
        for crop in self.crops.as_deref().unwrap_or("").split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if crop.chars().count() > 80 {
                fields.insert("crops".into(), "each crop name must be at most 80 characters".into());
            } else if !crops.iter().any(|c| c.eq_ignore_ascii_case(crop)) {
                crops.push(crop.to_string());
            }
        }
        if crops.len() > 30 {
            fields.insert("crops".into(), "at most 30 crops".into());
        }
        let total_units = required(&self.total_units, "totalUnits", &mut fields)
            .and_then(|u| parse_whole(u, "totalUnits", 0, MAX_UNITS, &mut fields));
        let parsed =
            location.zip(area_acres).zip(total_units).map(|((location, area_acres), total_units)| FarmProfileUpdate {
                description,
                location,
                area_acres,
                infrastructure,
                crops,
                total_units: total_units as i32,
            });
        done(parsed, fields)
    }
}

impl AgreementRequest {
    pub fn parse(&self) -> Result<NewAgreement, AppError> {
        let mut fields = FieldErrors::new();
        let owner = required(&self.owner, "owner", &mut fields).map(str::to_string);
        let units = required(&self.units, "units", &mut fields)
            .and_then(|u| parse_whole(u, "units", 1, MAX_UNITS, &mut fields));
        let starts_on =
            required(&self.starts_on, "startsOn", &mut fields).and_then(|d| parse_date(d, "startsOn", &mut fields));
        let ends_on = match self.ends_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(d) => parse_date(d, "endsOn", &mut fields).map(Some),
        };
        if let (Some(s), Some(Some(e))) = (starts_on, ends_on)
            && e < s
        {
            fields.insert("endsOn".into(), "must not be before the start".into());
        }
        let price_paid =
            required(&self.price_paid, "pricePaid", &mut fields).and_then(|p| parse_money(p, "pricePaid", &mut fields));
        let parsed = match (owner, units, starts_on, ends_on, price_paid) {
            (Some(owner), Some(units), Some(starts_on), Some(ends_on), Some(price_paid)) => {
                Some(NewAgreement { owner, units: units as i32, starts_on, ends_on, price_paid })
            }
            _ => None,
        };
        done(parsed, fields)
    }
}

pub const COST_CATEGORY_MAX: usize = 80;

impl MoneyLineRequest {
    pub fn parse(&self) -> Result<NewMoneyLine, AppError> {
        let mut fields = FieldErrors::new();
        let kind = match self.kind.as_deref().map(str::trim) {
            Some("revenue") => Some(LineKind::Revenue),
            Some("cost") => Some(LineKind::Cost),
            _ => {
                fields.insert("kind".into(), "must be revenue or cost".into());
                None
            }
        };
        let on = required(&self.on, "on", &mut fields).and_then(|d| parse_date(d, "on", &mut fields));
        let label = required(&self.label, "label", &mut fields).map(str::to_string);
        match (kind, label.as_deref()) {
            (Some(LineKind::Revenue), Some(l)) if l != "auction" && l != "direct" => {
                fields
                    .insert("label".into(), "revenue comes from an auction or a direct sale (auction, direct)".into());
            }
            (Some(LineKind::Cost), Some(l)) if l.chars().count() > COST_CATEGORY_MAX => {
                fields.insert("label".into(), format!("must be at most {COST_CATEGORY_MAX} characters"));
            }
            _ => {}
        }
        let amount = required(&self.amount, "amount", &mut fields).and_then(|a| parse_money(a, "amount", &mut fields));
        if amount == Some(Money::ZERO) {
            fields.insert("amount".into(), "must be more than zero".into());
        }
        let note = bounded_text(self.note.as_deref(), "note", 500, &mut fields);
        let parsed = match (kind, on, label, amount) {
            (Some(kind), Some(on), Some(label), Some(amount)) => Some(NewMoneyLine { kind, on, label, amount, note }),
            _ => None,
        };
        done(parsed, fields)
    }
}

/// The most lines one CSV import takes; a bigger file is split by the sender.
pub const MAX_IMPORT_LINES: usize = 5_000;

/// Parses a CSV of money lines: a header `kind,on,label,amount,note` (any order, `note`
/// optional), then one line per entry. All or nothing: any bad line fails the import,
/// and each error names its line (`line 7.amount`).
pub fn parse_money_csv(text: &str) -> Result<Vec<NewMoneyLine>, AppError> {
    let mut fields = FieldErrors::new();
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(AppError::validation("file", "is empty: expected a header kind,on,label,amount,note"));
    };
    let columns: Vec<String> = split_csv_line(header).into_iter().map(|c| c.trim().to_ascii_lowercase()).collect();
    let at = |name: &str| columns.iter().position(|c| c == name);
    let (Some(kind), Some(on), Some(label), Some(amount)) = (at("kind"), at("on"), at("label"), at("amount")) else {
        return Err(AppError::validation("file", "the header must name the columns kind, on, label and amount"));
    };
    let note = at("note");
    let mut parsed = Vec::new();
    for (index, line) in lines {
        if parsed.len() >= MAX_IMPORT_LINES {
            return Err(AppError::validation("file", format!("has more than {MAX_IMPORT_LINES} lines")));
        }
        let cells = split_csv_line(line);
        let cell = |i: usize| cells.get(i).map(|c| c.trim().to_string());
        let request = MoneyLineRequest {
            kind: cell(kind),
            on: cell(on),
            label: cell(label),
            amount: cell(amount),
            note: note.and_then(cell),
        };
        match request.parse() {
            Ok(p) => parsed.push(p),
            Err(AppError::Validation { fields: errors }) => {
                for (field, message) in errors {
                    fields.insert(format!("line {}.{field}", index + 1), message);
                }
            }
            Err(other) => return Err(other),
        }
        if fields.len() > 50 {
            break;
        }
    }
    if !fields.is_empty() {
        return Err(AppError::Validation { fields });
    }
    if parsed.is_empty() {
        return Err(AppError::validation("file", "has a header but no lines"));
    }
    Ok(parsed)
}

/// One CSV line: commas separate, double quotes enclose a cell with commas, `""` is a
/// quote inside one.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().expect("a cell").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().expect("a cell").push(c),
        }
    }
    cells
}

impl OwnershipSettingsRequest {
    pub fn parse(&self) -> Result<OwnershipSettings, AppError> {
        let mut fields = FieldErrors::new();
        let fee = required(&self.platform_fee_percent, "platformFeePercent", &mut fields)
            .and_then(|v| parse_decimal_in(v, "platformFeePercent", Decimal::ZERO, Decimal::from(100), 2, &mut fields));
        let tds = required(&self.tds_percent, "tdsPercent", &mut fields)
            .and_then(|v| parse_decimal_in(v, "tdsPercent", Decimal::ZERO, Decimal::from(100), 2, &mut fields));
        done(
            fee.zip(tds)
                .map(|(platform_fee_percent, tds_percent)| OwnershipSettings { platform_fee_percent, tds_percent }),
            fields,
        )
    }
}

impl PreviewRequest {
    /// The farm (id or slug) and a month; the month must have ended (IST) by `today`.
    pub fn parse(&self, today: NaiveDate) -> Result<(String, Month), AppError> {
        let mut fields = FieldErrors::new();
        let farm = required(&self.farm, "farm", &mut fields).map(str::to_string);
        let period = required(&self.period, "period", &mut fields).and_then(|p| match Month::parse(p) {
            Ok(m) if m.last_day() >= today => {
                fields.insert("period".into(), "has not ended yet; distribute a month once it is over".into());
                None
            }
            Ok(m) => Some(m),
            Err(e) => {
                fields.insert("period".into(), e.to_string());
                None
            }
        });
        done(farm.zip(period), fields)
    }
}

impl MarkPaidRequest {
    pub fn parse(&self) -> Result<String, AppError> {
        let mut fields = FieldErrors::new();
        let reference = required(&self.bank_reference, "bankReference", &mut fields).map(str::to_string);
        if let Some(r) = &reference
            && (r.chars().count() > 80 || r.chars().any(char::is_control))
        {
            fields.insert("bankReference".into(), "must be at most 80 printable characters".into());
        }
        done(reference, fields)
    }
}

/// `2026` → `2026-27`.
pub fn financial_year_label(start_year: i32) -> String {
    format!("{start_year}-{:02}", (start_year + 1) % 100)
}

/// `2026-27` or `2026` → 2026.
pub fn parse_financial_year(input: &str) -> Result<i32, AppError> {
    let s = input.trim();
    let (start, end) = match s.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let year: i32 = start
        .parse()
        .ok()
        .filter(|y| (2000..=2200).contains(y) && start.len() == 4)
        .ok_or_else(|| AppError::validation("year", "must be a financial year like 2026-27"))?;
    if let Some(end) = end
        && end != format!("{:02}", (year + 1) % 100)
    {
        return Err(AppError::validation("year", "must be a financial year like 2026-27"));
    }
    Ok(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn an_agreement_that_ends_before_it_starts_is_refused_on_its_field() {
        let r = AgreementRequest {
            owner: s("a@b.c"),
            units: s("10"),
            starts_on: s("2026-05-01"),
            ends_on: s("2026-04-30"),
            price_paid: s("1000"),
        };
        let Err(AppError::Validation { fields }) = r.parse() else { panic!("accepted") };
        assert_eq!(fields.keys().collect::<Vec<_>>(), vec!["endsOn"]);
    }

    #[test]
    fn agreement_fields_are_each_checked() {
        let r = AgreementRequest {
            owner: None,
            units: s("0"),
            starts_on: s("5/1/2026"),
            ends_on: None,
            price_paid: s("-3"),
        };
        let Err(AppError::Validation { fields }) = r.parse() else { panic!("accepted") };
        for f in ["owner", "units", "startsOn", "pricePaid"] {
            assert!(fields.contains_key(f), "{f}: {fields:?}");
        }
    }

    #[test]
    fn a_location_needs_both_coordinates_in_range() {
        let base = FarmProfileRequest { total_units: s("100"), ..Default::default() };
        let half = FarmProfileRequest { latitude: s("27.0"), ..base.clone() };
        assert!(matches!(half.parse(), Err(AppError::Validation { fields }) if fields.contains_key("longitude")));
        let far = FarmProfileRequest { latitude: s("91"), longitude: s("88.2"), ..base.clone() };
        assert!(matches!(far.parse(), Err(AppError::Validation { fields }) if fields.contains_key("latitude")));
        let ok = FarmProfileRequest {
            latitude: s("27.036"),
            longitude: s("88.263"),
            crops: s("tea, Tea, cardamom"),
            ..base
        };
        let p = ok.parse().unwrap();
        assert_eq!(p.crops, vec!["tea", "cardamom"]);
        assert!(p.location.is_some());
    }

    #[test]
    fn csv_imports_all_or_nothing_naming_the_bad_lines() {
        let good = "kind,on,label,amount,note\nrevenue,2026-11-03,auction,12000.50,\"Lot 7, first flush\"\ncost,2026-11-04,labour,4000,\n";
        let lines = parse_money_csv(good).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].note, "Lot 7, first flush");
        let bad = "kind,on,label,amount\nrevenue,2026-11-03,auction,12000\nrevenue,2026-13-01,lottery,-5\n";
        let Err(AppError::Validation { fields }) = parse_money_csv(bad) else { panic!("accepted") };
        assert!(
            fields.contains_key("line 3.on")
                && fields.contains_key("line 3.label")
                && fields.contains_key("line 3.amount")
        );
        assert!(parse_money_csv("").is_err());
        assert!(parse_money_csv("date,amount\n2026-01-01,5").is_err());
    }

    #[test]
    fn a_distribution_is_for_a_month_that_has_ended() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let r = |p: &str| PreviewRequest { farm: s("glenmora"), period: s(p) }.parse(today);
        assert!(r("2026-11").is_ok());
        assert!(matches!(r("2026-12"), Err(AppError::Validation { fields }) if fields.contains_key("period")));
        assert!(matches!(r("2026-1"), Err(AppError::Validation { fields }) if fields.contains_key("period")));
    }

    #[test]
    fn financial_years_parse_both_ways() {
        assert_eq!(parse_financial_year("2026-27").unwrap(), 2026);
        assert_eq!(parse_financial_year("2026").unwrap(), 2026);
        assert!(parse_financial_year("2026-28").is_err());
        assert_eq!(financial_year_label(2099), "2099-00");
    }
}
