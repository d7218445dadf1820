-- A shopper's address book: checkout offers these, the first saved is the default,
-- and one at most is the default at a time.
CREATE TABLE saved_addresses (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    phone       text NOT NULL,
    line1       text NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
    line2       text NOT NULL DEFAULT '' CHECK (length(line2) <= 200),
    city        text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    pincode     text NOT NULL CHECK (pincode ~ '^[1-9][0-9]{5}$'),
    state       text NOT NULL,
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX saved_addresses_of ON saved_addresses (tenant_id, user_id, created_at);
CREATE UNIQUE INDEX saved_addresses_one_default ON saved_addresses (tenant_id, user_id) WHERE is_default;

SELECT isolate_by_tenant('saved_addresses'::regclass);
