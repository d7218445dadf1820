-- Live events take their sequence number at commit, not when written.
--
-- A reader that has seen event N must never later find a committed event below N, so
-- numbers have to become visible in order. Publishers used to take a global advisory
-- lock when they wrote their events and hold it to their commit: every checkout then
-- waited, from its event statement through a client round trip to its COMMIT, for
-- every other one (bench/README.md: 9-18 of 40 connections queued on that lock, 173
-- orders/s). Now an event is written unnumbered, and a deferred trigger numbers it
-- while the transaction commits: the lock is held for the numbering and the commit
-- record, with no round trip to the application inside it.
ALTER TABLE live_events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE live_events DROP CONSTRAINT live_events_pkey;
ALTER TABLE live_events ADD PRIMARY KEY (id);
ALTER TABLE live_events ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE live_events ALTER COLUMN seq DROP NOT NULL;
CREATE UNIQUE INDEX live_events_seq ON live_events (seq);

CREATE SEQUENCE live_events_seq_numbers;
SELECT setval('live_events_seq_numbers', coalesce(max(seq), 0) + 1, false) FROM live_events;

CREATE FUNCTION live_events_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7305001);
    UPDATE live_events SET seq = nextval('live_events_seq_numbers') WHERE id = NEW.id;
    RETURN NULL;
END
$$;

-- Deferred: runs as the transaction commits, after its last statement. Rows fire in
-- the order they were written, so one transaction's events keep their order.
CREATE CONSTRAINT TRIGGER live_events_numbered AFTER INSERT ON live_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION live_events_number();
