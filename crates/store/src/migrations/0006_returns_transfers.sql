-- Returns (退货) and transfers of goods between dealers (调货).
--
-- A return line holds units of one invoice line from the moment it is requested, so two
-- returns (or a return and a transfer) can never together take back more than was sold:
-- held_qty is the requested quantity until the goods arrive, then the received quantity, then
-- the accepted quantity, and 0 once the return is rejected, sent back and cancelled, or
-- cancelled. What an invoice line can still give back is its quantity less the held units of
-- its return lines and of the transfer lines drawing on it.

-- status: requested | approved | sent_back | received | inspected | credited | closed
--         | rejected | cancelled
CREATE TABLE returns (
    id {{pk}},
    number TEXT NOT NULL UNIQUE,
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- the credit the accepted goods are worth: an estimate for the requested quantity until
    -- inspection, then the credit note's amount
    credit_fen BIGINT NOT NULL DEFAULT 0,
    credit_note_id BIGINT REFERENCES credit_notes(id),
    received_on TEXT,
    note TEXT,
    -- why it was rejected, sent back or cancelled
    close_reason TEXT,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    requested_by BIGINT REFERENCES people(id),
    requested_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    received_by BIGINT REFERENCES people(id),
    received_at BIGINT,
    inspected_by BIGINT REFERENCES people(id),
    inspected_at BIGINT,
    credited_by BIGINT REFERENCES people(id),
    credited_at BIGINT,
    closed_by BIGINT REFERENCES people(id),
    closed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX returns_invoice ON returns(invoice_id);
CREATE INDEX returns_dealer ON returns(dealer_id, status);
CREATE INDEX returns_path ON returns(node_path, id);
CREATE INDEX returns_owner ON returns(owner_id, id);
CREATE INDEX returns_status ON returns(status, id);

-- disposition: restock | scrap
CREATE TABLE return_lines (
    id {{pk}},
    return_id BIGINT NOT NULL REFERENCES returns(id),
    line_no BIGINT NOT NULL,
    invoice_line_id BIGINT NOT NULL REFERENCES invoice_lines(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    reason TEXT NOT NULL,
    received_qty BIGINT,
    accepted_qty BIGINT,
    rejected_qty BIGINT,
    reject_reason TEXT,
    disposition TEXT,
    credit_net_fen BIGINT NOT NULL DEFAULT 0,
    credit_tax_fen BIGINT NOT NULL DEFAULT 0,
    credit_fen BIGINT NOT NULL DEFAULT 0,
    held_qty BIGINT NOT NULL
);
CREATE INDEX return_lines_return ON return_lines(return_id, line_no);
CREATE INDEX return_lines_invoice_line ON return_lines(invoice_line_id);

-- status: requested | posted | rejected | cancelled. The source dealer's credit and the
-- target's debit invoice are made when the transfer is posted (on approval).
CREATE TABLE transfers (
    id {{pk}},
    number TEXT NOT NULL UNIQUE,
    source_dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    target_dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    status TEXT NOT NULL,
    transfer_date TEXT NOT NULL,
    net_fen BIGINT NOT NULL,
    tax_fen BIGINT NOT NULL,
    gross_fen BIGINT NOT NULL,
    -- 1 when the target's exposure would pass its limit (the approval then goes higher)
    over_limit BIGINT NOT NULL DEFAULT 0,
    target_invoice_id BIGINT REFERENCES invoices(id),
    note TEXT,
    close_reason TEXT,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    target_node_path {{path}} NOT NULL,
    target_owner_id BIGINT NOT NULL REFERENCES people(id),
    requested_by BIGINT REFERENCES people(id),
    requested_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES people(id),
    decided_at BIGINT,
    closed_by BIGINT REFERENCES people(id),
    closed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX transfers_source ON transfers(source_dealer_id, status);
CREATE INDEX transfers_target ON transfers(target_dealer_id, status);
CREATE INDEX transfers_path ON transfers(node_path, id);
CREATE INDEX transfers_target_path ON transfers(target_node_path, id);

-- One product moved; drawn from the source's invoice lines (transfer_sources).
CREATE TABLE transfer_lines (
    id {{pk}},
    transfer_id BIGINT NOT NULL REFERENCES transfers(id),
    line_no BIGINT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    tax_rate_bp BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    tax_fen BIGINT NOT NULL,
    gross_fen BIGINT NOT NULL
);
CREATE INDEX transfer_lines_transfer ON transfer_lines(transfer_id, line_no);

-- Which of the source's invoice lines a transfer line takes its units from, and the share of
-- the source's credit each of those invoices receives. held_qty as for return lines.
CREATE TABLE transfer_sources (
    id {{pk}},
    transfer_line_id BIGINT NOT NULL REFERENCES transfer_lines(id),
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    invoice_line_id BIGINT NOT NULL REFERENCES invoice_lines(id),
    quantity BIGINT NOT NULL,
    credit_fen BIGINT NOT NULL DEFAULT 0,
    credit_note_id BIGINT REFERENCES credit_notes(id),
    held_qty BIGINT NOT NULL
);
CREATE INDEX transfer_sources_line ON transfer_sources(transfer_line_id);
CREATE INDEX transfer_sources_invoice_line ON transfer_sources(invoice_line_id);

INSERT INTO approval_rules (doc_type, step, approver_role, min_value, max_value) VALUES
    ('return', 1, 'market_manager', 0, NULL),
    ('return', 2, 'director', 5000000, NULL),
    ('transfer', 1, 'market_manager', 0, NULL),
    ('transfer_over_limit', 1, 'market_manager', 0, NULL),
    ('transfer_over_limit', 2, 'director', 0, NULL);
