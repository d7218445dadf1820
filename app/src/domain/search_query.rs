//! Turns what a shopper types into a safe Postgres prefix tsquery.
//!
//! `websearch_to_tsquery` would ignore half-typed words ("tom" finds no "tomatoes"), so
//! each word becomes a prefix term. Only letters and digits survive, which makes the
//! result safe to hand to `to_tsquery` (no operator can be smuggled in). Every operator
//! of the tsquery syntax is ASCII, so non-ASCII letters and combining marks (Tamil
//! vowel signs and the virama) are kept whole.

/// Longest query we act on; longer input is cut, not refused.
pub const MAX_QUERY_CHARS: usize = 200;
const MAX_TERMS: usize = 8;

/// `"Darjeeling  first-flush!"` → `Some("darjeeling:* & first:* & flush:*")`.
/// `None` when nothing searchable remains.
pub fn prefix_tsquery(input: &str) -> Option<String> {
    let cut: String = input.chars().take(MAX_QUERY_CHARS).collect();
    let terms: Vec<String> = cut
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_become_prefix_terms() {
        assert_eq!(prefix_tsquery("tom").as_deref(), Some("tom:*"));
        assert_eq!(prefix_tsquery("Darjeeling  first-flush!").as_deref(), Some("darjeeling:* & first:* & flush:*"));
        assert_eq!(prefix_tsquery("மல்லி பூ").as_deref(), Some("மல்லி:* & பூ:*"));
    }

    #[test]
    fn operators_are_stripped() {
        assert_eq!(prefix_tsquery("a & !b | (c:*)").as_deref(), Some("a:* & b:* & c:*"));
        assert_eq!(prefix_tsquery("' OR 1=1 --").as_deref(), Some("or:* & 1:* & 1:*"));
        assert_eq!(prefix_tsquery("  !!! "), None);
        assert_eq!(prefix_tsquery(""), None);
    }

    proptest! {
        #[test]
        fn output_holds_only_words_and_and(input in ".{0,300}") {
            if let Some(q) = prefix_tsquery(&input) {
                for term in q.split(" & ") {
                    let word = term.strip_suffix(":*").expect("prefix marker");
                    prop_assert!(!word.is_empty());
                    prop_assert!(word.chars().all(is_word_char));
                    prop_assert!(!word.contains(['&', '|', '!', '(', ')', ':', '*', '\'', '\\', '<', '>']));
                }
                prop_assert!(q.split(" & ").count() <= MAX_TERMS);
            }
        }
    }
}
