//! Plain decimal notation as people type it into money and weight fields.

/// The whole and fractional digits of `s` when it is plain ASCII decimal notation
/// (digits, optionally a point and more digits; no sign, exponent or grouping).
pub fn plain_decimal_parts(s: &str) -> Option<(&str, Option<&str>)> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (digits(int) && frac.is_none_or(digits)).then_some((int, frac))
}

#[cfg(test)]
mod tests {
    use super::plain_decimal_parts;

    #[test]
    fn only_plain_digits_with_at_most_one_point() {
        assert_eq!(plain_decimal_parts("12.50"), Some(("12", Some("50"))));
        assert_eq!(plain_decimal_parts("7"), Some(("7", None)));
        for bad in ["", ".5", "1.", "1.2.3", "-1", "+1", "1e3", "1,5", "١٢"] {
            assert_eq!(plain_decimal_parts(bad), None, "{bad:?}");
        }
    }
}
