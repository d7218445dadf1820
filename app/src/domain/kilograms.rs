//! Flower weights on the commission ledger: kilograms to the gram, parsed strictly
//! (what a tablet sends is either exact or refused, never rounded behind the user).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Add;
use std::str::FromStr;

/// A positive weight in kilograms with at most three decimals (whole grams).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kg(Decimal);

/// Heaviest single entry accepted: a grower's load is a few hundred kilograms; ten
/// tonnes is a typing slip (an extra zero or two), not a delivery.
pub const MAX_ENTRY_KG: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KgError {
    #[error("must be a number of kilograms such as 12.5")]
    NotANumber,
    #[error("must have at most three decimals (whole grams)")]
    TooPrecise,
    #[error("must be more than zero")]
    NotPositive,
    #[error("must be at most {MAX_ENTRY_KG} kg")]
    TooLarge,
}

impl Kg {
    pub const ZERO: Kg = Kg(Decimal::ZERO);

    pub fn parse(input: &str) -> Result<Kg, KgError> {
        let s = input.trim();
        if s.starts_with('-') {
            return Err(KgError::NotPositive);
        }
        let (int, frac) = super::decimal_text::plain_decimal_parts(s).ok_or(KgError::NotANumber)?;
        if frac.is_some_and(|f| f.len() > 3) {
            return Err(KgError::TooPrecise);
        }
        if int.trim_start_matches('0').len() > 7 {
            return Err(KgError::TooLarge);
        }
        let value = Decimal::from_str(s).map_err(|_| KgError::NotANumber)?;
        Kg::from_decimal(value)
    }

    /// A weight from a decimal already known to be whole grams (e.g. read from the
    /// database), checked like user input.
    pub fn from_decimal(value: Decimal) -> Result<Kg, KgError> {
        if value <= Decimal::ZERO {
            return Err(KgError::NotPositive);
        }
        if value > Decimal::from(MAX_ENTRY_KG) {
            return Err(KgError::TooLarge);
        }
        if value.normalize().scale() > 3 {
            return Err(KgError::TooPrecise);
        }
        let mut v = value;
        v.rescale(3);
        Ok(Kg(v))
    }

    pub fn from_grams(grams: i64) -> Kg {
        Kg(Decimal::new(grams, 3))
    }

    pub fn grams(self) -> i64 {
        i64::try_from(self.0 * Decimal::ONE_THOUSAND).expect("grams within i64")
    }

    pub fn amount(self) -> Decimal {
        self.0
    }
}

/// Sums of many entries (a day's or a settlement's weight) may exceed one entry's limit.
impl Add for Kg {
    type Output = Kg;
    fn add(self, other: Kg) -> Kg {
        Kg(self.0 + other.0)
    }
}

impl std::iter::Sum for Kg {
    fn sum<I: Iterator<Item = Kg>>(iter: I) -> Kg {
        iter.fold(Kg::ZERO, Add::add)
    }
}

impl fmt::Display for Kg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}", self.0)
    }
}

impl Serialize for Kg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Kg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kg, D::Error> {
        let raw = String::deserialize(d)?;
        Kg::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// In the OpenAPI document a weight is a decimal string, as on the wire.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Kg {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[0-9]{1,7}(\.[0-9]{1,3})?$"))
            .description(Some("Kilograms as a decimal string with up to three places (answers always have three)."))
            .examples(["12.500"])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Kg {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_weights_and_refuses_the_rest() {
        assert_eq!(Kg::parse("12.5").unwrap().to_string(), "12.500");
        assert_eq!(Kg::parse(" 0.001 ").unwrap().grams(), 1);
        assert_eq!(Kg::parse("10000").unwrap().grams(), 10_000_000);
        assert_eq!(Kg::parse("0"), Err(KgError::NotPositive));
        assert_eq!(Kg::parse("0.000"), Err(KgError::NotPositive));
        assert_eq!(Kg::parse("-3"), Err(KgError::NotPositive));
        assert_eq!(Kg::parse("1.2345"), Err(KgError::TooPrecise));
        assert_eq!(Kg::parse("10000.001"), Err(KgError::TooLarge));
        assert_eq!(Kg::parse("99999999999"), Err(KgError::TooLarge));
        for bad in ["", "abc", "1,5", "1e3", "NaN", "1.", ".5", "+2", "١٢"] {
            assert_eq!(Kg::parse(bad), Err(KgError::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn travels_as_a_decimal_string() {
        let kg: Kg = serde_json::from_str("\"7.25\"").unwrap();
        assert_eq!(serde_json::to_string(&kg).unwrap(), "\"7.250\"");
        assert!(serde_json::from_str::<Kg>("\"-1\"").is_err());
    }
}
