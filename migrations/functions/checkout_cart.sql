-- A signed-in person's cart, to be priced for checkout (migration …17): no lock
-- (`place_order` locks it and checks it is unchanged). Sets the tenant for its own
-- statement's transaction. Without sequential scans: its plans live as long as the
-- connection, and one made while `stock_reservations` was small read it whole on
-- every checkout (migration …20).
CREATE OR REPLACE FUNCTION checkout_cart(tenant uuid, customer uuid) RETURNS SETOF cart_line
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
BEGIN
    PERFORM set_config('mandi.tenant_id', tenant::text, true);
    RETURN QUERY
    SELECT l.* FROM carts c CROSS JOIN LATERAL cart_lines(tenant, c.id) l
    WHERE c.tenant_id = tenant AND c.user_id = customer;
END
$$;
