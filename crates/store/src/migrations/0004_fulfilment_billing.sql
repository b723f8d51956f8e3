-- Fulfilment and billing: shipments (partial, several per order), delivery claims, invoices,
-- payments and their allocations, credit notes and the append-only receivables ledger.
-- Every document keeps the territory (node_path) and owner its order/dealer had when it was made.

ALTER TABLE order_lines ADD COLUMN shipped_qty BIGINT NOT NULL DEFAULT 0;

-- status: picking | packed | shipped | delivered | closed | cancelled
CREATE TABLE shipments (
    id {{pk}},
    number TEXT NOT NULL UNIQUE,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    status TEXT NOT NULL,
    carrier TEXT,
    consignment_station TEXT,
    tracking_no TEXT,
    -- the value of the goods at order prices (tax-inclusive, as order totals are)
    value_fen BIGINT NOT NULL DEFAULT 0,
    shipped_on TEXT,
    delivered_on TEXT,
    -- 1 once an invoice was raised for this shipment
    invoiced BIGINT NOT NULL DEFAULT 0,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    note TEXT,
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX shipments_order ON shipments(order_id, id);
CREATE INDEX shipments_dealer ON shipments(dealer_id, status);
CREATE INDEX shipments_path ON shipments(node_path, id);
CREATE INDEX shipments_owner ON shipments(owner_id, id);

CREATE TABLE shipment_lines (
    id {{pk}},
    shipment_id BIGINT NOT NULL REFERENCES shipments(id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    -- recorded at delivery confirmation
    short_qty BIGINT NOT NULL DEFAULT 0,
    damaged_qty BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX shipment_lines_shipment ON shipment_lines(shipment_id, id);
CREATE INDEX shipment_lines_order_line ON shipment_lines(order_line_id);

-- A shortage/damage claim raised at delivery. resolution: pending | credit_note | reshipment
CREATE TABLE delivery_claims (
    id {{pk}},
    shipment_id BIGINT NOT NULL REFERENCES shipments(id),
    shipment_line_id BIGINT NOT NULL REFERENCES shipment_lines(id),
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    -- shortage | damage
    kind TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    resolution TEXT NOT NULL,
    credit_note_id BIGINT,
    reshipment_id BIGINT REFERENCES shipments(id),
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX delivery_claims_shipment ON delivery_claims(shipment_id);
CREATE INDEX delivery_claims_dealer ON delivery_claims(dealer_id, resolution);

-- status: open | paid | cancelled. open_fen caches gross minus allocations and credit notes
-- (salesos check verifies it).
CREATE TABLE invoices (
    id {{pk}},
    number TEXT NOT NULL UNIQUE,
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    order_id BIGINT REFERENCES orders(id),
    shipment_id BIGINT REFERENCES shipments(id),
    invoice_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    payment_term_days BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    tax_fen BIGINT NOT NULL,
    gross_fen BIGINT NOT NULL,
    open_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    paid_on TEXT,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX invoices_dealer ON invoices(dealer_id, status, due_date);
CREATE INDEX invoices_path ON invoices(node_path, id);
CREATE INDEX invoices_owner ON invoices(owner_id, id);
CREATE INDEX invoices_due ON invoices(status, due_date);
CREATE INDEX invoices_shipment ON invoices(shipment_id);

CREATE TABLE invoice_lines (
    id {{pk}},
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    line_no BIGINT NOT NULL,
    shipment_line_id BIGINT REFERENCES shipment_lines(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    -- basis points, e.g. 1300 = 13%
    tax_rate_bp BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    tax_fen BIGINT NOT NULL,
    gross_fen BIGINT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id, line_no);

-- unallocated_fen caches amount minus allocations: the dealer's credit balance from this payment.
-- method: bank_transfer | cash | acceptance_bill | other
CREATE TABLE payments (
    id {{pk}},
    number TEXT NOT NULL UNIQUE,
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    received_on TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    method TEXT NOT NULL,
    reference TEXT,
    unallocated_fen BIGINT NOT NULL,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX payments_dealer ON payments(dealer_id, received_on);
CREATE INDEX payments_path ON payments(node_path, id);
CREATE INDEX payments_owner ON payments(owner_id, id);

-- Append-only. Cancelling an invoice appends a reversing (negative) row per payment, so the
-- net allocated to an invoice or from a payment is always SUM(amount_fen).
CREATE TABLE payment_allocations (
    id {{pk}},
    payment_id BIGINT NOT NULL REFERENCES payments(id),
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    amount_fen BIGINT NOT NULL,
    allocated_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX payment_allocations_payment ON payment_allocations(payment_id);
CREATE INDEX payment_allocations_invoice ON payment_allocations(invoice_id);

-- reason: shortage | damage | return | price | other
CREATE TABLE credit_notes (
    id {{pk}},
    number TEXT NOT NULL UNIQUE,
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    invoice_id BIGINT REFERENCES invoices(id),
    shipment_id BIGINT REFERENCES shipments(id),
    issued_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX credit_notes_dealer ON credit_notes(dealer_id, issued_on);
CREATE INDEX credit_notes_invoice ON credit_notes(invoice_id);
CREATE INDEX credit_notes_path ON credit_notes(node_path, id);

-- Append-only receivables ledger. kind: invoice | payment | credit_note | cancellation.
-- amount_fen is signed: + raises what the dealer owes (invoice), − lowers it (payment, credit
-- note, cancelled invoice). Sum per dealer = invoices' gross − payments − credit notes (a dealer's
-- balance; negative means the dealer holds credit). doc_type: invoice | payment | credit_note.
CREATE TABLE ar_ledger (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    entry_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    doc_number TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    person_id BIGINT REFERENCES people(id),
    at BIGINT NOT NULL
);
CREATE INDEX ar_ledger_dealer ON ar_ledger(dealer_id, entry_date, id);
CREATE INDEX ar_ledger_path ON ar_ledger(node_path, entry_date);
CREATE INDEX ar_ledger_doc ON ar_ledger(doc_type, doc_id);

-- Document numbers: one counter per series (SH, INV, PAY, CN).
CREATE TABLE doc_counters (
    series TEXT PRIMARY KEY,
    next_value BIGINT NOT NULL
);
