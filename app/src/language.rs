//! English and Tamil. The texts live in `app/locales/{en,ta}.json`, compiled by
//! leptos_i18n (`build.rs`) into typed keys: `td_string!(locale, ledger.save)`. The
//! language is ours to choose per request (`?lang=`, then the `mandi_lang` cookie the
//! switch sets) or per tablet (the island keeps it with the signed-in person).

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
pub use i18n::Locale;
// The generated macro is crate-visible: every module imports it from here.
pub(crate) use i18n::td_string;
// `as_str` and `FromStr` of the generated `Locale` come from the crate's trait.
use leptos_i18n::Locale as _;

/// `ta` → Tamil; anything else → English.
pub fn locale_from(code: &str) -> Locale {
    code.parse().unwrap_or_default()
}

pub fn code(locale: Locale) -> &'static str {
    locale.as_str()
}

pub const LANGUAGE_COOKIE: &str = "mandi_lang";

/// The language of the page being rendered: `?lang=` first, then the cookie. (Pages
/// render on the server only; in the browser this is the default.)
#[cfg(not(feature = "ssr"))]
pub fn request_locale() -> Locale {
    Locale::default()
}

/// `?lang=` of the request, when it names a language.
#[cfg(feature = "ssr")]
pub fn query_locale() -> Option<Locale> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .filter(|c| *c == "en" || *c == "ta")
        .map(locale_from)
}

#[cfg(not(feature = "ssr"))]
pub fn query_locale() -> Option<Locale> {
    None
}

#[cfg(feature = "ssr")]
pub fn request_locale() -> Locale {
    let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else { return Locale::default() };
    let from_query =
        parts.uri.query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=").map(str::to_string)));
    from_query
        .or_else(|| crate::account::cookies::read(&parts.headers, LANGUAGE_COOKIE))
        .map(|c| locale_from(&c))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    flatten(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.as_str().unwrap_or_default().to_string());
            }
        }
    }

    fn texts(json: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        flatten("", &serde_json::from_str(json).expect("locale file is JSON"), &mut out);
        out
    }

    fn variables(text: &str) -> Vec<String> {
        let mut vars: Vec<String> =
            text.split("{{").skip(1).filter_map(|s| s.split("}}").next()).map(|s| s.trim().to_string()).collect();
        vars.sort();
        vars
    }

    /// leptos_i18n falls back to English for a key Tamil lacks; here that fails.
    #[test]
    fn both_languages_have_every_key_with_the_same_variables() {
        let en = texts(include_str!("../locales/en.json"));
        let ta = texts(include_str!("../locales/ta.json"));
        let only_en: Vec<&String> = en.keys().filter(|k| !ta.contains_key(*k)).collect();
        let only_ta: Vec<&String> = ta.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(
            only_en.is_empty() && only_ta.is_empty(),
            "missing in Tamil: {only_en:?}; missing in English: {only_ta:?}"
        );
        for (key, text) in &en {
            assert!(!text.trim().is_empty() && !ta[key].trim().is_empty(), "{key} is empty");
            assert_eq!(variables(text), variables(&ta[key]), "{key}: the variables differ");
        }
        // Tamil is Tamil, not English copied over (names of languages aside).
        let tamil = |s: &str| s.chars().any(|c| ('\u{0B80}'..='\u{0BFF}').contains(&c));
        let untranslated: Vec<&String> = ta
            .iter()
            .filter(|(k, v)| {
                !tamil(v)
                    && !["other_language", "ledger.switch_language", "settle.upi"].contains(&k.as_str())
                    && en[*k] == **v
            })
            .map(|(k, _)| k)
            .collect();
        assert!(untranslated.is_empty(), "not translated: {untranslated:?}");
    }

    #[test]
    fn renders_either_language_with_values() {
        assert_eq!(
            td_string!(Locale::en, ledger.saved, name = "Murugan", kg = "12.500").to_string(),
            "Saved: Murugan, 12.500 kg"
        );
        assert_eq!(
            td_string!(Locale::ta, ledger.saved, name = "முருகன்", kg = "12.500").to_string(),
            "சேமிக்கப்பட்டது: முருகன், 12.500 கி.கி."
        );
        assert_eq!(locale_from("ta"), Locale::ta);
        assert_eq!(locale_from("xx"), Locale::en);
    }
}
