-- Ledger entries (partitioned by month, PRODUCT.md "Scale"), their append-only
-- history, the devices that push them (Replicache's push protocol: the last mutation
-- applied per device commits with the changes), and the conflicts sync resolved.

CREATE TABLE ledger_entries (
    tenant_id       uuid NOT NULL,
    -- The market day (IST) of recorded_at; neither changes after creation.
    market_date     date NOT NULL,
    -- Minted on the tablet (UUID v7): the entry's identity before it ever reaches us.
    client_id       uuid NOT NULL,
    farmer_id       uuid NOT NULL,
    flower_type_id  uuid NOT NULL,
    slot_id         uuid,
    recorded_at     timestamptz NOT NULL,
    quantity_kg     numeric(10,3) NOT NULL CHECK (quantity_kg > 0),
    rate            numeric(12,2) CHECK (rate > 0),
    total           numeric(14,2) CHECK (total >= 0),
    -- pending: no rate was set for the slot yet; priced when an admin sets it.
    rate_source     text NOT NULL CHECK (rate_source IN ('slot', 'override', 'pending')),
    status          text NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'void')),
    version         int NOT NULL DEFAULT 1 CHECK (version >= 1),
    change_seq      bigint NOT NULL,
    entered_by      uuid NOT NULL,
    device_id       uuid,
    last_device_id  uuid,
    updated_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    settlement_id   uuid,
    CHECK ((rate IS NULL) = (total IS NULL)),
    CHECK ((rate_source = 'pending') = (rate IS NULL)),
    PRIMARY KEY (tenant_id, market_date, client_id),
    FOREIGN KEY (tenant_id, farmer_id) REFERENCES ledger_farmers (tenant_id, id),
    FOREIGN KEY (tenant_id, flower_type_id) REFERENCES ledger_flower_types (tenant_id, id),
    FOREIGN KEY (tenant_id, slot_id) REFERENCES ledger_time_slots (tenant_id, id)
) PARTITION BY RANGE (market_date);
-- client_id is unique per tenant; a partitioned table cannot say so across partitions,
-- so the sync service checks it under the ledger_counters lock.
CREATE INDEX ledger_entries_client ON ledger_entries (tenant_id, client_id);
CREATE INDEX ledger_entries_seq ON ledger_entries (tenant_id, change_seq);
CREATE INDEX ledger_entries_farmer ON ledger_entries (tenant_id, farmer_id, market_date);

CREATE TABLE ledger_entry_history (
    tenant_id       uuid NOT NULL,
    market_date     date NOT NULL,
    client_id       uuid NOT NULL,
    version         int NOT NULL,
    change          text NOT NULL CHECK (change IN ('created', 'edited', 'voided', 'merged', 'repriced', 'settled', 'released')),
    farmer_id       uuid NOT NULL,
    flower_type_id  uuid NOT NULL,
    quantity_kg     numeric(10,3) NOT NULL,
    rate            numeric(12,2),
    total           numeric(14,2),
    rate_source     text NOT NULL,
    status          text NOT NULL,
    actor_id        uuid,
    device_id       uuid,
    mutation_id     bigint,
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, market_date, client_id, version, change)
) PARTITION BY RANGE (market_date);
CREATE TRIGGER ledger_entry_history_append_only BEFORE UPDATE OR DELETE ON ledger_entry_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE ledger_devices (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    device_id         uuid NOT NULL,
    -- A device id belongs to the one person who first pushed from it.
    user_id           uuid NOT NULL REFERENCES users (id),
    last_mutation_id  bigint NOT NULL DEFAULT 0 CHECK (last_mutation_id >= 0),
    app_version       text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_push_at      timestamptz,
    PRIMARY KEY (tenant_id, device_id)
);

CREATE TABLE ledger_sync_conflicts (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    market_date      date NOT NULL,
    client_id        uuid NOT NULL,
    device_id        uuid NOT NULL,
    mutation_id      bigint NOT NULL,
    actor_id         uuid NOT NULL,
    base_version     int NOT NULL,
    server_version   int NOT NULL,
    result_version   int,
    resolution       text NOT NULL CHECK (resolution IN ('merged', 'server_kept')),
    -- {field: {base, mine, theirs, result}}
    detail           jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    acknowledged_by  uuid,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ledger_conflicts_open ON ledger_sync_conflicts (tenant_id, device_id) WHERE acknowledged_at IS NULL;

-- Monthly partitions from first_month on; each isolated like its parent, so even a
-- query naming a partition sees one tenant only.
CREATE FUNCTION ledger_ensure_partitions(first_month date, months int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m date;
    part text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        m := date_trunc('month', first_month)::date + make_interval(months => i);
        FOREACH part IN ARRAY ARRAY['ledger_entries', 'ledger_entry_history'] LOOP
            IF to_regclass(format('%s_y%sm%s', part, to_char(m, 'YYYY'), to_char(m, 'MM'))) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L) WITH (fillfactor = 85)',
                    format('%s_y%sm%s', part, to_char(m, 'YYYY'), to_char(m, 'MM')), part, m, (m + interval '1 month')::date);
                PERFORM isolate_by_tenant(format('%s_y%sm%s', part, to_char(m, 'YYYY'), to_char(m, 'MM'))::regclass);
            END IF;
        END LOOP;
    END LOOP;
END
$$;
SELECT ledger_ensure_partitions(date '2026-01-01', 24);
-- Rows outside the prepared months land here rather than fail; a gauge watches it.
CREATE TABLE ledger_entries_default PARTITION OF ledger_entries DEFAULT;
CREATE TABLE ledger_entry_history_default PARTITION OF ledger_entry_history DEFAULT;

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['ledger_entries', 'ledger_entry_history', 'ledger_devices',
    'ledger_sync_conflicts', 'ledger_entries_default', 'ledger_entry_history_default']::regclass[]) AS t;
