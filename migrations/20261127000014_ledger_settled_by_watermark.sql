-- A settlement no longer stamps its entries. Stamping rewrote every settled entry (one
-- new row version and one foreign-key check each): 150,000 entries took most of the
-- 7 s a market day's settlement cost (bench/README.md). Instead a settlement records the
-- ledger's change sequence at the moment it was generated, and an entry is settled when
-- a settlement of its grower covers its market day and its change_seq is at or below
-- that mark. This is exact because:
--   * every write to ledger_entries takes a change_seq while holding the tenant's
--     ledger_counters row lock, which generation holds too, so no entry can commit
--     with a change_seq at or below the mark after the settlement was generated;
--   * generation takes every recorded, priced entry of the grower in the period up to
--     the mark (a grower with an entry still waiting for its rate is skipped whole), so
--     the only entries below the mark it did not take are void or pending ones, and a
--     void entry restored or a pending one priced gets a new change_seq above it;
--   * a settled entry cannot be edited, so its change_seq never moves again.
ALTER TABLE ledger_settlements ADD COLUMN entries_through_seq bigint;
UPDATE ledger_settlements s
SET entries_through_seq = coalesce((SELECT max(e.change_seq) FROM ledger_entries e
                                    WHERE e.tenant_id = s.tenant_id AND e.settlement_id = s.id), 0);
ALTER TABLE ledger_settlements ALTER COLUMN entries_through_seq SET NOT NULL;
CREATE INDEX ledger_settlements_coverage ON ledger_settlements (tenant_id, farmer_id, period_from)
    INCLUDE (period_to, entries_through_seq) WHERE status <> 'cancelled';

ALTER TABLE ledger_entries DROP COLUMN settlement_id;

-- A slip's lines (per flower and rate) are summed from the entries its settlement took,
-- which are locked from then on, instead of being copied: a market day's 70,000 lines
-- cost 1.4 s to write. Existing lines are exactly those sums, given the marks above.
DROP TABLE ledger_settlement_lines;

-- The settlement that took an entry; NULL while it is open, and for a void entry,
-- which no settlement takes.
CREATE FUNCTION ledger_entry_settlement(tenant uuid, farmer uuid, day date, seq bigint, entry_status text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT id FROM ledger_settlements
    WHERE entry_status = 'recorded' AND tenant_id = tenant AND farmer_id = farmer AND status <> 'cancelled'
      AND day BETWEEN period_from AND period_to AND seq <= entries_through_seq
    ORDER BY entries_through_seq
    LIMIT 1
$$;
