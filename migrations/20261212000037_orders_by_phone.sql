-- Staff find an order by the phone it is to be delivered to (`/admin/orders?q=98400…`,
-- `GET /api/v1/orders?q=`): an index on that field, newest first, instead of reading
-- every order of the store.
CREATE INDEX orders_by_phone ON orders (tenant_id, (address->>'phone'), created_at DESC, id DESC);
