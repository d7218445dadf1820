-- The control tower (`/control`): what its panels read fast and the changes they follow.

-- Alerts are assigned to a person of the tenant (who is on it), besides being
-- acknowledged and resolved.
ALTER TABLE alerts
    ADD COLUMN assigned_to uuid REFERENCES users (id),
    ADD COLUMN assigned_at timestamptz;
-- The queue of alerts not yet resolved, newest first: a tenant may have 10,000 open
-- among many more resolved.
CREATE INDEX alerts_unresolved ON alerts (tenant_id, opened_at DESC, id DESC) WHERE resolved_at IS NULL;

-- A dead letter an operator decided not to run again. Kept (with who discarded it, in
-- the audit log) until the dead letters' retention removes it.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'dead', 'discarded'));
-- The tower's jobs panel, per tenant: what waits, runs or died (few rows), what
-- finished in the last hour, and the dead letters newest first. The jobs table keeps a
-- week of successes, so none of these may read it whole.
CREATE INDEX jobs_open_by_tenant ON jobs (tenant_id, queue) WHERE status IN ('queued', 'running', 'dead');
CREATE INDEX jobs_done_by_tenant ON jobs (tenant_id, queue, finished_at) WHERE status = 'succeeded';
CREATE INDEX jobs_dead_by_tenant ON jobs (tenant_id, id DESC) WHERE status = 'dead';

-- The newest orders, and those that reached a resting state today (the orders panel).
CREATE INDEX orders_newest ON orders (tenant_id, created_at DESC, id DESC);
CREATE INDEX orders_by_update ON orders (tenant_id, updated_at);
-- A tenant's messages of the last day, by channel (the notifications panel).
CREATE INDEX notification_outbox_by_tenant ON notification_outbox (tenant_id, created_at DESC);

-- Stock items at or under their low-stock threshold (the inventory panel), without
-- reading every item of a large store.
CREATE INDEX stock_items_low ON stock_items (tenant_id, sku)
    WHERE low_stock_threshold > 0 AND on_hand <= low_stock_threshold;
-- Today's sales by stock item (sell-through).
CREATE INDEX stock_movements_sold ON stock_movements (tenant_id, created_at) WHERE reason = 'sold';
-- Holds of unpaid orders, for "reservations held now".
CREATE INDEX stock_reservations_by_tenant ON stock_reservations (tenant_id, reserved_until);

-- A change of stock reaches the tower within the live stream's tick, whoever made it
-- (a sale, a hold, a delivery received, a count corrected, an import): one event per
-- statement and tenant, written in the changing transaction like every live event.
CREATE FUNCTION publish_stock_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO live_events (tenant_id, topic, kind, data)
        SELECT tenant_id, 'tenant:' || tenant_id || ':ops', 'stock.changed', jsonb_build_object('items', count(*))
        FROM old_rows GROUP BY tenant_id;
    ELSE
        INSERT INTO live_events (tenant_id, topic, kind, data)
        SELECT tenant_id, 'tenant:' || tenant_id || ':ops', 'stock.changed', jsonb_build_object('items', count(*))
        FROM new_rows GROUP BY tenant_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER stock_items_inserted_live AFTER INSERT ON stock_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_stock_change();
CREATE TRIGGER stock_items_updated_live AFTER UPDATE ON stock_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_stock_change();
CREATE TRIGGER stock_reservations_inserted_live AFTER INSERT ON stock_reservations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_stock_change();
CREATE TRIGGER stock_reservations_deleted_live AFTER DELETE ON stock_reservations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_stock_change();
