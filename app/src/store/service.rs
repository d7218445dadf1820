//! Catalogue use cases: the queries behind the storefront pages and `/api/v1/products`.
//! Every query names its tenant; no catalogue row leaves its tenant.

use super::catalog::*;
use crate::domain::money::Money;
use crate::domain::search_query::prefix_tsquery;
use crate::envelope::{Page, Pagination};
use crate::error::AppError;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgPool};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use uuid::Uuid;

#[derive(FromRow)]
struct CardRow {
    id: Uuid,
    slug: String,
    name: String,
    farm_name: String,
    farm_region: String,
    category_slug: String,
    category_name: String,
    image_path: Option<String>,
    price_from: Decimal,
    pack_from: String,
    in_stock: bool,
}

fn image_url(path: Option<String>, category_slug: &str) -> String {
    path.unwrap_or_else(|| format!("/images/categories/{category_slug}.svg"))
}

impl From<CardRow> for ProductCard {
    fn from(r: CardRow) -> ProductCard {
        ProductCard {
            image_url: image_url(r.image_path, &r.category_slug),
            id: r.id,
            slug: r.slug,
            name: r.name,
            farm_name: r.farm_name,
            farm_region: r.farm_region,
            category_slug: r.category_slug,
            category_name: r.category_name,
            price_from: Money::from_decimal(r.price_from),
            pack_from: r.pack_from,
            in_stock: r.in_stock,
        }
    }
}

// Shared by the page query and its count: $1 tenant, $2 prefix tsquery, $3 category slug.
const FROM_FILTERED: &str = "
    FROM products p
    JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
    WHERE p.tenant_id = $1 AND p.active
      AND ($2::text IS NULL OR p.search @@ to_tsquery('english', $2))
      AND ($3::text IS NULL OR c.slug = $3)";

/// Category counts change only when the catalogue does; counting 100,000 products on
/// every page view does not pay. Browsing totals come from here, a few seconds stale
/// at most; text searches still count exactly.
pub struct CatalogCache {
    ttl: Duration,
    categories: Mutex<HashMap<Uuid, (Instant, Vec<Category>)>>,
}

impl CatalogCache {
    pub fn new(ttl: Duration) -> CatalogCache {
        CatalogCache { ttl, categories: Mutex::new(HashMap::new()) }
    }

    pub async fn categories(&self, pool: &PgPool, tenant: Uuid) -> Result<Vec<Category>, AppError> {
        if let Some((at, cats)) = self.categories.lock().await.get(&tenant) {
            if at.elapsed() < self.ttl {
                return Ok(cats.clone());
            }
        }
        let fresh = list_categories(pool, tenant).await?;
        self.categories.lock().await.insert(tenant, (Instant::now(), fresh.clone()));
        Ok(fresh)
    }
}

/// Searches and lists the catalogue: full-text with prefix matching, best match first;
/// otherwise alphabetical.
pub async fn list_products(
    pool: &PgPool,
    cache: &CatalogCache,
    tenant: Uuid,
    query: &ProductQuery,
) -> Result<Page<ProductCard>, AppError> {
    let tsquery = query.text.as_deref().and_then(prefix_tsquery);
    if query.text.is_some() && tsquery.is_none() {
        // Only punctuation was typed: nothing can match.
        return Ok(Page { items: vec![], pagination: Pagination::new(query.page, query.limit, 0) });
    }
    let cats = if tsquery.is_none() { Some(cache.categories(pool, tenant).await?) } else { None };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let total: i64 = if let Some(cats) = cats {
        cats.iter()
            .filter(|c| query.category.as_ref().is_none_or(|slug| &c.slug == slug))
            .map(|c| c.product_count)
            .sum()
    } else {
        sqlx::query_scalar(&format!("SELECT count(*) {FROM_FILTERED}"))
            .bind(tenant)
            .bind(&tsquery)
            .bind(&query.category)
            .fetch_one(&mut *tx)
            .await?
    };
    // Distinct statements for browsing and searching: a prepared statement's generic
    // plan cannot fold the rank away, and would sort the whole catalogue to browse it.
    let (rank, order_products, order_page) = if tsquery.is_some() {
        ("ts_rank(p.search, to_tsquery('english', $2))", "rank DESC, p.name, p.id", "page.rank DESC, page.name, page.id")
    } else {
        ("0::real", "p.name, p.id", "page.name, page.id")
    };
    let rows: Vec<CardRow> = if total == 0 || query.offset() >= total {
        Vec::new()
    } else {
        sqlx::query_as(&format!(
            "WITH page AS (
                 SELECT p.tenant_id, p.id, p.farm_id, p.slug, p.name, p.image_path,
                        c.slug AS category_slug, c.name AS category_name, {rank} AS rank
                 {FROM_FILTERED}
                 ORDER BY {order_products}
                 LIMIT $4 OFFSET $5)
             SELECT page.id, page.slug, page.name, f.name AS farm_name, f.region AS farm_region,
                    page.category_slug, page.category_name, page.image_path,
                    v.price AS price_from, v.label AS pack_from,
                    EXISTS (SELECT 1 FROM product_variants pv
                            JOIN stock_levels sl ON sl.tenant_id = pv.tenant_id AND sl.stock_item_id = pv.stock_item_id
                            WHERE pv.tenant_id = page.tenant_id AND pv.product_id = page.id
                              AND sl.available >= pv.stock_per_unit) AS in_stock
             FROM page
             JOIN farms f ON f.tenant_id = page.tenant_id AND f.id = page.farm_id
             CROSS JOIN LATERAL (
                 SELECT price, label FROM product_variants v
                 WHERE v.tenant_id = page.tenant_id AND v.product_id = page.id
                 ORDER BY price, id LIMIT 1) v
             ORDER BY {order_page}"
        ))
        .bind(tenant)
        .bind(&tsquery)
        .bind(&query.category)
        .bind(i64::from(query.limit))
        .bind(query.offset())
        .fetch_all(&mut *tx)
        .await?
    };
    tx.commit().await?;
    let total = u64::try_from(total).unwrap_or(0);
    Ok(Page {
        items: rows.into_iter().map(ProductCard::from).collect(),
        pagination: Pagination::new(query.page, query.limit, total),
    })
}

#[derive(FromRow)]
struct DetailRow {
    id: Uuid,
    slug: String,
    name: String,
    description: String,
    image_path: Option<String>,
    category_slug: String,
    category_name: String,
    farm_id: Uuid,
    farm_slug: String,
    farm_name: String,
    farm_region: String,
    farm_description: String,
}

#[derive(FromRow)]
struct VariantRow {
    id: Uuid,
    sku: String,
    label: String,
    price: Decimal,
    mrp: Option<Decimal>,
    available: i32,
}

/// Which product a detail lookup names.
pub enum ProductKey<'a> {
    Id(Uuid),
    Slug(&'a str),
}

pub async fn product_detail(pool: &PgPool, tenant: Uuid, key: ProductKey<'_>) -> Result<ProductDetail, AppError> {
    let (id, slug) = match key {
        ProductKey::Id(id) => (Some(id), None),
        ProductKey::Slug(slug) => (None, Some(slug)),
    };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.description, p.image_path,
                c.slug AS category_slug, c.name AS category_name,
                f.id AS farm_id, f.slug AS farm_slug, f.name AS farm_name,
                f.region AS farm_region, f.description AS farm_description
         FROM products p
         JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
         JOIN farms f ON f.tenant_id = p.tenant_id AND f.id = p.farm_id
         WHERE p.tenant_id = $1 AND p.active
           AND (p.id = $2 OR p.slug = $3)",
    )
    .bind(tenant)
    .bind(id)
    .bind(slug)
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Product"))?;
    let variants: Vec<VariantRow> = sqlx::query_as(
        "SELECT v.id, v.sku, v.label, v.price, v.mrp,
                coalesce(least(sl.available / v.stock_per_unit, 2147483647), 0)::int4 AS available
         FROM product_variants v
         LEFT JOIN stock_levels sl ON sl.tenant_id = v.tenant_id AND sl.stock_item_id = v.stock_item_id
         WHERE v.tenant_id = $1 AND v.product_id = $2
         ORDER BY v.position, v.price, v.id",
    )
    .bind(tenant)
    .bind(row.id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ProductDetail {
        image_url: image_url(row.image_path, &row.category_slug),
        id: row.id,
        slug: row.slug,
        name: row.name,
        description: row.description,
        category: CategorySummary { slug: row.category_slug, name: row.category_name },
        farm: FarmSummary {
            id: row.farm_id,
            slug: row.farm_slug,
            name: row.farm_name,
            region: row.farm_region,
            description: row.farm_description,
        },
        variants: variants
            .into_iter()
            .map(|v| VariantView {
                id: v.id,
                sku: v.sku,
                label: v.label,
                price: Money::from_decimal(v.price),
                mrp: v.mrp.map(Money::from_decimal),
                available: v.available,
            })
            .collect(),
    })
}

/// Categories that have at least one active product, in shelf order.
pub async fn list_categories(pool: &PgPool, tenant: Uuid) -> Result<Vec<Category>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT c.slug, c.name, count(p.id)
         FROM categories c
         JOIN products p ON p.tenant_id = c.tenant_id AND p.category_id = c.id AND p.active
         WHERE c.tenant_id = $1
         GROUP BY c.id, c.slug, c.name, c.position
         ORDER BY c.position, c.name",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(slug, name, product_count)| Category { slug, name, product_count })
        .collect())
}
