//! Carts: a guest's (found by the id in its cookie) or a signed-in person's (found by
//! who they are, never by an id the caller sends). A guest's cart folds into the
//! person's cart the first time they use it signed in.

use super::model::*;
use crate::domain::money::Money;
use crate::domain::pricing::{self, PriceLine, PricingRules};
use crate::domain::reservation::packs_available;
use crate::error::AppError;
use rust_decimal::Decimal;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// Whose cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartOwner {
    /// A guest, by the cart id from their cookie (`None`: no cart yet).
    Guest(Option<Uuid>),
    /// A signed-in person, with the guest cart id their browser still carries, if any.
    Person { user: Uuid, guest_cart: Option<Uuid> },
}

#[derive(FromRow)]
pub(crate) struct LineRow {
    pub variant_id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    pub variant_label: String,
    pub sku: String,
    pub image_path: Option<String>,
    pub category_slug: String,
    pub unit_price: Decimal,
    pub added_price: Decimal,
    pub quantity: i32,
    pub available: i64,
    pub stock_item_id: Uuid,
    pub stock_per_unit: i32,
    pub gst_percent: Decimal,
}

/// The cart's lines with today's prices and stock (`cart_lines`, migration …17: the
/// query checkout reads carts with too).
pub(crate) async fn lines(tx: &mut PgConnection, tenant: Uuid, cart: Uuid) -> Result<Vec<LineRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM cart_lines($1, $2)").bind(tenant).bind(cart).fetch_all(&mut *tx).await
}

/// What the shopper should know about a line before paying.
pub(crate) fn line_issue(row: &LineRow) -> Option<String> {
    let packs = packs_available(row.available, row.stock_per_unit.max(1) as u32);
    let (now, then) = (Money::from_decimal(row.unit_price), Money::from_decimal(row.added_price));
    if packs == 0 {
        Some("Out of stock".into())
    } else if packs < i64::from(row.quantity) {
        Some(format!("Only {packs} left"))
    } else if now != then {
        Some(format!("Price changed from {} to {}", then.format_inr(), now.format_inr()))
    } else {
        None
    }
}

pub(crate) fn view_of(rows: &[LineRow], rules: &PricingRules) -> CartView {
    let lines: Vec<CartLine> = rows
        .iter()
        .map(|r| {
            let unit_price = Money::from_decimal(r.unit_price);
            CartLine {
                variant_id: r.variant_id,
                product_name: r.product_name.clone(),
                product_slug: r.product_slug.clone(),
                variant_label: r.variant_label.clone(),
                sku: r.sku.clone(),
                image_url: crate::store::service::image_url(r.image_path.clone(), &r.category_slug),
                unit_price,
                added_price: Money::from_decimal(r.added_price),
                quantity: r.quantity as u32,
                line_total: unit_price.times(Decimal::from(r.quantity)),
                available: packs_available(r.available, r.stock_per_unit.max(1) as u32),
                issue: line_issue(r),
            }
        })
        .collect();
    let quote = pricing::quote(&price_lines(rows), rules, None).ok();
    CartView { item_count: lines.iter().map(|l| l.quantity).sum(), lines, quote }
}

pub(crate) fn price_lines(rows: &[LineRow]) -> Vec<PriceLine> {
    rows.iter()
        .map(|r| PriceLine {
            unit_price: Money::from_decimal(r.unit_price),
            quantity: r.quantity as u32,
            gst_percent: r.gst_percent,
        })
        .collect()
}

/// How many packs the owner's cart holds (with a guest cart not yet folded in), without
/// creating or changing anything: the header asks on every page.
pub async fn pack_count(pool: &PgPool, tenant: Uuid, owner: CartOwner) -> Result<u32, AppError> {
    let (user, guest) = match owner {
        CartOwner::Guest(None) => return Ok(0),
        CartOwner::Guest(Some(g)) => (None, Some(g)),
        CartOwner::Person { user, guest_cart } => (Some(user), guest_cart),
    };
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(i.quantity), 0)::bigint FROM carts c
         JOIN cart_items i ON i.tenant_id = c.tenant_id AND i.cart_id = c.id
         WHERE c.tenant_id = $1 AND (c.user_id = $2 OR (c.id = $3 AND c.user_id IS NULL))",
    )
    .bind(tenant)
    .bind(user)
    .bind(guest)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// The cart id for `owner`, creating the cart when `create`. For a person this also
/// folds in the guest cart their browser carried. Returns `None` when there is no cart.
async fn resolve(
    tx: &mut PgConnection,
    tenant: Uuid,
    owner: CartOwner,
    create: bool,
) -> Result<Option<Uuid>, AppError> {
    match owner {
        CartOwner::Guest(id) => {
            // A guest cookie never opens a person's cart.
            let existing = match id {
                Some(id) => {
                    sqlx::query_scalar("SELECT id FROM carts WHERE tenant_id = $1 AND id = $2 AND user_id IS NULL")
                        .bind(tenant)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                None => None,
            };
            match existing {
                Some(id) => Ok(Some(id)),
                None if create => {
                    let id = Uuid::new_v4();
                    sqlx::query("INSERT INTO carts (tenant_id, id) VALUES ($1, $2)")
                        .bind(tenant)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    Ok(Some(id))
                }
                None => Ok(None),
            }
        }
        CartOwner::Person { user, guest_cart } => {
            let mine: Option<Uuid> =
                sqlx::query_scalar("SELECT id FROM carts WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE")
                    .bind(tenant)
                    .bind(user)
                    .fetch_optional(&mut *tx)
                    .await?;
            let guest: Option<Uuid> = match guest_cart {
                Some(g) => {
                    sqlx::query_scalar(
                        "SELECT id FROM carts WHERE tenant_id = $1 AND id = $2 AND user_id IS NULL FOR UPDATE",
                    )
                    .bind(tenant)
                    .bind(g)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            let mine = match (mine, guest) {
                (Some(m), _) => Some(m),
                // No cart of their own yet: the guest cart becomes theirs.
                (None, Some(g)) => {
                    sqlx::query("UPDATE carts SET user_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(g)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                    return Ok(Some(g));
                }
                (None, None) if create => {
                    let id = Uuid::new_v4();
                    sqlx::query("INSERT INTO carts (tenant_id, id, user_id) VALUES ($1, $2, $3)")
                        .bind(tenant)
                        .bind(id)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                    Some(id)
                }
                (None, None) => None,
            };
            if let (Some(m), Some(g)) = (mine, guest) {
                // Both: quantities add up (capped), the guest's newer price wins nothing:
                // today's price is re-checked at checkout anyway.
                sqlx::query(
                    "INSERT INTO cart_items (tenant_id, cart_id, variant_id, quantity, unit_price, added_at)
                     SELECT tenant_id, $2, variant_id, quantity, unit_price, added_at FROM cart_items
                     WHERE tenant_id = $1 AND cart_id = $3
                     ON CONFLICT (tenant_id, cart_id, variant_id)
                     DO UPDATE SET quantity = least(cart_items.quantity + excluded.quantity, $4)",
                )
                .bind(tenant)
                .bind(m)
                .bind(g)
                .bind(MAX_LINE_QUANTITY as i32)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM carts WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(g)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(mine)
        }
    }
}

/// The person's cart for checkout, locked, with any guest cart folded in.
pub(crate) async fn resolve_for_checkout(
    tx: &mut PgConnection,
    tenant: Uuid,
    owner: CartOwner,
) -> Result<Option<Uuid>, AppError> {
    resolve(tx, tenant, owner, false).await
}

/// The cart as it stands, priced under the store's settings. Returns the cart id too
/// (for a guest's cookie).
pub async fn view(pool: &PgPool, tenant: Uuid, owner: CartOwner) -> Result<(Option<Uuid>, CartView), AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rules = &super::settings_service::load_in(&mut tx, tenant).await?.pricing();
    let cart = resolve(&mut tx, tenant, owner, false).await?;
    let rows = match cart {
        Some(id) => lines(&mut tx, tenant, id).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok((cart, view_of(&rows, rules)))
}

/// Adds packs to a line (`add`), or sets a line's quantity (0 removes it).
pub async fn change(
    pool: &PgPool,
    tenant: Uuid,
    owner: CartOwner,
    change: CartChange,
    add: bool,
) -> Result<(Option<Uuid>, CartView), AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    let rules = &super::settings_service::load_in(&mut tx, tenant).await?.pricing();
    let cart = resolve(&mut tx, tenant, owner, change.quantity > 0).await?;
    let Some(cart) = cart else {
        tx.commit().await?;
        return Ok((None, view_of(&[], rules)));
    };
    // Only the store's own, sellable variants; the price the shopper sees now is kept.
    let price: Option<Decimal> = sqlx::query_scalar(
        "SELECT v.price FROM product_variants v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
         WHERE v.tenant_id = $1 AND v.id = $2 AND p.active AND v.stock_item_id IS NOT NULL",
    )
    .bind(tenant)
    .bind(change.variant_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(price) = price else {
        return Err(AppError::validation("variantId", "is not a product variant in this store"));
    };
    if change.quantity == 0 {
        sqlx::query("DELETE FROM cart_items WHERE tenant_id = $1 AND cart_id = $2 AND variant_id = $3")
            .bind(tenant)
            .bind(cart)
            .bind(change.variant_id)
            .execute(&mut *tx)
            .await?;
    } else {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM cart_items WHERE tenant_id = $1 AND cart_id = $2 AND variant_id <> $3",
        )
        .bind(tenant)
        .bind(cart)
        .bind(change.variant_id)
        .fetch_one(&mut *tx)
        .await?;
        if count as usize >= MAX_CART_LINES {
            return Err(AppError::validation(
                "variantId",
                format!("a cart holds at most {MAX_CART_LINES} different items"),
            ));
        }
        let quantity: i32 = sqlx::query_scalar(
            "INSERT INTO cart_items (tenant_id, cart_id, variant_id, quantity, unit_price)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, cart_id, variant_id) DO UPDATE
             SET quantity = CASE WHEN $6 THEN cart_items.quantity + excluded.quantity ELSE excluded.quantity END,
                 unit_price = excluded.unit_price
             WHERE (CASE WHEN $6 THEN cart_items.quantity + excluded.quantity ELSE excluded.quantity END) <= $7
             RETURNING quantity",
        )
        .bind(tenant)
        .bind(cart)
        .bind(change.variant_id)
        .bind(change.quantity as i32)
        .bind(price)
        .bind(add)
        .bind(MAX_LINE_QUANTITY as i32)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::validation("quantity", format!("at most {MAX_LINE_QUANTITY} packs per item")))?;
        debug_assert!(quantity > 0);
    }
    sqlx::query("UPDATE carts SET updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(cart)
        .execute(&mut *tx)
        .await?;
    let rows = lines(&mut tx, tenant, cart).await?;
    tx.commit().await?;
    Ok((Some(cart), view_of(&rows, rules)))
}
