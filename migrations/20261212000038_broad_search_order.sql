-- Broad searches without ranking every match.
--
-- Ranking a match (`ts_rank` on its search vector plus trigram similarity on its name)
-- costs about 20 µs. "tea" matches 18,324 of the 100,000 products of the large demo
-- world, so ranking all of them to show 24 took 372 ms of database time a request
-- (bench/README.md, seventeenth session). A search with many matches is therefore
-- ordered by what an index can walk: first the products whose name holds every word,
-- then those whose description does, each group by name. Walking the name index and
-- testing each row stops as soon as a page is full; with few matches in a group the
-- planner reads that group's GIN index instead and sorts the handful.
--
-- `name_search` holds the name's words alone (the `search` vector mixes in the
-- description), so that the planner keeps separate statistics for "matches in the
-- name" and picks between those two plans by how many a word matches. `category_id`
-- lets a search within one shelf take the same path.
ALTER TABLE product_search
    ADD COLUMN name_search tsvector GENERATED ALWAYS AS (to_tsvector('english', name)) STORED,
    ADD COLUMN category_id uuid;

SELECT set_config('mandi.cross_tenant', 'on', true);
UPDATE product_search s SET category_id = p.category_id
FROM products p WHERE p.tenant_id = s.tenant_id AND p.id = s.product_id;
SELECT set_config('mandi.cross_tenant', 'off', true);
ALTER TABLE product_search ALTER COLUMN category_id SET NOT NULL;

CREATE INDEX product_search_name_words ON product_search USING gin (name_search);
CREATE INDEX product_search_by_name ON product_search (tenant_id, name, product_id);
CREATE INDEX product_search_by_category ON product_search (tenant_id, category_id, name, product_id);

CREATE OR REPLACE FUNCTION product_search_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM product_search s USING old_rows o
        WHERE s.tenant_id = o.tenant_id AND s.product_id = o.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO product_search (tenant_id, product_id, name, search, category_id)
        SELECT n.tenant_id, n.id, n.name, n.search, n.category_id FROM new_rows n WHERE n.active
        ON CONFLICT (tenant_id, product_id) DO UPDATE
            SET name = excluded.name, search = excluded.search, category_id = excluded.category_id;
    END IF;
    RETURN NULL;
END
$$;
