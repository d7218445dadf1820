//! The catalogue as staff change it: products and their status, packs, the lot a pack
//! sells from, stock received as a new lot, and the pictures. Each change is one
//! transaction with its audit entry; stock only ever moves by a `stock_movements` row.

use super::catalog_admin_model::*;
use crate::audit::{self, Entry};
use crate::domain::catalog_entry::{ProductFields, ProductStatus, Receipt, VariantFields};
use crate::domain::money::Money;
use crate::error::AppError;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// A description as it may be shown: the formatting of a product text (paragraphs,
/// emphasis, lists, links) and nothing that runs or loads.
pub fn sanitise_description(html: &str) -> String {
    ammonia::Builder::default()
        .tags(maplit_set(&[
            "p",
            "br",
            "strong",
            "em",
            "b",
            "i",
            "u",
            "ul",
            "ol",
            "li",
            "h3",
            "h4",
            "blockquote",
            "a",
            "span",
        ]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(maplit_set(&["http", "https", "mailto"]))
        .clean(html)
        .to_string()
}

fn maplit_set<'a>(items: &[&'a str]) -> std::collections::HashSet<&'a str> {
    items.iter().copied().collect()
}

pub fn image_url(id: Uuid) -> String {
    format!("/catalog/images/{id}")
}

#[derive(FromRow)]
struct ListRow {
    id: Uuid,
    slug: String,
    name: String,
    status: String,
    category_name: String,
    farm_name: String,
    variant_count: i64,
    price_from: Option<Decimal>,
    image_path: Option<String>,
    category_slug: String,
    updated_at: chrono::DateTime<chrono::Utc>,
}

fn status_of(s: &str) -> ProductStatus {
    ProductStatus::parse(s).unwrap_or(ProductStatus::Draft)
}

/// Products of every status, newest change first; `q` matches the name or a pack's SKU.
pub async fn list(
    pool: &PgPool,
    tenant: Uuid,
    q: Option<&str>,
    status: Option<ProductStatus>,
    before: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<ProductList, AppError> {
    let pattern = q.map(str::trim).filter(|q| !q.is_empty()).map(|q| format!("%{}%", q.replace(['%', '_', '\\'], "")));
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<ListRow> = sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.status, c.name AS category_name, c.slug AS category_slug, f.name AS farm_name,
                (SELECT count(*) FROM product_variants v WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id) AS variant_count,
                p.price_from, p.image_path, p.updated_at
         FROM products p
         JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
         JOIN farms f ON f.tenant_id = p.tenant_id AND f.id = p.farm_id
         WHERE p.tenant_id = $1 AND ($2::text IS NULL OR p.status = $2)
           AND ($3::text IS NULL OR p.name ILIKE $3 OR EXISTS (
                SELECT 1 FROM product_variants v WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND v.sku ILIKE $3))
           AND ($4::timestamptz IS NULL OR (p.updated_at, p.id) < ($4, $5))
         ORDER BY p.updated_at DESC, p.id DESC LIMIT $6",
    )
    .bind(tenant)
    .bind(status.map(ProductStatus::as_str))
    .bind(pattern)
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<ProductRow> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| ProductRow {
            image_url: super::service::image_url(r.image_path, &r.category_slug),
            id: r.id,
            slug: r.slug,
            name: r.name,
            status: status_of(&r.status),
            category_name: r.category_name,
            farm_name: r.farm_name,
            variant_count: r.variant_count,
            price_from: r.price_from.map(Money::from_decimal),
            updated_at: r.updated_at,
        })
        .collect();
    let next_cursor = more.then(|| items.last().map(|r| crate::time_cursor::encode(r.updated_at, r.id))).flatten();
    Ok(ProductList { items, next_cursor })
}

/// The categories and farms a product may name.
pub async fn choices(pool: &PgPool, tenant: Uuid) -> Result<CatalogChoices, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let categories: Vec<(String, String)> =
        sqlx::query_as("SELECT slug, name FROM categories WHERE tenant_id = $1 ORDER BY position, name")
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
    let farms: Vec<(String, String)> =
        sqlx::query_as("SELECT slug, name FROM farms WHERE tenant_id = $1 ORDER BY name")
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    let choice = |(slug, name)| Choice { slug, name };
    Ok(CatalogChoices {
        categories: categories.into_iter().map(choice).collect(),
        farms: farms.into_iter().map(choice).collect(),
    })
}

/// The lots of the product's farm, newest harvest first, that a pack may sell from.
pub async fn lots(pool: &PgPool, tenant: Uuid, product: Uuid) -> Result<Vec<LotChoice>, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rows: Vec<(String, String, chrono::NaiveDate, String)> = sqlx::query_as(
        "SELECT b.code, b.crop, b.harvested_on, f.name FROM products p
         JOIN batches b ON b.tenant_id = p.tenant_id AND b.farm_id = p.farm_id
         JOIN farms f ON f.tenant_id = b.tenant_id AND f.id = b.farm_id
         WHERE p.tenant_id = $1 AND p.id = $2 ORDER BY b.harvested_on DESC, b.code LIMIT 50",
    )
    .bind(tenant)
    .bind(product)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(code, crop, harvested_on, farm_name)| LotChoice { code, crop, harvested_on, farm_name })
        .collect())
}

#[derive(FromRow)]
struct EditorRow {
    id: Uuid,
    slug: String,
    name: String,
    description: String,
    category: String,
    farm: String,
    status: String,
    updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(FromRow)]
struct VariantDbRow {
    id: Uuid,
    label: String,
    sku: String,
    price: Decimal,
    mrp: Option<Decimal>,
    net_grams: i32,
    gst_rate: Decimal,
    stock_item_id: Option<Uuid>,
    stock_per_unit: i32,
    on_hand: Option<i64>,
    unit: Option<String>,
    lot: Option<String>,
}

pub async fn editor(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let editor = editor_in(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(editor)
}

async fn editor_in(tx: &mut PgConnection, tenant: Uuid, id: Uuid) -> Result<ProductEditor, AppError> {
    let row: EditorRow = sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.description, c.slug AS category, f.slug AS farm, p.status, p.updated_at
         FROM products p
         JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
         JOIN farms f ON f.tenant_id = p.tenant_id AND f.id = p.farm_id
         WHERE p.tenant_id = $1 AND p.id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::not_found("Product"))?;
    let variants: Vec<VariantDbRow> = sqlx::query_as(
        "SELECT v.id, v.label, v.sku, v.price, v.mrp, v.net_grams, v.gst_rate, v.stock_item_id, v.stock_per_unit,
                s.on_hand, s.unit, b.code AS lot
         FROM product_variants v
         LEFT JOIN stock_items s ON s.tenant_id = v.tenant_id AND s.id = v.stock_item_id
         LEFT JOIN batches b ON b.tenant_id = s.tenant_id AND b.id = s.batch_id
         WHERE v.tenant_id = $1 AND v.product_id = $2 ORDER BY v.position, v.price, v.sku",
    )
    .bind(tenant)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let images: Vec<(Uuid, i32, i32)> = sqlx::query_as(
        "SELECT id, width, height FROM stored_files WHERE tenant_id = $1 AND product_id = $2 ORDER BY created_at, id",
    )
    .bind(tenant)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(ProductEditor {
        id: row.id,
        slug: row.slug,
        name: row.name,
        description: row.description,
        category: row.category,
        farm: row.farm,
        status: status_of(&row.status),
        images: images
            .into_iter()
            .map(|(id, width, height)| ProductImage {
                id,
                url: image_url(id),
                thumbnail_url: format!("{}/thumbnail", image_url(id)),
                width,
                height,
            })
            .collect(),
        variants: variants
            .into_iter()
            .map(|v| VariantRow {
                id: v.id,
                label: v.label,
                sku: v.sku,
                price: Money::from_decimal(v.price),
                compare_at_price: v.mrp.map(Money::from_decimal),
                grams: v.net_grams,
                gst_rate: v.gst_rate.normalize().to_string(),
                stock_item_id: v.stock_item_id,
                on_hand: v.on_hand.unwrap_or(0),
                unit: v.unit.unwrap_or_else(|| "unit".into()),
                stock_per_unit: v.stock_per_unit,
                lot: v.lot,
            })
            .collect(),
        updated_at: row.updated_at,
    })
}

/// The ids of a category and a farm named by slug, each refused by field if unknown.
async fn resolve(tx: &mut PgConnection, tenant: Uuid, p: &ProductFields) -> Result<(Uuid, Uuid), AppError> {
    let category: Option<Uuid> = sqlx::query_scalar("SELECT id FROM categories WHERE tenant_id = $1 AND slug = $2")
        .bind(tenant)
        .bind(&p.category)
        .fetch_optional(&mut *tx)
        .await?;
    let farm: Option<Uuid> = sqlx::query_scalar("SELECT id FROM farms WHERE tenant_id = $1 AND slug = $2")
        .bind(tenant)
        .bind(&p.farm)
        .fetch_optional(&mut *tx)
        .await?;
    let mut fields = crate::error::FieldErrors::new();
    if category.is_none() {
        fields.insert("category".into(), "is not one of the store's categories".into());
    }
    if farm.is_none() {
        fields.insert("farm".into(), "is not one of the store's farms".into());
    }
    match (category, farm) {
        (Some(c), Some(f)) => Ok((c, f)),
        _ => Err(AppError::Validation { fields }),
    }
}

/// A unique-key clash as the field it concerns.
fn clash(e: sqlx::Error, constraint: &str, field: &str, message: &str) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.constraint() == Some(constraint) => AppError::validation(field, message),
        _ => e.into(),
    }
}

fn product_json(p: &ProductFields) -> serde_json::Value {
    serde_json::json!({ "name": p.name, "slug": p.slug, "category": p.category, "farm": p.farm,
                        "status": p.status.as_str() })
}

pub async fn create(pool: &PgPool, tenant: Uuid, by: Uuid, p: &ProductFields) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (category, farm) = resolve(&mut tx, tenant, p).await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO products (tenant_id, id, farm_id, category_id, slug, name, description, status, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8 = 'published')",
    )
    .bind(tenant)
    .bind(id)
    .bind(farm)
    .bind(category)
    .bind(&p.slug)
    .bind(&p.name)
    .bind(sanitise_description(&p.description))
    .bind(p.status.as_str())
    .execute(&mut *tx)
    .await
    .map_err(|e| clash(e, "products_tenant_id_slug_key", "slug", "another product already has this web address"))?;
    let change =
        Change { action: "product.created", target: id.to_string(), before: None, after: Some(product_json(p)) };
    settle(tx, tenant, by, id, change).await
}

pub async fn update(
    pool: &PgPool,
    tenant: Uuid,
    by: Uuid,
    id: Uuid,
    p: &ProductFields,
) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let before = editor_in(&mut tx, tenant, id).await?;
    let (category, farm) = resolve(&mut tx, tenant, p).await?;
    if p.status == ProductStatus::Published && before.variants.is_empty() {
        return Err(AppError::validation("status", "add a pack before publishing"));
    }
    sqlx::query(
        "UPDATE products SET farm_id = $3, category_id = $4, slug = $5, name = $6, description = $7, status = $8,
                active = ($8 = 'published'), updated_at = now()
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(farm)
    .bind(category)
    .bind(&p.slug)
    .bind(&p.name)
    .bind(sanitise_description(&p.description))
    .bind(p.status.as_str())
    .execute(&mut *tx)
    .await
    .map_err(|e| clash(e, "products_tenant_id_slug_key", "slug", "another product already has this web address"))?;
    let change = Change {
        action: "product.updated",
        target: id.to_string(),
        before: Some(serde_json::json!({ "name": before.name, "slug": before.slug, "category": before.category,
                                         "farm": before.farm, "status": before.status.as_str() })),
        after: Some(product_json(p)),
    };
    settle(tx, tenant, by, id, change).await
}

fn variant_json(v: &VariantFields) -> serde_json::Value {
    serde_json::json!({ "label": v.label, "sku": v.sku, "price": v.price, "compareAtPrice": v.compare_at,
                        "grams": v.grams, "gstRate": v.gst_rate.to_string() })
}

const SKU_TAKEN: &str = "another pack or stock item already has this SKU";

/// A new pack, with its own stock item (counted in packs, none on hand until stock is
/// received).
pub async fn add_variant(
    pool: &PgPool,
    tenant: Uuid,
    by: Uuid,
    product: Uuid,
    v: &VariantFields,
) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let exists: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM products WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(tenant)
            .bind(product)
            .fetch_optional(&mut *tx)
            .await?;
    exists.ok_or_else(|| AppError::not_found("Product"))?;
    let (id, item) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query("INSERT INTO stock_items (tenant_id, id, sku, unit, on_hand) VALUES ($1, $2, $3, 'unit', 0)")
        .bind(tenant)
        .bind(item)
        .bind(&v.sku)
        .execute(&mut *tx)
        .await
        .map_err(|e| clash(e, "stock_items_tenant_id_sku_key", "sku", SKU_TAKEN))?;
    sqlx::query(
        "INSERT INTO product_variants (tenant_id, id, product_id, sku, label, net_grams, price, mrp, gst_rate,
             stock_item_id, stock_per_unit, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1,
                 (SELECT coalesce(max(position) + 1, 0) FROM product_variants WHERE tenant_id = $1 AND product_id = $3))",
    )
    .bind(tenant)
    .bind(id)
    .bind(product)
    .bind(&v.sku)
    .bind(&v.label)
    .bind(v.grams)
    .bind(v.price.amount())
    .bind(v.compare_at.map(Money::amount))
    .bind(v.gst_rate)
    .bind(item)
    .execute(&mut *tx)
    .await
    .map_err(|e| clash(e, "product_variants_tenant_id_sku_key", "sku", SKU_TAKEN))?;
    touch(&mut tx, tenant, product).await?;
    let change =
        Change { action: "variant.created", target: id.to_string(), before: None, after: Some(variant_json(v)) };
    settle(tx, tenant, by, product, change).await
}

async fn touch(tx: &mut PgConnection, tenant: Uuid, product: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE products SET updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(product)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// What a change did, for its audit entry.
struct Change {
    action: &'static str,
    target: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

/// Ends every change the same way: its audit entry, the product as it now stands, one
/// commit.
async fn settle(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    tenant: Uuid,
    by: Uuid,
    product: Uuid,
    change: Change,
) -> Result<ProductEditor, AppError> {
    let entry = Entry {
        tenant: Some(tenant),
        actor: Some(by),
        action: change.action,
        target: Some(change.target),
        before: change.before,
        after: change.after,
        ip: None,
    };
    audit::record(&mut *tx, entry).await?;
    let editor = editor_in(&mut tx, tenant, product).await?;
    tx.commit().await?;
    Ok(editor)
}

/// The product a pack belongs to, the pack locked.
async fn variant_product(tx: &mut PgConnection, tenant: Uuid, variant: Uuid) -> Result<(Uuid, Option<Uuid>), AppError> {
    let row: Option<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "SELECT product_id, stock_item_id FROM product_variants WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tenant)
    .bind(variant)
    .fetch_optional(&mut *tx)
    .await?;
    row.ok_or_else(|| AppError::not_found("Pack"))
}

pub async fn update_variant(
    pool: &PgPool,
    tenant: Uuid,
    by: Uuid,
    variant: Uuid,
    v: &VariantFields,
) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (product, _) = variant_product(&mut tx, tenant, variant).await?;
    let before: serde_json::Value = sqlx::query_scalar(
        "SELECT jsonb_build_object('label', label, 'sku', sku, 'price', price::text, 'compareAtPrice', mrp::text,
                                   'grams', net_grams, 'gstRate', gst_rate::text)
         FROM product_variants WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(variant)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE product_variants SET label = $3, sku = $4, net_grams = $5, price = $6, mrp = $7, gst_rate = $8
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(variant)
    .bind(&v.label)
    .bind(&v.sku)
    .bind(v.grams)
    .bind(v.price.amount())
    .bind(v.compare_at.map(Money::amount))
    .bind(v.gst_rate)
    .execute(&mut *tx)
    .await
    .map_err(|e| clash(e, "product_variants_tenant_id_sku_key", "sku", SKU_TAKEN))?;
    touch(&mut tx, tenant, product).await?;
    let change = Change {
        action: "variant.updated",
        target: variant.to_string(),
        before: Some(before),
        after: Some(variant_json(v)),
    };
    settle(tx, tenant, by, product, change).await
}

/// Links a pack's stock item to a lot of the product's farm: the lot whose provenance
/// the product page shows for it.
pub async fn link_lot(
    pool: &PgPool,
    tenant: Uuid,
    by: Uuid,
    variant: Uuid,
    code: &str,
) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (product, item) = variant_product(&mut tx, tenant, variant).await?;
    let item = item.ok_or_else(|| AppError::validation("lot", "this pack has no stock item"))?;
    let batch: Option<Uuid> = sqlx::query_scalar(
        "SELECT b.id FROM batches b JOIN products p ON p.tenant_id = b.tenant_id AND p.farm_id = b.farm_id
         WHERE b.tenant_id = $1 AND p.id = $2 AND b.code = $3",
    )
    .bind(tenant)
    .bind(product)
    .bind(code.trim().to_ascii_uppercase())
    .fetch_optional(&mut *tx)
    .await?;
    let batch = batch.ok_or_else(|| AppError::validation("lot", "is not a lot of this product's farm"))?;
    sqlx::query("UPDATE stock_items SET batch_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(item)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
    touch(&mut tx, tenant, product).await?;
    let change = Change {
        action: "variant.lot_linked",
        target: variant.to_string(),
        before: None,
        after: Some(serde_json::json!({ "lot": code.trim().to_ascii_uppercase() })),
    };
    settle(tx, tenant, by, product, change).await
}

/// Stock received: a new lot (harvested on the day given, from the product's farm or
/// another of the store's) whose quantity is added to the pack's stock item as a
/// `received` movement; the item sells from that lot from now on.
pub async fn receive(
    pool: &PgPool,
    tenant: Uuid,
    by: Uuid,
    variant: Uuid,
    r: &Receipt,
) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let (product, item) = variant_product(&mut tx, tenant, variant).await?;
    let item = item.ok_or_else(|| AppError::validation("quantity", "this pack has no stock item"))?;
    // The named farm (none when it is not the store's) or else the product's.
    let (named, own, crop, unit): (Option<Uuid>, Uuid, String, String) = sqlx::query_as(
        "SELECT f.id, p.farm_id, left(p.name, 120), s.unit
         FROM products p JOIN stock_items s ON s.tenant_id = p.tenant_id AND s.id = $3
         LEFT JOIN farms f ON f.tenant_id = p.tenant_id AND f.slug = $4
         WHERE p.tenant_id = $1 AND p.id = $2 FOR UPDATE OF s",
    )
    .bind(tenant)
    .bind(product)
    .bind(item)
    .bind(r.farm.as_deref())
    .fetch_one(&mut *tx)
    .await?;
    let farm = match (&r.farm, named) {
        (None, _) => own,
        (Some(_), Some(farm)) => farm,
        (Some(_), None) => return Err(AppError::validation("farm", "is not one of the store's farms")),
    };
    let batch = Uuid::now_v7();
    let code =
        format!("LOT-{}-{}", r.harvested_on.format("%Y%m%d"), &batch.simple().to_string()[24..].to_ascii_uppercase());
    sqlx::query(
        "INSERT INTO batches (tenant_id, id, code, farm_id, crop, harvested_on, quantity, unit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant)
    .bind(batch)
    .bind(&code)
    .bind(farm)
    .bind(&crop)
    .bind(r.harvested_on)
    .bind(Decimal::from(r.quantity))
    .bind(if unit == "g" { "g" } else { "units" })
    .execute(&mut *tx)
    .await?;
    let on_hand: i64 = sqlx::query_scalar(
        "UPDATE stock_items SET on_hand = on_hand + $3, batch_id = $4, updated_at = now()
         WHERE tenant_id = $1 AND id = $2 RETURNING on_hand",
    )
    .bind(tenant)
    .bind(item)
    .bind(r.quantity)
    .bind(batch)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO stock_movements (tenant_id, stock_item_id, delta, reason, actor_id, batch_id)
         VALUES ($1, $2, $3, 'received', $4, $5)",
    )
    .bind(tenant)
    .bind(item)
    .bind(r.quantity)
    .bind(by)
    .bind(batch)
    .execute(&mut *tx)
    .await?;
    touch(&mut tx, tenant, product).await?;
    super::stock_service::watch_low(&mut tx, tenant, &[item]).await?;
    let change = Change {
        action: "stock.received",
        target: code.clone(),
        before: Some(serde_json::json!({ "onHand": on_hand - r.quantity })),
        after: Some(serde_json::json!({ "onHand": on_hand, "lot": code, "quantity": r.quantity,
                                        "harvestedOn": r.harvested_on })),
    };
    settle(tx, tenant, by, product, change).await
}

/// Takes a picture off a product. Its bytes stay in the object store, unreferenced.
pub async fn remove_image(
    pool: &PgPool,
    tenant: Uuid,
    by: Uuid,
    product: Uuid,
    image: Uuid,
) -> Result<ProductEditor, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let deleted = sqlx::query("DELETE FROM stored_files WHERE tenant_id = $1 AND product_id = $2 AND id = $3")
        .bind(tenant)
        .bind(product)
        .bind(image)
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::not_found("Picture"));
    }
    refresh_image_path(&mut tx, tenant, product).await?;
    let change = Change {
        action: "product.image_removed",
        target: product.to_string(),
        before: Some(serde_json::json!({ "image": image })),
        after: None,
    };
    settle(tx, tenant, by, product, change).await
}

/// The shelves show a product's first picture.
pub async fn refresh_image_path(tx: &mut PgConnection, tenant: Uuid, product: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE products p SET image_path = (SELECT '/catalog/images/' || f.id FROM stored_files f
                WHERE f.tenant_id = p.tenant_id AND f.product_id = p.id ORDER BY f.created_at, f.id LIMIT 1),
                updated_at = now()
         WHERE p.tenant_id = $1 AND p.id = $2",
    )
    .bind(tenant)
    .bind(product)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}
