-- Field operations, first part: sensor and weather readings, each crop's acceptable
-- ranges, and the one alerts table every area opens alerts in.

-- One open alert per subject and kind: a rule that fires again while its alert is open
-- adds nothing. Subjects are farms, batches, stock items, orders, payments and
-- notification providers; `subject_id` is text because a provider is named, not
-- numbered. Acknowledged and resolved by whom and when; resolved with no person is
-- resolved by the rule that opened it.
CREATE TABLE alerts (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{1,62}$'),
    severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    subject_type     text NOT NULL
        CHECK (subject_type IN ('farm', 'batch', 'stock_item', 'order', 'payment', 'notification_provider')),
    subject_id       text NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 100),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    details          jsonb NOT NULL DEFAULT '{}',
    opened_at        timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    acknowledged_by  uuid REFERENCES users (id),
    resolved_at      timestamptz,
    resolved_by      uuid REFERENCES users (id),
    resolution       text CHECK (length(resolution) <= 1000),
    PRIMARY KEY (tenant_id, id),
    CHECK (acknowledged_at IS NULL OR acknowledged_at >= opened_at),
    CHECK (resolved_at IS NULL OR resolved_at >= opened_at)
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (tenant_id, subject_type, subject_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX alerts_newest ON alerts (tenant_id, opened_at DESC, id DESC);

-- A crop's acceptable range of a metric, and how many readings in a row outside it
-- open an alert.
CREATE TABLE reading_thresholds (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    crop         text NOT NULL CHECK (length(crop) BETWEEN 1 AND 60),
    metric       text NOT NULL,
    min_value    numeric,
    max_value    numeric,
    consecutive  smallint NOT NULL DEFAULT 3 CHECK (consecutive BETWEEN 1 AND 100),
    updated_by   uuid REFERENCES users (id),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, crop, metric),
    CHECK (min_value IS NOT NULL OR max_value IS NOT NULL),
    CHECK (min_value IS NULL OR max_value IS NULL OR min_value < max_value)
);

-- Readings by the month they were taken in. There is no default partition: a reading
-- older than the oldest month kept is refused by the app (and would fail here), never
-- parked where nobody looks. `received_at` is our clock beside the device's, which
-- may be wrong by days. `out_of_range` is judged against the thresholds when it
-- arrives, so "N in a row" is a read of N rows.
CREATE TABLE sensor_readings (
    tenant_id     uuid NOT NULL,
    farm_id       uuid NOT NULL,
    sensor        text NOT NULL,
    metric        text NOT NULL,
    recorded_at   timestamptz NOT NULL,
    value         numeric NOT NULL,
    unit          text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    out_of_range  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, farm_id, sensor, metric, recorded_at),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id)
) PARTITION BY RANGE (recorded_at);

-- The months that have a partition (kept by `ensure_reading_partitions`), so the app
-- knows the oldest it can store without reading the catalogue.
CREATE TABLE reading_partitions (
    month       date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    created_at  timestamptz NOT NULL DEFAULT now()
);

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['alerts', 'reading_thresholds', 'sensor_readings']::regclass[]) AS t;
