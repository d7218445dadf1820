//! A year of the store's past orders for the larger worlds (300 a day at the large
//! scale), so the KPI rollup and the tower's KPI panel are measured over the volume a
//! year of trading leaves. Written by PostgreSQL from a series, deterministically: the
//! same world gets the same orders. Most were delivered; some were cancelled after
//! payment, some refunded in full, some in part.

use app::config::DemoScale;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Past orders a day, and for how many days before today.
pub fn volume(scale: DemoScale) -> (i64, i64) {
    match scale {
        DemoScale::Large => (300, 365),
        DemoScale::Medium => (30, 365),
        DemoScale::Small | DemoScale::Products(_) => (0, 0),
    }
}

/// The series both statements read: the order number `i`, its id, when it was placed,
/// and the variant (by position) and quantity it bought.
const SERIES: &str = "
    SELECT i, md5('mandi-demo-history-' || i)::uuid AS id,
           $2::timestamptz - make_interval(days => 1 + (i / $3)::int) + make_interval(mins => ((i % $3) * 1200 / $3)::int) AS placed,
           1 + (i * 7) % (SELECT count(*) FROM variants) AS k,
           1 + (i % 3)::int AS qty
    FROM generate_series(0::bigint, $3 * $4 - 1) AS i";

/// Writes the history in the caller's (cross-tenant) transaction; returns the orders
/// written (none when the store, its demo customer or its variants are missing).
pub async fn insert(tx: &mut PgConnection, scale: DemoScale, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let (per_day, days) = volume(scale);
    if per_day == 0 {
        return Ok(0);
    }
    let customer: Option<(uuid::Uuid, uuid::Uuid, String)> = sqlx::query_as(
        "SELECT t.id, u.id, u.display_name FROM tenants t JOIN memberships m ON m.tenant_id = t.id JOIN users u ON u.id = m.user_id
         WHERE t.slug = 'greenharvest' AND u.email = 'customer@greenharvest.demo'",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some((tenant, customer, name)) = customer else { return Ok(0) };
    // The forty cheapest-to-find variants by SKU, numbered 1..; prices as they stand.
    let variants = "variants AS (
        SELECT row_number() OVER (ORDER BY v.sku) AS k, v.id, p.name, p.slug, v.label, v.sku, v.price,
               v.stock_item_id, v.stock_per_unit
        FROM product_variants v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
        WHERE v.tenant_id = $1 ORDER BY v.sku LIMIT 40)";
    let orders = sqlx::query(&format!(
        "WITH {variants}, g AS ({SERIES})
         INSERT INTO orders (tenant_id, id, customer_id, state, subtotal, discount, delivery_fee, tax_included, total,
                             refunded_amount, address, slot_starts_at, slot_ends_at, reserved_until, gateway,
                             gateway_order_id, paid_payment_id, paid_at, created_at, updated_at)
         SELECT $1, g.id, $5,
                CASE WHEN g.i % 50 = 7 THEN 'cancelled' WHEN g.i % 40 = 3 THEN 'refunded' ELSE 'delivered' END,
                v.price * g.qty, 0, 0, 0, v.price * g.qty,
                CASE WHEN g.i % 40 = 3 THEN v.price * g.qty WHEN g.i % 60 = 11 THEN v.price ELSE 0 END,
                $6, g.placed + interval '20 hours', g.placed + interval '23 hours', g.placed + interval '15 minutes',
                'sandbox', 'order_history_' || g.i, 'pay_history_' || g.i, g.placed + interval '2 minutes',
                g.placed, g.placed + interval '1 day'
         FROM g JOIN variants v ON v.k = g.k"
    ))
    .bind(tenant)
    .bind(now)
    .bind(per_day)
    .bind(days)
    .bind(customer)
    .bind(serde_json::json!({
        "name": name, "phone": "+919840010001", "line1": "14 Kamaraj Salai", "line2": "Flat 3B",
        "city": "Chennai", "pincode": "600004", "state": "Tamil Nadu",
    }))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(&format!(
        "WITH {variants}, g AS ({SERIES})
         INSERT INTO order_lines (tenant_id, order_id, line_no, variant_id, product_name, product_slug, variant_label,
                                  sku, unit_price, quantity, line_total, stock_item_id, stock_quantity)
         SELECT $1, g.id, 1, v.id, v.name, v.slug, v.label, v.sku, v.price, g.qty, v.price * g.qty,
                v.stock_item_id, g.qty * v.stock_per_unit
         FROM g JOIN variants v ON v.k = g.k"
    ))
    .bind(tenant)
    .bind(now)
    .bind(per_day)
    .bind(days)
    .execute(&mut *tx)
    .await?;
    Ok(orders)
}
