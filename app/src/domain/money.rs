//! Indian rupees held as exact decimals and rounded to paise, half away from zero.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, Neg, Sub};
use std::str::FromStr;

/// An amount in INR, always held at exactly two decimal places (paise).
///
/// Constructing a `Money` rounds; arithmetic between `Money` values is exact, so sums
/// never drift. Serialises as a decimal string (`"120.50"`) per the API conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("is not an amount in rupees (use digits with up to two decimals, e.g. 120.50)")]
    NotAnAmount,
    #[error("has more than two decimal places")]
    TooPrecise,
    #[error("is too large")]
    TooLarge,
}

/// Largest amount the platform accepts: ₹10^13, well inside `NUMERIC(15,2)`.
const MAX_RUPEES: i64 = 10_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds any decimal to paise, half away from zero (₹0.005 → ₹0.01, −₹0.005 → −₹0.01).
    pub fn from_decimal(value: Decimal) -> Money {
        let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(2);
        Money(rounded)
    }

    pub fn from_paise(paise: i64) -> Money {
        Money(Decimal::new(paise, 2))
    }

    pub fn from_rupees(rupees: i64) -> Money {
        Money::from_paise(rupees * 100)
    }

    /// Parses user or API input strictly: an optional minus sign, digits, and at most
    /// two decimals. Anything that would need rounding is refused rather than guessed.
    pub fn parse(input: &str) -> Result<Money, MoneyError> {
        let s = input.trim();
        let unsigned = s.strip_prefix('-').unwrap_or(s);
        let (int, frac) = super::decimal_text::plain_decimal_parts(unsigned).ok_or(MoneyError::NotAnAmount)?;
        if frac.is_some_and(|f| f.len() > 2) {
            return Err(MoneyError::TooPrecise);
        }
        if int.trim_start_matches('0').len() > 14 {
            return Err(MoneyError::TooLarge);
        }
        let value = Decimal::from_str(s).map_err(|_| MoneyError::NotAnAmount)?;
        if value.abs() > Decimal::from(MAX_RUPEES) {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money::from_decimal(value))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The amount in paise; exact because a `Money` never holds more than two decimals.
    pub fn paise(self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        i64::try_from(scaled).expect("money within i64 paise")
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Price × quantity (e.g. kg with three decimals), rounded once at the end.
    pub fn times(self, quantity: Decimal) -> Money {
        Money::from_decimal(self.0 * quantity)
    }

    /// Percentage of an amount (`12.5` means 12.5 %), rounded to paise.
    pub fn percent(self, pct: Decimal) -> Money {
        Money::from_decimal(self.0 * pct / Decimal::ONE_HUNDRED)
    }

    /// The API form: plain decimal string with two places, `"1234.50"`.
    pub fn to_api_string(self) -> String {
        format!("{:.2}", self.0)
    }

    /// Display form with the rupee sign and Indian digit grouping: `₹1,23,456.50`.
    /// Whole-rupee amounts keep their paise so prices line up in lists.
    pub fn format_inr(self) -> String {
        let plain = format!("{:.2}", self.0.abs());
        let (int, frac) = plain.split_once('.').expect("two decimals");
        let sign = if self.is_negative() { "−" } else { "" };
        format!("{sign}₹{}.{frac}", group_indian(int))
    }
}

/// 1234567 → 12,34,567: the last three digits, then groups of two.
fn group_indian(digits: &str) -> String {
    if digits.len() <= 3 {
        return digits.to_string();
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let mut out = String::with_capacity(digits.len() + digits.len() / 2);
    let lead = head.len() % 2;
    for (i, ch) in head.chars().enumerate() {
        if i > 0 && (i + 2 - lead) % 2 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out.push(',');
    out.push_str(last3);
    out
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_inr())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_api_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let s = String::deserialize(d)?;
        Money::parse(&s).map_err(|e| serde::de::Error::custom(format!("amount {s:?} {e}")))
    }
}

/// In the OpenAPI document (server side only) a `Money` is what it is on the wire: a
/// decimal string, never a JSON number.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(MONEY_PATTERN))
            .description(Some(
                "An amount in rupees as a decimal string with up to two places (answers always have two).",
            ))
            .examples(["120.50"])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Money {}

/// What `Money::parse` accepts, as a regular expression for API clients.
pub const MONEY_PATTERN: &str = r"^-?[0-9]{1,14}(\.[0-9]{1,2})?$";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Money::from_decimal(d("0.005")).to_api_string(), "0.01");
        assert_eq!(Money::from_decimal(d("0.004")).to_api_string(), "0.00");
        assert_eq!(Money::from_decimal(d("-0.005")).to_api_string(), "-0.01");
        assert_eq!(Money::from_decimal(d("2.675")).to_api_string(), "2.68");
        assert_eq!(Money::from_decimal(d("120.5")).to_api_string(), "120.50");
    }

    #[test]
    fn parses_strictly() {
        assert_eq!(Money::parse("120.50").unwrap().paise(), 12050);
        assert_eq!(Money::parse(" 7 ").unwrap().paise(), 700);
        assert_eq!(Money::parse("-3.5").unwrap().paise(), -350);
        assert_eq!(Money::parse("1.234"), Err(MoneyError::TooPrecise));
        for bad in ["", "abc", "1,000", "1e3", "NaN", ".5", "5.", "--1", "₹5", "0x10"] {
            assert_eq!(Money::parse(bad), Err(MoneyError::NotAnAmount), "{bad:?}");
        }
        assert_eq!(Money::parse("99999999999999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn formats_with_indian_grouping() {
        assert_eq!(Money::from_paise(0).format_inr(), "₹0.00");
        assert_eq!(Money::from_paise(99_900).format_inr(), "₹999.00");
        assert_eq!(Money::from_paise(123_456).format_inr(), "₹1,234.56");
        assert_eq!(Money::from_paise(12_345_678).format_inr(), "₹1,23,456.78");
        assert_eq!(Money::from_paise(1_234_567_890).format_inr(), "₹1,23,45,678.90");
        assert_eq!(Money::from_paise(-150_000).format_inr(), "−₹1,500.00");
    }

    #[test]
    fn serialises_as_decimal_string() {
        let m = Money::from_paise(12050);
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"120.50\"");
        let back: Money = serde_json::from_str("\"120.50\"").unwrap();
        assert_eq!(back, m);
        assert!(serde_json::from_str::<Money>("120.5").is_err(), "numbers are refused");
    }

    #[test]
    fn times_rounds_once() {
        // 2.345 kg × ₹33.33 = 78.15885 → 78.16
        assert_eq!(Money::from_paise(3333).times(d("2.345")).to_api_string(), "78.16");
        assert_eq!(Money::from_paise(10000).percent(d("12.5")).to_api_string(), "12.50");
    }

    proptest! {
        #[test]
        fn paise_round_trip(p in -1_000_000_000_000i64..1_000_000_000_000i64) {
            let m = Money::from_paise(p);
            prop_assert_eq!(m.paise(), p);
            prop_assert_eq!(Money::parse(&m.to_api_string()).unwrap(), m);
        }

        #[test]
        fn sums_are_exact(parts in proptest::collection::vec(-10_000_000i64..10_000_000, 0..50)) {
            let total: Money = parts.iter().map(|p| Money::from_paise(*p)).sum();
            prop_assert_eq!(total.paise(), parts.iter().sum::<i64>());
        }

        #[test]
        fn rounding_is_within_half_a_paisa(units in -1_000_000_000i64..1_000_000_000, scale in 0u32..6) {
            let d = Decimal::new(units, scale);
            let m = Money::from_decimal(d);
            let diff = (m.amount() - d).abs();
            prop_assert!(diff <= Decimal::new(5, 3));
            // symmetric: rounding −x is −(rounding x)
            prop_assert_eq!(Money::from_decimal(-d), -m);
        }

        #[test]
        fn grouping_keeps_the_digits(p in 0i64..1_000_000_000_000_000) {
            let m = Money::from_paise(p);
            let shown = m.format_inr();
            let digits: String = shown.chars().filter(|c| c.is_ascii_digit()).collect();
            prop_assert_eq!(digits, m.to_api_string().replace('.', ""));
            // Indian grouping: every group between commas is two digits, the last three.
            let int_part = shown.trim_start_matches('₹').split('.').next().unwrap().to_string();
            let groups: Vec<&str> = int_part.split(',').collect();
            if groups.len() > 1 {
                prop_assert_eq!(groups.last().unwrap().len(), 3);
                for g in &groups[1..groups.len() - 1] { prop_assert_eq!(g.len(), 2); }
                prop_assert!(groups[0].len() <= 2 && !groups[0].is_empty());
            }
        }
    }
}
