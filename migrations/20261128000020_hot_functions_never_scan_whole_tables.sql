-- The functions on checkout's path and the live-event numbering find rows by key,
-- whatever the tables held when their plans were made.
--
-- A PL/pgSQL function keeps the plan of each of its statements for as long as its
-- connection lives (`reserve_stock` and `number_live_events` from their first call:
-- the one by setting, the other because it has no parameters; the others from their
-- sixth). A plan made while a table is empty, or a page long, reads it whole, because
-- that is cheapest then, and goes on reading it whole as it grows. Under the checkout
-- bench, on a new database, every checkout summed a lot's holds by reading all of
-- `stock_reservations` (twice: in `checkout_cart` and in `reserve_stock`) and found
-- its lots by reading all of the tenant's `stock_items`, and every hub's numbering
-- joined all of `live_events` against each batch, row by row (bench/README.md, tenth
-- session): checkouts slowed as the tables grew. In production the same happens to a
-- long-lived connection whose first calls came while a table was small, and
-- `live_events` holds three days of events.
--
-- So these functions plan without sequential scans, and each statement gives the
-- planner one sensible path: the full key of every row it needs.
-- * A lot's holds: (tenant, lot) is the primary key's prefix. Holds by order had an
--   index on (tenant, order), which an empty table made look as good for "the
--   tenant's holds, then filter by lot"; it is now on the order alone (order ids are
--   unique across tenants, and every query by order names the tenant as well).
-- * `reserve_stock` locks each lot by its key, in id order, and reads each lot's
--   stock by its key; a join on an array of lots was planned as a read of all the
--   tenant's lots.
-- * `number_live_events` numbers each event by its key (below).
DROP INDEX stock_reservations_by_order;
CREATE INDEX stock_reservations_by_order ON stock_reservations (order_id);

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

ALTER FUNCTION checkout_cart(uuid, uuid) SET enable_seqscan = off;
-- Numbers each unnumbered event by its key, oldest first. As one UPDATE joined to the
-- batch, a plan made while `live_events` was small walked the whole table (by its
-- primary key, once sequential scans were off) against each batch.
CREATE OR REPLACE FUNCTION number_live_events() RETURNS bigint
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
    numbered bigint := 0;
    event bigint;
    cross_tenant text := current_setting('mandi.cross_tenant', true);
BEGIN
    PERFORM set_config('mandi.cross_tenant', 'on', true);
    PERFORM pg_advisory_xact_lock(7305001);
    FOR event IN SELECT e.id FROM live_events e WHERE e.seq IS NULL ORDER BY e.id LIMIT 10000 LOOP
        UPDATE live_events SET seq = nextval('live_events_seq_numbers') WHERE id = event;
        numbered := numbered + 1;
    END LOOP;
    IF numbered > 0 THEN
        PERFORM pg_notify('mandi_live', '');
    END IF;
    PERFORM set_config('mandi.cross_tenant', coalesce(cross_tenant, ''), true);
    RETURN numbered;
END
$$;
ALTER FUNCTION place_order(
    uuid, uuid, uuid, uuid[], text[], text[], text[], text[], numeric[], int[], numeric[], uuid[], bigint[],
    numeric, numeric, numeric, numeric, numeric, text, jsonb, timestamptz, timestamptz, timestamptz, text,
    timestamptz, text, text, text, jsonb, uuid[], text[], text[], jsonb[], uuid[], bigint[]
) SET enable_seqscan = off;
