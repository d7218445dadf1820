-- Lots and the stock sold from them.
--
-- A batch (lot) is what a farm harvested on one day; it is what provenance and the
-- public trace page describe, so its code is unique across tenants (the trace URL
-- names no tenant). Later additions hang off (tenant_id, id): certifications, lab
-- results, checkpoints, and the hash-chained event history.
--
-- Stock lives in `stock_items`, counted in the item's unit (grams for loose produce,
-- or whole units). A pack size (variant) draws `stock_per_unit` of its stock item per
-- unit sold, so the 100 g and 250 g packs of one lot share one count and cannot each
-- be sold against the same grams.
--
-- Reservations are rows with an expiry, never a counter: what is available is
-- `on_hand` less the unexpired reservations, so a reserved count cannot drift, and an
-- expired hold stops counting at its deadline even before the sweeper deletes it.

CREATE TABLE batches (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    code          text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{2,39}$'),
    farm_id       uuid NOT NULL,
    crop          text NOT NULL CHECK (length(crop) BETWEEN 1 AND 120),
    harvested_on  date NOT NULL,
    quantity      numeric(12, 3) NOT NULL CHECK (quantity > 0),
    unit          text NOT NULL CHECK (unit IN ('kg', 'g', 'units')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id)
);
CREATE INDEX batches_by_farm ON batches (tenant_id, farm_id, harvested_on DESC);

CREATE TABLE stock_items (
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    id                   uuid NOT NULL,
    sku                  text NOT NULL,
    batch_id             uuid,
    unit                 text NOT NULL CHECK (unit IN ('g', 'unit')),
    on_hand              bigint NOT NULL CHECK (on_hand >= 0),
    low_stock_threshold  bigint NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, sku),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES batches (tenant_id, id)
);

ALTER TABLE product_variants
    ADD COLUMN stock_item_id uuid,
    ADD COLUMN stock_per_unit int NOT NULL DEFAULT 1 CHECK (stock_per_unit > 0);

-- Existing per-variant counts become one stock item per variant, counted in units.
INSERT INTO stock_items (tenant_id, id, sku, unit, on_hand, low_stock_threshold, updated_at)
SELECT i.tenant_id, i.variant_id, v.sku, 'unit', i.on_hand, i.low_stock_threshold, i.updated_at
FROM inventory i JOIN product_variants v ON v.tenant_id = i.tenant_id AND v.id = i.variant_id;
UPDATE product_variants v SET stock_item_id = v.id
WHERE EXISTS (SELECT 1 FROM stock_items s WHERE s.tenant_id = v.tenant_id AND s.id = v.id);
DROP TABLE inventory;

ALTER TABLE product_variants
    ADD FOREIGN KEY (tenant_id, stock_item_id) REFERENCES stock_items (tenant_id, id);
CREATE INDEX product_variants_by_stock_item ON product_variants (tenant_id, stock_item_id);

CREATE TABLE stock_reservations (
    tenant_id       uuid NOT NULL,
    stock_item_id   uuid NOT NULL,
    order_id        uuid NOT NULL,
    quantity        bigint NOT NULL CHECK (quantity > 0),
    reserved_until  timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, order_id, stock_item_id),
    FOREIGN KEY (tenant_id, stock_item_id) REFERENCES stock_items (tenant_id, id)
);
CREATE INDEX stock_reservations_by_item ON stock_reservations (tenant_id, stock_item_id, reserved_until);
CREATE INDEX stock_reservations_expiry ON stock_reservations (reserved_until);

-- Every change of `on_hand`, with its reason: the count can be rebuilt from here.
CREATE TABLE stock_movements (
    tenant_id      uuid NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    stock_item_id  uuid NOT NULL,
    delta          bigint NOT NULL CHECK (delta <> 0),
    reason         text NOT NULL CHECK (reason IN ('received', 'sold', 'returned', 'adjusted')),
    order_id       uuid,
    actor_id       uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, stock_item_id) REFERENCES stock_items (tenant_id, id)
);
CREATE INDEX stock_movements_by_item ON stock_movements (tenant_id, stock_item_id, id);

-- What can be sold now, per stock item. `security_invoker` keeps the callers' row-level
-- security in force through the view.
CREATE VIEW stock_levels WITH (security_invoker = true) AS
SELECT s.tenant_id, s.id AS stock_item_id, s.on_hand,
       coalesce(r.held, 0) AS reserved,
       s.on_hand - coalesce(r.held, 0) AS available
FROM stock_items s
LEFT JOIN LATERAL (
    SELECT sum(quantity)::bigint AS held FROM stock_reservations r
    WHERE r.tenant_id = s.tenant_id AND r.stock_item_id = s.id AND r.reserved_until > now()
) r ON true;

-- Tenant isolation for a tenant-owned table, as migration 0005 set it up for the first
-- ones: rows of the transaction's tenant only, unless the transaction says it spans
-- tenants. `tenant_may_be_null`: rows that belong to no tenant are visible everywhere.
CREATE FUNCTION isolate_by_tenant(t regclass, tenant_may_be_null boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    visible text :=
        '(SELECT current_setting(''mandi.cross_tenant'', true)) IS NOT DISTINCT FROM ''on'''
        ' OR tenant_id = (SELECT nullif(current_setting(''mandi.tenant_id'', true), '''')::uuid)';
BEGIN
    IF tenant_may_be_null THEN
        visible := 'tenant_id IS NULL OR ' || visible;
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%s) WITH CHECK (%s)', t, visible, visible);
END
$$;

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['batches', 'stock_items', 'stock_reservations', 'stock_movements']::regclass[]) AS t;
