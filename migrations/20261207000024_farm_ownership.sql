-- Farm ownership: where a farm is and how many share units it has, its dated plant
-- counts, owners' agreements, the farm's revenue and costs, distribution runs with one
-- payout per owner, and a daily health snapshot per farm.

ALTER TABLE farms
    ADD COLUMN latitude       numeric(9, 6) CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude      numeric(9, 6) CHECK (longitude BETWEEN -180 AND 180),
    ADD COLUMN total_units    integer NOT NULL DEFAULT 0 CHECK (total_units BETWEEN 0 AND 10000000),
    ADD COLUMN infrastructure text NOT NULL DEFAULT '' CHECK (length(infrastructure) <= 2000),
    ADD COLUMN crops          text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT farms_location_pair CHECK ((latitude IS NULL) = (longitude IS NULL));

-- Per estate: the platform's fee on revenue and the tax deducted at source from payouts.
CREATE TABLE ownership_settings (
    tenant_id             uuid PRIMARY KEY REFERENCES tenants (id),
    platform_fee_percent  numeric(5, 2) NOT NULL DEFAULT 0 CHECK (platform_fee_percent BETWEEN 0 AND 100),
    tds_percent           numeric(5, 2) NOT NULL DEFAULT 0 CHECK (tds_percent BETWEEN 0 AND 100),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- One count per farm, crop and day; field visits write here too (a later count the
-- same day replaces the earlier one).
CREATE TABLE plant_counts (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    farm_id      uuid NOT NULL,
    crop         text NOT NULL CHECK (length(crop) BETWEEN 1 AND 80),
    counted_on   date NOT NULL,
    planted      integer NOT NULL CHECK (planted >= 0),
    alive        integer NOT NULL CHECK (alive >= 0 AND alive <= planted),
    lost         integer NOT NULL CHECK (lost >= 0 AND lost <= planted),
    source       text NOT NULL CHECK (source IN ('admin', 'visit', 'import', 'demo')),
    recorded_by  uuid REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, farm_id, crop, counted_on),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id)
);

-- An owner is a customer of the estate: the membership must exist (another tenant's
-- customer cannot hold shares here), and it cannot be removed while shares are held.
CREATE TABLE ownership_agreements (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    farm_id      uuid NOT NULL,
    owner_id     uuid NOT NULL,
    owner_role   text NOT NULL DEFAULT 'customer' CHECK (owner_role = 'customer'),
    units        integer NOT NULL CHECK (units > 0),
    starts_on    date NOT NULL,
    ends_on      date CHECK (ends_on >= starts_on),
    price_paid   numeric(15, 2) NOT NULL CHECK (price_paid >= 0),
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id, owner_role) REFERENCES memberships (tenant_id, user_id, role)
);
CREATE INDEX ownership_agreements_farm ON ownership_agreements (tenant_id, farm_id, starts_on);
CREATE INDEX ownership_agreements_owner ON ownership_agreements (tenant_id, owner_id);

CREATE TABLE farm_revenue (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    farm_id     uuid NOT NULL,
    earned_on   date NOT NULL,
    source      text NOT NULL CHECK (source IN ('auction', 'direct')),
    amount      numeric(15, 2) NOT NULL CHECK (amount > 0),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id)
);
CREATE INDEX farm_revenue_farm_day ON farm_revenue (tenant_id, farm_id, earned_on);

CREATE TABLE farm_costs (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    farm_id      uuid NOT NULL,
    incurred_on  date NOT NULL,
    category     text NOT NULL CHECK (length(category) BETWEEN 1 AND 80),
    amount       numeric(15, 2) NOT NULL CHECK (amount > 0),
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id)
);
CREATE INDEX farm_costs_farm_day ON farm_costs (tenant_id, farm_id, incurred_on);

-- A run is previewed (its figures and a digest of what they came from are kept), then
-- approved once: approval recomputes the digest and refuses when revenue, costs or
-- agreements changed since. One approved run per farm and month, ever.
CREATE TABLE distribution_runs (
    tenant_id             uuid NOT NULL,
    id                    uuid NOT NULL,
    farm_id               uuid NOT NULL,
    period                date NOT NULL CHECK (extract(day FROM period) = 1),
    status                text NOT NULL CHECK (status IN ('preview', 'approved')),
    revenue               numeric(15, 2) NOT NULL,
    platform_fee_percent  numeric(5, 2) NOT NULL,
    platform_fee          numeric(15, 2) NOT NULL,
    tds_percent           numeric(5, 2) NOT NULL,
    costs                 numeric(15, 2) NOT NULL,
    distributable         numeric(15, 2) NOT NULL,
    total_unit_days       bigint NOT NULL,
    nothing_to_pay        text CHECK (nothing_to_pay IN ('NO_REVENUE', 'COSTS_EXCEED_REVENUE', 'NO_UNIT_DAYS')),
    inputs_digest         text NOT NULL,
    -- The preview's split (owner, unit-days, gross, tds, net); payouts once approved.
    shares                jsonb NOT NULL DEFAULT '[]',
    created_by            uuid REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    approved_by           uuid REFERENCES users (id),
    approved_at           timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    CHECK ((status = 'approved') = (approved_at IS NOT NULL))
);
CREATE UNIQUE INDEX distribution_runs_paid_once ON distribution_runs (tenant_id, farm_id, period)
    WHERE status = 'approved';

CREATE TABLE payouts (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    run_id          uuid NOT NULL,
    farm_id         uuid NOT NULL,
    period          date NOT NULL,
    owner_id        uuid NOT NULL REFERENCES users (id),
    unit_days       bigint NOT NULL CHECK (unit_days > 0),
    gross           numeric(15, 2) NOT NULL CHECK (gross >= 0),
    tds             numeric(15, 2) NOT NULL CHECK (tds >= 0 AND tds <= gross),
    net             numeric(15, 2) NOT NULL CHECK (net = gross - tds),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid')),
    bank_reference  text CHECK (length(bank_reference) BETWEEN 1 AND 80),
    paid_at         timestamptz,
    paid_by         uuid REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, run_id, owner_id),
    FOREIGN KEY (tenant_id, run_id) REFERENCES distribution_runs (tenant_id, id),
    CHECK ((status = 'paid') = (paid_at IS NOT NULL AND bank_reference IS NOT NULL))
);
CREATE INDEX payouts_owner ON payouts (tenant_id, owner_id, period);

CREATE TABLE farm_health_snapshots (
    tenant_id  uuid NOT NULL,
    farm_id    uuid NOT NULL,
    day        date NOT NULL,
    score      smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
    breakdown  jsonb NOT NULL,
    PRIMARY KEY (tenant_id, farm_id, day),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id)
);

SELECT isolate_by_tenant(t) FROM unnest(ARRAY[
    'ownership_settings', 'plant_counts', 'ownership_agreements', 'farm_revenue', 'farm_costs',
    'distribution_runs', 'payouts', 'farm_health_snapshots'
]::regclass[]) AS t;

-- An owner's own pages run with `mandi.owner_id` set as well as the tenant: then
-- agreements and payouts are theirs only, and farm-level rows only of farms they hold
-- (restrictive policies, ANDed with tenant isolation). Nothing set: no narrowing.
DO $$
DECLARE
    t text;
    owner constant text := '(SELECT nullif(current_setting(''mandi.owner_id'', true), '''')::uuid)';
BEGIN
    FOREACH t IN ARRAY ARRAY['ownership_agreements', 'payouts'] LOOP
        EXECUTE format('CREATE POLICY owner_scope ON %I AS RESTRICTIVE USING (%s IS NULL OR owner_id = %s)',
            t, owner, owner);
    END LOOP;
    EXECUTE format('CREATE POLICY owner_scope ON farms AS RESTRICTIVE USING (%s IS NULL OR EXISTS ('
        'SELECT 1 FROM ownership_agreements a WHERE a.tenant_id = farms.tenant_id AND a.farm_id = farms.id '
        'AND a.owner_id = %s))', owner, owner);
    FOREACH t IN ARRAY ARRAY['plant_counts', 'farm_revenue', 'farm_costs', 'distribution_runs', 'farm_health_snapshots']
    LOOP
        EXECUTE format('CREATE POLICY owner_scope ON %I AS RESTRICTIVE USING (%s IS NULL OR EXISTS ('
            'SELECT 1 FROM ownership_agreements a WHERE a.tenant_id = %I.tenant_id AND a.farm_id = %I.farm_id '
            'AND a.owner_id = %s))', t, owner, t, t, owner);
    END LOOP;
END
$$;

-- Shares of a farm never exceed its units on any day. Writers of agreements (and of a
-- farm's units) take the farm's row lock first, so two agreements racing each other
-- are checked one after the other. The busiest day in a range is the range's first day
-- or a day some agreement starts on, so only those days are summed.
CREATE FUNCTION farm_units_respected(t uuid, farm uuid, from_day date, to_day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    capacity integer;
    busiest  bigint;
    on_day   date;
BEGIN
    SELECT total_units INTO capacity FROM farms WHERE tenant_id = t AND id = farm FOR UPDATE;
    SELECT d, held INTO on_day, busiest FROM (
        SELECT d.d, (SELECT coalesce(sum(a.units), 0) FROM ownership_agreements a
                     WHERE a.tenant_id = t AND a.farm_id = farm AND a.starts_on <= d.d
                       AND (a.ends_on IS NULL OR a.ends_on >= d.d)) AS held
        FROM (SELECT from_day AS d
              UNION SELECT a.starts_on FROM ownership_agreements a
              WHERE a.tenant_id = t AND a.farm_id = farm AND a.starts_on > from_day
                AND (to_day IS NULL OR a.starts_on <= to_day)) d
    ) per_day ORDER BY held DESC LIMIT 1;
    IF busiest > capacity THEN
        RAISE EXCEPTION 'farm % would have % units held on % but has %', farm, busiest, on_day, capacity
            USING ERRCODE = 'MF001';
    END IF;
END
$$;

-- The period an agreement, revenue or cost touches must not be paid already.
CREATE FUNCTION farm_period_open(t uuid, farm uuid, from_day date, to_day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    paid date;
BEGIN
    PERFORM 1 FROM farms WHERE tenant_id = t AND id = farm FOR SHARE;
    SELECT period INTO paid FROM distribution_runs
    WHERE tenant_id = t AND farm_id = farm AND status = 'approved'
      AND period + interval '1 month' > from_day AND (to_day IS NULL OR period <= to_day)
    ORDER BY period LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the distribution for % of farm % is approved', to_char(paid, 'YYYY-MM'), farm
            USING ERRCODE = 'MF002';
    END IF;
END
$$;

-- The farm's row lock is taken FOR UPDATE before anything else: the check after the
-- write needs it, and two writers that first shared it would deadlock upgrading it.
CREATE FUNCTION agreements_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM 1 FROM farms WHERE tenant_id = OLD.tenant_id AND id = OLD.farm_id FOR UPDATE;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM 1 FROM farms WHERE tenant_id = NEW.tenant_id AND id = NEW.farm_id FOR UPDATE;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM farm_period_open(OLD.tenant_id, OLD.farm_id, OLD.starts_on, OLD.ends_on);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    PERFORM farm_period_open(NEW.tenant_id, NEW.farm_id, NEW.starts_on, NEW.ends_on);
    RETURN NEW;
END
$$;
CREATE TRIGGER agreements_guard BEFORE INSERT OR UPDATE OR DELETE ON ownership_agreements
    FOR EACH ROW EXECUTE FUNCTION agreements_guard();

-- Checked after the row is written, so the sum includes it (and excludes its old self).
CREATE FUNCTION agreements_fit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM farm_units_respected(NEW.tenant_id, NEW.farm_id, NEW.starts_on, NEW.ends_on);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER agreements_fit AFTER INSERT OR UPDATE ON ownership_agreements
    FOR EACH ROW EXECUTE FUNCTION agreements_fit();

CREATE FUNCTION farm_units_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.total_units < OLD.total_units THEN
        PERFORM farm_units_respected(NEW.tenant_id, NEW.id, DATE '1900-01-01', NULL);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER farm_units_guard AFTER UPDATE OF total_units ON farms
    FOR EACH ROW EXECUTE FUNCTION farm_units_guard();

-- Revenue and costs of a paid month are frozen: a correction goes into an open month.
CREATE FUNCTION farm_money_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    day_column constant text := CASE TG_TABLE_NAME WHEN 'farm_revenue' THEN 'earned_on' ELSE 'incurred_on' END;
    day date;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        day := (to_jsonb(OLD) ->> day_column)::date;
        PERFORM farm_period_open(OLD.tenant_id, OLD.farm_id, day, day);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    day := (to_jsonb(NEW) ->> day_column)::date;
    PERFORM farm_period_open(NEW.tenant_id, NEW.farm_id, day, day);
    RETURN NEW;
END
$$;
CREATE TRIGGER farm_revenue_guard BEFORE INSERT OR UPDATE OR DELETE ON farm_revenue
    FOR EACH ROW EXECUTE FUNCTION farm_money_guard();
CREATE TRIGGER farm_costs_guard BEFORE INSERT OR UPDATE OR DELETE ON farm_costs
    FOR EACH ROW EXECUTE FUNCTION farm_money_guard();
