-- Every change to what a product page shows is announced on `mandi_catalog` when its
-- transaction commits, so each app process drops the product pages it keeps in memory
-- (`CatalogCache::forget`) within moments, whichever process (or job, or hand with
-- psql) made the change. PostgreSQL folds the notices of one transaction into one, so
-- an import of 100,000 products is a single notice.
--
-- Stock counts are not announced (every sale changes them): a page's stock is kept for
-- a second at most instead. A stock item announces only a change of its lot or SKU.
CREATE FUNCTION announce_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mandi_catalog', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER products_announce AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER product_variants_announce AFTER INSERT OR UPDATE OR DELETE ON product_variants
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER categories_announce AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER farms_announce AFTER INSERT OR UPDATE OR DELETE ON farms
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER batches_announce AFTER INSERT OR UPDATE OR DELETE ON batches
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER certifications_announce AFTER INSERT OR UPDATE OR DELETE ON certifications
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
CREATE TRIGGER stock_items_announce AFTER INSERT OR DELETE OR UPDATE OF batch_id, sku ON stock_items
    FOR EACH STATEMENT EXECUTE FUNCTION announce_catalog_change();
