-- dealer_first_orders maintenance on PostgreSQL (see 0009_visits_first_orders.sql).
-- Recomputes a dealer's first counted order when the stored one changed or went away.
CREATE FUNCTION salesos_first_order_recompute(p_dealer BIGINT, p_order BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM dealer_first_orders WHERE dealer_id = p_dealer AND order_id = p_order;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO dealer_first_orders (dealer_id, order_id, order_date, month, node_path, owner_id)
    SELECT o.dealer_id, o.id, o.order_date, substr(o.order_date, 1, 7), o.node_path, o.owner_id FROM orders o
    WHERE o.dealer_id = p_dealer AND salesos_order_counts(o.status)
    ORDER BY o.order_date, o.id LIMIT 1;
END
$$;

-- The order as it is now competes for its dealer's first place: the earlier one wins.
CREATE FUNCTION salesos_first_order_offer(o orders) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT salesos_order_counts(o.status) THEN
        RETURN;
    END IF;
    INSERT INTO dealer_first_orders AS f (dealer_id, order_id, order_date, month, node_path, owner_id)
    VALUES (o.dealer_id, o.id, o.order_date, substr(o.order_date, 1, 7), o.node_path, o.owner_id)
    ON CONFLICT (dealer_id) DO UPDATE SET order_id = excluded.order_id, order_date = excluded.order_date,
        month = excluded.month, node_path = excluded.node_path, owner_id = excluded.owner_id
    WHERE excluded.order_date < f.order_date
       OR (excluded.order_date = f.order_date AND excluded.order_id <= f.order_id);
END
$$;

CREATE FUNCTION salesos_first_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM salesos_first_order_recompute(OLD.dealer_id, OLD.id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM salesos_first_order_offer(NEW);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER first_order_insert AFTER INSERT ON orders
FOR EACH ROW WHEN (salesos_order_counts(NEW.status))
EXECUTE FUNCTION salesos_first_order();
CREATE TRIGGER first_order_update AFTER UPDATE OF status, order_date, node_path, owner_id, dealer_id ON orders
FOR EACH ROW WHEN (salesos_order_counts(OLD.status) IS DISTINCT FROM salesos_order_counts(NEW.status)
    OR OLD.order_date IS DISTINCT FROM NEW.order_date OR OLD.node_path IS DISTINCT FROM NEW.node_path
    OR OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.dealer_id IS DISTINCT FROM NEW.dealer_id)
EXECUTE FUNCTION salesos_first_order();
CREATE TRIGGER first_order_delete AFTER DELETE ON orders
FOR EACH ROW WHEN (salesos_order_counts(OLD.status))
EXECUTE FUNCTION salesos_first_order();
