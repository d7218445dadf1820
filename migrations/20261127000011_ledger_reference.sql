-- The commission ledger of a flower market (PRODUCT.md §4, the Malar document): its
-- terms, growers, flower types, time slots, rates and advances. One market per tenant
-- of kind 'market'. Every key leads with tenant_id, and every table is isolated by it.

CREATE TABLE ledger_settings (
    tenant_id           uuid PRIMARY KEY REFERENCES tenants (id),
    commission_percent  numeric(5,2)  NOT NULL DEFAULT 10 CHECK (commission_percent BETWEEN 0 AND 100),
    fee_per_entry       numeric(12,2) NOT NULL DEFAULT 0 CHECK (fee_per_entry >= 0),
    fee_per_kg          numeric(12,2) NOT NULL DEFAULT 0 CHECK (fee_per_kg >= 0),
    -- A single entry larger than this is a typing slip, refused with a clear message.
    max_entry_kg        numeric(10,3) NOT NULL DEFAULT 500 CHECK (max_entry_kg > 0),
    -- How far back a tablet's clock may date an entry (a tablet offline since yesterday).
    backdate_days       int NOT NULL DEFAULT 3 CHECK (backdate_days BETWEEN 0 AND 31),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          uuid REFERENCES users (id)
);

-- Locked FOR UPDATE by every ledger write: it hands out change sequence numbers in
-- commit order, so a device pulling "changes after N" can never skip one that
-- committed late.
CREATE TABLE ledger_counters (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants (id),
    change_seq         bigint NOT NULL DEFAULT 0,
    reference_version  bigint NOT NULL DEFAULT 1,
    settlement_no      bigint NOT NULL DEFAULT 0
);

CREATE TABLE ledger_farmers (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    farmer_no   int NOT NULL CHECK (farmer_no > 0),
    name_en     text NOT NULL DEFAULT '',
    name_ta     text NOT NULL DEFAULT '',
    village     text NOT NULL DEFAULT '',
    phone       text CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    whatsapp    text CHECK (whatsapp ~ '^\+[1-9][0-9]{7,14}$'),
    language    text NOT NULL DEFAULT 'ta' CHECK (language IN ('en', 'ta')),
    -- The grower's own sign-in (role farmer), when they have one.
    user_id     uuid REFERENCES users (id),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (length(name_en) + length(name_ta) BETWEEN 1 AND 240),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, farmer_no),
    UNIQUE (tenant_id, user_id)
);

CREATE TABLE ledger_flower_types (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    code       text NOT NULL CHECK (code ~ '^[A-Z]{2,6}$'),
    name_en    text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 80),
    name_ta    text NOT NULL CHECK (length(name_ta) BETWEEN 1 AND 80),
    position   int NOT NULL DEFAULT 0,
    active     boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);

-- Market local time (Asia/Kolkata). Overlaps are refused by domain::market_slot.
CREATE TABLE ledger_time_slots (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    starts_at  time NOT NULL,
    ends_at    time NOT NULL CHECK (ends_at > starts_at),
    active     boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, starts_at)
);

-- Changes are kept in audit_log (before and after), so a rate's history survives.
CREATE TABLE ledger_rates (
    tenant_id       uuid NOT NULL,
    market_date     date NOT NULL,
    flower_type_id  uuid NOT NULL,
    slot_id         uuid NOT NULL,
    rate            numeric(12,2) NOT NULL CHECK (rate > 0),
    set_by          uuid NOT NULL REFERENCES users (id),
    set_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, market_date, flower_type_id, slot_id),
    FOREIGN KEY (tenant_id, flower_type_id) REFERENCES ledger_flower_types (tenant_id, id),
    FOREIGN KEY (tenant_id, slot_id) REFERENCES ledger_time_slots (tenant_id, id)
);

CREATE TABLE ledger_advances (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    farmer_id    uuid NOT NULL,
    given_on     date NOT NULL,
    amount       numeric(14,2) NOT NULL CHECK (amount > 0),
    -- carry_forward: a settlement's deductions exceeded its gross; the rest is owed.
    kind         text NOT NULL DEFAULT 'advance' CHECK (kind IN ('advance', 'carry_forward')),
    origin_settlement_id uuid,
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, farmer_id) REFERENCES ledger_farmers (tenant_id, id)
);
CREATE INDEX ledger_advances_farmer ON ledger_advances (tenant_id, farmer_id, given_on, id);

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['ledger_settings', 'ledger_counters', 'ledger_farmers',
    'ledger_flower_types', 'ledger_time_slots', 'ledger_rates', 'ledger_advances']::regclass[]) AS t;
