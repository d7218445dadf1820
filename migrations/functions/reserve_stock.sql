-- Checkout's stock hold as one call (`place_order` calls it last, so the stock rows
-- stay locked only for the end of that call and its commit): lock the lots in id
-- order, then, in a statement that starts after the locks (so it sees every
-- reservation committed before them), check every item and hold them all or none.
-- Returns the items that are short, with what is available; holds nothing then.
--
-- The plan is the same whatever the cart: one key probe per item. PostgreSQL would
-- re-plan it on every call (the arrays' real length makes a custom plan look cheaper
-- than the generic one), ~0.5 ms a checkout, so it keeps its generic plan; and that
-- plan lives as long as the connection, so it must not be a sequential scan made
-- while a table was small (migrations …16, …20; bench/README.md, tenth session).
-- Each lot is locked, and its stock read, by its key: a join on the array of lots
-- was planned as a read of all the tenant's lots. An empty list locks nothing.
CREATE OR REPLACE FUNCTION reserve_stock(tenant uuid, held_for uuid, items uuid[], quantities bigint[], hold_until timestamptz)
RETURNS TABLE (short_item uuid, available bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    lot uuid;
BEGIN
    FOREACH lot IN ARRAY (SELECT coalesce(array_agg(DISTINCT i ORDER BY i), '{}') FROM UNNEST(items) AS i) LOOP
        PERFORM 1 FROM stock_items s WHERE s.tenant_id = tenant AND s.id = lot FOR UPDATE;
    END LOOP;
    RETURN QUERY
    WITH need AS (SELECT * FROM UNNEST(items, quantities) AS n (item, quantity)),
    level AS (
        SELECT n.item, n.quantity,
               coalesce((SELECT s.on_hand FROM stock_items s WHERE s.tenant_id = tenant AND s.id = n.item), 0)
               - coalesce((
                   SELECT sum(r.quantity) FROM stock_reservations r
                   WHERE r.tenant_id = tenant AND r.stock_item_id = n.item
                     AND r.reserved_until > now() AND r.order_id <> held_for), 0) AS available
        FROM need n),
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
