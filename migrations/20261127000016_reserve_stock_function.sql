-- Checkout's stock hold as one call: lock the cart's stock rows in id order, then, in
-- a statement that starts after the locks (so it sees every reservation committed
-- before them), check every item and hold them all or none.
--
-- It used to be two statements sent by the application, and checkout ran its other
-- writes (emptying the cart, the order's events) after them, so the stock rows stayed
-- locked across five client round trips; with 64 shoppers on 200 lots ~25 of 40
-- connections were always queued on those row locks (bench/README.md). Checkout now
-- holds stock last, with this one call, and commits.
--
-- The reserve statement's plan is the same whatever the cart: one index probe per
-- item. PostgreSQL would re-plan it on every call (the arrays' real length makes a
-- custom plan look cheaper than the generic one), ~0.5 ms a checkout, so the
-- function keeps its generic plan.
CREATE FUNCTION reserve_stock(tenant uuid, held_for uuid, items uuid[], quantities bigint[], hold_until timestamptz)
RETURNS TABLE (short_item uuid, available bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    PERFORM 1 FROM stock_items s WHERE s.tenant_id = tenant AND s.id = ANY (items) ORDER BY s.id FOR UPDATE;
    RETURN QUERY
    WITH need AS (SELECT * FROM UNNEST(items, quantities) AS n (item, quantity)),
    level AS (
        SELECT n.item, n.quantity,
               coalesce(s.on_hand, 0) - coalesce((
                   SELECT sum(r.quantity) FROM stock_reservations r
                   WHERE r.tenant_id = tenant AND r.stock_item_id = n.item
                     AND r.reserved_until > now() AND r.order_id <> held_for), 0) AS available
        FROM need n LEFT JOIN stock_items s ON s.tenant_id = tenant AND s.id = n.item),
    short AS (SELECT l.item, l.available FROM level l WHERE l.available < l.quantity),
    held AS (
        INSERT INTO stock_reservations (tenant_id, stock_item_id, order_id, quantity, reserved_until)
        SELECT tenant, l.item, held_for, l.quantity, hold_until FROM level l WHERE NOT EXISTS (SELECT 1 FROM short)
        ON CONFLICT (tenant_id, order_id, stock_item_id)
        DO UPDATE SET quantity = excluded.quantity, reserved_until = excluded.reserved_until
        RETURNING 1)
    SELECT sh.item, sh.available::bigint FROM short sh;
END
$$;
