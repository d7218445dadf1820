-- A lot's holds are found by its key, whatever the planner knows.
--
-- Checkout sums a lot's live holds (`tenant_id, stock_item_id`) in `reserve_stock` and
-- in `stock_levels`. The primary key was (tenant_id, order_id, stock_item_id), with a
-- separate (tenant_id, stock_item_id, reserved_until) index. A plan made while the
-- table was empty or unanalysed costed both alike and could take the primary key,
-- scanning every hold of the tenant for each lot; `reserve_stock` keeps its generic
-- plan for as long as the connection lives, so a checkout got slower with every hold
-- placed (bench/README.md, ninth session). With the lot first in the key, the
-- lot's holds are one key prefix in every plan; holds by order (release, payment)
-- get their own index. Still three indexes.
ALTER TABLE stock_reservations DROP CONSTRAINT stock_reservations_pkey;
ALTER TABLE stock_reservations ADD PRIMARY KEY (tenant_id, stock_item_id, order_id);
DROP INDEX stock_reservations_by_item;
CREATE INDEX stock_reservations_by_order ON stock_reservations (tenant_id, order_id);
