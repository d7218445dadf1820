-- Stock changed by hand, with its reason: damage, a count correction, a return. Each is
-- a movement (never an UPDATE that loses history) with an optional note.
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_reason_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_reason_check
    CHECK (reason IN ('received', 'sold', 'returned', 'adjusted', 'damaged', 'count_corrected'));
ALTER TABLE stock_movements ADD COLUMN note text CHECK (length(note) <= 500);
CREATE INDEX stock_movements_of_item ON stock_movements (tenant_id, stock_item_id, id DESC);
