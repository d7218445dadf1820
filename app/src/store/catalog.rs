//! What the catalogue looks like to its readers (pages, islands, REST clients), and
//! the parsing of a catalogue query from untrusted strings.

use crate::domain::money::Money;
use crate::domain::search_query::MAX_QUERY_CHARS;
use crate::error::{AppError, FieldErrors};
use crate::trace::model::{BatchTrace, CertificationView, FarmSummary};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// Lowest pack price (the same as `price_from`, which older clients read).
    pub price: Money,
    pub farm: FarmRef,
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
    /// When the product was listed (the `newest` sort).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A farm as a list item names it: enough to link to its storefront.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub region: String,
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
    /// The lots the packs are sold from, newest harvest first, with their provenance.
    pub batches: Vec<BatchTrace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CategorySummary {
    pub slug: String,
    pub name: String,
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

/// How much of a pack is left: what its label says and how a page colours it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StockTone {
    #[default]
    Plenty,
    Low,
    Out,
}

impl StockTone {
    pub fn of(available: i32) -> StockTone {
        match available {
            n if n <= 0 => StockTone::Out,
            n if n <= LOW_STOCK_UNITS => StockTone::Low,
            _ => StockTone::Plenty,
        }
    }
}

impl VariantView {
    pub fn stock_label(&self) -> String {
        match StockTone::of(self.available) {
            StockTone::Out => "Out of stock".into(),
            StockTone::Low => format!("Only {} left", self.available),
            StockTone::Plenty => "In stock".into(),
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
/// Field names are those of the URL (`minPrice`, `inStock`), so a `/search` URL and
/// an `/api/v1/products` URL take the same parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct ProductQueryParams {
    /// Words to search names, farms and descriptions for.
    pub q: Option<String>,
    /// A category slug (`tea`).
    pub category: Option<String>,
    /// A farm slug (`ketti-valley-farms`): only that farm's products.
    pub farm: Option<String>,
    /// A certification slug (`india-organic-npop`): only products holding it.
    pub certification: Option<String>,
    /// Lowest pack price at least this many rupees.
    #[cfg_attr(feature = "ssr", param(value_type = Option<Money>))]
    pub min_price: Option<String>,
    /// Lowest pack price at most this many rupees (not below `minPrice`).
    #[cfg_attr(feature = "ssr", param(value_type = Option<Money>))]
    pub max_price: Option<String>,
    /// `true` for only products with a pack in stock (also `1`/`yes`/`on`; `false`, `0`, `no`, `off` or absent for all).
    #[cfg_attr(feature = "ssr", param(value_type = Option<bool>))]
    pub in_stock: Option<String>,
    /// How to order the list (see its schema).
    #[cfg_attr(feature = "ssr", param(schema_with = sort_schema))]
    pub sort: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 10000))]
    pub page: Option<String>,
    #[cfg_attr(feature = "ssr", param(value_type = Option<u32>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
}

/// The `sort` parameter in the OpenAPI document: its URL values.
#[cfg(feature = "ssr")]
fn sort_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some("`relevance` (best match for `q`; alphabetical without), `price` (cheapest pack first), `-price` (dearest first), `newest`."))
        .enum_values(Some(Sort::ALL.map(Sort::as_param)))
        .default(Some(Sort::Relevance.as_param().into()))
        .build()
}

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sort {
    /// Best match first for a text search; alphabetical when browsing.
    #[default]
    Relevance,
    /// Cheapest pack first.
    Price,
    /// Dearest first.
    PriceDesc,
    /// Most recently listed first.
    Newest,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Relevance, Sort::Price, Sort::PriceDesc, Sort::Newest];

    /// The URL value (`relevance`, `price`, `-price`, `newest`).
    pub fn as_param(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Price => "price",
            Sort::PriceDesc => "-price",
            Sort::Newest => "newest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Relevance => "Best match",
            Sort::Price => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
            Sort::Newest => "Newest first",
        }
    }

    pub fn from_param(raw: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_param() == raw)
    }
}

/// A catalogue query that has been checked: only valid values can exist here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductQuery {
    pub text: Option<String>,
    pub category: Option<String>,
    pub farm: Option<String>,
    pub certification: Option<String>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub in_stock: bool,
    pub sort: Sort,
    pub page: u32,
    pub limit: u32,
}

impl ProductQuery {
    /// The same query without what changes only the order or the page: all of these
    /// share one total.
    pub fn count_key(&self) -> ProductQuery {
        ProductQuery { sort: Sort::Relevance, page: 1, limit: DEFAULT_LIMIT, ..self.clone() }
    }
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// Deep pages are refused: offset pagination that far is a crawler, not a shopper.
pub const MAX_PAGE: u32 = 10_000;
/// Highest price a filter may name: ₹1 crore, far above any shelf price.
pub const MAX_PRICE_RUPEES: i64 = 10_000_000;

/// A slug as the catalogue writes them: lowercase letters, digits and hyphens.
pub fn is_slug(s: &str) -> bool {
    s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn non_empty(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_slug(raw: &Option<String>, name: &str, example: &str, fields: &mut FieldErrors) -> Option<String> {
    let value = non_empty(raw)?;
    if is_slug(value) {
        Some(value.to_string())
    } else {
        fields.insert(name.into(), format!("must be a {name} slug such as \"{example}\""));
        None
    }
}

fn parse_price(raw: &Option<String>, name: &str, fields: &mut FieldErrors) -> Option<Money> {
    let value = non_empty(raw)?;
    match Money::parse(value) {
        Ok(m) if m.is_negative() => {
            fields.insert(name.into(), "must not be negative".into());
            None
        }
        Ok(m) if m > Money::from_rupees(MAX_PRICE_RUPEES) => {
            fields.insert(name.into(), format!("must be at most {MAX_PRICE_RUPEES} rupees"));
            None
        }
        Ok(m) => Some(m),
        Err(e) => {
            fields.insert(name.into(), format!("{e}"));
            None
        }
    }
}

impl ProductQuery {
    pub fn parse(params: &ProductQueryParams) -> Result<ProductQuery, AppError> {
        let mut fields = FieldErrors::new();
        let text = non_empty(&params.q);
        if text.is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS) {
            fields.insert("q".into(), format!("must be at most {MAX_QUERY_CHARS} characters"));
        }
        let category = parse_slug(&params.category, "category", "tea", &mut fields);
        let farm = parse_slug(&params.farm, "farm", "ketti-valley-farms", &mut fields);
        let certification = parse_slug(&params.certification, "certification", "india-organic-npop", &mut fields);
        let min_price = parse_price(&params.min_price, "minPrice", &mut fields);
        let max_price = parse_price(&params.max_price, "maxPrice", &mut fields);
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min > max
        {
            fields.insert("minPrice".into(), "must not be more than maxPrice".into());
        }
        let in_stock = match non_empty(&params.in_stock).map(str::to_ascii_lowercase).as_deref() {
            None | Some("false" | "0" | "no" | "off") => false,
            Some("true" | "1" | "yes" | "on") => true,
            Some(_) => {
                fields.insert("inStock".into(), "must be true or false".into());
                false
            }
        };
        let sort = match non_empty(&params.sort) {
            None => Sort::Relevance,
            Some(raw) => Sort::from_param(raw).unwrap_or_else(|| {
                fields.insert("sort".into(), "must be one of relevance, price, -price, newest".into());
                Sort::Relevance
            }),
        };
        let page = parse_bounded(params.page.as_deref(), 1, 1, MAX_PAGE, "page", &mut fields);
        let limit = parse_bounded(params.limit.as_deref(), DEFAULT_LIMIT, 1, MAX_LIMIT, "limit", &mut fields);
        if !fields.is_empty() {
            return Err(AppError::Validation { fields });
        }
        Ok(ProductQuery {
            text: text.map(str::to_string),
            category,
            farm,
            certification,
            min_price,
            max_price,
            in_stock,
            sort,
            page,
            limit,
        })
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }

    /// Whether anything beyond text and category narrows the listing (those two are
    /// all the cached shelf counts can answer).
    pub fn has_narrowing_filters(&self) -> bool {
        self.farm.is_some()
            || self.certification.is_some()
            || self.min_price.is_some()
            || self.max_price.is_some()
            || self.in_stock
    }
}

/// A farm as the filter form and `/farms` list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmListing {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub region: String,
    pub state: String,
    pub product_count: i64,
    /// Schemes of the farm's certificates valid today.
    pub certifications: Vec<String>,
}

/// A certification scheme some farm or lot of the store holds today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificationOption {
    pub slug: String,
    pub name: String,
}

/// Farms offered in the filter's list; a very large catalogue lists its biggest farms
/// (and always the one chosen) and leaves the rest to `/farms`, as a shop's brand facet
/// does. 150 options were a third of every search page's HTML and of its render, and
/// more than anyone scrolls through on a phone.
pub const FARM_OPTIONS: usize = 30;

/// The farms a filter form lists: those with products, at most `max` of them (the
/// ones with most products, plus `chosen` wherever it ranks), by name.
pub fn farm_options(farms: &[FarmListing], chosen: Option<&str>, max: usize) -> Vec<FarmListing> {
    let mut offered: Vec<&FarmListing> = farms.iter().filter(|f| f.product_count > 0).collect();
    if offered.len() > max {
        offered.sort_by(|a, b| b.product_count.cmp(&a.product_count).then(a.name.cmp(&b.name)));
        let chosen = chosen
            .and_then(|slug| offered.iter().position(|f| f.slug == slug))
            .filter(|&i| i >= max)
            .map(|i| offered[i]);
        offered.truncate(max);
        offered.extend(chosen);
        offered.sort_by(|a, b| a.name.cmp(&b.name).then(a.slug.cmp(&b.slug)));
    }
    offered.into_iter().cloned().collect()
}

/// What the search page's filter form offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterOptions {
    pub categories: Vec<Category>,
    pub farms: Vec<FarmListing>,
    pub certifications: Vec<CertificationOption>,
}

/// A farm's storefront: its profile, certificates and products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FarmProfile {
    pub farm: FarmSummary,
    pub state: String,
    /// A decimal string.
    #[cfg_attr(feature = "ssr", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub area_acres: Option<String>,
    pub certifications: Vec<CertificationView>,
    pub products: crate::envelope::Page<ProductCard>,
}

/// A whole number in `min..=max` from an optional query value; a bad one is a field error.
pub(crate) fn parse_bounded(
    raw: Option<&str>,
    default: u32,
    min: u32,
    max: u32,
    name: &str,
    fields: &mut FieldErrors,
) -> u32 {
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
        ProductQueryParams {
            q: opt(q),
            category: opt(category),
            page: opt(page),
            limit: opt(limit),
            ..Default::default()
        }
    }

    fn farm(i: usize, products: i64) -> FarmListing {
        FarmListing {
            id: Uuid::nil(),
            slug: format!("farm-{i:03}"),
            name: format!("Farm {i:03}"),
            region: String::new(),
            state: String::new(),
            product_count: products,
            certifications: vec![],
        }
    }

    #[test]
    fn farm_options_lists_the_biggest_farms_and_the_chosen_one_by_name() {
        // Farm i has i products; farm 0 has none and is never offered.
        let farms: Vec<FarmListing> = (0..10).map(|i| farm(i, i as i64)).collect();
        let slugs = |v: Vec<FarmListing>| v.into_iter().map(|f| f.slug).collect::<Vec<_>>();
        assert_eq!(slugs(farm_options(&farms, None, 3)), ["farm-007", "farm-008", "farm-009"]);
        assert_eq!(slugs(farm_options(&farms, Some("farm-002"), 3)), ["farm-002", "farm-007", "farm-008", "farm-009"]);
        assert_eq!(slugs(farm_options(&farms, Some("farm-008"), 3)), ["farm-007", "farm-008", "farm-009"]);
        assert_eq!(slugs(farm_options(&farms, Some("nope"), 3)), ["farm-007", "farm-008", "farm-009"]);
        assert_eq!(farm_options(&farms, None, 100).len(), 9);
    }

    fn from_query(query: &str) -> Result<ProductQuery, AppError> {
        let params: ProductQueryParams = serde_urlencoded::from_str(query).expect("query string");
        ProductQuery::parse(&params)
    }

    fn bad_fields(query: &str) -> Vec<String> {
        match from_query(query) {
            Err(AppError::Validation { fields }) => fields.into_keys().collect(),
            other => panic!("{query}: expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let q = ProductQuery::parse(&ProductQueryParams::default()).unwrap();
        assert_eq!((q.page, q.limit, q.offset()), (1, 20, 0));
        assert_eq!(q.text, None);
        assert_eq!(q.sort, Sort::Relevance);
        assert!(!q.in_stock && !q.has_narrowing_filters());
    }

    #[test]
    fn reads_valid_values() {
        let q = ProductQuery::parse(&params("  tea ", "spices", "3", "50")).unwrap();
        assert_eq!(q.text.as_deref(), Some("tea"));
        assert_eq!(q.category.as_deref(), Some("spices"));
        assert_eq!(q.offset(), 100);
    }

    #[test]
    fn reads_every_filter_from_the_url() {
        let q = from_query(
            "q=pepper&category=spices&farm=gudalur-pepper-collective&certification=india-organic-npop\
             &minPrice=50&maxPrice=250.50&inStock=true&sort=-price&page=2&limit=10",
        )
        .unwrap();
        assert_eq!(q.farm.as_deref(), Some("gudalur-pepper-collective"));
        assert_eq!(q.certification.as_deref(), Some("india-organic-npop"));
        assert_eq!(q.min_price, Some(Money::from_rupees(50)));
        assert_eq!(q.max_price, Some(Money::from_paise(25_050)));
        assert!(q.in_stock && q.has_narrowing_filters());
        assert_eq!(q.sort, Sort::PriceDesc);
        // Empty fields (what a GET form sends for untouched controls) mean "not set".
        let q = from_query("q=&category=&farm=&certification=&minPrice=&maxPrice=&sort=&page=&limit=").unwrap();
        assert_eq!(q, ProductQuery::parse(&ProductQueryParams::default()).unwrap());
        // A price may equal its bound on both sides, and "on" is what a checkbox sends.
        let q = from_query("minPrice=100&maxPrice=100.00&inStock=on").unwrap();
        assert_eq!(q.min_price, q.max_price);
        assert!(q.in_stock);
        for sort in Sort::ALL {
            assert_eq!(from_query(&format!("sort={}", sort.as_param())).unwrap().sort, sort);
        }
    }

    #[test]
    fn names_every_bad_field() {
        let AppError::Validation { fields } = ProductQuery::parse(&params("", "Tea & Co", "0", "1000")).unwrap_err()
        else {
            panic!("expected validation error")
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["category", "limit", "page"]);
        for bad_page in ["-1", "abc", "1.5", "99999999999", "10001", "0"] {
            let e = ProductQuery::parse(&params("", "", bad_page, "")).unwrap_err();
            assert!(e.fields().unwrap().contains_key("page"), "{bad_page}");
        }
        for bad_limit in ["0", "101", "1000", "-5", "ten"] {
            assert_eq!(bad_fields(&format!("limit={bad_limit}")), ["limit"], "{bad_limit}");
        }
        let long = "x".repeat(201);
        assert!(ProductQuery::parse(&params(&long, "", "", "")).unwrap_err().fields().unwrap().contains_key("q"));
    }

    #[test]
    fn hostile_prices_are_refused_by_name() {
        for bad in [
            "-1",
            "-0.01",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "1e5",
            "0x10",
            "12.345",
            "1,000",
            "₹100",
            "abc",
            "10000000.01",
            "99999999999999999999999",
            "1.",
            ".5",
            "+5",
            "5 5",
        ] {
            let encoded = super::super::super::components::search_href::encode_component(bad);
            assert_eq!(bad_fields(&format!("minPrice={encoded}")), ["minPrice"], "minPrice={bad}");
            assert_eq!(bad_fields(&format!("maxPrice={encoded}")), ["maxPrice"], "maxPrice={bad}");
        }
        // Zero is a real lower bound; the upper bound is inclusive.
        assert_eq!(from_query("minPrice=0").unwrap().min_price, Some(Money::ZERO));
        assert!(from_query("maxPrice=10000000").is_ok());
        // A range that cannot contain anything is a mistake, named on minPrice.
        assert_eq!(bad_fields("minPrice=500&maxPrice=100"), ["minPrice"]);
        assert_eq!(bad_fields("minPrice=100.01&maxPrice=100"), ["minPrice"]);
    }

    #[test]
    fn unknown_sort_stock_flag_and_slugs_are_refused() {
        for bad in ["price-asc", "PRICE", "+price", "name", "-newest", "relevance;drop"] {
            assert_eq!(
                bad_fields(&format!("sort={}", super::super::super::components::search_href::encode_component(bad))),
                ["sort"],
                "{bad}"
            );
        }
        for bad in ["maybe", "2", "yes please"] {
            assert_eq!(bad_fields(&format!("inStock={}", bad.replace(' ', "+"))), ["inStock"], "{bad}");
        }
        for (field, bad) in [
            ("farm", "Ketti Valley"),
            ("farm", "..%2F..%2Fetc"),
            ("farm", "-leading-hyphen"),
            ("farm", "ketti_valley"),
            ("certification", "India%20Organic"),
            ("certification", "npop%27%3B--"),
            ("category", "TEA"),
        ] {
            assert_eq!(bad_fields(&format!("{field}={bad}")), [field], "{field}={bad}");
        }
        let long_slug = "a".repeat(65);
        assert_eq!(bad_fields(&format!("farm={long_slug}")), ["farm"]);
        // Everything wrong at once is reported at once.
        assert_eq!(
            bad_fields("farm=X&certification=Y&minPrice=-1&maxPrice=NaN&inStock=2&sort=cheap&page=0&limit=0"),
            ["certification", "farm", "inStock", "limit", "maxPrice", "minPrice", "page", "sort"]
        );
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
