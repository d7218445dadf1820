//! An order's stock after checkout: its hold sold when the payment arrives, released
//! when the order is cancelled unpaid, put back when a paid order is cancelled. Every
//! writer of stock locks its rows the same way first (`lock_stock`).

use sqlx::PgConnection;
use uuid::Uuid;

/// Locks stock rows in id order, the order every writer of stock takes them in first
/// (checkout's `reserve_stock` takes them the same way, inside PostgreSQL).
pub(super) async fn lock_stock(tx: &mut PgConnection, tenant: Uuid, items: &[Uuid]) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT id FROM stock_items WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE")
        .bind(tenant)
        .bind(items)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Turns the order's reservations into sold stock, if every item still has enough
/// (its own hold counts for it even past expiry, as long as nobody else took the
/// stock), and opens low-stock alerts for the items it leaves at their threshold.
/// Returns the items that fell short; on a shortfall nothing changed.
pub(super) async fn sell_reserved_stock(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let items: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT stock_item_id FROM order_lines WHERE tenant_id = $1 AND order_id = $2")
            .bind(tenant)
            .bind(order)
            .fetch_all(&mut *tx)
            .await?;
    lock_stock(tx, tenant, &items).await?;
    let short: Vec<Uuid> = sqlx::query_scalar(
        "WITH need AS (
             SELECT stock_item_id, sum(stock_quantity) AS quantity FROM order_lines
             WHERE tenant_id = $1 AND order_id = $2 GROUP BY stock_item_id),
         level AS (
             SELECT n.stock_item_id, n.quantity,
                    s.on_hand - coalesce((SELECT sum(r.quantity) FROM stock_reservations r
                                          WHERE r.tenant_id = $1 AND r.stock_item_id = n.stock_item_id
                                            AND r.reserved_until > now() AND r.order_id <> $2), 0) AS available
             FROM need n JOIN stock_items s ON s.tenant_id = $1 AND s.id = n.stock_item_id),
         short AS (SELECT stock_item_id FROM level WHERE available < quantity),
         sold AS (
             UPDATE stock_items s SET on_hand = s.on_hand - l.quantity, updated_at = now()
             FROM level l WHERE s.tenant_id = $1 AND s.id = l.stock_item_id AND NOT EXISTS (SELECT 1 FROM short)
             RETURNING s.id, l.quantity),
         moved AS (
             INSERT INTO stock_movements (tenant_id, stock_item_id, delta, reason, order_id)
             SELECT $1, id, -quantity, 'sold', $2 FROM sold RETURNING 1),
         released AS (
             DELETE FROM stock_reservations WHERE tenant_id = $1 AND order_id = $2 AND NOT EXISTS (SELECT 1 FROM short)
             RETURNING 1)
         SELECT stock_item_id FROM short",
    )
    .bind(tenant)
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    if short.is_empty() {
        crate::store::stock_service::watch_low(tx, tenant, &items).await?;
    }
    Ok(short)
}

pub(super) async fn release_reservations(tx: &mut PgConnection, tenant: Uuid, order: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM stock_reservations WHERE tenant_id = $1 AND order_id = $2")
        .bind(tenant)
        .bind(order)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Puts sold stock back (a paid order cancelled before packing).
pub(super) async fn restock(
    tx: &mut PgConnection,
    tenant: Uuid,
    order: Uuid,
    actor: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let items: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT stock_item_id FROM order_lines WHERE tenant_id = $1 AND order_id = $2")
            .bind(tenant)
            .bind(order)
            .fetch_all(&mut *tx)
            .await?;
    lock_stock(tx, tenant, &items).await?;
    sqlx::query(
        "WITH back AS (
             SELECT stock_item_id, sum(stock_quantity) AS quantity FROM order_lines
             WHERE tenant_id = $1 AND order_id = $2 GROUP BY stock_item_id),
         up AS (UPDATE stock_items s SET on_hand = s.on_hand + b.quantity, updated_at = now()
                FROM back b WHERE s.tenant_id = $1 AND s.id = b.stock_item_id RETURNING s.id, b.quantity)
         INSERT INTO stock_movements (tenant_id, stock_item_id, delta, reason, order_id, actor_id)
         SELECT $1, id, quantity, 'returned', $2, $3 FROM up",
    )
    .bind(tenant)
    .bind(order)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
