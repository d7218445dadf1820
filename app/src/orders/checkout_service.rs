//! Checkout: the cart becomes an order waiting for payment, holding its stock.
//!
//! Two calls to PostgreSQL (migration …17). `checkout_cart` reads the cart with
//! today's prices and stock; it is priced here by the pure rules of
//! `domain::pricing`; `place_order`, one transaction, locks the cart, checks it is
//! still the cart that was priced (else nothing is written and it is read and priced
//! again), writes the order, its lines and its placing event, empties the cart and
//! holds the stock last through `reserve_stock`: that locks the stock rows in id order
//! (so concurrent carts cannot deadlock), and only then does one INSERT … SELECT decide
//! whether every item has enough unreserved stock. Nothing about holding stock is
//! decided in Rust, and a refusal rolls every write back. (A cart whose stock was
//! already short when it was read is refused before `place_order`, from that read.) The gateway is called later, outside
//! this transaction (`/orders/{id}/pay`).

use super::cart_service::{self, CartOwner, LineRow};
use super::model::*;
use super::order_events::{actor_str, live_events_of};
use crate::domain::money::Money;
use crate::domain::order_state::{Actor, OrderState};
use crate::domain::pricing::{self, PricingError, PricingRules, Quote};
use crate::domain::reservation::{StockDraw, StockNeed, shortfalls, stock_needs};
use crate::error::{AppError, FieldErrors};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use uuid::Uuid;

pub struct CheckoutSettings<'a> {
    /// The store's delivery fee and threshold; the coupon a shopper types is added
    /// from `coupons`, under its lock.
    pub pricing: PricingRules,
    pub reservation: Duration,
    pub gateway: &'a str,
}

/// How many times a cart that changed while it was being placed is read and priced
/// again before the shopper is asked to look at it.
const PLACING_ATTEMPTS: usize = 3;

pub async fn place_order(
    pool: &PgPool,
    tenant: Uuid,
    customer: Uuid,
    guest_cart: Option<Uuid>,
    request: &CheckoutRequest,
    settings: &CheckoutSettings<'_>,
) -> Result<PlacedOrder, AppError> {
    if guest_cart.is_some() {
        // Fold the guest's cart into the person's first, as viewing the cart would.
        let mut tx = crate::db::tenant_tx(pool, tenant).await?;
        cart_service::resolve_for_checkout(&mut tx, tenant, CartOwner::Person { user: customer, guest_cart }).await?;
        tx.commit().await?;
    }
    for _ in 0..PLACING_ATTEMPTS {
        let rows: Vec<LineRow> =
            sqlx::query_as("SELECT * FROM checkout_cart($1, $2)").bind(tenant).bind(customer).fetch_all(pool).await?;
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
            let mut tx = crate::db::tenant_tx(pool, tenant).await?;
            sqlx::query(
                "UPDATE cart_items ci SET unit_price = v.price FROM product_variants v, carts c
                 WHERE c.tenant_id = $1 AND c.user_id = $2 AND ci.tenant_id = c.tenant_id AND ci.cart_id = c.id
                   AND v.tenant_id = ci.tenant_id AND v.id = ci.variant_id",
            )
            .bind(tenant)
            .bind(customer)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Err(AppError::CartChanged {
                message: "Some prices changed since you added the items; please review your cart".into(),
                fields: changed,
            });
        }
        let draws: Vec<StockDraw> = rows
            .iter()
            .map(|r| StockDraw {
                stock_item: r.stock_item_id,
                quantity: r.quantity as u32,
                per_unit: r.stock_per_unit as u32,
            })
            .collect();
        let needs = stock_needs(&draws);
        // Stock already short when the cart was read: the shopper is told now, rather
        // than after an order is written and rolled back. This read only ever refuses;
        // whether stock is held is decided by `reserve_stock`, under the stock rows' locks.
        let free: Vec<(Uuid, i64)> = rows.iter().map(|r| (r.stock_item_id, r.available)).collect();
        let short = shortfalls(&needs, &free);
        if !short.is_empty() {
            return Err(out_of_stock(&rows, &short));
        }
        // The order, its coupon's use and its stock are one transaction.
        let mut tx = crate::db::tenant_tx(pool, tenant).await?;
        let mut rules = settings.pricing.clone();
        if let Some(code) = request.coupon.as_deref() {
            let coupon_error = |e: PricingError| AppError::validation("coupon", e.to_string());
            match super::settings_service::lock_coupon(&mut tx, tenant, code, customer).await? {
                None => return Err(coupon_error(PricingError::UnknownCoupon)),
                Some((coupon, uses)) => {
                    coupon.usable(Utc::now(), uses).map_err(coupon_error)?;
                    rules.coupons.push(coupon);
                }
            }
        }
        let quote = pricing::quote(&cart_service::price_lines(&rows), &rules, request.coupon.as_deref()).map_err(
            |e| match e {
                PricingError::Empty => AppError::validation("cart", "is empty"),
                other => AppError::validation("coupon", other.to_string()),
            },
        )?;
        let order_id = Uuid::now_v7();
        // Microseconds, as PostgreSQL keeps them: the live event says what the row says.
        let placed_at = Utc::now().trunc_subsecs(6);
        let reserved_until = placed_at + settings.reservation;
        let placement = Placement {
            tenant,
            customer,
            order_id,
            rows: &rows,
            needs: &needs,
            quote: &quote,
            request,
            settings,
            placed_at,
            reserved_until,
        };
        match place(&mut tx, &placement).await {
            Ok(number) => {
                tx.commit().await?;
                return Ok(PlacedOrder {
                    order_id,
                    number,
                    total: quote.total,
                    reserved_until,
                    payment_url: format!("/orders/{order_id}/pay"),
                });
            }
            Err(Placing::CartChanged) => continue,
            Err(Placing::Short(short)) => return Err(out_of_stock(&rows, &short)),
            Err(Placing::Failed(e)) => return Err(e.into()),
        }
    }
    Err(AppError::CartChanged {
        message: "Your cart changed while the order was being placed; please review it".into(),
        fields: FieldErrors::new(),
    })
}

/// Why `place` wrote nothing.
enum Placing {
    /// The cart is not the one that was priced.
    CartChanged,
    /// Stock items that fell short, with what was available of each.
    Short(Vec<(Uuid, i64)>),
    Failed(sqlx::Error),
}

/// Everything `place` writes, by name: three ids and two times of the same types
/// cannot be passed in the wrong order.
struct Placement<'a> {
    tenant: Uuid,
    customer: Uuid,
    order_id: Uuid,
    rows: &'a [LineRow],
    needs: &'a [StockNeed],
    quote: &'a Quote,
    request: &'a CheckoutRequest,
    settings: &'a CheckoutSettings<'a>,
    placed_at: DateTime<Utc>,
    reserved_until: DateTime<Utc>,
}

async fn place(tx: &mut sqlx::PgConnection, p: &Placement<'_>) -> Result<i64, Placing> {
    let &Placement { tenant, customer, order_id, rows, needs, quote, request, settings, placed_at, reserved_until } = p;
    let address =
        serde_json::to_value(&request.address).map_err(|e| Placing::Failed(sqlx::Error::Encode(Box::new(e))))?;
    let event_data = serde_json::json!({ "total": quote.total, "reservedUntil": reserved_until });
    // The event's number is PostgreSQL's to give: `place_order` puts it in `event.seq`.
    let view = OrderEventView {
        seq: 0,
        from_state: None,
        to_state: OrderState::PendingPayment,
        action: "place".into(),
        actor: actor_str(Actor::Customer).into(),
        reason: None,
        at: placed_at,
    };
    let (topics, live_data) = live_events_of(tenant, customer, order_id, &view);
    let placed = sqlx::query_scalar(
        "SELECT place_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                            $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)",
    )
    .bind(tenant)
    .bind(customer)
    .bind(order_id)
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
    .bind(quote.subtotal.amount())
    .bind(quote.discount.amount())
    .bind(quote.delivery_fee.amount())
    .bind(quote.tax_included.amount())
    .bind(quote.total.amount())
    .bind(&quote.coupon)
    .bind(address)
    .bind(request.slot.starts_at)
    .bind(request.slot.ends_at)
    .bind(reserved_until)
    .bind(settings.gateway)
    .bind(placed_at)
    .bind(view.to_state.as_str())
    .bind(&view.action)
    .bind(&view.actor)
    .bind(event_data)
    .bind(topics.iter().map(|t| t.tenant()).collect::<Vec<_>>())
    .bind(topics.iter().map(|t| t.to_string()).collect::<Vec<_>>())
    .bind(topics.iter().map(|_| "order").collect::<Vec<_>>())
    .bind(topics.iter().map(|_| &live_data).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.stock_item).collect::<Vec<_>>())
    .bind(needs.iter().map(|n| n.quantity).collect::<Vec<_>>())
    .fetch_one(&mut *tx)
    .await;
    placed.map_err(|e| {
        let Some(db) = e.as_database_error() else { return Placing::Failed(e) };
        match db.code().as_deref() {
            Some("MDCRT") => Placing::CartChanged,
            Some("MDSTK") => {
                let detail =
                    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|p| p.detail()).unwrap_or("[]");
                match serde_json::from_str::<Vec<Shortfall>>(detail) {
                    Ok(short) => Placing::Short(short.into_iter().map(|s| (s.item, s.available)).collect()),
                    Err(_) => Placing::Failed(e),
                }
            }
            _ => Placing::Failed(e),
        }
    })
}

/// One entry of `place_order`'s MDSTK detail.
#[derive(serde::Deserialize)]
struct Shortfall {
    item: Uuid,
    available: i64,
}

fn out_of_stock(rows: &[LineRow], short: &[(Uuid, i64)]) -> AppError {
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
    AppError::CartChanged {
        message: "Some items in your cart are no longer in stock in the quantity you chose".into(),
        fields,
    }
}
