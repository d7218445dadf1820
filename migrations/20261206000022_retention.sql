-- Retention purges (server/src/jobs/retention.rs) find what aged out by an index, not
-- by walking the table; the guest carts' (`carts_guest_age`), the live events' and the
-- outbox's (`created_at`) indexes exist already.

-- Applied webhooks by age; those never applied are kept and not indexed here.
CREATE INDEX payment_webhook_events_applied_age ON payment_webhook_events (received_at)
    WHERE applied_at IS NOT NULL;

-- The outbox purge keeps a message a settlement slip points to, and deleting a message
-- makes PostgreSQL look for such a slip: without this, each deleted message read every
-- settlement.
CREATE INDEX ledger_settlements_message ON ledger_settlements (message_id)
    WHERE message_id IS NOT NULL;
