//! What staff type for a product and its packs, parsed: a name and its slug, a status,
//! and per pack a label, SKU, price, compare-at price, weight and GST rate. Every bad
//! field is named with what is wrong, all at once.

use super::money::Money;
use crate::error::FieldErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a product stands: only a published one is on the shelves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    Published,
    Archived,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 3] = [ProductStatus::Draft, ProductStatus::Published, ProductStatus::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Published => "published",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<ProductStatus> {
        ProductStatus::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_LABEL_CHARS: usize = 40;
pub const MAX_SKU_CHARS: usize = 64;
/// Dearest pack the store sells: more is a typing slip (₹10 lakh).
pub const MAX_PRICE_RUPEES: i64 = 1_000_000;
/// Heaviest pack: a tonne.
pub const MAX_GRAMS: i64 = 1_000_000;
/// India's GST slabs on goods.
pub const GST_RATES: [&str; 7] = ["0", "0.25", "3", "5", "12", "18", "28"];

/// The product's URL part from its name: lowercase letters and digits joined by single
/// hyphens (`Darjeeling First Flush 2026` → `darjeeling-first-flush-2026`).
pub fn slugify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(80);
    out.trim_end_matches('-').to_string()
}

/// A slug as the database takes it (`^[a-z0-9][a-z0-9-]*$`), at most 80 characters.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

/// Letters, digits and `. _ - /`, starting with a letter or digit.
pub fn parse_sku(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is required".into());
    }
    if s.chars().count() > MAX_SKU_CHARS {
        return Err(format!("must be at most {MAX_SKU_CHARS} characters"));
    }
    let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !ok_first || !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')) {
        return Err("may hold only letters, digits and . _ - / (starting with a letter or digit)".into());
    }
    Ok(s.to_string())
}

/// A pack's price: above zero, at most two decimals, and not absurd.
pub fn parse_price(s: &str) -> Result<Money, String> {
    let m = Money::parse(s).map_err(|e| e.to_string())?;
    if m <= Money::ZERO {
        return Err("must be above zero".into());
    }
    if m > Money::from_rupees(MAX_PRICE_RUPEES) {
        return Err(format!("must be at most ₹{MAX_PRICE_RUPEES}"));
    }
    Ok(m)
}

/// A pack's weight in grams: a whole number from 1 to a tonne.
pub fn parse_grams(s: &str) -> Result<i32, String> {
    match s.trim().parse::<i64>() {
        Ok(g) if (1..=MAX_GRAMS).contains(&g) => Ok(g as i32),
        Ok(_) => Err(format!("must be from 1 to {MAX_GRAMS} grams")),
        Err(_) => Err("must be a whole number of grams".into()),
    }
}

/// A GST rate in percent, one of India's slabs.
pub fn parse_gst_rate(s: &str) -> Result<Decimal, String> {
    let s = s.trim().trim_end_matches('%').trim();
    let s = if s.is_empty() { "0" } else { s };
    let rate = Decimal::from_str(s).map_err(|_| "must be a percentage such as 5".to_string())?;
    if GST_RATES.iter().any(|r| Decimal::from_str(r).expect("a rate") == rate) {
        Ok(rate.normalize())
    } else {
        Err(format!("must be one of the GST slabs: {} %", GST_RATES.join(", ")))
    }
}

/// A product as a form or the API sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ProductInput {
    pub name: String,
    /// Empty: made from the name.
    pub slug: String,
    /// HTML; what is not safe is removed when saved.
    pub description: String,
    /// A category's slug.
    pub category: String,
    /// A farm's slug.
    pub farm: String,
    /// `draft`, `published` or `archived`.
    pub status: String,
}

/// A product's own fields, parsed (its category and farm are looked up by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFields {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub category: String,
    pub farm: String,
    pub status: ProductStatus,
}

impl ProductInput {
    pub fn parse(&self) -> Result<ProductFields, FieldErrors> {
        let mut fields = FieldErrors::new();
        let name = self.name.trim().to_string();
        if name.is_empty() {
            fields.insert("name".into(), "is required".into());
        } else if name.chars().count() > MAX_NAME_CHARS {
            fields.insert("name".into(), format!("must be at most {MAX_NAME_CHARS} characters"));
        } else if name.chars().any(char::is_control) {
            fields.insert("name".into(), "must be one line of text".into());
        }
        let slug = match self.slug.trim() {
            "" => slugify(&name),
            s => s.to_string(),
        };
        if !fields.contains_key("name") && !is_slug(&slug) {
            let message = if self.slug.trim().is_empty() {
                "needs a letter or digit to make its web address from"
            } else {
                "must be lowercase letters, digits and hyphens"
            };
            fields.insert(if self.slug.trim().is_empty() { "name" } else { "slug" }.into(), message.into());
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            fields.insert("description".into(), format!("must be at most {MAX_DESCRIPTION_CHARS} characters"));
        }
        for (key, value) in [("category", &self.category), ("farm", &self.farm)] {
            if value.trim().is_empty() {
                fields.insert(key.into(), "choose one".into());
            }
        }
        let status = ProductStatus::parse(if self.status.trim().is_empty() { "draft" } else { &self.status });
        if status.is_none() {
            fields.insert("status".into(), "must be draft, published or archived".into());
        }
        match (fields.is_empty(), status) {
            (true, Some(status)) => Ok(ProductFields {
                name,
                slug,
                description: self.description.trim().to_string(),
                category: self.category.trim().to_string(),
                farm: self.farm.trim().to_string(),
                status,
            }),
            _ => Err(fields),
        }
    }
}

/// A pack as a form or the API sends it (amounts as strings, as typed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct VariantInput {
    /// `250 g`, `1 kg`, `box of 12`.
    pub label: String,
    pub sku: String,
    pub price: String,
    /// The printed MRP, when higher than the price; empty for none.
    pub compare_at_price: String,
    pub grams: String,
    /// Percent; empty is 0.
    pub gst_rate: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariantFields {
    pub label: String,
    pub sku: String,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub grams: i32,
    pub gst_rate: Decimal,
}

impl VariantInput {
    pub fn parse(&self) -> Result<VariantFields, FieldErrors> {
        let mut fields = FieldErrors::new();
        let mut note = |k: &str, r: Result<(), String>| {
            if let Err(m) = r {
                fields.insert(k.into(), m);
            }
        };
        let label = self.label.trim().to_string();
        note(
            "label",
            if label.is_empty() {
                Err("is required".into())
            } else if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
                Err(format!("must be one line of at most {MAX_LABEL_CHARS} characters"))
            } else {
                Ok(())
            },
        );
        let sku = parse_sku(&self.sku);
        note("sku", sku.as_ref().map(|_| ()).map_err(Clone::clone));
        let price = parse_price(&self.price);
        note("price", price.as_ref().map(|_| ()).map_err(Clone::clone));
        let compare_at = match self.compare_at_price.trim() {
            "" => Ok(None),
            s => parse_price(s).map(Some),
        };
        let compare_at = match (compare_at, &price) {
            (Ok(Some(c)), Ok(p)) if c < *p => Err("must not be below the price".to_string()),
            (other, _) => other,
        };
        note("compareAtPrice", compare_at.as_ref().map(|_| ()).map_err(Clone::clone));
        let grams = parse_grams(&self.grams);
        note("grams", grams.as_ref().map(|_| ()).map_err(Clone::clone));
        let gst = parse_gst_rate(&self.gst_rate);
        note("gstRate", gst.as_ref().map(|_| ()).map_err(Clone::clone));
        match (sku, price, compare_at, grams, gst) {
            (Ok(sku), Ok(price), Ok(compare_at), Ok(grams), Ok(gst_rate)) if fields.is_empty() => {
                Ok(VariantFields { label, sku, price, compare_at, grams, gst_rate })
            }
            _ => Err(fields),
        }
    }
}

/// A receipt of stock typed at the catalogue: a new lot from a farm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ReceiptInput {
    /// Packs (or grams, for an item counted in grams) received.
    pub quantity: String,
    /// `YYYY-MM-DD`, not in the future.
    pub harvested_on: String,
    /// The farm's slug; empty: the product's farm.
    pub farm: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub quantity: i64,
    pub harvested_on: chrono::NaiveDate,
    pub farm: Option<String>,
}

impl ReceiptInput {
    /// `today` is the store's date: a harvest cannot come from tomorrow, nor from more
    /// than a year ago.
    pub fn parse(&self, today: chrono::NaiveDate) -> Result<Receipt, FieldErrors> {
        let mut fields = FieldErrors::new();
        let quantity = match self.quantity.trim().parse::<i64>() {
            Ok(q) if (1..=super::stock_adjustment::MAX_DELTA).contains(&q) => Some(q),
            Ok(_) => {
                fields.insert("quantity".into(), "must be above zero".into());
                None
            }
            Err(_) => {
                fields.insert("quantity".into(), "must be a whole number".into());
                None
            }
        };
        let harvested_on = match chrono::NaiveDate::parse_from_str(self.harvested_on.trim(), "%Y-%m-%d") {
            Ok(d) if d > today => {
                fields.insert("harvestedOn".into(), "cannot be in the future".into());
                None
            }
            Ok(d) if d < today - chrono::Days::new(366) => {
                fields.insert("harvestedOn".into(), "is more than a year ago".into());
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                fields.insert("harvestedOn".into(), "must be a date (YYYY-MM-DD)".into());
                None
            }
        };
        match (quantity, harvested_on) {
            (Some(quantity), Some(harvested_on)) => Ok(Receipt {
                quantity,
                harvested_on,
                farm: Some(self.farm.trim().to_string()).filter(|f| !f.is_empty()),
            }),
            _ => Err(fields),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn variant() -> VariantInput {
        VariantInput {
            label: "250 g".into(),
            sku: "TEA-250".into(),
            price: "180.00".into(),
            compare_at_price: "200".into(),
            grams: "250".into(),
            gst_rate: "5".into(),
        }
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slugify("Darjeeling First Flush 2026"), "darjeeling-first-flush-2026");
        assert_eq!(slugify("  Ooty -- Carrots! "), "ooty-carrots");
        assert_eq!(slugify("தேன்"), "");
        assert_eq!(slugify("</title><script>"), "title-script");
    }

    #[test]
    fn a_product_needs_a_name_category_and_farm() {
        let e = ProductInput::default().parse().unwrap_err();
        assert!(e.contains_key("name") && e.contains_key("category") && e.contains_key("farm"));
        let p = ProductInput {
            name: "</title><script>alert(1)</script>".into(),
            category: "tea".into(),
            farm: "glenburn".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(p.name, "</title><script>alert(1)</script>", "a name is kept as typed; pages escape it");
        assert_eq!(p.slug, "title-script-alert-1-script");
        assert_eq!(p.status, ProductStatus::Draft, "a new product starts as a draft");
    }

    #[test]
    fn a_name_without_letters_needs_a_slug() {
        let input =
            ProductInput {
                name: "தேன்".into(), category: "honey".into(), farm: "f".into(), ..Default::default()
            };
        assert!(input.parse().unwrap_err().contains_key("name"));
        let p = ProductInput { slug: "wild-honey".into(), ..input }.parse().unwrap();
        assert_eq!(p.slug, "wild-honey");
        let bad = ProductInput { slug: "Wild Honey".into(), name: "x".into(), ..Default::default() };
        assert!(bad.parse().unwrap_err().contains_key("slug"));
    }

    #[test]
    fn bad_statuses_are_refused() {
        let p = ProductInput {
            name: "Tea".into(),
            category: "tea".into(),
            farm: "f".into(),
            status: "live".into(),
            ..Default::default()
        };
        assert!(p.parse().unwrap_err().contains_key("status"));
    }

    #[test]
    fn a_pack_parses() {
        let v = variant().parse().unwrap();
        assert_eq!(v.price, Money::from_rupees(180));
        assert_eq!(v.compare_at, Some(Money::from_rupees(200)));
        assert_eq!(v.gst_rate, Decimal::from(5));
    }

    #[test]
    fn absurd_packs_are_refused_field_by_field() {
        let v = VariantInput {
            price: "-5".into(),
            sku: "bad sku".into(),
            grams: "0".into(),
            gst_rate: "7".into(),
            label: "".into(),
            ..variant()
        };
        let e = v.parse().unwrap_err();
        for k in ["price", "sku", "grams", "gstRate", "label"] {
            assert!(e.contains_key(k), "{k}: {e:?}");
        }
        assert!(VariantInput { price: "ten".into(), ..variant() }.parse().unwrap_err().contains_key("price"));
        assert!(VariantInput { price: "99999999".into(), ..variant() }.parse().unwrap_err().contains_key("price"));
        assert!(VariantInput { price: "1.005".into(), ..variant() }.parse().unwrap_err().contains_key("price"));
        let below = VariantInput { compare_at_price: "100".into(), ..variant() };
        assert!(below.parse().unwrap_err().contains_key("compareAtPrice"));
    }

    #[test]
    fn a_receipt_is_dated_in_the_past_year() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let r = ReceiptInput { quantity: "40".into(), harvested_on: "2026-12-06".into(), farm: "".into() };
        assert_eq!(r.parse(today).unwrap().quantity, 40);
        let future = ReceiptInput { harvested_on: "2026-12-08".into(), ..r.clone() };
        assert!(future.parse(today).unwrap_err().contains_key("harvestedOn"));
        let none = ReceiptInput { quantity: "-3".into(), ..r };
        assert!(none.parse(today).unwrap_err().contains_key("quantity"));
    }

    proptest! {
        #[test]
        fn slugify_always_gives_a_slug_or_nothing(name in "\\PC{0,120}") {
            let s = slugify(&name);
            prop_assert!(s.is_empty() || is_slug(&s), "{s:?}");
        }

        #[test]
        fn accepted_prices_are_in_range(p in "-?[0-9]{0,9}(\\.[0-9]{0,3})?") {
            if let Ok(m) = parse_price(&p) {
                prop_assert!(m > Money::ZERO && m <= Money::from_rupees(MAX_PRICE_RUPEES));
            }
        }
    }
}
