-- A category's shelf in every sort order walks an index and stops at the page it
-- needs. Without these, a category sorted by price (or filtered to what is in stock)
-- read and sorted every product of the category: 1.3 s for page 38 of "fruits, in
-- stock, by price" at 100,000 products, against ~20 ms now.
DROP INDEX products_by_category;
CREATE INDEX products_by_category ON products (tenant_id, category_id, name, id) WHERE active;
CREATE INDEX products_by_category_price ON products (tenant_id, category_id, price_from, id) WHERE active;
CREATE INDEX products_by_category_newest ON products (tenant_id, category_id, created_at DESC, id DESC) WHERE active;
