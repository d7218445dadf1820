//! The catalogue as its staff see it at `/admin/catalog` and over `/api/v1/catalog`:
//! every product whatever its status, its packs with their stock and lot, its pictures,
//! and the imports of CSV files.

use crate::domain::catalog_entry::ProductStatus;
use crate::domain::money::Money;
use crate::domain::shopify_csv::Problem;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One product in the back office's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: ProductStatus,
    pub category_name: String,
    pub farm_name: String,
    pub variant_count: i64,
    /// The cheapest pack's price; none without packs.
    pub price_from: Option<Money>,
    pub image_url: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A page of the list, newest change first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductList {
    pub items: Vec<ProductRow>,
    /// For the next page (`cursor`); none on the last.
    pub next_cursor: Option<String>,
}

/// A product with everything its editing screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductEditor {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// Sanitised HTML.
    pub description: String,
    pub category: String,
    pub farm: String,
    pub status: ProductStatus,
    pub images: Vec<ProductImage>,
    pub variants: Vec<VariantRow>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductImage {
    pub id: Uuid,
    pub url: String,
    pub thumbnail_url: String,
    pub width: i32,
    pub height: i32,
}

/// A pack with its stock item and the lot it sells from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VariantRow {
    pub id: Uuid,
    pub label: String,
    pub sku: String,
    pub price: Money,
    pub compare_at_price: Option<Money>,
    pub grams: i32,
    /// Percent, as text (`5`, `0.25`).
    pub gst_rate: String,
    pub stock_item_id: Option<Uuid>,
    /// In the stock item's unit (`unit` or `g`).
    pub on_hand: i64,
    pub unit: String,
    /// How much of the stock item one pack takes.
    pub stock_per_unit: i32,
    /// The code of the lot it sells from.
    pub lot: Option<String>,
}

/// What the product form offers to choose from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogChoices {
    pub categories: Vec<Choice>,
    pub farms: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    pub slug: String,
    pub name: String,
}

/// A lot a pack can be linked to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LotChoice {
    pub code: String,
    pub crop: String,
    pub harvested_on: chrono::NaiveDate,
    pub farm_name: String,
}

/// A CSV import and how far it has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CatalogImport {
    pub id: Uuid,
    pub filename: String,
    /// `checking` (the dry run), `checked` (ready to import), `invalid` (problems
    /// listed), `importing`, `imported`, `failed`.
    pub status: String,
    pub rows_total: i32,
    pub rows_done: i32,
    pub products_new: i32,
    pub products_updated: i32,
    pub variants: i32,
    /// The first 1,000 problems, in file order.
    pub problems: Vec<Problem>,
    pub problem_count: i32,
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl CatalogImport {
    pub fn running(&self) -> bool {
        matches!(self.status.as_str(), "checking" | "importing")
    }

    /// Percent done of the step running (100 when none is).
    pub fn percent(&self) -> u32 {
        if !self.running() {
            return 100;
        }
        if self.rows_total <= 0 {
            return 0;
        }
        ((i64::from(self.rows_done) * 100 / i64::from(self.rows_total)).clamp(0, 100)) as u32
    }
}
