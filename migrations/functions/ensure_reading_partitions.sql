-- Makes sure `sensor_readings` has a partition for every month from the current one to
-- `months_ahead` months later, and for the month before the current one when the
-- table has none yet (a sensor that buffered readings through an outage at the turn
-- of the month). Each new partition gets the tenant policy of its parent, so reading
-- it directly is as narrow as reading the parent. Returns how many it made. Run at
-- start-up and daily (server/src/jobs/field_jobs.rs); under an advisory lock, so two
-- servers starting together do not race to make the same month.
CREATE OR REPLACE FUNCTION ensure_reading_partitions(months_ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    first date;
    m date;
    made int := 0;
    name text;
BEGIN
    IF months_ahead < 0 OR months_ahead > 24 THEN
        RAISE EXCEPTION 'months_ahead must be from 0 to 24, not %', months_ahead;
    END IF;
    PERFORM pg_advisory_xact_lock(7305003);
    first := CASE WHEN EXISTS (SELECT 1 FROM reading_partitions) THEN this_month
                  ELSE (this_month - interval '1 month')::date END;
    m := first;
    WHILE m <= (this_month + make_interval(months => months_ahead))::date LOOP
        IF NOT EXISTS (SELECT 1 FROM reading_partitions WHERE month = m) THEN
            name := format('sensor_readings_%s', to_char(m, 'YYYY_MM'));
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF sensor_readings FOR VALUES FROM (%L) TO (%L)',
                name, (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
            PERFORM isolate_by_tenant(name::regclass);
            INSERT INTO reading_partitions (month) VALUES (m);
            made := made + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$$;
