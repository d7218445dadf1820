-- The people who run the platform itself (CONVENTIONS.md, `platform_admin`): the only
-- ones who see rows that belong to no tenant (platform jobs, one-time-code messages,
-- payments matched to no order). Not a membership role: no tenant's admin can grant it,
-- and it is read from here on each use, so taking it away takes effect at once.
CREATE TABLE platform_admins (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL DEFAULT now(),
    granted_by uuid REFERENCES users (id)
);

-- The platform tower's payments that matched no order (the tenant indexes on jobs and
-- the outbox already lead with tenant_id, which finds its NULLs too).
CREATE INDEX payments_unmatched ON payment_mismatches (found_at DESC) WHERE tenant_id IS NULL AND resolved_at IS NULL;
