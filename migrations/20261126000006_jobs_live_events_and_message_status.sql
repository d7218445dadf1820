-- Durable jobs, recurring schedules, live events and message delivery status.

-- A job is a row written in the same transaction as the change that causes it. A
-- worker claims a batch with FOR UPDATE SKIP LOCKED, takes a lease (lease_owner,
-- lease_expires_at), and completes the job in the same transaction as the handler's
-- own writes, fenced on (lease_owner, attempts): a worker whose lease was taken over
-- cannot commit, so a job's effect happens once even though delivery is at least once.
CREATE TABLE jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue             text NOT NULL
                      CHECK (queue IN ('notifications', 'payments', 'inventory', 'reports', 'maintenance')),
    kind              text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' AND length(kind) <= 80),
    payload           jsonb NOT NULL DEFAULT '{}',
    tenant_id         uuid REFERENCES tenants (id),
    priority          smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    run_at            timestamptz NOT NULL DEFAULT now(),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      integer NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 100),
    lease_owner       uuid,
    lease_expires_at  timestamptz,
    last_error        text,
    -- Set for jobs that must not be enqueued twice (a schedule's run).
    dedupe_key        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- Every update of a job moves its row (status is in index predicates, so no update is
-- HOT) and writes an entry into each index that covers it; indexes are therefore
-- partial, covering only the states someone looks rows up in. The daily purge of
-- finished jobs scans the table instead of keeping an index on every success.
CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_dead ON jobs (finished_at DESC, id DESC) WHERE status = 'dead';
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL;
-- A queue table churns: claims scan past the index entries of rows already claimed
-- until vacuum removes them, so vacuum it after a few percent of changes, unthrottled.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02,
                      autovacuum_analyze_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 0);

-- NOTIFY on the channel named by the trigger's argument, once per statement (and
-- Postgres folds identical notifications of one transaction), however many rows.
CREATE FUNCTION notify_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$;

-- Workers sleep on this channel instead of polling hard.
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('mandi_jobs');

-- Recurring jobs (cron expressions, UTC). Whichever app process locks a due row first
-- enqueues its run and moves next_run_at on, in one transaction; runs missed while
-- every process was down are folded into one.
CREATE TABLE job_schedules (
    name         text PRIMARY KEY,
    cron         text NOT NULL,
    queue        text NOT NULL,
    kind         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    next_run_at  timestamptz NOT NULL,
    last_run_at  timestamptz,
    enabled      boolean NOT NULL DEFAULT true
);

-- What a canary job did: the job pipeline's end-to-end probe (operators and the
-- benchmark enqueue `diagnostics.probe` jobs, which write one row here each).
CREATE TABLE job_probes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      bigint NOT NULL,
    label       text NOT NULL,
    worker      uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Live events for Server-Sent Events. Publishers take a transaction-scoped advisory
-- lock before inserting, so sequence numbers become visible in order: a listener that
-- has read up to N never later finds a committed event below N (no gaps to resume).
CREATE TABLE live_events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id),
    topic       text NOT NULL,
    kind        text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_events_topic ON live_events (topic, seq);
CREATE INDEX live_events_created ON live_events (created_at);

CREATE TRIGGER live_events_inserted AFTER INSERT ON live_events FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('mandi_live');

ALTER TABLE live_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE live_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON live_events
    USING (tenant_id IS NULL
           OR (SELECT current_setting('mandi.cross_tenant', true)) IS NOT DISTINCT FROM 'on'
           OR tenant_id = (SELECT nullif(current_setting('mandi.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id IS NULL
           OR (SELECT current_setting('mandi.cross_tenant', true)) IS NOT DISTINCT FROM 'on'
           OR tenant_id = (SELECT nullif(current_setting('mandi.tenant_id', true), '')::uuid));

-- Delivery: what the provider called the message, why it failed, and when each status
-- arrived (one row per provider status, so a replayed webhook changes nothing).
ALTER TABLE notification_outbox
    ADD COLUMN params jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN provider_message_id text UNIQUE,
    ADD COLUMN last_error text,
    ADD COLUMN sent_at timestamptz,
    ADD COLUMN delivered_at timestamptz,
    ADD COLUMN read_at timestamptz;
CREATE INDEX notification_outbox_status ON notification_outbox (status, created_at DESC);
CREATE INDEX notification_outbox_user ON notification_outbox (user_id, created_at DESC) WHERE user_id IS NOT NULL;

CREATE TABLE notification_status_events (
    provider_message_id  text NOT NULL,
    status               text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    occurred_at          timestamptz NOT NULL,
    received_at          timestamptz NOT NULL DEFAULT now(),
    error                text,
    PRIMARY KEY (provider_message_id, status)
);

-- How each person wants to be reached, channels in order of preference (their
-- language is users.locale). In-app messages are always kept as well.
ALTER TABLE users
    ADD COLUMN notification_channels text[] NOT NULL DEFAULT ARRAY['whatsapp', 'sms', 'email']
        CHECK (notification_channels <@ ARRAY['whatsapp', 'sms', 'email']);
