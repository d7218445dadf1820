//! India's states and union territories, and which PIN codes belong to each.
//!
//! A PIN code's first digits name its postal circle; a circle serves one state or a few
//! neighbours. [`pin_fits_state`] accepts a PIN whose first three digits fall in one of
//! the state's ranges (India Post's allocation), so a typo in either field is caught
//! before a parcel goes to the wrong end of the country. Where circles overlap (Uttar
//! Pradesh and Uttarakhand, Bihar and Jharkhand, the North East) the ranges overlap too.

/// The 28 states and 8 union territories, as India Post writes them.
pub const STATES: [&str; 36] = [
    "Andaman and Nicobar Islands",
    "Andhra Pradesh",
    "Arunachal Pradesh",
    "Assam",
    "Bihar",
    "Chandigarh",
    "Chhattisgarh",
    "Dadra and Nagar Haveli and Daman and Diu",
    "Delhi",
    "Goa",
    "Gujarat",
    "Haryana",
    "Himachal Pradesh",
    "Jammu and Kashmir",
    "Jharkhand",
    "Karnataka",
    "Kerala",
    "Ladakh",
    "Lakshadweep",
    "Madhya Pradesh",
    "Maharashtra",
    "Manipur",
    "Meghalaya",
    "Mizoram",
    "Nagaland",
    "Odisha",
    "Puducherry",
    "Punjab",
    "Rajasthan",
    "Sikkim",
    "Tamil Nadu",
    "Telangana",
    "Tripura",
    "Uttar Pradesh",
    "Uttarakhand",
    "West Bengal",
];

/// Each state's PIN ranges, by their first three digits (inclusive).
const PIN_RANGES: &[(&str, &[(u16, u16)])] = &[
    ("Andaman and Nicobar Islands", &[(744, 744)]),
    ("Andhra Pradesh", &[(500, 509), (510, 535)]),
    ("Arunachal Pradesh", &[(790, 792)]),
    ("Assam", &[(780, 788)]),
    ("Bihar", &[(800, 855)]),
    ("Chandigarh", &[(140, 160)]),
    ("Chhattisgarh", &[(490, 497)]),
    ("Dadra and Nagar Haveli and Daman and Diu", &[(362, 362), (396, 396)]),
    ("Delhi", &[(110, 110)]),
    ("Goa", &[(403, 403)]),
    ("Gujarat", &[(360, 396)]),
    ("Haryana", &[(121, 136)]),
    ("Himachal Pradesh", &[(171, 177)]),
    ("Jammu and Kashmir", &[(180, 194)]),
    ("Jharkhand", &[(813, 835)]),
    ("Karnataka", &[(560, 591)]),
    ("Kerala", &[(670, 695)]),
    ("Ladakh", &[(194, 194)]),
    ("Lakshadweep", &[(682, 682)]),
    ("Madhya Pradesh", &[(450, 488)]),
    ("Maharashtra", &[(400, 445)]),
    ("Manipur", &[(795, 795)]),
    ("Meghalaya", &[(793, 794)]),
    ("Mizoram", &[(796, 796)]),
    ("Nagaland", &[(797, 798)]),
    ("Odisha", &[(751, 770)]),
    ("Puducherry", &[(533, 533), (605, 605), (607, 609), (673, 673)]),
    ("Punjab", &[(140, 160)]),
    ("Rajasthan", &[(301, 345)]),
    ("Sikkim", &[(737, 737)]),
    ("Tamil Nadu", &[(600, 643)]),
    ("Telangana", &[(500, 509)]),
    ("Tripura", &[(799, 799)]),
    ("Uttar Pradesh", &[(201, 285)]),
    ("Uttarakhand", &[(244, 263)]),
    ("West Bengal", &[(700, 743)]),
];

/// The state as listed, from any case and spacing of its name.
pub fn state_named(name: &str) -> Option<&'static str> {
    let wanted: String = name.split_whitespace().collect::<Vec<_>>().join(" ");
    STATES.iter().copied().find(|s| s.eq_ignore_ascii_case(&wanted))
}

/// Whether a six-digit PIN code can belong to `state` (a name from [`STATES`]).
pub fn pin_fits_state(pin: &str, state: &str) -> bool {
    let Some(prefix) = pin.get(..3).and_then(|p| p.parse::<u16>().ok()) else { return false };
    PIN_RANGES
        .iter()
        .find(|(s, _)| *s == state)
        .is_some_and(|(_, ranges)| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&prefix)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_pin_ranges() {
        for s in STATES {
            assert!(PIN_RANGES.iter().any(|(n, r)| *n == s && !r.is_empty()), "{s}");
        }
        assert_eq!(PIN_RANGES.len(), STATES.len());
    }

    #[test]
    fn pins_are_checked_against_their_state() {
        for (pin, state) in [
            ("600028", "Tamil Nadu"),
            ("560001", "Karnataka"),
            ("110001", "Delhi"),
            ("400001", "Maharashtra"),
            ("403001", "Goa"),
            ("734101", "West Bengal"),
            ("605001", "Puducherry"),
            ("682001", "Kerala"),
            ("500001", "Telangana"),
            ("248001", "Uttarakhand"),
        ] {
            assert!(pin_fits_state(pin, state), "{pin} {state}");
        }
        for (pin, state) in [("600028", "Kerala"), ("110001", "Tamil Nadu"), ("734101", "Assam"), ("60", "Tamil Nadu")]
        {
            assert!(!pin_fits_state(pin, state), "{pin} {state}");
        }
    }

    #[test]
    fn names_are_found_in_any_case() {
        assert_eq!(state_named("  tamil   NADU "), Some("Tamil Nadu"));
        assert_eq!(state_named("TN"), None);
    }
}
