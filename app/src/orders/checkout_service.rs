//! Checkout: the cart becomes an order waiting for payment, holding its stock.
//!
//! Everything happens in one transaction: prices re-checked, the order and its lines
//! written, the cart emptied, the stock reserved. Reserving comes last and is one call
//! to `reserve_stock` in PostgreSQL: it locks the stock rows in id order (so
//! concurrent carts cannot deadlock), and only then does one INSERT … SELECT decide
//! whether every item has enough unreserved stock; a statement started after the
//! locks sees every reservation committed before them. Nothing about stock is decided
//! in Rust, and the rows stay locked only from that call to the commit. The gateway is
//! called later, outside this transaction (`/orders/{id}/pay`).

use super::cart_service::{self, CartOwner};
use super::model::*;
use super::order_service::{record_event, EventInput};
use crate::domain::money::Money;
use crate::domain::order_state::{Actor, OrderState};
use crate::domain::pricing::{self, PricingError, PricingRules};
use crate::domain::reservation::{stock_needs, StockDraw};
use crate::error::{AppError, FieldErrors};
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use uuid::Uuid;

pub struct CheckoutSettings<'a> {
    pub rules: &'a PricingRules,
    pub reservation: Duration,
    pub gateway: &'a str,
}

pub async fn place_order(
    pool: &PgPool,
    tenant: Uuid,
    customer: Uuid,
    guest_cart: Option<Uuid>,
    request: &CheckoutRequest,
    settings: &CheckoutSettings<'_>,
) -> Result<PlacedOrder, AppError> {
    let mut tx = crate::db::tenant_tx(pool, tenant).await?;
    // Folds a guest cart in and locks the person's cart row: a double-clicked "Place
    // order" waits here, then finds the cart empty.
    let cart = cart_service::resolve_for_checkout(&mut tx, tenant, CartOwner::Person { user: customer, guest_cart }).await?;
    let Some(cart) = cart else {
        return Err(AppError::validation("cart", "is empty"));
    };
    let rows = cart_service::lines(&mut tx, tenant, cart).await?;
    if rows.is_empty() {
        return Err(AppError::validation("cart", "is empty"));
    }
    // Prices changed since the shopper filled the cart: show them the new prices
    // (kept in the cart) and let them confirm again.
    let changed: FieldErrors = rows
        .iter()
        .filter(|r| r.unit_price != r.added_price)
        .map(|r| {
            (
                format!("items.{}", r.variant_id),
                format!(
                    "{} {}: price changed from {} to {}",
                    r.product_name,
                    r.variant_label,
                    Money::from_decimal(r.added_price).format_inr(),
                    Money::from_decimal(r.unit_price).format_inr()
                ),
            )
        })
        .collect();
    if !changed.is_empty() {
        sqlx::query(
            "UPDATE cart_items ci SET unit_price = v.price FROM product_variants v
             WHERE ci.tenant_id = $1 AND ci.cart_id = $2 AND v.tenant_id = ci.tenant_id AND v.id = ci.variant_id",
        )
        .bind(tenant)
        .bind(cart)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Err(AppError::CartChanged { message: "Some prices changed since you added the items; please review your cart".into(), fields: changed });
    }
    let quote = pricing::quote(&cart_service::price_lines(&rows), settings.rules, request.coupon.as_deref()).map_err(|e| match e {
        PricingError::Empty => AppError::validation("cart", "is empty"),
        other => AppError::validation("coupon", other.to_string()),
    })?;

    let order_id = Uuid::now_v7();
    let reserved_until = Utc::now() + settings.reservation;
    let number: i64 = sqlx::query_scalar(
        "INSERT INTO orders (tenant_id, id, customer_id, state, subtotal, discount, delivery_fee, tax_included, total,
                             coupon_code, address, slot_starts_at, slot_ends_at, reserved_until, gateway)
         VALUES ($1, $2, $3, 'pending_payment', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING number",
    )
    .bind(tenant)
    .bind(order_id)
    .bind(customer)
    .bind(quote.subtotal.amount())
    .bind(quote.discount.amount())
    .bind(quote.delivery_fee.amount())
    .bind(quote.tax_included.amount())
    .bind(quote.total.amount())
    .bind(&quote.coupon)
    .bind(serde_json::to_value(&request.address).map_err(|e| AppError::internal("address", e))?)
    .bind(request.slot.starts_at)
    .bind(request.slot.ends_at)
    .bind(reserved_until)
    .bind(settings.gateway)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO order_lines (tenant_id, order_id, line_no, variant_id, product_name, product_slug, variant_label, sku,
                                  unit_price, quantity, line_total, stock_item_id, stock_quantity)
         SELECT $1, $2, l.*
         FROM UNNEST($3::int[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::int[],
                     $11::numeric[], $12::uuid[], $13::int8[]) AS l",
    )
    .bind(tenant)
    .bind(order_id)
    .bind((1..=rows.len() as i32).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.variant_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.product_name.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.product_slug.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.variant_label.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.sku.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.unit_price).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.quantity).collect::<Vec<_>>())
    .bind(quote.line_totals.iter().map(|m| m.amount()).collect::<Vec<Decimal>>())
    .bind(rows.iter().map(|r| r.stock_item_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| i64::from(r.quantity) * i64::from(r.stock_per_unit)).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;

    sqlx::query("DELETE FROM cart_items WHERE tenant_id = $1 AND cart_id = $2").bind(tenant).bind(cart).execute(&mut *tx).await?;
    record_event(
        &mut tx,
        tenant,
        customer,
        order_id,
        EventInput {
            from: None,
            to: OrderState::PendingPayment,
            action: "place",
            actor: Actor::Customer,
            actor_id: Some(customer),
            reason: None,
            data: Some(serde_json::json!({ "total": quote.total, "reservedUntil": reserved_until })),
        },
    )
    .await?;
    // Last, so the stock rows stay locked only for this call and the commit.
    let draws: Vec<StockDraw> = rows
        .iter()
        .map(|r| StockDraw { stock_item: r.stock_item_id, quantity: r.quantity as u32, per_unit: r.stock_per_unit as u32 })
        .collect();
    let short = reserve(&mut tx, tenant, order_id, &draws, reserved_until).await?;
    if !short.is_empty() {
        tx.rollback().await?;
        let fields: FieldErrors = rows
            .iter()
            .filter_map(|r| {
                let available = short.iter().find(|(item, _)| *item == r.stock_item_id)?.1;
                let packs = available.max(0) / i64::from(r.stock_per_unit.max(1));
                let msg = if packs == 0 {
                    format!("{} {} is out of stock", r.product_name, r.variant_label)
                } else {
                    format!("{} {}: only {packs} left", r.product_name, r.variant_label)
                };
                Some((format!("items.{}", r.variant_id), msg))
            })
            .collect();
        return Err(AppError::CartChanged { message: "Some items in your cart are no longer in stock in the quantity you chose".into(), fields });
    }
    tx.commit().await?;
    Ok(PlacedOrder { order_id, number, total: quote.total, reserved_until, payment_url: format!("/orders/{order_id}/pay") })
}

/// Holds `draws` for `order` until `until`. Returns the stock items that fell short,
/// with what was available of each; on a shortfall nothing was reserved.
pub(crate) async fn reserve(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    draws: &[StockDraw],
    until: chrono::DateTime<Utc>,
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    let needs = stock_needs(draws);
    let items: Vec<Uuid> = needs.iter().map(|n| n.stock_item).collect();
    let quantities: Vec<i64> = needs.iter().map(|n| n.quantity).collect();
    // `reserve_stock` (migrations/…16) locks the rows in id order, as `lock_stock`
    // does, then checks and holds every item in one statement.
    sqlx::query_as("SELECT short_item, available FROM reserve_stock($1, $2, $3, $4, $5)")
        .bind(tenant)
        .bind(order)
        .bind(&items)
        .bind(&quantities)
        .bind(until)
        .fetch_all(&mut *tx)
        .await
}

/// Locks stock rows in id order, the order every writer of stock takes them in first
/// (checkout's `reserve_stock` takes them the same way, inside PostgreSQL).
pub(crate) async fn lock_stock(tx: &mut PgConnection, tenant: Uuid, items: &[Uuid]) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT id FROM stock_items WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE")
        .bind(tenant)
        .bind(items)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
