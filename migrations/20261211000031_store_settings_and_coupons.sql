-- Prices and delivery as the store sets them at /admin/settings: the delivery fee, the
-- free-delivery threshold, the daily windows, the cut-off and how far ahead shoppers
-- book; and its coupons. A store without a row uses the defaults of
-- `domain/pricing.rs` and `domain/delivery_slot.rs`.
CREATE TABLE store_settings (
    tenant_id           uuid PRIMARY KEY REFERENCES tenants (id),
    delivery_fee        numeric(12, 2) NOT NULL CHECK (delivery_fee >= 0),
    free_delivery_from  numeric(12, 2) NOT NULL CHECK (free_delivery_from >= 0),
    -- [{"starts": "07:00:00", "ends": "10:00:00"}, ...], in store time, in order.
    windows             jsonb NOT NULL CHECK (jsonb_typeof(windows) = 'array' AND jsonb_array_length(windows) BETWEEN 1 AND 8),
    cut_off_hours       int NOT NULL CHECK (cut_off_hours BETWEEN 0 AND 48),
    days_ahead          int NOT NULL CHECK (days_ahead BETWEEN 1 AND 30),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          uuid REFERENCES users (id)
);

CREATE TABLE coupons (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    code                text NOT NULL CHECK (code ~ '^[A-Z0-9]{3,24}$'),
    kind                text NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value               numeric(12, 2) NOT NULL CHECK (value > 0 AND (kind = 'fixed' OR value <= 100)),
    max_off             numeric(12, 2) CHECK (max_off > 0),
    min_subtotal        numeric(12, 2) NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
    valid_from          timestamptz,
    valid_until         timestamptz,
    total_limit         int CHECK (total_limit > 0),
    per_customer_limit  int CHECK (per_customer_limit > 0),
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, code),
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from)
);

-- A coupon's uses are its orders that were not cancelled, counted under the coupon's
-- row lock at checkout.
CREATE INDEX orders_by_coupon ON orders (tenant_id, coupon_code, customer_id) WHERE coupon_code IS NOT NULL;

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['store_settings', 'coupons']::regclass[]) AS t;

-- The store already running keeps the coupon it had in code.
INSERT INTO coupons (tenant_id, code, kind, value, max_off, min_subtotal)
SELECT id, 'FRESH10', 'percent', 10, 100, 300 FROM tenants WHERE kind = 'store';
