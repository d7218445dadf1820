-- Numbers committed live events that have no number yet, oldest written first, and
-- wakes every hub if there were any (server/src/live/hub.rs). Returns how many it
-- numbered. Called as a statement of its own: its transaction ends right after, so
-- the lock is held to the commit and numbering transactions run one at a time, which
-- makes numbers visible in order (migration …18). Events of every tenant are
-- numbered, so it reads across tenants, for this call only (an ordinary role may not
-- put a `mandi.*` setting in a SET clause).
--
-- Each event is numbered by its key: as one UPDATE joined to the batch, a plan made
-- while `live_events` was small walked the whole table against each batch, and the
-- plan lives as long as the connection (migration …20).
CREATE OR REPLACE FUNCTION number_live_events() RETURNS bigint
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
    numbered bigint := 0;
    event bigint;
    cross_tenant text := current_setting('mandi.cross_tenant', true);
BEGIN
    PERFORM set_config('mandi.cross_tenant', 'on', true);
    PERFORM pg_advisory_xact_lock(7305001);
    FOR event IN SELECT e.id FROM live_events e WHERE e.seq IS NULL ORDER BY e.id LIMIT 10000 LOOP
        UPDATE live_events SET seq = nextval('live_events_seq_numbers') WHERE id = event;
        numbered := numbered + 1;
    END LOOP;
    IF numbered > 0 THEN
        PERFORM pg_notify('mandi_live', '');
    END IF;
    PERFORM set_config('mandi.cross_tenant', coalesce(cross_tenant, ''), true);
    RETURN numbered;
END
$$;
