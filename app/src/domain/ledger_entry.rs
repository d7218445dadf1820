//! One ledger entry's rules: what a tablet may record, and what it costs. The rate is
//! the market rate of the slot the entry was recorded in, unless an admin overrides
//! it; with no rate set yet, the entry is kept and priced later (never refused: the
//! grower is standing at the counter with the flowers).

use super::kilograms::{Kg, KgError};
use super::market_slot::{self, MarketSlot};
use super::money::Money;
use super::settlement::entry_total;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why the server refused one mutation: a stable code for the tablet, with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reject {
    QuantityInvalid,
    QuantityTooLarge,
    UnknownFarmer,
    UnknownFlowerType,
    RecordedAtOutOfRange,
    EntryNotFound,
    NotYourEntry,
    RateOverrideForbidden,
    RateInvalid,
    Settled,
    ImmutableField,
    ClientIdTaken,
    MutationGap,
}

impl Reject {
    pub fn code(self) -> &'static str {
        match self {
            Reject::QuantityInvalid => "QUANTITY_INVALID",
            Reject::QuantityTooLarge => "QUANTITY_TOO_LARGE",
            Reject::UnknownFarmer => "UNKNOWN_FARMER",
            Reject::UnknownFlowerType => "UNKNOWN_FLOWER_TYPE",
            Reject::RecordedAtOutOfRange => "RECORDED_AT_OUT_OF_RANGE",
            Reject::EntryNotFound => "ENTRY_NOT_FOUND",
            Reject::NotYourEntry => "NOT_YOUR_ENTRY",
            Reject::RateOverrideForbidden => "RATE_OVERRIDE_FORBIDDEN",
            Reject::RateInvalid => "RATE_INVALID",
            Reject::Settled => "SETTLED",
            Reject::ImmutableField => "IMMUTABLE_FIELD",
            Reject::ClientIdTaken => "CLIENT_ID_TAKEN",
            Reject::MutationGap => "MUTATION_GAP",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Reject::QuantityInvalid => {
                "The quantity must be a weight in kilograms above zero, with at most three decimals"
            }
            Reject::QuantityTooLarge => {
                "The quantity is more than the market allows for one entry; check for an extra digit"
            }
            Reject::UnknownFarmer => "This farmer is not on the market's list (or is inactive)",
            Reject::UnknownFlowerType => "This flower type is not on the market's list (or is inactive)",
            Reject::RecordedAtOutOfRange => {
                "The entry's time is too far in the past or in the future; check the tablet's clock"
            }
            Reject::EntryNotFound => "This entry is not on the server",
            Reject::NotYourEntry => "Staff can change only their own entries; ask an admin",
            Reject::RateOverrideForbidden => "Only an admin can override the slot's rate",
            Reject::RateInvalid => "The rate must be an amount in rupees above zero",
            Reject::Settled => "This entry is in a settlement already; ask an admin",
            Reject::ImmutableField => "An entry's date and time cannot change; void it and record a new one",
            Reject::ClientIdTaken => "Another entry already has this id",
            Reject::MutationGap => "Earlier changes from this tablet have not arrived yet; they will be sent first",
        }
    }
}

/// The market's limits on what one entry may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryLimits {
    pub max_kg: Kg,
    pub backdate_days: i64,
    /// How far ahead of the server a tablet's clock may run.
    pub future_skew: Duration,
}

/// A weight typed on a tablet, checked against the market's limit.
pub fn check_quantity(raw: &str, limits: &EntryLimits) -> Result<Kg, Reject> {
    let kg = Kg::parse(raw).map_err(|e| match e {
        KgError::TooLarge => Reject::QuantityTooLarge,
        _ => Reject::QuantityInvalid,
    })?;
    if kg > limits.max_kg {
        return Err(Reject::QuantityTooLarge);
    }
    Ok(kg)
}

/// The market day of an entry recorded at `recorded_at` (by the tablet's clock), if
/// that is neither in the future nor older than the market allows back-dating.
pub fn check_recorded_at(
    recorded_at: DateTime<Utc>,
    now: DateTime<Utc>,
    limits: &EntryLimits,
) -> Result<NaiveDate, Reject> {
    let day = market_slot::market_date(recorded_at);
    let earliest = market_slot::market_date(now) - Duration::days(limits.backdate_days);
    if recorded_at > now + limits.future_skew || day < earliest {
        return Err(Reject::RecordedAtOutOfRange);
    }
    Ok(day)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    Slot,
    Override,
    Pending,
}

impl RateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RateSource::Slot => "slot",
            RateSource::Override => "override",
            RateSource::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<RateSource> {
        [RateSource::Slot, RateSource::Override, RateSource::Pending].into_iter().find(|r| r.as_str() == s)
    }
}

/// An entry's price: its slot, rate and total (none while the rate is pending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub slot_id: Option<Uuid>,
    pub rate: Option<Money>,
    pub total: Option<Money>,
    pub source: RateSource,
}

/// Prices an entry: the override if there is one, else the rate `rate_of` gives for
/// the slot holding `recorded_at`, else pending.
pub fn price_entry(
    recorded_at: DateTime<Utc>,
    quantity: Kg,
    slots: &[MarketSlot],
    rate_of: impl Fn(Uuid) -> Option<Money>,
    override_rate: Option<Money>,
) -> Priced {
    let slot_id = market_slot::slot_at(slots, recorded_at).map(|s| s.id);
    let (rate, source) = match override_rate {
        Some(r) => (Some(r), RateSource::Override),
        None => match slot_id.and_then(&rate_of) {
            Some(r) => (Some(r), RateSource::Slot),
            None => (None, RateSource::Pending),
        },
    };
    Priced { slot_id, rate, total: rate.map(|r| entry_total(r, quantity)), source }
}

/// A grower as the entry screen searches them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FarmerKey {
    pub farmer_no: i32,
    pub name_en: String,
    pub name_ta: String,
    pub phone: Option<String>,
}

/// How well `query` picks `farmer` (lower is better; `None`: not a match). The
/// counter is busy, so a number typed whole wins, then a phone's last digits, then a
/// name's start in either script, then anywhere in a name.
pub fn farmer_match(query: &str, farmer: &FarmerKey) -> Option<u8> {
    let q = query.trim();
    if q.is_empty() {
        return Some(9);
    }
    let lower = q.to_lowercase();
    if q.chars().all(|c| c.is_ascii_digit()) {
        if q.parse::<i32>().ok() == Some(farmer.farmer_no) {
            return Some(0);
        }
        if q.len() >= 4 && farmer.phone.as_deref().is_some_and(|p| p.ends_with(q)) {
            return Some(1);
        }
    }
    let en = farmer.name_en.to_lowercase();
    if en.starts_with(&lower) || farmer.name_ta.starts_with(q) {
        return Some(2);
    }
    if en.split_whitespace().any(|w| w.starts_with(&lower))
        || farmer.name_ta.split_whitespace().any(|w| w.starts_with(q))
    {
        return Some(3);
    }
    if en.contains(&lower) || farmer.name_ta.contains(q) {
        return Some(4);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};
    use proptest::prelude::*;

    fn limits() -> EntryLimits {
        EntryLimits { max_kg: Kg::parse("500").unwrap(), backdate_days: 3, future_skew: Duration::minutes(10) }
    }

    #[test]
    fn quantities_that_cannot_be_a_load_are_refused_with_their_code() {
        for (raw, code) in [
            ("0", "QUANTITY_INVALID"),
            ("-1", "QUANTITY_INVALID"),
            ("1.2345", "QUANTITY_INVALID"),
            ("abc", "QUANTITY_INVALID"),
            ("", "QUANTITY_INVALID"),
            ("500.001", "QUANTITY_TOO_LARGE"),
            ("9999", "QUANTITY_TOO_LARGE"),
            ("1e9", "QUANTITY_INVALID"),
            ("99999999999", "QUANTITY_TOO_LARGE"),
        ] {
            assert_eq!(check_quantity(raw, &limits()).map_err(Reject::code), Err(code), "{raw:?}");
        }
        assert_eq!(check_quantity(" 12.5 ", &limits()).unwrap().to_string(), "12.500");
        assert_eq!(check_quantity("500", &limits()).unwrap().to_string(), "500.000");
    }

    #[test]
    fn entries_may_be_back_dated_a_few_days_but_never_from_the_future() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
        assert!(check_recorded_at(now - Duration::days(3), now, &limits()).is_ok());
        assert_eq!(check_recorded_at(now - Duration::days(4), now, &limits()), Err(Reject::RecordedAtOutOfRange));
        assert!(check_recorded_at(now + Duration::minutes(9), now, &limits()).is_ok());
        assert_eq!(check_recorded_at(now + Duration::minutes(11), now, &limits()), Err(Reject::RecordedAtOutOfRange));
    }

    #[test]
    fn prices_by_slot_override_or_later() {
        let slot = MarketSlot {
            id: Uuid::from_u128(5),
            starts_at: NaiveTime::from_hms_opt(5, 0, 0).unwrap(),
            ends_at: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 23, 45, 0).unwrap(); // 05:15 IST
        let q = Kg::parse("12.345").unwrap();
        let rate = Money::parse("420").unwrap();
        let p = price_entry(at, q, std::slice::from_ref(&slot), |_| Some(rate), None);
        assert_eq!(
            (p.slot_id, p.source, p.total.unwrap().to_api_string()),
            (Some(slot.id), RateSource::Slot, "5184.90".to_string())
        );
        let p = price_entry(at, q, std::slice::from_ref(&slot), |_| None, None);
        assert_eq!((p.rate, p.total, p.source), (None, None, RateSource::Pending));
        let p = price_entry(at, q, &[], |_| Some(rate), Some(Money::parse("100").unwrap()));
        assert_eq!(
            (p.slot_id, p.source, p.total.unwrap().to_api_string()),
            (None, RateSource::Override, "1234.50".to_string())
        );
    }

    #[test]
    fn finds_growers_by_number_phone_or_name_in_either_script() {
        let f = FarmerKey {
            farmer_no: 12,
            name_en: "Murugan K".into(),
            name_ta: "முருகன் க".into(),
            phone: Some("+919876543210".into()),
        };
        assert_eq!(farmer_match("12", &f), Some(0));
        assert_eq!(farmer_match("3210", &f), Some(1));
        assert_eq!(farmer_match("mur", &f), Some(2));
        assert_eq!(farmer_match("முரு", &f), Some(2));
        assert_eq!(farmer_match("k", &f), Some(3));
        assert_eq!(farmer_match("rug", &f), Some(4));
        assert_eq!(farmer_match("13", &f), None);
        assert_eq!(farmer_match("செல்வி", &f), None);
    }

    proptest! {
        /// Totals are whole paise, within half a paisa of rate × weight.
        #[test]
        fn a_priced_total_is_exact_in_paise(grams in 1i64..500_000, paise in 1i64..1_000_000) {
            let p = price_entry(Utc::now(), Kg::from_grams(grams), &[], |_| None, Some(Money::from_paise(paise)));
            let total = p.total.unwrap().amount();
            prop_assert_eq!(total.scale(), 2);
            let exact = rust_decimal::Decimal::new(grams, 3) * rust_decimal::Decimal::new(paise, 2);
            prop_assert!((total - exact).abs() <= rust_decimal::Decimal::new(5, 3));
        }
    }
}
