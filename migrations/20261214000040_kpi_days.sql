-- The control tower's KPIs, one row per tenant and store day (India), written by the
-- `kpi.rollup` job and only read by the tower: a year of orders costs a year of rows
-- to show, not a scan of the orders.
--
-- What changes a day's figures marks that day: an order paid, moved, refunded (a late
-- refund changes the day the order was placed), a settlement generated or cancelled,
-- farm revenue recorded or corrected. The mark is written in the changing transaction,
-- so the rollup sees it exactly when it sees the change; it takes the marks and
-- recomputes those days whole from their sources. Marks are plain rows with no key:
-- two checkouts of one store day never wait on each other to mark it.

CREATE TABLE kpi_days (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    day             date NOT NULL,
    -- Paid orders placed that day, what they came to, and what was refunded of them.
    orders          int NOT NULL DEFAULT 0 CHECK (orders >= 0),
    gmv             numeric(14, 2) NOT NULL DEFAULT 0 CHECK (gmv >= 0),
    refunded        numeric(14, 2) NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    -- Of those, how many reached the customer and how many were cancelled after payment
    -- (the rest are still on their way): the fill rate.
    reached         int NOT NULL DEFAULT 0 CHECK (reached >= 0),
    cancelled_paid  int NOT NULL DEFAULT 0 CHECK (cancelled_paid >= 0),
    -- Market settlements generated that day (not cancelled), and their net payable.
    settlements     int NOT NULL DEFAULT 0 CHECK (settlements >= 0),
    settled         numeric(14, 2) NOT NULL DEFAULT 0 CHECK (settled >= 0),
    -- Estate farm revenue earned that day.
    farm_revenue    numeric(15, 2) NOT NULL DEFAULT 0 CHECK (farm_revenue >= 0),
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, day),
    CHECK (reached + cancelled_paid <= orders),
    CHECK (refunded <= gmv)
);

CREATE TABLE kpi_dirty_days (
    tenant_id  uuid NOT NULL,
    day        date NOT NULL
);

SELECT isolate_by_tenant('kpi_days');
SELECT isolate_by_tenant('kpi_dirty_days');

-- The store day of an instant, and the instant a store day starts. India has one
-- offset and no daylight saving, so the fixed offset is exact and both are immutable.
-- The rollup reads a day as the range of instants it spans, so the tables' own
-- indexes on those instants serve it.
CREATE FUNCTION store_day(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((at AT TIME ZONE 'UTC') + interval '5 hours 30 minutes')::date
$$;
CREATE FUNCTION store_day_start(day date) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (day - interval '5 hours 30 minutes') AT TIME ZONE 'UTC'
$$;

-- One statement marks each day it touched once, however many rows it changed.
CREATE FUNCTION mark_order_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty_days (tenant_id, day)
    SELECT DISTINCT tenant_id, store_day(created_at) FROM new_rows WHERE paid_at IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_inserted_mark_kpi AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_order_days();
CREATE TRIGGER orders_updated_mark_kpi AFTER UPDATE ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_order_days();

CREATE FUNCTION mark_settlement_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_dirty_days (tenant_id, day)
    SELECT DISTINCT tenant_id, store_day(generated_at) FROM new_rows;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_settlements_inserted_mark_kpi AFTER INSERT ON ledger_settlements
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_settlement_days();
CREATE TRIGGER ledger_settlements_updated_mark_kpi AFTER UPDATE ON ledger_settlements
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_settlement_days();

-- Revenue may be corrected to another day or removed: both days are marked.
CREATE FUNCTION mark_revenue_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO kpi_dirty_days (tenant_id, day) SELECT DISTINCT tenant_id, earned_on FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO kpi_dirty_days (tenant_id, day) SELECT DISTINCT tenant_id, earned_on FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER farm_revenue_inserted_mark_kpi AFTER INSERT ON farm_revenue
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_revenue_days();
CREATE TRIGGER farm_revenue_updated_mark_kpi AFTER UPDATE ON farm_revenue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_revenue_days();
CREATE TRIGGER farm_revenue_deleted_mark_kpi AFTER DELETE ON farm_revenue
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_revenue_days();

-- The rollup reads a day's orders by when they were placed (`orders_newest`), its
-- settlements by when they were generated, its revenue by the day it was earned.
CREATE INDEX ledger_settlements_by_generation ON ledger_settlements (tenant_id, generated_at);
CREATE INDEX farm_revenue_by_day ON farm_revenue (tenant_id, earned_on);

-- What was there before the rollup existed is marked once, so its first run fills it.
SELECT set_config('mandi.cross_tenant', 'on', true);
INSERT INTO kpi_dirty_days (tenant_id, day)
SELECT DISTINCT tenant_id, store_day(created_at) FROM orders WHERE paid_at IS NOT NULL
UNION SELECT DISTINCT tenant_id, store_day(generated_at) FROM ledger_settlements
UNION SELECT DISTINCT tenant_id, earned_on FROM farm_revenue;
SELECT set_config('mandi.cross_tenant', 'off', true);
