-- Rollup maintenance on PostgreSQL: one upsert function, called by row triggers on the documents.
CREATE FUNCTION salesos_rollup_add(p_month TEXT, p_path TEXT, p_owner BIGINT, p_dealer BIGINT,
    p_product BIGINT, p_ordered_fen BIGINT, p_ordered_qty BIGINT, p_shipped_fen BIGINT,
    p_shipped_qty BIGINT, p_invoiced_fen BIGINT, p_invoiced_qty BIGINT, p_collected_fen BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sales_rollups AS r (month, node_path, owner_id, dealer_id, product_id, ordered_fen,
        ordered_qty, shipped_fen, shipped_qty, invoiced_fen, invoiced_qty, collected_fen)
    VALUES (p_month, p_path, p_owner, p_dealer, p_product, p_ordered_fen, p_ordered_qty,
        p_shipped_fen, p_shipped_qty, p_invoiced_fen, p_invoiced_qty, p_collected_fen)
    ON CONFLICT (month, node_path, owner_id, dealer_id, product_id) DO UPDATE SET
        ordered_fen = r.ordered_fen + excluded.ordered_fen,
        ordered_qty = r.ordered_qty + excluded.ordered_qty,
        shipped_fen = r.shipped_fen + excluded.shipped_fen,
        shipped_qty = r.shipped_qty + excluded.shipped_qty,
        invoiced_fen = r.invoiced_fen + excluded.invoiced_fen,
        invoiced_qty = r.invoiced_qty + excluded.invoiced_qty,
        collected_fen = r.collected_fen + excluded.collected_fen;
    INSERT INTO sales_rollups_by_owner AS r (month, node_path, owner_id, ordered_fen, ordered_qty,
        shipped_fen, shipped_qty, invoiced_fen, invoiced_qty, collected_fen)
    VALUES (p_month, p_path, p_owner, p_ordered_fen, p_ordered_qty, p_shipped_fen,
        p_shipped_qty, p_invoiced_fen, p_invoiced_qty, p_collected_fen)
    ON CONFLICT (month, node_path, owner_id) DO UPDATE SET
        ordered_fen = r.ordered_fen + excluded.ordered_fen,
        ordered_qty = r.ordered_qty + excluded.ordered_qty,
        shipped_fen = r.shipped_fen + excluded.shipped_fen,
        shipped_qty = r.shipped_qty + excluded.shipped_qty,
        invoiced_fen = r.invoiced_fen + excluded.invoiced_fen,
        invoiced_qty = r.invoiced_qty + excluded.invoiced_qty,
        collected_fen = r.collected_fen + excluded.collected_fen;
END
$$;

CREATE FUNCTION salesos_order_counts(status TEXT) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
$$;
CREATE FUNCTION salesos_shipment_counts(status TEXT, shipped_on TEXT) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT status IN ('shipped', 'delivered', 'closed') AND shipped_on IS NOT NULL
$$;

-- ordered
CREATE FUNCTION salesos_rollup_order_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE o RECORD;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT * INTO o FROM orders WHERE id = OLD.order_id;
        IF FOUND AND salesos_order_counts(o.status) THEN
            PERFORM salesos_rollup_add(substr(o.order_date, 1, 7), o.node_path, o.owner_id, o.dealer_id,
                OLD.product_id, -OLD.amount_fen, -OLD.quantity, 0, 0, 0, 0, 0);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT * INTO o FROM orders WHERE id = NEW.order_id;
        IF FOUND AND salesos_order_counts(o.status) THEN
            PERFORM salesos_rollup_add(substr(o.order_date, 1, 7), o.node_path, o.owner_id, o.dealer_id,
                NEW.product_id, NEW.amount_fen, NEW.quantity, 0, 0, 0, 0, 0);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_order_line_ins AFTER INSERT OR DELETE ON order_lines
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_order_line();
CREATE TRIGGER rollup_order_line_upd AFTER UPDATE OF order_id, product_id, quantity, amount_fen ON order_lines
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_order_line();

CREATE FUNCTION salesos_rollup_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF salesos_order_counts(OLD.status) THEN
        PERFORM salesos_rollup_add(substr(OLD.order_date, 1, 7), OLD.node_path, OLD.owner_id, OLD.dealer_id,
            l.product_id, -l.amount_fen, -l.quantity, 0, 0, 0, 0, 0) FROM order_lines l WHERE l.order_id = OLD.id;
    END IF;
    IF salesos_order_counts(NEW.status) THEN
        PERFORM salesos_rollup_add(substr(NEW.order_date, 1, 7), NEW.node_path, NEW.owner_id, NEW.dealer_id,
            l.product_id, l.amount_fen, l.quantity, 0, 0, 0, 0, 0) FROM order_lines l WHERE l.order_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_order AFTER UPDATE OF status, order_date, node_path, owner_id, dealer_id ON orders
FOR EACH ROW WHEN (salesos_order_counts(OLD.status) OR salesos_order_counts(NEW.status))
EXECUTE FUNCTION salesos_rollup_order();

-- shipped
CREATE FUNCTION salesos_rollup_shipment_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE s RECORD;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT * INTO s FROM shipments WHERE id = OLD.shipment_id;
        IF FOUND AND salesos_shipment_counts(s.status, s.shipped_on) THEN
            PERFORM salesos_rollup_add(substr(s.shipped_on, 1, 7), s.node_path, s.owner_id, s.dealer_id,
                OLD.product_id, 0, 0, -OLD.amount_fen, -OLD.quantity, 0, 0, 0);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT * INTO s FROM shipments WHERE id = NEW.shipment_id;
        IF FOUND AND salesos_shipment_counts(s.status, s.shipped_on) THEN
            PERFORM salesos_rollup_add(substr(s.shipped_on, 1, 7), s.node_path, s.owner_id, s.dealer_id,
                NEW.product_id, 0, 0, NEW.amount_fen, NEW.quantity, 0, 0, 0);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_shipment_line_ins AFTER INSERT OR DELETE ON shipment_lines
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_shipment_line();
CREATE TRIGGER rollup_shipment_line_upd AFTER UPDATE OF shipment_id, product_id, quantity, amount_fen ON shipment_lines
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_shipment_line();

CREATE FUNCTION salesos_rollup_shipment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF salesos_shipment_counts(OLD.status, OLD.shipped_on) THEN
        PERFORM salesos_rollup_add(substr(OLD.shipped_on, 1, 7), OLD.node_path, OLD.owner_id, OLD.dealer_id,
            l.product_id, 0, 0, -l.amount_fen, -l.quantity, 0, 0, 0) FROM shipment_lines l WHERE l.shipment_id = OLD.id;
    END IF;
    IF salesos_shipment_counts(NEW.status, NEW.shipped_on) THEN
        PERFORM salesos_rollup_add(substr(NEW.shipped_on, 1, 7), NEW.node_path, NEW.owner_id, NEW.dealer_id,
            l.product_id, 0, 0, l.amount_fen, l.quantity, 0, 0, 0) FROM shipment_lines l WHERE l.shipment_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_shipment AFTER UPDATE OF status, shipped_on, node_path, owner_id, dealer_id ON shipments
FOR EACH ROW WHEN (salesos_shipment_counts(OLD.status, OLD.shipped_on) OR salesos_shipment_counts(NEW.status, NEW.shipped_on))
EXECUTE FUNCTION salesos_rollup_shipment();

-- invoiced
CREATE FUNCTION salesos_rollup_invoice_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE i RECORD;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT * INTO i FROM invoices WHERE id = OLD.invoice_id;
        IF FOUND AND i.status <> 'cancelled' THEN
            PERFORM salesos_rollup_add(substr(i.invoice_date, 1, 7), i.node_path, i.owner_id, i.dealer_id,
                OLD.product_id, 0, 0, 0, 0, -OLD.gross_fen, -OLD.quantity, 0);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT * INTO i FROM invoices WHERE id = NEW.invoice_id;
        IF FOUND AND i.status <> 'cancelled' THEN
            PERFORM salesos_rollup_add(substr(i.invoice_date, 1, 7), i.node_path, i.owner_id, i.dealer_id,
                NEW.product_id, 0, 0, 0, 0, NEW.gross_fen, NEW.quantity, 0);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_invoice_line_ins AFTER INSERT OR DELETE ON invoice_lines
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_invoice_line();
CREATE TRIGGER rollup_invoice_line_upd AFTER UPDATE OF invoice_id, product_id, quantity, gross_fen ON invoice_lines
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_invoice_line();

CREATE FUNCTION salesos_rollup_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'cancelled' THEN
        PERFORM salesos_rollup_add(substr(OLD.invoice_date, 1, 7), OLD.node_path, OLD.owner_id, OLD.dealer_id,
            l.product_id, 0, 0, 0, 0, -l.gross_fen, -l.quantity, 0) FROM invoice_lines l WHERE l.invoice_id = OLD.id;
    END IF;
    IF NEW.status <> 'cancelled' THEN
        PERFORM salesos_rollup_add(substr(NEW.invoice_date, 1, 7), NEW.node_path, NEW.owner_id, NEW.dealer_id,
            l.product_id, 0, 0, 0, 0, l.gross_fen, l.quantity, 0) FROM invoice_lines l WHERE l.invoice_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_invoice AFTER UPDATE OF status, invoice_date, node_path, owner_id, dealer_id ON invoices
FOR EACH ROW WHEN (OLD.status <> 'cancelled' OR NEW.status <> 'cancelled')
EXECUTE FUNCTION salesos_rollup_invoice();

-- collected
CREATE FUNCTION salesos_rollup_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM salesos_rollup_add(substr(OLD.received_on, 1, 7), OLD.node_path, OLD.owner_id, OLD.dealer_id,
            0, 0, 0, 0, 0, 0, 0, -OLD.amount_fen);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM salesos_rollup_add(substr(NEW.received_on, 1, 7), NEW.node_path, NEW.owner_id, NEW.dealer_id,
            0, 0, 0, 0, 0, 0, 0, NEW.amount_fen);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_payment_ins AFTER INSERT OR DELETE ON payments
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_payment();
CREATE TRIGGER rollup_payment_upd AFTER UPDATE OF received_on, amount_fen, node_path, owner_id, dealer_id ON payments
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_payment();
