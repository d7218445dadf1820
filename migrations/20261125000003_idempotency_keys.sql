-- Idempotency keys: the first response to a mutating request is stored and replayed
-- for any retry with the same key, by the same caller, for 24 hours.
CREATE TABLE idempotency_keys (
    scope         text NOT NULL,          -- 'user:<id>' or 'anonymous'
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    method        text NOT NULL,
    path          text NOT NULL,
    request_hash  bytea NOT NULL,
    -- NULL while the first request is still running.
    status        smallint,
    content_type  text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
