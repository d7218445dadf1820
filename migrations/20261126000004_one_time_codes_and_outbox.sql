-- Phone sign-in codes and the notification outbox that carries them.

-- A code is 6 digits, lives 5 minutes, allows 5 guesses, and is stored only as a
-- salted SHA-256 (the row id is the salt). A row is written for every request, even
-- for a phone with no account (user_id NULL, nothing sent), so the per-phone resend
-- throttle behaves the same whether or not the phone is known.
CREATE TABLE one_time_codes (
    id           uuid PRIMARY KEY,
    phone        text NOT NULL,
    user_id      uuid REFERENCES users (id),
    code_hash    bytea NOT NULL CHECK (length(code_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    attempts     smallint NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    consumed_at  timestamptz
);
CREATE INDEX one_time_codes_phone ON one_time_codes (phone, created_at DESC);

-- Messages to people, written in the same transaction as the change that causes
-- them; the jobs issue delivers them through the providers and tracks their status.
CREATE TABLE notification_outbox (
    id          uuid PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id),
    user_id     uuid REFERENCES users (id),
    channel     text NOT NULL CHECK (channel IN ('sms', 'whatsapp', 'email', 'in_app')),
    recipient   text NOT NULL,
    template    text NOT NULL,
    language    text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ta')),
    body        text NOT NULL,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    attempts    smallint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_created ON notification_outbox (created_at DESC);
CREATE INDEX notification_outbox_queued ON notification_outbox (created_at) WHERE status = 'queued';
