-- dealer_first_orders maintenance on SQLite (see 0009_visits_first_orders.sql).
-- A counted order that is earlier than the dealer's stored first order replaces it.
CREATE TRIGGER first_order_insert AFTER INSERT ON orders
WHEN NEW.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
BEGIN
    INSERT INTO dealer_first_orders (dealer_id, order_id, order_date, month, node_path, owner_id)
    VALUES (NEW.dealer_id, NEW.id, NEW.order_date, substr(NEW.order_date, 1, 7), NEW.node_path, NEW.owner_id)
    ON CONFLICT (dealer_id) DO UPDATE SET order_id = excluded.order_id, order_date = excluded.order_date,
        month = excluded.month, node_path = excluded.node_path, owner_id = excluded.owner_id
    WHERE excluded.order_date < dealer_first_orders.order_date
       OR (excluded.order_date = dealer_first_orders.order_date AND excluded.order_id < dealer_first_orders.order_id);
END;

-- A change that matters: whether it counts, its date, territory, owner or dealer. If the order
-- was its dealer's first, that dealer's first is recomputed from the orders as they are now;
-- then the order (as it is now) competes for its dealer's first place.
CREATE TRIGGER first_order_update AFTER UPDATE OF status, order_date, node_path, owner_id, dealer_id ON orders
WHEN (OLD.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')) <> (NEW.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed'))
  OR OLD.order_date <> NEW.order_date OR OLD.node_path <> NEW.node_path
  OR OLD.owner_id <> NEW.owner_id OR OLD.dealer_id <> NEW.dealer_id
BEGIN
    DELETE FROM dealer_first_orders WHERE dealer_id = OLD.dealer_id AND order_id = OLD.id;
    INSERT INTO dealer_first_orders (dealer_id, order_id, order_date, month, node_path, owner_id)
    SELECT o.dealer_id, o.id, o.order_date, substr(o.order_date, 1, 7), o.node_path, o.owner_id FROM orders o
    WHERE o.dealer_id = OLD.dealer_id AND o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
      AND NOT EXISTS (SELECT 1 FROM dealer_first_orders f WHERE f.dealer_id = OLD.dealer_id)
    ORDER BY o.order_date, o.id LIMIT 1;
    INSERT INTO dealer_first_orders (dealer_id, order_id, order_date, month, node_path, owner_id)
    SELECT NEW.dealer_id, NEW.id, NEW.order_date, substr(NEW.order_date, 1, 7), NEW.node_path, NEW.owner_id
    WHERE NEW.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
    ON CONFLICT (dealer_id) DO UPDATE SET order_id = excluded.order_id, order_date = excluded.order_date,
        month = excluded.month, node_path = excluded.node_path, owner_id = excluded.owner_id
    WHERE excluded.order_date < dealer_first_orders.order_date
       OR (excluded.order_date = dealer_first_orders.order_date AND excluded.order_id <= dealer_first_orders.order_id);
END;

CREATE TRIGGER first_order_delete AFTER DELETE ON orders
WHEN OLD.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
BEGIN
    DELETE FROM dealer_first_orders WHERE dealer_id = OLD.dealer_id AND order_id = OLD.id;
    INSERT INTO dealer_first_orders (dealer_id, order_id, order_date, month, node_path, owner_id)
    SELECT o.dealer_id, o.id, o.order_date, substr(o.order_date, 1, 7), o.node_path, o.owner_id FROM orders o
    WHERE o.dealer_id = OLD.dealer_id AND o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
      AND NOT EXISTS (SELECT 1 FROM dealer_first_orders f WHERE f.dealer_id = OLD.dealer_id)
    ORDER BY o.order_date, o.id LIMIT 1;
END;
