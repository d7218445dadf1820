-- Text search that uses its indexes under row-level security.
--
-- Under RLS PostgreSQL evaluates a policy's condition before any condition of the query
-- whose functions are not "leakproof", and only leakproof conditions may become index
-- conditions. Full-text matching (`@@`) and trigram similarity (`%>`) are not leakproof
-- (only a superuser may say otherwise), so on `products` every text search read all the
-- tenant's products and tested each one: a scan of 100,000 rows at the large demo scale.
--
-- `product_search` holds, for each product on the shelves (published), what a search
-- matches: its tenant, id, name and search vector. Everything in it is what any visitor
-- of that store may already read, so it has no row-level security, and its GIN indexes
-- serve every search. The storefront asks it for the ids of the matches of one tenant
-- (the tenant named in the query, as every other query does) and reads the products
-- themselves from `products`, under row-level security as before: a row of another
-- tenant can still never be shown. Triggers keep it equal to the published products.
CREATE TABLE product_search (
    tenant_id   uuid NOT NULL,
    product_id  uuid NOT NULL,
    name        text NOT NULL,
    search      tsvector NOT NULL,
    PRIMARY KEY (tenant_id, product_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX product_search_text ON product_search USING gin (search);
CREATE INDEX product_search_name_trgm ON product_search USING gin (name gin_trgm_ops);

-- Every tenant's products (the migration sees them all for this transaction only).
SELECT set_config('mandi.cross_tenant', 'on', true);
INSERT INTO product_search (tenant_id, product_id, name, search)
SELECT tenant_id, id, name, search FROM products WHERE active;
SELECT set_config('mandi.cross_tenant', 'off', true);

CREATE FUNCTION product_search_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM product_search s USING old_rows o
        WHERE s.tenant_id = o.tenant_id AND s.product_id = o.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO product_search (tenant_id, product_id, name, search)
        SELECT n.tenant_id, n.id, n.name, n.search FROM new_rows n WHERE n.active
        ON CONFLICT (tenant_id, product_id) DO UPDATE SET name = excluded.name, search = excluded.search;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER products_search_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_follow();
CREATE TRIGGER products_search_update AFTER UPDATE ON products
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_follow();
CREATE TRIGGER products_search_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_follow();
