-- A market's and an estate's control tower: settlements by stage (few are open at a
-- time among years of paid ones), and ledger and field-task changes announced on the
-- tenant's operations stream.

CREATE INDEX ledger_settlements_open ON ledger_settlements (tenant_id) WHERE status IN ('generated', 'approved');
CREATE INDEX ledger_settlements_paid ON ledger_settlements (tenant_id, paid_at) WHERE status = 'paid';

-- One event (of the kind the trigger names) per statement and tenant, in the changing
-- transaction: a tablet's sync of forty entries is one event, and the tower reads its
-- panel once for it.
CREATE FUNCTION publish_ops_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_events (tenant_id, topic, kind, data)
    SELECT tenant_id, 'tenant:' || tenant_id || ':ops', TG_ARGV[0], jsonb_build_object('rows', count(*))
    FROM new_rows GROUP BY tenant_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_entries_inserted_live AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_ops_change('ledger.changed');
CREATE TRIGGER ledger_entries_updated_live AFTER UPDATE ON ledger_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_ops_change('ledger.changed');
CREATE TRIGGER ledger_settlements_inserted_live AFTER INSERT ON ledger_settlements
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_ops_change('settlement.changed');
CREATE TRIGGER ledger_settlements_updated_live AFTER UPDATE ON ledger_settlements
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_ops_change('settlement.changed');
CREATE TRIGGER field_tasks_inserted_live AFTER INSERT ON field_tasks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_ops_change('task.changed');
CREATE TRIGGER field_tasks_updated_live AFTER UPDATE ON field_tasks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publish_ops_change('task.changed');
