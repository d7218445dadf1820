-- Settlements: what a grower is paid for a period, figured by domain::settlement and
-- stored with the terms they were figured under, so a slip never changes afterwards.

CREATE TABLE ledger_settlements (
    tenant_id           uuid NOT NULL,
    id                  uuid NOT NULL,
    number              text NOT NULL,
    farmer_id           uuid NOT NULL,
    period_from         date NOT NULL,
    period_to           date NOT NULL CHECK (period_to >= period_from),
    status              text NOT NULL CHECK (status IN ('generated', 'approved', 'paid', 'cancelled')),
    entry_count         int NOT NULL,
    quantity_kg         numeric(14,3) NOT NULL,
    gross               numeric(14,2) NOT NULL,
    commission_percent  numeric(5,2) NOT NULL,
    commission          numeric(14,2) NOT NULL,
    fee_per_entry       numeric(12,2) NOT NULL,
    fee_per_kg          numeric(12,2) NOT NULL,
    fees                numeric(14,2) NOT NULL,
    advance_recovered   numeric(14,2) NOT NULL,
    shortfall           numeric(14,2) NOT NULL DEFAULT 0,
    net_payable         numeric(14,2) NOT NULL,
    language            text NOT NULL CHECK (language IN ('en', 'ta')),
    message_id          uuid REFERENCES notification_outbox (id),
    slip_token_hash     bytea UNIQUE CHECK (length(slip_token_hash) = 32),
    generated_by        uuid NOT NULL,
    generated_at        timestamptz NOT NULL DEFAULT now(),
    approved_at         timestamptz,
    paid_by             uuid,
    paid_at             timestamptz,
    payment_method      text CHECK (payment_method IN ('cash', 'upi', 'bank')),
    payment_reference   text,
    cancelled_by        uuid,
    cancelled_at        timestamptz,
    CHECK (net_payable >= 0 AND shortfall >= 0 AND advance_recovered >= 0),
    CHECK (net_payable + commission + fees + advance_recovered = gross + shortfall),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, farmer_id) REFERENCES ledger_farmers (tenant_id, id)
);
CREATE INDEX ledger_settlements_farmer ON ledger_settlements (tenant_id, farmer_id, period_to DESC);

CREATE TABLE ledger_settlement_approvals (
    tenant_id      uuid NOT NULL,
    settlement_id  uuid NOT NULL,
    user_id        uuid NOT NULL REFERENCES users (id),
    role           text NOT NULL CHECK (role IN ('admin', 'staff', 'farmer')),
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, settlement_id, user_id),
    FOREIGN KEY (tenant_id, settlement_id) REFERENCES ledger_settlements (tenant_id, id)
);

-- The slip's summary: one line per flower type and rate.
CREATE TABLE ledger_settlement_lines (
    tenant_id       uuid NOT NULL,
    settlement_id   uuid NOT NULL,
    flower_type_id  uuid NOT NULL,
    rate            numeric(12,2) NOT NULL,
    entry_count     int NOT NULL,
    quantity_kg     numeric(14,3) NOT NULL,
    amount          numeric(14,2) NOT NULL,
    PRIMARY KEY (tenant_id, settlement_id, flower_type_id, rate),
    FOREIGN KEY (tenant_id, settlement_id) REFERENCES ledger_settlements (tenant_id, id)
);

CREATE TABLE ledger_advance_recoveries (
    tenant_id      uuid NOT NULL,
    settlement_id  uuid NOT NULL,
    advance_id     uuid NOT NULL,
    amount         numeric(14,2) NOT NULL CHECK (amount > 0),
    PRIMARY KEY (tenant_id, settlement_id, advance_id),
    FOREIGN KEY (tenant_id, settlement_id) REFERENCES ledger_settlements (tenant_id, id),
    FOREIGN KEY (tenant_id, advance_id) REFERENCES ledger_advances (tenant_id, id)
);

-- An entry in a settlement that is not cancelled is locked against edits.
ALTER TABLE ledger_entries ADD FOREIGN KEY (tenant_id, settlement_id) REFERENCES ledger_settlements (tenant_id, id);
ALTER TABLE ledger_advances ADD FOREIGN KEY (tenant_id, origin_settlement_id) REFERENCES ledger_settlements (tenant_id, id);

-- What each advance still owes: its amount less what live settlements recovered.
CREATE VIEW ledger_advance_balances WITH (security_invoker = true) AS
SELECT a.tenant_id, a.id, a.farmer_id, a.given_on, a.kind, a.amount,
       a.amount - coalesce(sum(r.amount) FILTER (WHERE s.status <> 'cancelled'), 0) AS outstanding
FROM ledger_advances a
LEFT JOIN ledger_advance_recoveries r ON r.tenant_id = a.tenant_id AND r.advance_id = a.id
LEFT JOIN ledger_settlements s ON s.tenant_id = r.tenant_id AND s.id = r.settlement_id
GROUP BY a.tenant_id, a.id;

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['ledger_settlements', 'ledger_settlement_approvals',
    'ledger_settlement_lines', 'ledger_advance_recoveries']::regclass[]) AS t;
