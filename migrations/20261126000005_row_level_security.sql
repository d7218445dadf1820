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


-- The settings are read in scalar subqueries so PostgreSQL evaluates each once per
-- query (an InitPlan) instead of once per row: a per-row current_setting() made
-- counting 100,000 products several times slower.
DO $$
DECLARE
    t text;
    visible constant text :=
        '(SELECT current_setting(''mandi.cross_tenant'', true)) IS NOT DISTINCT FROM ''on'''
        ' OR tenant_id = (SELECT nullif(current_setting(''mandi.tenant_id'', true), '''')::uuid)';
BEGIN
    FOREACH t IN ARRAY ARRAY['memberships', 'farms', 'categories', 'products', 'product_variants', 'inventory']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (%s) WITH CHECK (%s)', t, visible, visible);
    END LOOP;
    -- The audit log and the outbox also hold entries that belong to no tenant (a failed
    -- sign-in, a one-time code); those are readable and writable in any scope.
    FOREACH t IN ARRAY ARRAY['audit_log', 'notification_outbox']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id IS NULL OR %s) WITH CHECK (tenant_id IS NULL OR %s)',
            t, visible, visible
        );
    END LOOP;
END
$$;
