-- Sessions: rotating refresh tokens (stored hashed) in families, revoked access
-- tokens, and the audit log of security events and state changes.

CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    -- Every rotation of one sign-in shares a family; reuse of a spent token revokes it.
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- Access tokens refused before their natural expiry (sign-out, admin revocation).
CREATE TABLE revoked_access_tokens (
    jti         uuid PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id   uuid REFERENCES tenants (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid REFERENCES users (id),
    action      text NOT NULL,
    target      text,
    before      jsonb,
    after       jsonb,
    request_id  text,
    ip          text,
    PRIMARY KEY (id)
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_action_at ON audit_log (action, at DESC);
