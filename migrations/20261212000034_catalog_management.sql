-- The catalogue as staff run it at /admin/catalog: products move between draft,
-- published and archived; packs carry their GST rate; products have pictures kept in
-- the object store; stock arrives as new lots; a Shopify-shaped CSV imports as a job.

-- `active` stays (every listing index is partial on it) and can never disagree with
-- the status: only a published product is on the shelves.
ALTER TABLE products
    ADD COLUMN status text NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published', 'archived')),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE products SET status = 'archived' WHERE NOT active;
ALTER TABLE products ADD CONSTRAINT products_active_is_published CHECK (active = (status = 'published'));
-- The back office lists every status, newest change first.
CREATE INDEX products_by_update ON products (tenant_id, updated_at DESC, id DESC);

-- India's GST slabs on goods (fresh produce is 0 %).
ALTER TABLE product_variants
    ADD COLUMN gst_rate numeric(5, 2) NOT NULL DEFAULT 0 CHECK (gst_rate IN (0, 0.25, 3, 5, 12, 18, 28));

-- A stored file is a visit's photo or a product's picture. A product's pictures are
-- public (the shelves show them), a visit's are not.
ALTER TABLE stored_files
    ADD COLUMN purpose text NOT NULL DEFAULT 'visit_photo' CHECK (purpose IN ('visit_photo', 'product_image')),
    ADD COLUMN product_id uuid,
    ADD FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    ADD CHECK ((purpose = 'product_image') = (product_id IS NOT NULL)),
    ADD CHECK (purpose <> 'visit_photo' OR visit_id IS NOT NULL);
CREATE INDEX stored_files_product ON stored_files (tenant_id, product_id, created_at) WHERE product_id IS NOT NULL;

-- An upload brings a visit's photo, a product's picture or a catalogue CSV.
ALTER TABLE uploads
    ALTER COLUMN farm_id DROP NOT NULL,
    ALTER COLUMN visit_id DROP NOT NULL,
    ADD COLUMN purpose text NOT NULL DEFAULT 'visit_photo'
        CHECK (purpose IN ('visit_photo', 'product_image', 'catalog_import')),
    ADD COLUMN product_id uuid,
    ADD FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    ADD CHECK ((purpose = 'visit_photo') = (visit_id IS NOT NULL AND farm_id IS NOT NULL)),
    ADD CHECK ((purpose = 'product_image') = (product_id IS NOT NULL));

-- The lot a receipt of stock came in.
ALTER TABLE stock_movements ADD COLUMN batch_id uuid,
    ADD FOREIGN KEY (tenant_id, batch_id) REFERENCES batches (tenant_id, id);

-- A catalogue import: the uploaded CSV (in the object store), its dry run and its
-- commit, each run as a job that reports how far it has come.
CREATE TABLE catalog_imports (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    filename      text NOT NULL DEFAULT '',
    object_key    text NOT NULL,
    bytes         bigint NOT NULL CHECK (bytes > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    status        text NOT NULL DEFAULT 'checking'
        CHECK (status IN ('checking', 'checked', 'invalid', 'importing', 'imported', 'failed')),
    -- Rows of the file (the header excluded) and how many the running step has done.
    rows_total    int NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    rows_done     int NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    products_new      int NOT NULL DEFAULT 0,
    products_updated  int NOT NULL DEFAULT 0,
    variants          int NOT NULL DEFAULT 0,
    -- [{"line": 12, "field": "Variant Price", "message": "..."}], the first 1,000.
    problems      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(problems) = 'array'),
    problem_count int NOT NULL DEFAULT 0,
    error         text,
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    checked_at    timestamptz,
    committed_by  uuid REFERENCES users (id),
    finished_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX catalog_imports_recent ON catalog_imports (tenant_id, created_at DESC);

SELECT isolate_by_tenant('catalog_imports');
