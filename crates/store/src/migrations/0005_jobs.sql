-- Scheduled jobs that run exactly once per period across several servers, and the documents
-- behind dealer term changes that go through approval (hand-made requests and the monthly
-- suggested credit limits).

-- One row per job and period ("2026-11"). A server claims a run by inserting the row; the
-- UNIQUE constraint lets exactly one insert win, on SQLite and PostgreSQL alike.
-- status: running | done | failed
CREATE TABLE jobs (
    id {{pk}},
    name TEXT NOT NULL,
    period TEXT NOT NULL,
    status TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    finished_at BIGINT,
    result TEXT,
    UNIQUE (name, period)
);

-- A requested change of a dealer's key terms, waiting for (or decided by) an approval.
-- kind: dealer_terms | credit_limit_proposal; status: pending | approved | rejected | sent_back
-- | cancelled. `payload` is the requested change (JSON, the fields of a terms change);
-- `factors` (proposals) is everything the formula looked at and produced (JSON).
CREATE TABLE dealer_term_requests (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    kind TEXT NOT NULL,
    period TEXT,
    payload TEXT NOT NULL,
    factors TEXT,
    current_limit_fen BIGINT NOT NULL,
    proposed_limit_fen BIGINT,
    status TEXT NOT NULL,
    approval_id BIGINT REFERENCES approval_requests(id),
    requested_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX dealer_term_requests_dealer ON dealer_term_requests(dealer_id, id);
CREATE INDEX dealer_term_requests_kind ON dealer_term_requests(kind, period, id);

-- Term changes are keyed on the credit-limit increase in fen (0 for other changes): up to
-- 100 000 yuan the market manager decides, above that the sales director.
INSERT INTO approval_rules (doc_type, step, approver_role, min_value, max_value) VALUES
    ('dealer_terms', 1, 'market_manager', 0, 10000000),
    ('dealer_terms', 1, 'director', 10000001, NULL),
    ('credit_limit_proposal', 1, 'market_manager', 0, 10000000),
    ('credit_limit_proposal', 1, 'director', 10000001, NULL);
