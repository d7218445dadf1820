-- Provenance of a batch (lot): the certificates behind it, what the lab measured, and
-- where it has been. Plus what the storefront's filters and sorts need to stay on
-- indexes at 100,000 products.
--
-- These are records of fact, written once. Nothing here stores state derived from
-- them (no "current stage", no "expired" flag, no batch status): a reader derives it,
-- and the hash-chained event history of a later issue can replace or cover these rows
-- without a second source of truth to reconcile. `batches.code` stays the public key
-- of a lot (trace URLs, printed QR labels); rows here hang off (tenant_id, batch_id).

-- A certificate held by a farm (organic operation), by one lot (a transaction
-- certificate), or by a lot of a certified farm (both set). Validity is dates only;
-- whether it has expired is computed when read.
CREATE TABLE certifications (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    scheme        text NOT NULL CHECK (length(scheme) BETWEEN 1 AND 120),   -- "India Organic (NPOP)"
    scheme_slug   text NOT NULL CHECK (scheme_slug ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    issuer        text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200),   -- the certification body
    number        text NOT NULL CHECK (length(number) BETWEEN 1 AND 80),
    farm_id       uuid,
    batch_id      uuid,
    valid_from    date NOT NULL,
    valid_until   date NOT NULL,
    document_url  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, issuer, number),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES batches (tenant_id, id),
    CHECK (farm_id IS NOT NULL OR batch_id IS NOT NULL),
    CHECK (valid_until >= valid_from)
);
CREATE INDEX certifications_by_farm ON certifications (tenant_id, farm_id, valid_until) WHERE farm_id IS NOT NULL;
CREATE INDEX certifications_by_batch ON certifications (tenant_id, batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX certifications_by_scheme ON certifications (tenant_id, scheme_slug, valid_until);

-- One measurement of a lot by a laboratory. The verdict follows from the value and
-- the limit (a maximum for residues and contaminants, a minimum for quality specs
-- such as °Brix), so it is a generated column: it cannot disagree with them.
CREATE TABLE lab_results (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    batch_id       uuid NOT NULL,
    test           text NOT NULL CHECK (length(test) BETWEEN 1 AND 120),    -- "Chlorpyrifos residue"
    analyte_group  text NOT NULL CHECK (analyte_group IN
                       ('pesticide_residue', 'heavy_metal', 'moisture', 'mycotoxin', 'microbiological', 'quality')),
    value          numeric(14, 4) NOT NULL CHECK (value >= 0),
    unit           text NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),     -- "mg/kg", "%", "µg/kg"
    limit_value    numeric(14, 4) NOT NULL CHECK (limit_value >= 0),
    limit_kind     text NOT NULL DEFAULT 'max' CHECK (limit_kind IN ('max', 'min')),
    passed         boolean GENERATED ALWAYS AS (
                       CASE limit_kind WHEN 'max' THEN value <= limit_value ELSE value >= limit_value END
                   ) STORED,
    lab_name       text NOT NULL CHECK (length(lab_name) BETWEEN 1 AND 200),
    tested_on      date NOT NULL,
    report_number  text NOT NULL CHECK (length(report_number) BETWEEN 1 AND 80),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES batches (tenant_id, id)
);
CREATE INDEX lab_results_by_batch ON lab_results (tenant_id, batch_id, tested_on, id);

-- Where a lot was, when, and how cold: harvested, graded, packed, cold store,
-- dispatched, received. Temperatures in °C as NUMERIC.
CREATE TABLE handling_checkpoints (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    batch_id       uuid NOT NULL,
    stage          text NOT NULL CHECK (stage IN
                       ('harvested', 'graded', 'packed', 'cold_store', 'dispatched', 'in_transit', 'received')),
    occurred_at    timestamptz NOT NULL,
    place          text NOT NULL CHECK (length(place) BETWEEN 1 AND 200),
    temperature_c  numeric(5, 2) CHECK (temperature_c BETWEEN -40 AND 60),
    recorded_by    text NOT NULL CHECK (length(recorded_by) BETWEEN 1 AND 200),
    note           text NOT NULL DEFAULT '',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES batches (tenant_id, id)
);
CREATE INDEX handling_checkpoints_by_batch ON handling_checkpoints (tenant_id, batch_id, occurred_at, id);

-- Lab results and checkpoints are history: a correction is a new row, never an edit.
CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only; record a correction as a new row', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER lab_results_append_only BEFORE UPDATE OR DELETE ON lab_results
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER handling_checkpoints_append_only BEFORE UPDATE OR DELETE ON handling_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

-- The public trace page names a batch code, not a tenant. This returns the owning
-- tenant of a code and nothing else; the caller then reads the batch inside that
-- tenant's row-level security like any other request. The cross-tenant scope is
-- opened for the one lookup and closed again before the function returns (an error
-- in between aborts the transaction, and the setting with it).
CREATE FUNCTION batch_tenant(batch_code text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    previous text := current_setting('mandi.cross_tenant', true);
    owner uuid;
BEGIN
    PERFORM set_config('mandi.cross_tenant', 'on', true);
    SELECT b.tenant_id INTO owner FROM public.batches b WHERE b.code = batch_code;
    PERFORM set_config('mandi.cross_tenant', coalesce(previous, ''), true);
    RETURN owner;
END
$$;

-- The storefront lists, filters and sorts by a product's lowest pack price. Kept on the
-- product by a statement-level trigger so a price sort or range walks an index
-- instead of computing a minimum for every product.
ALTER TABLE products ADD COLUMN price_from numeric(12, 2);
UPDATE products p SET price_from = v.min_price
FROM (SELECT tenant_id, product_id, min(price) AS min_price FROM product_variants GROUP BY 1, 2) v
WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id;

CREATE FUNCTION products_refresh_price_from() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE products p SET price_from = (SELECT min(v.price) FROM product_variants v
                                            WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id)
        WHERE (p.tenant_id, p.id) IN (SELECT DISTINCT tenant_id, product_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE products p SET price_from = (SELECT min(v.price) FROM product_variants v
                                            WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id)
        WHERE (p.tenant_id, p.id) IN (SELECT tenant_id, product_id FROM new_rows
                                      UNION SELECT tenant_id, product_id FROM old_rows);
    ELSE
        UPDATE products p SET price_from = (SELECT min(v.price) FROM product_variants v
                                            WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id)
        WHERE (p.tenant_id, p.id) IN (SELECT DISTINCT tenant_id, product_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER product_variants_price_from_insert AFTER INSERT ON product_variants
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_price_from();
CREATE TRIGGER product_variants_price_from_update AFTER UPDATE ON product_variants
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_price_from();
CREATE TRIGGER product_variants_price_from_delete AFTER DELETE ON product_variants
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_price_from();

CREATE INDEX products_by_price ON products (tenant_id, price_from, id) WHERE active;
CREATE INDEX products_newest ON products (tenant_id, created_at DESC, id DESC) WHERE active;
CREATE INDEX products_by_farm_listing ON products (tenant_id, farm_id, name, id) WHERE active;
-- A lot's stock items, for the product page's lots and the trace page's products.
CREATE INDEX stock_items_by_batch ON stock_items (tenant_id, batch_id) WHERE batch_id IS NOT NULL;

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['certifications', 'lab_results', 'handling_checkpoints']::regclass[]) AS t;
