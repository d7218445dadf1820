//! What the catalogue looks like to its readers (pages, islands, REST clients), and
//! the parsing of a catalogue query from untrusted strings.

use crate::domain::money::Money;
use crate::domain::search_query::MAX_QUERY_CHARS;
use crate::error::{AppError, FieldErrors};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub farm_name: String,
    pub farm_region: String,
    pub category_slug: String,
    pub category_name: String,
    pub image_url: String,
    /// Price of the cheapest pack.
    pub price_from: Money,
    /// Label of the cheapest pack (`250 g`).
    pub pack_from: String,
    pub in_stock: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductDetail {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub image_url: String,
    pub category: CategorySummary,
    pub farm: FarmSummary,
    pub variants: Vec<VariantView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CategorySummary {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub region: String,
    pub description: String,
}

/// One pack size of a product, with what can be sold of it right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VariantView {
    pub id: Uuid,
    pub sku: String,
    pub label: String,
    pub price: Money,
    /// Printed maximum retail price, when higher than our price.
    pub mrp: Option<Money>,
    /// Units on hand less units held by open reservations.
    pub available: i32,
}

/// Below this many units a product page says "only N left".
pub const LOW_STOCK_UNITS: i32 = 5;

impl VariantView {
    pub fn stock_label(&self) -> String {
        match self.available {
            n if n <= 0 => "Out of stock".into(),
            n if n <= LOW_STOCK_UNITS => format!("Only {n} left"),
            _ => "In stock".into(),
        }
    }

    /// Whole-percent saving against MRP, if any.
    pub fn saving_percent(&self) -> Option<u32> {
        let mrp = self.mrp?;
        if mrp <= self.price || mrp.paise() == 0 {
            return None;
        }
        let pct = (mrp.paise() - self.price.paise()) * 100 / mrp.paise();
        u32::try_from(pct).ok().filter(|p| *p > 0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub product_count: i64,
}

/// A catalogue query exactly as it arrives (query string or server function): text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ProductQueryParams {
    /// Words to search names, farms and descriptions for.
    pub q: Option<String>,
    /// A category slug (`tea`).
    pub category: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 10000))]
    pub page: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
}

/// A catalogue query that has been checked: only valid values can exist here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    pub text: Option<String>,
    pub category: Option<String>,
    pub page: u32,
    pub limit: u32,
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// Deep pages are refused: offset pagination that far is a crawler, not a shopper.
pub const MAX_PAGE: u32 = 10_000;

impl ProductQuery {
    pub fn parse(params: &ProductQueryParams) -> Result<ProductQuery, AppError> {
        let mut fields = FieldErrors::new();
        let text = params.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if text.is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS) {
            fields.insert("q".into(), format!("must be at most {MAX_QUERY_CHARS} characters"));
        }
        let category = params.category.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(c) = category {
            let ok = c.len() <= 64 && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                fields.insert("category".into(), "must be a category slug such as \"tea\"".into());
            }
        }
        let page = parse_bounded(params.page.as_deref(), 1, 1, MAX_PAGE, "page", &mut fields);
        let limit = parse_bounded(params.limit.as_deref(), DEFAULT_LIMIT, 1, MAX_LIMIT, "limit", &mut fields);
        if !fields.is_empty() {
            return Err(AppError::Validation { fields });
        }
        Ok(ProductQuery {
            text: text.map(str::to_string),
            category: category.map(str::to_string),
            page,
            limit,
        })
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }
}

/// A whole number in `min..=max` from an optional query value; a bad one is a field error.
pub(crate) fn parse_bounded(raw: Option<&str>, default: u32, min: u32, max: u32, name: &str, fields: &mut FieldErrors) -> u32 {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return default };
    match raw.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => n,
        _ => {
            fields.insert(name.into(), format!("must be a whole number from {min} to {max}"));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str, category: &str, page: &str, limit: &str) -> ProductQueryParams {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ProductQueryParams { q: opt(q), category: opt(category), page: opt(page), limit: opt(limit) }
    }

    #[test]
    fn defaults() {
        let q = ProductQuery::parse(&ProductQueryParams::default()).unwrap();
        assert_eq!((q.page, q.limit, q.offset()), (1, 20, 0));
        assert_eq!(q.text, None);
    }

    #[test]
    fn reads_valid_values() {
        let q = ProductQuery::parse(&params("  tea ", "spices", "3", "50")).unwrap();
        assert_eq!(q.text.as_deref(), Some("tea"));
        assert_eq!(q.category.as_deref(), Some("spices"));
        assert_eq!(q.offset(), 100);
    }

    #[test]
    fn names_every_bad_field() {
        let AppError::Validation { fields } =
            ProductQuery::parse(&params("", "Tea & Co", "0", "1000")).unwrap_err()
        else {
            panic!("expected validation error")
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["category", "limit", "page"]);
        for bad_page in ["-1", "abc", "1.5", "99999999999", "10001"] {
            let e = ProductQuery::parse(&params("", "", bad_page, "")).unwrap_err();
            assert!(e.fields().unwrap().contains_key("page"), "{bad_page}");
        }
        let long = "x".repeat(201);
        assert!(ProductQuery::parse(&params(&long, "", "", "")).unwrap_err().fields().unwrap().contains_key("q"));
    }

    #[test]
    fn stock_and_saving_labels() {
        let mut v = VariantView {
            id: Uuid::nil(),
            sku: "X".into(),
            label: "250 g".into(),
            price: Money::from_rupees(90),
            mrp: Some(Money::from_rupees(100)),
            available: 0,
        };
        assert_eq!(v.stock_label(), "Out of stock");
        v.available = 3;
        assert_eq!(v.stock_label(), "Only 3 left");
        v.available = 40;
        assert_eq!(v.stock_label(), "In stock");
        assert_eq!(v.saving_percent(), Some(10));
        v.mrp = Some(Money::from_rupees(90));
        assert_eq!(v.saving_percent(), None);
    }
}
