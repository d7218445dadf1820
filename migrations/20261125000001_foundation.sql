-- Foundations: tenants, people and their roles, and the catalogue.
-- Every tenant-owned table leads its keys with tenant_id so the schema can be
-- distributed by tenant (Citus) and row-level security can key on it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('store', 'estate', 'market')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A person is global; what they may do is per tenant (memberships).
CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text UNIQUE CHECK (email = lower(email) AND position('@' in email) > 1),
    phone          text UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    display_name   text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    password_hash  text,
    locale         text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'ta')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);

CREATE TABLE memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL CHECK (role IN ('customer', 'farmer', 'staff', 'field_agent', 'ops', 'admin')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, role)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE farms (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    slug         text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name         text NOT NULL,
    region       text NOT NULL,
    state        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    area_acres   numeric(10, 2) CHECK (area_acres > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
);

CREATE TABLE categories (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    slug       text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name       text NOT NULL,
    position   int NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
);

CREATE TABLE products (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    farm_id      uuid NOT NULL,
    category_id  uuid NOT NULL,
    slug         text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description  text NOT NULL DEFAULT '',
    image_path   text,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    search       tsvector GENERATED ALWAYS AS (
                     setweight(to_tsvector('english', name), 'A') ||
                     setweight(to_tsvector('english', description), 'B')
                 ) STORED,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id)
);
CREATE INDEX products_search ON products USING gin (search);
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops);
CREATE INDEX products_listing ON products (tenant_id, name, id) WHERE active;
CREATE INDEX products_by_category ON products (tenant_id, category_id, name) WHERE active;
CREATE INDEX products_by_farm ON products (tenant_id, farm_id);

-- A pack size. Prices are NUMERIC rupees with paise; never floats.
CREATE TABLE product_variants (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    product_id  uuid NOT NULL,
    sku         text NOT NULL,
    label       text NOT NULL,
    net_grams   int NOT NULL CHECK (net_grams > 0),
    price       numeric(12, 2) NOT NULL CHECK (price > 0),
    mrp         numeric(12, 2) CHECK (mrp >= price),
    position    int NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, sku),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX product_variants_by_product ON product_variants (tenant_id, product_id, price);

-- Stock per variant. `reserved` is what open checkouts hold; the checks make
-- overselling impossible whatever the application does.
CREATE TABLE inventory (
    tenant_id   uuid NOT NULL,
    variant_id  uuid NOT NULL,
    on_hand     int NOT NULL CHECK (on_hand >= 0),
    reserved    int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    low_stock_threshold int NOT NULL DEFAULT 5 CHECK (low_stock_threshold >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, variant_id),
    FOREIGN KEY (tenant_id, variant_id) REFERENCES product_variants (tenant_id, id) ON DELETE CASCADE,
    CHECK (reserved <= on_hand)
);
