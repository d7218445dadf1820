-- Checkout in two calls to PostgreSQL instead of twelve.
--
-- A checkout used to be a client-driven transaction: BEGIN, set the tenant, lock the
-- cart, read its lines, write the order, its lines, empty the cart, write the event
-- and its live events, hold the stock, COMMIT. With 64 shoppers on two cores the CPU
-- was the bound, and a large part of it was per round trip rather than per row: the
-- protocol, a portal and executor start per statement, a socket wake-up on each side
-- (bench/README.md, eighth session). Now checkout reads the cart with one call
-- (`checkout_cart`), prices it in the application (the pricing rules stay in Rust,
-- `app/src/domain/pricing.rs`), and places the order with one more (`place_order`),
-- which runs as its own transaction. `place_order` first checks, under the cart's row
-- lock, that the cart is still the one that was priced; if anything changed it writes
-- nothing and says so, and the application reads and prices again.

-- One line of a cart with today's price and stock.
CREATE TYPE cart_line AS (
    variant_id      uuid,
    product_name    text,
    product_slug    text,
    variant_label   text,
    sku             text,
    image_path      text,
    category_slug   text,
    unit_price      numeric,
    added_price     numeric,
    quantity        int,
    available       bigint,
    stock_item_id   uuid,
    stock_per_unit  int,
    gst_percent     numeric
);

-- The cart view and checkout read a cart's lines through this one query. A plain SQL
-- function, so PostgreSQL inlines it into the caller's query; row-level security
-- applies as to the caller.
CREATE FUNCTION cart_lines(tenant uuid, cart uuid) RETURNS SETOF cart_line
LANGUAGE sql STABLE AS $$
    SELECT ci.variant_id, p.name, p.slug, v.label, v.sku, p.image_path, c.slug, v.price, ci.unit_price,
           ci.quantity, coalesce(sl.available, 0), v.stock_item_id, v.stock_per_unit, c.gst_percent
    FROM cart_items ci
    JOIN product_variants v ON v.tenant_id = ci.tenant_id AND v.id = ci.variant_id
    JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
    JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
    LEFT JOIN stock_levels sl ON sl.tenant_id = v.tenant_id AND sl.stock_item_id = v.stock_item_id
    WHERE ci.tenant_id = tenant AND ci.cart_id = cart
    ORDER BY ci.added_at, ci.variant_id
$$;

-- A signed-in person's cart, to be priced for checkout: no lock (placing locks it and
-- checks it is unchanged). Sets the tenant for its own statement's transaction.
CREATE FUNCTION checkout_cart(tenant uuid, customer uuid) RETURNS SETOF cart_line
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('mandi.tenant_id', tenant::text, true);
    RETURN QUERY
    SELECT l.* FROM carts c CROSS JOIN LATERAL cart_lines(tenant, c.id) l
    WHERE c.tenant_id = tenant AND c.user_id = customer;
END
$$;

-- Places `customer`'s cart as order `new_order`, waiting for payment, holding its
-- stock until `hold_until`. The line arrays are the cart as it was priced, in order.
-- Raises, writing nothing:
--   MDCRT  the cart is not the one that was priced (lines, quantities, prices or the
--          stock they draw on changed, or it was placed meanwhile): price it again;
--   MDSTK  not enough stock; DETAIL is a JSON array of {"item", "available"}.
-- `event_data` is the placing event's `data`; `live_data` the live events' payloads,
-- whose `event.seq` is set here to the event's number. Returns the order's number.
CREATE FUNCTION place_order(
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

    -- Stock last but for the live events, so the stock rows stay locked only for the
    -- end of this call and the commit.
    SELECT jsonb_agg(jsonb_build_object('item', r.short_item, 'available', r.available)) INTO shortfall
    FROM reserve_stock(tenant, new_order, need_items, need_quantities, hold_until) r;
    IF shortfall IS NOT NULL THEN
        RAISE EXCEPTION 'not enough stock' USING ERRCODE = 'MDSTK', DETAIL = shortfall::text;
    END IF;

    -- Numbered as they are written, under the lock that numbering at commit takes
    -- (migration …15) and holds to the commit: nothing runs after this but the commit,
    -- so numbers still become visible in order, without a deferred UPDATE per event.
    PERFORM pg_advisory_xact_lock(7305001);
    INSERT INTO live_events (tenant_id, topic, kind, data, seq)
    SELECT e.tenant_id, e.topic, e.kind, e.data, nextval('live_events_seq_numbers')
    FROM (SELECT e.tenant_id, e.topic, e.kind, jsonb_set(e.data, '{event,seq}', to_jsonb(event_seq)) AS data
          FROM UNNEST(live_tenants, live_topics, live_kinds, live_data) WITH ORDINALITY AS e (tenant_id, topic, kind, data, n)
          ORDER BY e.n) e;
    RETURN placed;
END
$$;

-- Events written with their number already (by `place_order`) are not numbered again.
DROP TRIGGER live_events_numbered ON live_events;
CREATE CONSTRAINT TRIGGER live_events_numbered AFTER INSERT ON live_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION live_events_number();
