//! The demo world's rows in memory: what `world` and `provenance` generate and the
//! loader inserts.

use super::catalogue::FarmKind;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

pub struct Tenant {
    pub id: Uuid,
    pub slug: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
}

pub struct User {
    pub id: Uuid,
    pub email: String,
    pub phone: String,
    pub display_name: String,
    pub locale: &'static str,
    pub tenant_id: Uuid,
    pub role: &'static str,
}

pub struct Farm {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub region: String,
    pub state: String,
    pub description: String,
    pub acres: Decimal,
    pub kind: FarmKind,
}

pub struct Category {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub slug: &'static str,
    pub name: &'static str,
    pub position: i32,
}

pub struct Product {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub farm_id: Uuid,
    pub category_id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
}

pub struct Variant {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub label: String,
    pub net_grams: i32,
    pub price: Decimal,
    pub mrp: Decimal,
    pub position: i32,
    pub stock_item_id: Uuid,
    /// Grams of the stock item one pack takes.
    pub stock_per_unit: i32,
}

/// The lot a product is sold from.
pub struct Batch {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub code: String,
    pub farm_id: Uuid,
    pub crop: String,
    pub harvested_on: NaiveDate,
    pub quantity_kg: Decimal,
    /// Slug of the category the lot is sold under (what the lab tests for follows it).
    pub category: &'static str,
}

/// Loose stock of one lot, in grams, shared by the product's pack sizes.
pub struct StockItem {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub sku: String,
    pub batch_id: Uuid,
    pub on_hand_grams: i64,
}

#[derive(Default)]
pub struct World {
    pub tenants: Vec<Tenant>,
    pub users: Vec<User>,
    pub farms: Vec<Farm>,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    pub variants: Vec<Variant>,
    pub batches: Vec<Batch>,
    pub stock_items: Vec<StockItem>,
    pub certifications: Vec<Certification>,
    pub lab_results: Vec<LabResult>,
    pub checkpoints: Vec<Checkpoint>,
}

pub struct Certification {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub scheme: &'static str,
    pub scheme_slug: &'static str,
    pub issuer: &'static str,
    pub number: String,
    pub farm_id: Option<Uuid>,
    pub batch_id: Option<Uuid>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

pub struct LabResult {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub batch_id: Uuid,
    pub test: &'static str,
    pub analyte_group: &'static str,
    pub value: Decimal,
    pub unit: &'static str,
    pub limit_value: Decimal,
    pub limit_kind: &'static str,
    pub lab_name: &'static str,
    pub tested_on: NaiveDate,
    pub report_number: String,
}

pub struct Checkpoint {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub batch_id: Uuid,
    pub stage: &'static str,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    pub temperature_c: Option<Decimal>,
    pub recorded_by: &'static str,
}
