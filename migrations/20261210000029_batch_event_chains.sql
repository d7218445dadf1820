-- Traceability: every batch's history as an append-only, hash-chained list of events,
-- and each crop's cold chain.
--
-- An event's digest is GS1's event hash of the event as EPCIS 2.0 (computed by the app,
-- which also checks it against GS1's published vectors); its chain digest is
-- SHA-256(event digest ‖ previous chain digest). `seq` is the order of recording, not of
-- the events' own times (a lab result may arrive days after the lot left the farm).
-- Appends to one batch are serialised by locking its `batches` row, and the row keeps
-- the head of its chain, so removing the newest events shows too.
CREATE TABLE batch_events (
    tenant_id      uuid NOT NULL,
    batch_id       uuid NOT NULL,
    seq            integer NOT NULL CHECK (seq >= 1),
    -- The recorder's id for the event (a retry after a lost answer sends it again).
    event_id       uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('harvested', 'graded', 'packed', 'cold_stored', 'lab_tested',
                       'certified', 'shipped', 'in_transit', 'received', 'temperature_reading', 'sold')),
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    place          text NOT NULL DEFAULT '' CHECK (length(place) <= 200),
    temperature_c  numeric(5, 2) CHECK (temperature_c BETWEEN -40 AND 60),
    -- Who did it as the public may read it (a team, a company, a laboratory).
    actor          text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    quantity_kg    numeric(12, 3) CHECK (quantity_kg > 0),
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    -- A lab result, a certificate, the cold-chain judgement: kind-specific facts, all
    -- covered by the digest.
    details        jsonb NOT NULL DEFAULT '{}',
    -- The person who recorded it; NULL for history sealed from before the chain and
    -- for what the system records (a delivered order's `sold`). Never shown publicly.
    recorded_by    uuid REFERENCES users (id),
    event_hash     text NOT NULL CHECK (event_hash ~ '^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$'),
    chain_hash     text NOT NULL CHECK (chain_hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (tenant_id, batch_id, seq),
    UNIQUE (tenant_id, event_id),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES batches (tenant_id, id)
);
CREATE INDEX batch_events_excursions ON batch_events (tenant_id, batch_id)
    WHERE (details -> 'coldChain' ->> 'excursion') = 'true';

ALTER TABLE batches
    ADD COLUMN chain_length integer NOT NULL DEFAULT 0 CHECK (chain_length >= 0),
    ADD COLUMN chain_head text CHECK (chain_head ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT batches_chain_head_with_length CHECK ((chain_length = 0) = (chain_head IS NULL));
CREATE INDEX batches_by_code_search ON batches (tenant_id, code text_pattern_ops);

-- History is written once: PostgreSQL refuses to change it, by trigger and by
-- privilege (the owner gives up its own right to update, delete or truncate).
CREATE TRIGGER batch_events_append_only BEFORE UPDATE OR DELETE ON batch_events
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER batch_events_no_truncate BEFORE TRUNCATE ON batch_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
REVOKE UPDATE, DELETE, TRUNCATE ON batch_events FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON batch_events FROM CURRENT_USER;

-- A crop's cold chain in °C, set by its admins. A temperature recorded for a lot of the
-- crop outside it is an excursion.
CREATE TABLE cold_chain_limits (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    crop        text NOT NULL CHECK (length(crop) BETWEEN 1 AND 120),
    min_c       numeric(5, 2) NOT NULL CHECK (min_c BETWEEN -40 AND 60),
    max_c       numeric(5, 2) NOT NULL CHECK (max_c BETWEEN -40 AND 60),
    updated_by  uuid REFERENCES users (id),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, crop),
    CHECK (min_c < max_c)
);

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['batch_events', 'cold_chain_limits']::regclass[]) AS t;
