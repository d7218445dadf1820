-- Field operations, second part: the task board ops schedule and field agents work,
-- and the visits agents record (their phones make the ids, so a visit sent twice is
-- stored once).

-- A recurring task is a series: its rule (an RFC 5545 RRULE, always bounded) and the
-- tasks it made, one per occurrence, each assigned and completed on its own.
CREATE TABLE task_series (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    rule        text NOT NULL CHECK (length(rule) BETWEEN 1 AND 300),
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE field_visits (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    farm_id       uuid NOT NULL,
    agent_id      uuid NOT NULL REFERENCES users (id),
    -- The phone's clock, which may be wrong by days; `received_at` is ours.
    visited_at    timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    notes         text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
    latitude      numeric(9, 6) CHECK (latitude BETWEEN -90 AND 90),
    longitude     numeric(9, 6) CHECK (longitude BETWEEN -180 AND 180),
    accuracy_m    numeric(8, 1) CHECK (accuracy_m >= 0),
    -- What the phone sent, so a resend can be told from a different visit under the same id.
    digest        text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX field_visits_farm ON field_visits (tenant_id, farm_id, visited_at DESC);

CREATE TABLE field_tasks (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    series_id      uuid,
    farm_id        uuid NOT NULL,
    kind           text NOT NULL
        CHECK (kind IN ('visit', 'plucking', 'pruning', 'fertilising', 'pest_check', 'irrigation', 'custom')),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    notes          text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    due_on         date NOT NULL,
    assignee_id    uuid REFERENCES users (id),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    created_by     uuid NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz,
    completed_by   uuid REFERENCES users (id),
    visit_id       uuid,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farm_id) REFERENCES farms (tenant_id, id),
    FOREIGN KEY (tenant_id, series_id) REFERENCES task_series (tenant_id, id),
    FOREIGN KEY (tenant_id, visit_id) REFERENCES field_visits (tenant_id, id),
    CHECK ((status = 'done') = (completed_at IS NOT NULL))
);
CREATE INDEX field_tasks_due ON field_tasks (tenant_id, status, due_on);
CREATE INDEX field_tasks_assignee ON field_tasks (tenant_id, assignee_id, due_on) WHERE status = 'open';
CREATE INDEX field_tasks_farm ON field_tasks (tenant_id, farm_id, due_on);

-- A task's assignee is a field agent of its tenant, checked where it is written so
-- no door can skip it.
CREATE FUNCTION field_task_assignee_is_agent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.assignee_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM memberships m
        WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.assignee_id AND m.role = 'field_agent'
    ) THEN
        RAISE EXCEPTION 'assignee % is not a field agent of this tenant', NEW.assignee_id
            USING ERRCODE = 'MF003';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER field_task_assignee_is_agent BEFORE INSERT OR UPDATE OF assignee_id ON field_tasks
    FOR EACH ROW EXECUTE FUNCTION field_task_assignee_is_agent();

-- Plant counts a visit wrote name it.
ALTER TABLE plant_counts ADD COLUMN visit_id uuid;
ALTER TABLE plant_counts ADD FOREIGN KEY (tenant_id, visit_id) REFERENCES field_visits (tenant_id, id);

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['task_series', 'field_visits', 'field_tasks']::regclass[]) AS t;

-- Owners read their farms' visits (and nothing of farms they do not hold), as for the
-- farm-level tables of farm ownership (migration …24).
CREATE POLICY owner_scope ON field_visits AS RESTRICTIVE USING (
    (SELECT nullif(current_setting('mandi.owner_id', true), '')::uuid) IS NULL OR EXISTS (
        SELECT 1 FROM ownership_agreements a WHERE a.tenant_id = field_visits.tenant_id
            AND a.farm_id = field_visits.farm_id
            AND a.owner_id = (SELECT nullif(current_setting('mandi.owner_id', true), '')::uuid)));
CREATE POLICY owner_scope ON field_tasks AS RESTRICTIVE USING (
    (SELECT nullif(current_setting('mandi.owner_id', true), '')::uuid) IS NULL OR EXISTS (
        SELECT 1 FROM ownership_agreements a WHERE a.tenant_id = field_tasks.tenant_id
            AND a.farm_id = field_tasks.farm_id
            AND a.owner_id = (SELECT nullif(current_setting('mandi.owner_id', true), '')::uuid)));
