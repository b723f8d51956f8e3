-- Plans and targets (PAE) and the sales rollups the scoreboard reads.

-- Sales per month × territory × owner × dealer × product, maintained on write by triggers on the
-- documents (0007_targets_rollups.{sqlite,postgres}.sql), so every write path keeps it current.
-- Attribution is the document's own node_path/owner_id: whoever owned the dealer when it was made.
--   ordered:   lines of orders counted once confirmed (confirmed, partially_shipped, shipped,
--              closed), in the month of order_date;
--   shipped:   lines of shipments that left (shipped, delivered, closed), month of shipped_on;
--   invoiced:  gross of invoice lines of invoices not cancelled, month of invoice_date;
--   collected: payments received, month of received_on (product_id 0: not by product).
-- `store::rollups::rebuild` recomputes it in one statement; `salesos check` compares the two.
CREATE TABLE sales_rollups (
    month TEXT NOT NULL,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL,
    dealer_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    ordered_fen BIGINT NOT NULL DEFAULT 0,
    ordered_qty BIGINT NOT NULL DEFAULT 0,
    shipped_fen BIGINT NOT NULL DEFAULT 0,
    shipped_qty BIGINT NOT NULL DEFAULT 0,
    invoiced_fen BIGINT NOT NULL DEFAULT 0,
    invoiced_qty BIGINT NOT NULL DEFAULT 0,
    collected_fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, node_path, owner_id, dealer_id, product_id)
);
CREATE INDEX sales_rollups_owner ON sales_rollups(owner_id, month);
CREATE INDEX sales_rollups_dealer ON sales_rollups(dealer_id, month);

-- The same figures per month × territory × owner only (no dealer, no product): what the
-- dashboards read, so a company-wide year costs a few thousand groups. Kept by the same
-- triggers; always the GROUP BY of `sales_rollups` (`salesos check`).
CREATE TABLE sales_rollups_by_owner (
    month TEXT NOT NULL,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL,
    ordered_fen BIGINT NOT NULL DEFAULT 0,
    ordered_qty BIGINT NOT NULL DEFAULT 0,
    shipped_fen BIGINT NOT NULL DEFAULT 0,
    shipped_qty BIGINT NOT NULL DEFAULT 0,
    invoiced_fen BIGINT NOT NULL DEFAULT 0,
    invoiced_qty BIGINT NOT NULL DEFAULT 0,
    collected_fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, node_path, owner_id)
);
CREATE INDEX sales_rollups_by_owner_owner ON sales_rollups_by_owner(owner_id, month);

-- A plan: one metric for one year from one unit down, versioned. status: draft | pending |
-- approved | rejected | superseded. An approved plan is locked; a change makes version n+1
-- (previous_id, reason) which supersedes it once approved.
CREATE TABLE target_plans (
    id {{pk}},
    name TEXT NOT NULL,
    metric TEXT NOT NULL,
    period TEXT NOT NULL,
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_path {{path}} NOT NULL,
    version BIGINT NOT NULL,
    previous_id BIGINT REFERENCES target_plans(id),
    reason TEXT,
    status TEXT NOT NULL,
    approval_id BIGINT REFERENCES approval_requests(id),
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX target_plans_path ON target_plans(node_path, id);

-- A SMART target: metric, number, owner (a node, or a person at a node), period and parent.
-- node_path is where it sits (the owner node, or the owner person's node) for scopes; person_id
-- the owning person (field staff see the targets they own). amount is in the metric's unit.
-- submitted_amount: the owner's bottom-up submission, shown against the target with the gap.
CREATE TABLE targets (
    id {{pk}},
    plan_id BIGINT REFERENCES target_plans(id),
    parent_id BIGINT REFERENCES targets(id),
    metric TEXT NOT NULL,
    product_line_id BIGINT REFERENCES product_lines(id),
    product_id BIGINT REFERENCES products(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_path {{path}} NOT NULL,
    person_id BIGINT REFERENCES people(id),
    period TEXT NOT NULL,
    period_kind TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount BIGINT NOT NULL,
    submitted_amount BIGINT,
    submitted_by BIGINT REFERENCES people(id),
    note TEXT,
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX targets_path ON targets(node_path, period_start);
CREATE INDEX targets_parent ON targets(parent_id);
CREATE INDEX targets_plan ON targets(plan_id);
CREATE INDEX targets_person ON targets(person_id, period_start);

-- The month's focus: rank 1 is the main priority, 2 and 3 the secondary ones.
CREATE TABLE monthly_focus (
    id {{pk}},
    month TEXT NOT NULL,
    rank BIGINT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT,
    published_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    UNIQUE (month, rank)
);

-- Per-market goals of a focus item.
CREATE TABLE monthly_focus_goals (
    id {{pk}},
    focus_id BIGINT NOT NULL REFERENCES monthly_focus(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    goal TEXT NOT NULL
);
CREATE INDEX monthly_focus_goals_focus ON monthly_focus_goals(focus_id);

INSERT INTO approval_rules (doc_type, step, approver_role, min_value, max_value) VALUES
    ('target_plan', 1, 'director', 0, NULL);
