-- Keys a farm's sensors send readings with (`Authorization: Bearer msk_…`). Each key
-- is for one farm and does one thing: record that farm's readings. Only a digest of
-- its secret is kept; the key itself is shown once, when it is made.
CREATE TABLE sensor_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    farm_id       uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    secret_sha256 text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    revoked_by    uuid REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    -- A key names its id; looking it up needs no tenant yet.
    UNIQUE (id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id)
);
CREATE INDEX sensor_keys_farm ON sensor_keys (tenant_id, farm_id);

SELECT isolate_by_tenant('sensor_keys'::regclass);
