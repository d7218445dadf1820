-- Live events are numbered after their publishers commit, in batches, by the hubs
-- (server/src/live/hub.rs), no longer by the publishers themselves.
--
-- Numbers must become visible in order: a reader that has seen N must never later find
-- a committed event below N. Publishers used to number their events under an advisory
-- lock held to their commit (migrations …15, …17) and sent a NOTIFY, whose own lock is
-- also held through the commit. So every publishing transaction, a checkout above all,
-- committed alone: its WAL flush could not be shared, and the next one queued behind
-- it. Now a publisher only inserts its events, unnumbered, which readers skip. A hub
-- numbers every committed unnumbered event in one statement, in the order they were
-- written, in a transaction of its own under the same lock, and then notifies every
-- hub. Numbering transactions run one at a time, so their numbers become visible in
-- order; one publisher's events keep their order (the ids are increasing).

DROP TRIGGER live_events_numbered ON live_events;
DROP FUNCTION live_events_number();
DROP TRIGGER live_events_inserted ON live_events;

-- A live event lives three days (the purge job) and its tenant is never deleted; the
-- key check locked the one tenant row from every concurrent checkout.
ALTER TABLE live_events DROP CONSTRAINT live_events_tenant_id_fkey;

CREATE INDEX live_events_unnumbered ON live_events (id) WHERE seq IS NULL;

-- Numbers committed live events that have no number yet, oldest written first, and
-- wakes every hub if there were any. Returns how many it numbered. Called as a
-- statement of its own (its transaction ends right after: the lock is held to the
-- commit). Events of every tenant are numbered, so it reads across tenants, for this
-- call only (an ordinary role may not put a `mandi.*` setting in a SET clause).
CREATE FUNCTION number_live_events() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    numbered bigint;
    cross_tenant text := current_setting('mandi.cross_tenant', true);
BEGIN
    PERFORM set_config('mandi.cross_tenant', 'on', true);
    PERFORM pg_advisory_xact_lock(7305001);
    WITH next AS (
        SELECT o.id, nextval('live_events_seq_numbers') AS seq
        FROM (SELECT e.id FROM live_events e WHERE e.seq IS NULL ORDER BY e.id LIMIT 10000) o)
    UPDATE live_events e SET seq = next.seq FROM next WHERE e.id = next.id;
    GET DIAGNOSTICS numbered = ROW_COUNT;
    IF numbered > 0 THEN
        PERFORM pg_notify('mandi_live', '');
    END IF;
    PERFORM set_config('mandi.cross_tenant', coalesce(cross_tenant, ''), true);
    RETURN numbered;
END
$$;

-- Checkout's events: written unnumbered, like every publisher's.
CREATE OR REPLACE FUNCTION place_order(
    tenant uuid, customer uuid, new_order uuid,
    line_variants uuid[], line_names text[], line_slugs text[], line_labels text[], line_skus text[],
    line_prices numeric[], line_quantities int[], line_totals numeric[], line_items uuid[], line_stock bigint[],
    order_subtotal numeric, order_discount numeric, order_delivery_fee numeric, order_tax_included numeric,
    order_total numeric, order_coupon text, order_address jsonb, order_slot_starts timestamptz,
    order_slot_ends timestamptz, hold_until timestamptz, order_gateway text, placed_at timestamptz,
    event_state text, event_action text, event_actor text, event_data jsonb,
    live_tenants uuid[], live_topics text[], live_kinds text[], live_data jsonb[],
    need_items uuid[], need_quantities bigint[]
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cart uuid;
    placed bigint;
    event_seq bigint;
    shortfall jsonb;
BEGIN
    PERFORM set_config('mandi.tenant_id', tenant::text, true);
    -- A double-clicked "Place order" waits here, then finds the cart emptied.
    SELECT c.id INTO cart FROM carts c WHERE c.tenant_id = tenant AND c.user_id = customer FOR UPDATE;
    IF NOT FOUND OR EXISTS (
        SELECT 1
        FROM (SELECT ci.variant_id, ci.quantity, v.price, v.stock_item_id, ci.quantity::bigint * v.stock_per_unit AS stock
              FROM cart_items ci JOIN product_variants v ON v.tenant_id = ci.tenant_id AND v.id = ci.variant_id
              WHERE ci.tenant_id = tenant AND ci.cart_id = cart) now
        FULL JOIN UNNEST(line_variants, line_quantities, line_prices, line_items, line_stock)
                  AS priced (variant_id, quantity, price, stock_item_id, stock)
               ON priced.variant_id = now.variant_id
        WHERE now.variant_id IS NULL OR priced.variant_id IS NULL
           OR (now.quantity, now.price, now.stock_item_id, now.stock)
              IS DISTINCT FROM (priced.quantity, priced.price, priced.stock_item_id, priced.stock)
    ) THEN
        RAISE EXCEPTION 'the cart changed while it was being placed' USING ERRCODE = 'MDCRT';
    END IF;

    -- `placed_at` for the order and its event alike, as when both took the transaction's now().
    INSERT INTO orders (tenant_id, id, customer_id, state, subtotal, discount, delivery_fee, tax_included, total,
                        coupon_code, address, slot_starts_at, slot_ends_at, reserved_until, gateway, created_at, updated_at)
    VALUES (tenant, new_order, customer, event_state, order_subtotal, order_discount, order_delivery_fee,
            order_tax_included, order_total, order_coupon, order_address, order_slot_starts, order_slot_ends,
            hold_until, order_gateway, placed_at, placed_at)
    RETURNING orders.number INTO placed;

    INSERT INTO order_lines (tenant_id, order_id, line_no, variant_id, product_name, product_slug, variant_label, sku,
                             unit_price, quantity, line_total, stock_item_id, stock_quantity)
    SELECT tenant, new_order, l.n, l.variant, l.name, l.slug, l.label, l.sku, l.price, l.quantity, l.total, l.item, l.stock
    FROM UNNEST(line_variants, line_names, line_slugs, line_labels, line_skus, line_prices, line_quantities,
                line_totals, line_items, line_stock) WITH ORDINALITY
         AS l (variant, name, slug, label, sku, price, quantity, total, item, stock, n);

    DELETE FROM cart_items ci WHERE ci.tenant_id = tenant AND ci.cart_id = cart;

    INSERT INTO order_events (tenant_id, order_id, from_state, to_state, action, actor, actor_id, data, created_at)
    VALUES (tenant, new_order, NULL, event_state, event_action, event_actor, customer, event_data, placed_at)
    RETURNING order_events.seq INTO event_seq;

    INSERT INTO live_events (tenant_id, topic, kind, data)
    SELECT e.tenant_id, e.topic, e.kind, jsonb_set(e.data, '{event,seq}', to_jsonb(event_seq))
    FROM UNNEST(live_tenants, live_topics, live_kinds, live_data) AS e (tenant_id, topic, kind, data);

    -- Stock last, so the stock rows stay locked only for the end of this call and the commit.
    SELECT jsonb_agg(jsonb_build_object('item', r.short_item, 'available', r.available)) INTO shortfall
    FROM reserve_stock(tenant, new_order, need_items, need_quantities, hold_until) r;
    IF shortfall IS NOT NULL THEN
        RAISE EXCEPTION 'not enough stock' USING ERRCODE = 'MDSTK', DETAIL = shortfall::text;
    END IF;
    RETURN placed;
END
$$;
