-- Files kept in object storage (first: the photos of field visits). The row says
-- which farm a file belongs to, so serving it checks who may see that farm; the bytes
-- live under `object_key` in the store, never in the database.
CREATE TABLE stored_files (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    -- The id of the upload that brought it, made by the phone.
    id               uuid NOT NULL,
    farm_id          uuid NOT NULL,
    visit_id         uuid,
    -- What is served: the picture as sent, turned upright, with its metadata removed.
    content_type     text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    bytes            bigint NOT NULL CHECK (bytes > 0),
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    width            integer NOT NULL CHECK (width > 0),
    height           integer NOT NULL CHECK (height > 0),
    object_key       text NOT NULL,
    thumbnail_key    text NOT NULL,
    thumbnail_bytes  bigint NOT NULL CHECK (thumbnail_bytes > 0),
    -- What arrived, before it was cleaned: its size and digest, for the record.
    received_bytes   bigint NOT NULL CHECK (received_bytes > 0),
    received_sha256  text NOT NULL CHECK (received_sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by      uuid NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES field_visits (tenant_id, id)
);
CREATE INDEX stored_files_visit ON stored_files (tenant_id, visit_id) WHERE visit_id IS NOT NULL;

-- Resumable uploads (tus 1.0) in progress. The bytes received so far are staged on the
-- server's disk; `received` is the offset last confirmed to the client.
CREATE TABLE uploads (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    uploaded_by   uuid NOT NULL REFERENCES users (id),
    farm_id       uuid NOT NULL,
    visit_id      uuid NOT NULL,
    length        bigint NOT NULL CHECK (length > 0),
    received      bigint NOT NULL DEFAULT 0,
    filename      text NOT NULL DEFAULT '' CHECK (length(filename) <= 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES field_visits (tenant_id, id),
    CHECK (received BETWEEN 0 AND length),
    CHECK (completed_at IS NULL OR received = length)
);
CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE completed_at IS NULL;

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['stored_files', 'uploads']::regclass[]) AS t;

-- An owner sees the files of farms they hold, as they see those farms' visits.
CREATE POLICY owner_scope ON stored_files AS RESTRICTIVE USING (
    (SELECT nullif(current_setting('mandi.owner_id', true), '')::uuid) IS NULL OR EXISTS (
        SELECT 1 FROM ownership_agreements a WHERE a.tenant_id = stored_files.tenant_id
            AND a.farm_id = stored_files.farm_id
            AND a.owner_id = (SELECT nullif(current_setting('mandi.owner_id', true), '')::uuid)));
