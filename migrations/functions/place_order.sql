-- Places `customer`'s cart as order `new_order`, waiting for payment, holding its
-- stock until `hold_until`, as one call and its own transaction (migration …17: a
-- checkout used to be twelve round trips). The line arrays are the cart as it was
-- priced, in order. Raises, writing nothing:
--   MDCRT  the cart is not the one that was priced (lines, quantities, prices or the
--          stock they draw on changed, or it was placed meanwhile): price it again;
--   MDSTK  not enough stock; DETAIL is a JSON array of {"item", "available"}.
-- `event_data` is the placing event's `data`; `live_data` the live events' payloads,
-- whose `event.seq` is set here to the event's number. Returns the order's number.
-- Live events are written unnumbered, as every publisher's are: the hubs number them
-- after commit (`number_live_events`), so checkouts do not commit one at a time.
-- Without sequential scans, as its plans outlive the table sizes they were made for
-- (migration …20).
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
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
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
