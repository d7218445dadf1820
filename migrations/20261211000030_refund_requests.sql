-- Refunds as shops do them: a shopper asks for some lines of a delivered order back
-- with a reason; an admin approves (in part, or more than once) or refuses. Each
-- approval is a row of `refunds`, paid by the gateway job; the order is `refunded`
-- only once everything paid has gone back.
CREATE TABLE refund_requests (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    order_id       uuid NOT NULL,
    requested_by   uuid NOT NULL REFERENCES users (id),
    reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    -- What the lines are worth, less their share of the order's discount.
    amount         numeric(12, 2) NOT NULL CHECK (amount >= 0),
    status         text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'rejected')),
    decided_by     uuid REFERENCES users (id),
    decided_at     timestamptz,
    decision_note  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
    CHECK ((status = 'requested') = (decided_at IS NULL))
);
CREATE INDEX refund_requests_by_order ON refund_requests (tenant_id, order_id, created_at);
-- One request waits at a time: the order is `refund_requested` while it does.
CREATE UNIQUE INDEX refund_requests_one_open ON refund_requests (tenant_id, order_id) WHERE status = 'requested';

CREATE TABLE refund_request_lines (
    tenant_id   uuid NOT NULL,
    request_id  uuid NOT NULL,
    order_id    uuid NOT NULL,
    line_no     int NOT NULL,
    quantity    int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (tenant_id, request_id, line_no),
    FOREIGN KEY (tenant_id, request_id) REFERENCES refund_requests (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id, line_no) REFERENCES order_lines (tenant_id, order_id, line_no)
);
CREATE INDEX refund_request_lines_by_order ON refund_request_lines (tenant_id, order_id, line_no);

-- The request an approval answered (none for an admin's own refund or a cancellation).
ALTER TABLE refunds ADD COLUMN request_id uuid;
ALTER TABLE refunds ADD FOREIGN KEY (tenant_id, request_id) REFERENCES refund_requests (tenant_id, id);

SELECT isolate_by_tenant(t) FROM unnest(ARRAY['refund_requests', 'refund_request_lines']::regclass[]) AS t;
