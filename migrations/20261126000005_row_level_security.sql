-- Tenant isolation in PostgreSQL itself. Every tenant-owned table gets a policy that
-- shows (and accepts) only rows of the tenant set for the current transaction with
-- `set_config('mandi.tenant_id', <uuid>, true)`. Nothing set: nothing visible, so a
-- query that forgets its `WHERE tenant_id` still cannot cross tenants. FORCE makes the
-- policies apply to the owning role too (the app's own role owns these tables); only
-- a superuser or a BYPASSRLS role escapes them, and the app refuses to start as one
-- in production.
--
-- Work that is about people rather than one tenant (sign-in finding a person's
-- memberships, the demo loader, maintenance jobs) says so explicitly with
-- `set_config('mandi.cross_tenant', 'on', true)`, in that transaction only.

CREATE FUNCTION mandi_tenant_visible(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT current_setting('mandi.cross_tenant', true) IS NOT DISTINCT FROM 'on'
        OR row_tenant = nullif(current_setting('mandi.tenant_id', true), '')::uuid
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['memberships', 'farms', 'categories', 'products', 'product_variants', 'inventory']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (mandi_tenant_visible(tenant_id)) WITH CHECK (mandi_tenant_visible(tenant_id))',
            t
        );
    END LOOP;
END
$$;

-- The audit log and the outbox also hold entries that belong to no tenant (a failed
-- sign-in, a one-time code); those are readable and writable in any scope.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id IS NULL OR mandi_tenant_visible(tenant_id))
    WITH CHECK (tenant_id IS NULL OR mandi_tenant_visible(tenant_id));

ALTER TABLE notification_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_outbox
    USING (tenant_id IS NULL OR mandi_tenant_visible(tenant_id))
    WITH CHECK (tenant_id IS NULL OR mandi_tenant_visible(tenant_id));
