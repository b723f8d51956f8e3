-- Field visits (拜访) and the two counters the scoreboard reads for the metrics that are not
-- kept in the sales rollups: visits and new active dealers.

-- A visit a person paid to a dealer. node_path/owner_id are the dealer's territory and owner
-- when the visit was recorded (documents keep their territory); visited_by is who went. Scopes: managers
-- see the visits to dealers in their subtree, field staff the visits they made themselves.
-- visit_day is the company-time-zone day of visited_at (µs since the epoch, UTC).
CREATE TABLE visits (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    visited_by BIGINT NOT NULL REFERENCES people(id),
    visited_at BIGINT NOT NULL,
    visit_day TEXT NOT NULL,
    purpose TEXT NOT NULL,
    outcome TEXT,
    location TEXT,
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX visits_path ON visits(node_path, visit_day);
CREATE INDEX visits_by ON visits(visited_by, visit_day);
CREATE INDEX visits_dealer ON visits(dealer_id, visit_day);

-- Visits per month × territory × visitor, written in the same transaction as each visit
-- (`store::visits::insert`), so achievement of a `visits` target costs O(groups).
-- `salesos check` compares it with a recount of `visits`.
CREATE TABLE visit_counts (
    month TEXT NOT NULL,
    node_path {{path}} NOT NULL,
    visited_by BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    PRIMARY KEY (month, node_path, visited_by)
);
CREATE INDEX visit_counts_by ON visit_counts(visited_by, month);

-- Each dealer's first order that counts as sold (status confirmed, partially_shipped, shipped
-- or closed — the same set as the `ordered` rollup), earliest order_date, then lowest id. The
-- dealer is a "new active dealer" in that order's month, credited to the order's own
-- node_path/owner_id (the dealer's owner when the order was taken). If that order stops
-- counting (cancelled), the next one becomes the first. Kept by triggers on `orders`
-- (0009_visits_first_orders.{sqlite,postgres}.sql); `salesos check` compares it with a
-- recomputation.
CREATE TABLE dealer_first_orders (
    dealer_id BIGINT PRIMARY KEY REFERENCES dealers(id),
    order_id BIGINT NOT NULL,
    order_date TEXT NOT NULL,
    month TEXT NOT NULL,
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL
);
CREATE INDEX dealer_first_orders_month ON dealer_first_orders(month, node_path);
CREATE INDEX dealer_first_orders_owner ON dealer_first_orders(owner_id, month);

INSERT INTO dealer_first_orders (dealer_id, order_id, order_date, month, node_path, owner_id)
SELECT o.dealer_id, o.id, o.order_date, substr(o.order_date, 1, 7), o.node_path, o.owner_id
FROM orders o
WHERE o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
  AND NOT EXISTS (
    SELECT 1 FROM orders e
    WHERE e.dealer_id = o.dealer_id
      AND e.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
      AND (e.order_date < o.order_date OR (e.order_date = o.order_date AND e.id < o.id)));
