-- Orders, credit control (exposure ledger and balances, holds, temporary credit) and the
-- approvals engine shared by every document that needs a decision.

-- Which role approves a document, by type and by the document's measure (`value`: for a credit
-- hold the over-limit share in basis points of the limit, for temporary credit the amount in fen,
-- for a price override the largest discount in basis points). All rows whose range holds the
-- value apply, one step each, in `step` order.
CREATE TABLE approval_rules (
    id {{pk}},
    doc_type TEXT NOT NULL,
    step BIGINT NOT NULL,
    approver_role TEXT NOT NULL,
    min_value BIGINT NOT NULL,
    max_value BIGINT,
    active BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX approval_rules_doc ON approval_rules(doc_type, step);
INSERT INTO approval_rules (doc_type, step, approver_role, min_value, max_value) VALUES
    ('credit_hold', 1, 'market_manager', 0, 1000),
    ('credit_hold', 1, 'director', 1001, NULL),
    ('temp_credit', 1, 'market_manager', 0, NULL),
    ('temp_credit', 2, 'director', 5000000, NULL),
    ('price_override', 1, 'market_manager', 0, 2000),
    ('price_override', 1, 'director', 2001, NULL);

-- pending | approved | rejected | sent_back | cancelled
CREATE TABLE approval_requests (
    id {{pk}},
    doc_type TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    dealer_id BIGINT REFERENCES dealers(id),
    node_path {{path}} NOT NULL,
    owner_id BIGINT REFERENCES people(id),
    value BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    current_step BIGINT NOT NULL,
    requested_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX approval_requests_doc ON approval_requests(doc_type, doc_id);
CREATE INDEX approval_requests_path ON approval_requests(node_path, id);

-- waiting | pending | approved | rejected | sent_back | cancelled
CREATE TABLE approval_steps (
    id {{pk}},
    request_id BIGINT NOT NULL REFERENCES approval_requests(id),
    step BIGINT NOT NULL,
    approver_role TEXT NOT NULL,
    approver_id BIGINT NOT NULL REFERENCES people(id),
    status TEXT NOT NULL,
    acted_by BIGINT REFERENCES people(id),
    acted_at BIGINT,
    reason TEXT
);
CREATE INDEX approval_steps_request ON approval_steps(request_id, step);
CREATE INDEX approval_steps_approver ON approval_steps(approver_id, status);

-- While `from_person` is away, `to_person` acts on their approvals over [valid_from, valid_to).
CREATE TABLE delegations (
    id {{pk}},
    from_person BIGINT NOT NULL REFERENCES people(id),
    to_person BIGINT NOT NULL REFERENCES people(id),
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX delegations_to ON delegations(to_person, valid_from);

-- draft | submitted | on_hold | confirmed | cancelled
CREATE TABLE orders (
    id {{pk}},
    number TEXT UNIQUE,
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    order_date TEXT NOT NULL,
    status TEXT NOT NULL,
    -- desk | rep | api
    source TEXT NOT NULL,
    -- the dealer's place and owner when the order was taken (documents keep their territory)
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    desk_rep_id BIGINT REFERENCES people(id),
    shipping_coordinator_id BIGINT REFERENCES people(id),
    billing_rep_id BIGINT REFERENCES people(id),
    total_fen BIGINT NOT NULL,
    -- the amount this order currently adds to the dealer's exposure (confirmed: its total)
    exposure_fen BIGINT NOT NULL DEFAULT 0,
    note TEXT,
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_path ON orders(node_path, id);
CREATE INDEX orders_owner ON orders(owner_id, id);
CREATE INDEX orders_dealer ON orders(dealer_id, status);

CREATE TABLE order_lines (
    id {{pk}},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    line_no BIGINT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    list_price_fen BIGINT,
    unit_price_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    manual_price BIGINT NOT NULL DEFAULT 0,
    -- the quota this line consumes while its order is confirmed
    quota_id BIGINT REFERENCES quotas(id)
);
CREATE INDEX order_lines_order ON order_lines(order_id, line_no);

-- Every transition: who, when, from and to.
CREATE TABLE order_events (
    id {{pk}},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    at BIGINT NOT NULL,
    person_id BIGINT REFERENCES people(id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT
);
CREATE INDEX order_events_order ON order_events(order_id, id);

-- Credit exposure per dealer, maintained in the transaction of every posting; each bucket equals
-- the sum of the dealer's ledger entries for that bucket (`salesos check`).
CREATE TABLE dealer_balances (
    dealer_id BIGINT PRIMARY KEY REFERENCES dealers(id),
    open_orders_fen BIGINT NOT NULL DEFAULT 0,
    unbilled_fen BIGINT NOT NULL DEFAULT 0,
    receivables_fen BIGINT NOT NULL DEFAULT 0,
    exposure_fen BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- Append-only: every movement of exposure. bucket: open_orders | unbilled | receivables.
CREATE TABLE credit_ledger (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    bucket TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    doc_type TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    person_id BIGINT REFERENCES people(id),
    at BIGINT NOT NULL
);
CREATE INDEX credit_ledger_dealer ON credit_ledger(dealer_id, id);
CREATE INDEX credit_ledger_doc ON credit_ledger(doc_type, doc_id);

-- kind: credit | overdue | price; status: open | released | rejected | cancelled
CREATE TABLE credit_holds (
    id {{pk}},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT REFERENCES approval_requests(id),
    exposure_fen BIGINT NOT NULL,
    limit_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    overdue_fen BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX credit_holds_order ON credit_holds(order_id, status);
CREATE INDEX credit_holds_dealer ON credit_holds(dealer_id, status);

-- Temporary credit over [valid_from, valid_to); counts only once approved.
-- status: pending | approved | rejected | cancelled
CREATE TABLE temp_credits (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    amount_fen BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT REFERENCES approval_requests(id),
    reason TEXT,
    requested_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX temp_credits_dealer ON temp_credits(dealer_id, status);

-- Create-order retries: per person and key, the request's fingerprint and the first answer.
CREATE TABLE idempotency_keys (
    person_id BIGINT NOT NULL REFERENCES people(id),
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code BIGINT NOT NULL,
    body TEXT NOT NULL,
    order_id BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, idem_key)
);
