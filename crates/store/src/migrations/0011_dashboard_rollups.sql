-- What the home dashboards read besides the sales rollups, kept small at any history size.

-- Open receivables per due date × territory × owner: the aging and overdue figures of the
-- dashboards, so a company-wide aging costs the (due date, territory, owner) groups instead of
-- every open invoice. Only groups with something open are kept (a group whose invoices are all
-- paid is deleted). Maintained by triggers on invoices (0011_dashboard_rollups.{sqlite,postgres}
-- .sql), recomputed by `store::rollups::rebuild`; `salesos check` compares it with the GROUP BY
-- of the open invoices.
CREATE TABLE open_receivables_rollups (
    due_date TEXT NOT NULL,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL,
    open_fen BIGINT NOT NULL,
    PRIMARY KEY (due_date, node_path, owner_id)
);
CREATE INDEX open_receivables_rollups_path ON open_receivables_rollups(node_path, due_date);
CREATE INDEX open_receivables_rollups_owner ON open_receivables_rollups(owner_id, due_date);
INSERT INTO open_receivables_rollups (due_date, node_path, owner_id, open_fen)
SELECT due_date, node_path, owner_id, CAST(SUM(open_fen) AS BIGINT) FROM invoices
WHERE status = 'open' AND open_fen > 0 GROUP BY due_date, node_path, owner_id;

-- Orders waiting on a hold (a handful at any size), by territory and by owner.
CREATE INDEX orders_on_hold_path ON orders(node_path) WHERE status = 'on_hold';
CREATE INDEX orders_on_hold_owner ON orders(owner_id) WHERE status = 'on_hold';
-- A dealer's last order that counts, read from the index alone (dealers needing action).
CREATE INDEX orders_dealer_day ON orders(dealer_id, status, order_date);
