-- Carts, orders and their append-only history, payments and refunds, the gateway's
-- webhook log, reconciliation findings, and the sandbox gateway's own books.
--
-- The order exists before any money moves (`pending_payment`, holding its stock
-- reservations); a verified payment completes it once, keyed on the gateway's payment
-- id. Amounts are NUMERIC rupees; the gateway speaks paise, converted at its edge.

-- GST inside shelf prices, per category (0 for fresh produce; 5 for tea and spices).
ALTER TABLE categories ADD COLUMN gst_percent numeric(5, 2) NOT NULL DEFAULT 0
    CHECK (gst_percent >= 0 AND gst_percent <= 28);

CREATE TABLE carts (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    -- NULL for a guest's cart, found by its id in the guest's cookie.
    user_id     uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX carts_one_per_person ON carts (tenant_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX carts_guest_age ON carts (updated_at) WHERE user_id IS NULL;

CREATE TABLE cart_items (
    tenant_id   uuid NOT NULL,
    cart_id     uuid NOT NULL,
    variant_id  uuid NOT NULL,
    quantity    int NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    -- The price the shopper saw when adding; checkout compares it with today's.
    unit_price  numeric(12, 2) NOT NULL CHECK (unit_price > 0),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, cart_id, variant_id),
    FOREIGN KEY (tenant_id, cart_id) REFERENCES carts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, variant_id) REFERENCES product_variants (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE orders (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    number            bigint GENERATED ALWAYS AS IDENTITY,
    customer_id       uuid NOT NULL REFERENCES users (id),
    state             text NOT NULL CHECK (state IN ('pending_payment', 'paid', 'packed', 'shipped',
                          'out_for_delivery', 'delivered', 'cancelled', 'refund_requested', 'refunded')),
    subtotal          numeric(12, 2) NOT NULL CHECK (subtotal >= 0),
    discount          numeric(12, 2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    delivery_fee      numeric(12, 2) NOT NULL DEFAULT 0 CHECK (delivery_fee >= 0),
    tax_included      numeric(12, 2) NOT NULL DEFAULT 0 CHECK (tax_included >= 0),
    total             numeric(12, 2) NOT NULL CHECK (total >= 0),
    refunded_amount   numeric(12, 2) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    currency          text NOT NULL DEFAULT 'INR' CHECK (currency = 'INR'),
    coupon_code       text,
    address           jsonb NOT NULL,
    slot_starts_at    timestamptz NOT NULL,
    slot_ends_at      timestamptz NOT NULL,
    reserved_until    timestamptz NOT NULL,
    gateway           text NOT NULL,
    gateway_order_id  text UNIQUE,
    -- Set once, by the one completion: a second payment for the same order is refunded.
    paid_payment_id   text UNIQUE,
    paid_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    CHECK (total = subtotal - discount + delivery_fee),
    CHECK (refunded_amount <= total),
    CHECK (slot_ends_at > slot_starts_at),
    CHECK ((state = 'pending_payment' OR state = 'cancelled') OR paid_payment_id IS NOT NULL)
);
CREATE INDEX orders_by_customer ON orders (tenant_id, customer_id, created_at DESC);
CREATE INDEX orders_by_state ON orders (tenant_id, state, created_at DESC);
CREATE INDEX orders_unpaid ON orders (reserved_until) WHERE state = 'pending_payment';

CREATE TABLE order_lines (
    tenant_id       uuid NOT NULL,
    order_id        uuid NOT NULL,
    line_no         int NOT NULL CHECK (line_no > 0),
    variant_id      uuid NOT NULL,
    product_name    text NOT NULL,
    product_slug    text NOT NULL,
    variant_label   text NOT NULL,
    sku             text NOT NULL,
    unit_price      numeric(12, 2) NOT NULL CHECK (unit_price > 0),
    quantity        int NOT NULL CHECK (quantity > 0),
    line_total      numeric(12, 2) NOT NULL CHECK (line_total = unit_price * quantity),
    stock_item_id   uuid NOT NULL,
    stock_quantity  bigint NOT NULL CHECK (stock_quantity > 0),
    PRIMARY KEY (tenant_id, order_id, line_no),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);

-- The order's history: one row per transition, never changed or removed.
CREATE TABLE order_events (
    tenant_id   uuid NOT NULL,
    order_id    uuid NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    from_state  text,
    to_state    text NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL CHECK (actor IN ('customer', 'staff', 'admin', 'system')),
    actor_id    uuid,
    reason      text,
    data        jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, order_id, seq),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE payments (
    tenant_id           uuid NOT NULL,
    id                  uuid NOT NULL,
    order_id            uuid NOT NULL,
    gateway             text NOT NULL,
    gateway_payment_id  text NOT NULL UNIQUE,
    gateway_order_id    text NOT NULL,
    amount              numeric(12, 2) NOT NULL CHECK (amount > 0),
    method              text,
    -- captured: money taken for this order. surplus: taken but the order could not
    -- use it (already paid, cancelled, amount wrong), so it is refunded in full.
    disposition         text NOT NULL CHECK (disposition IN ('captured', 'surplus')),
    source              text NOT NULL CHECK (source IN ('callback', 'webhook', 'reconciliation')),
    refunded_amount     numeric(12, 2) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    captured_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
    CHECK (refunded_amount <= amount)
);
CREATE INDEX payments_by_order ON payments (tenant_id, order_id);

CREATE TABLE refunds (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    order_id           uuid NOT NULL,
    payment_id         uuid NOT NULL,
    amount             numeric(12, 2) NOT NULL CHECK (amount > 0),
    reason             text NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending', 'processed', 'failed')),
    gateway_refund_id  text UNIQUE,
    requested_by       uuid,
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    processed_at       timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
);
CREATE INDEX refunds_by_order ON refunds (tenant_id, order_id);

-- Every verified webhook, stored once by the gateway's event id before it is applied.
-- The tenant is known only once the event names an order we have.
CREATE TABLE payment_webhook_events (
    event_id      text PRIMARY KEY,
    tenant_id     uuid,
    event         text NOT NULL,
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    applied_at    timestamptz,
    outcome       text
);

-- What reconciliation found: gateway and books disagree. One row per (kind, reference)
-- so the hourly run does not raise the same finding twice.
CREATE TABLE payment_mismatches (
    tenant_id    uuid,
    id           uuid NOT NULL PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('captured_not_recorded', 'recorded_not_captured',
                     'amount_differs', 'paid_order_without_payment', 'refund_differs')),
    reference    text NOT NULL,
    order_id     uuid,
    detail       jsonb NOT NULL,
    found_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    resolution   text,
    UNIQUE (kind, reference)
);

SELECT isolate_by_tenant(t)
FROM unnest(ARRAY['carts', 'cart_items', 'orders', 'order_lines', 'order_events', 'payments', 'refunds']::regclass[]) AS t;
SELECT isolate_by_tenant(t, true) FROM unnest(ARRAY['payment_webhook_events', 'payment_mismatches']::regclass[]) AS t;

-- Which tenant a gateway order belongs to, and nothing else about it: the webhook
-- arrives with no tenant, and must not open every tenant's orders to find its own.
-- The cross-tenant scope is switched on for this one lookup and restored after it.
CREATE FUNCTION order_tenant_by_gateway_order(ref text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SET search_path = public AS $$
DECLARE
    before text := current_setting('mandi.cross_tenant', true);
    found uuid;
BEGIN
    PERFORM set_config('mandi.cross_tenant', 'on', true);
    SELECT tenant_id INTO found FROM orders WHERE gateway_order_id = ref;
    PERFORM set_config('mandi.cross_tenant', coalesce(before, ''), true);
    RETURN found;
END
$$;

-- The sandbox gateway's own books: an outside party's records, kept apart from ours
-- (it would be Razorpay's database). Amounts in paise, as the gateway's API speaks.
CREATE TABLE sandbox_gateway_orders (
    id          text PRIMARY KEY,
    amount      bigint NOT NULL CHECK (amount > 0),
    currency    text NOT NULL,
    receipt     text,
    notes       jsonb NOT NULL DEFAULT '{}',
    status      text NOT NULL CHECK (status IN ('created', 'attempted', 'paid')),
    attempts    int NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sandbox_gateway_payments (
    id          text PRIMARY KEY,
    order_id    text NOT NULL REFERENCES sandbox_gateway_orders (id),
    amount      bigint NOT NULL CHECK (amount > 0),
    currency    text NOT NULL,
    status      text NOT NULL CHECK (status IN ('authorized', 'captured', 'failed', 'refunded')),
    method      text NOT NULL,
    amount_refunded bigint NOT NULL DEFAULT 0,
    error_code  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (amount_refunded <= amount)
);
CREATE INDEX sandbox_gateway_payments_by_order ON sandbox_gateway_payments (order_id);
CREATE TABLE sandbox_gateway_refunds (
    id          text PRIMARY KEY,
    payment_id  text NOT NULL REFERENCES sandbox_gateway_payments (id),
    amount      bigint NOT NULL CHECK (amount > 0),
    receipt     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_id, receipt)
);
