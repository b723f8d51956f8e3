-- Rollup maintenance on SQLite. Every change is written into the view `sales_rollup_deltas`,
-- whose INSTEAD OF trigger adds it to `sales_rollups` (one upsert written once).
CREATE VIEW sales_rollup_deltas AS
SELECT month, node_path, owner_id, dealer_id, product_id, ordered_fen, ordered_qty, shipped_fen,
       shipped_qty, invoiced_fen, invoiced_qty, collected_fen
FROM sales_rollups WHERE 0;

CREATE TRIGGER sales_rollup_deltas_add INSTEAD OF INSERT ON sales_rollup_deltas
BEGIN
    INSERT INTO sales_rollups (month, node_path, owner_id, dealer_id, product_id, ordered_fen,
        ordered_qty, shipped_fen, shipped_qty, invoiced_fen, invoiced_qty, collected_fen)
    VALUES (NEW.month, NEW.node_path, NEW.owner_id, NEW.dealer_id, NEW.product_id,
        NEW.ordered_fen, NEW.ordered_qty, NEW.shipped_fen, NEW.shipped_qty, NEW.invoiced_fen,
        NEW.invoiced_qty, NEW.collected_fen)
    ON CONFLICT (month, node_path, owner_id, dealer_id, product_id) DO UPDATE SET
        ordered_fen = ordered_fen + excluded.ordered_fen,
        ordered_qty = ordered_qty + excluded.ordered_qty,
        shipped_fen = shipped_fen + excluded.shipped_fen,
        shipped_qty = shipped_qty + excluded.shipped_qty,
        invoiced_fen = invoiced_fen + excluded.invoiced_fen,
        invoiced_qty = invoiced_qty + excluded.invoiced_qty,
        collected_fen = collected_fen + excluded.collected_fen;
    INSERT INTO sales_rollups_by_owner (month, node_path, owner_id, ordered_fen, ordered_qty,
        shipped_fen, shipped_qty, invoiced_fen, invoiced_qty, collected_fen)
    VALUES (NEW.month, NEW.node_path, NEW.owner_id, NEW.ordered_fen, NEW.ordered_qty,
        NEW.shipped_fen, NEW.shipped_qty, NEW.invoiced_fen, NEW.invoiced_qty, NEW.collected_fen)
    ON CONFLICT (month, node_path, owner_id) DO UPDATE SET
        ordered_fen = ordered_fen + excluded.ordered_fen,
        ordered_qty = ordered_qty + excluded.ordered_qty,
        shipped_fen = shipped_fen + excluded.shipped_fen,
        shipped_qty = shipped_qty + excluded.shipped_qty,
        invoiced_fen = invoiced_fen + excluded.invoiced_fen,
        invoiced_qty = invoiced_qty + excluded.invoiced_qty,
        collected_fen = collected_fen + excluded.collected_fen;
END;

-- ordered: order lines while their order counts
CREATE TRIGGER rollup_order_line_in AFTER INSERT ON order_lines
WHEN (SELECT status FROM orders WHERE id = NEW.order_id) IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(o.order_date, 1, 7), o.node_path, o.owner_id, o.dealer_id,
        NEW.product_id, NEW.amount_fen, NEW.quantity, 0, 0, 0, 0, 0 FROM orders o WHERE o.id = NEW.order_id;
END;
CREATE TRIGGER rollup_order_line_out AFTER DELETE ON order_lines
WHEN (SELECT status FROM orders WHERE id = OLD.order_id) IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(o.order_date, 1, 7), o.node_path, o.owner_id, o.dealer_id,
        OLD.product_id, -OLD.amount_fen, -OLD.quantity, 0, 0, 0, 0, 0 FROM orders o WHERE o.id = OLD.order_id;
END;
CREATE TRIGGER rollup_order_line_change AFTER UPDATE OF order_id, product_id, quantity, amount_fen ON order_lines
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(o.order_date, 1, 7), o.node_path, o.owner_id, o.dealer_id,
        OLD.product_id, -OLD.amount_fen, -OLD.quantity, 0, 0, 0, 0, 0 FROM orders o
        WHERE o.id = OLD.order_id AND o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed');
    INSERT INTO sales_rollup_deltas SELECT substr(o.order_date, 1, 7), o.node_path, o.owner_id, o.dealer_id,
        NEW.product_id, NEW.amount_fen, NEW.quantity, 0, 0, 0, 0, 0 FROM orders o
        WHERE o.id = NEW.order_id AND o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed');
END;
CREATE TRIGGER rollup_order_out AFTER UPDATE OF status, order_date, node_path, owner_id, dealer_id ON orders
WHEN OLD.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(OLD.order_date, 1, 7), OLD.node_path, OLD.owner_id, OLD.dealer_id,
        l.product_id, -l.amount_fen, -l.quantity, 0, 0, 0, 0, 0 FROM order_lines l WHERE l.order_id = OLD.id;
END;
CREATE TRIGGER rollup_order_in AFTER UPDATE OF status, order_date, node_path, owner_id, dealer_id ON orders
WHEN NEW.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(NEW.order_date, 1, 7), NEW.node_path, NEW.owner_id, NEW.dealer_id,
        l.product_id, l.amount_fen, l.quantity, 0, 0, 0, 0, 0 FROM order_lines l WHERE l.order_id = NEW.id;
END;

-- shipped: shipment lines once their shipment left
CREATE TRIGGER rollup_shipment_line_in AFTER INSERT ON shipment_lines
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(s.shipped_on, 1, 7), s.node_path, s.owner_id, s.dealer_id,
        NEW.product_id, 0, 0, NEW.amount_fen, NEW.quantity, 0, 0, 0 FROM shipments s
        WHERE s.id = NEW.shipment_id AND s.status IN ('shipped', 'delivered', 'closed') AND s.shipped_on IS NOT NULL;
END;
CREATE TRIGGER rollup_shipment_line_out AFTER DELETE ON shipment_lines
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(s.shipped_on, 1, 7), s.node_path, s.owner_id, s.dealer_id,
        OLD.product_id, 0, 0, -OLD.amount_fen, -OLD.quantity, 0, 0, 0 FROM shipments s
        WHERE s.id = OLD.shipment_id AND s.status IN ('shipped', 'delivered', 'closed') AND s.shipped_on IS NOT NULL;
END;
CREATE TRIGGER rollup_shipment_line_change AFTER UPDATE OF shipment_id, product_id, quantity, amount_fen ON shipment_lines
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(s.shipped_on, 1, 7), s.node_path, s.owner_id, s.dealer_id,
        OLD.product_id, 0, 0, -OLD.amount_fen, -OLD.quantity, 0, 0, 0 FROM shipments s
        WHERE s.id = OLD.shipment_id AND s.status IN ('shipped', 'delivered', 'closed') AND s.shipped_on IS NOT NULL;
    INSERT INTO sales_rollup_deltas SELECT substr(s.shipped_on, 1, 7), s.node_path, s.owner_id, s.dealer_id,
        NEW.product_id, 0, 0, NEW.amount_fen, NEW.quantity, 0, 0, 0 FROM shipments s
        WHERE s.id = NEW.shipment_id AND s.status IN ('shipped', 'delivered', 'closed') AND s.shipped_on IS NOT NULL;
END;
CREATE TRIGGER rollup_shipment_out AFTER UPDATE OF status, shipped_on, node_path, owner_id, dealer_id ON shipments
WHEN OLD.status IN ('shipped', 'delivered', 'closed') AND OLD.shipped_on IS NOT NULL
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(OLD.shipped_on, 1, 7), OLD.node_path, OLD.owner_id, OLD.dealer_id,
        l.product_id, 0, 0, -l.amount_fen, -l.quantity, 0, 0, 0 FROM shipment_lines l WHERE l.shipment_id = OLD.id;
END;
CREATE TRIGGER rollup_shipment_in AFTER UPDATE OF status, shipped_on, node_path, owner_id, dealer_id ON shipments
WHEN NEW.status IN ('shipped', 'delivered', 'closed') AND NEW.shipped_on IS NOT NULL
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(NEW.shipped_on, 1, 7), NEW.node_path, NEW.owner_id, NEW.dealer_id,
        l.product_id, 0, 0, l.amount_fen, l.quantity, 0, 0, 0 FROM shipment_lines l WHERE l.shipment_id = NEW.id;
END;

-- invoiced: invoice lines of invoices not cancelled
CREATE TRIGGER rollup_invoice_line_in AFTER INSERT ON invoice_lines
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(i.invoice_date, 1, 7), i.node_path, i.owner_id, i.dealer_id,
        NEW.product_id, 0, 0, 0, 0, NEW.gross_fen, NEW.quantity, 0 FROM invoices i
        WHERE i.id = NEW.invoice_id AND i.status <> 'cancelled';
END;
CREATE TRIGGER rollup_invoice_line_out AFTER DELETE ON invoice_lines
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(i.invoice_date, 1, 7), i.node_path, i.owner_id, i.dealer_id,
        OLD.product_id, 0, 0, 0, 0, -OLD.gross_fen, -OLD.quantity, 0 FROM invoices i
        WHERE i.id = OLD.invoice_id AND i.status <> 'cancelled';
END;
CREATE TRIGGER rollup_invoice_line_change AFTER UPDATE OF invoice_id, product_id, quantity, gross_fen ON invoice_lines
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(i.invoice_date, 1, 7), i.node_path, i.owner_id, i.dealer_id,
        OLD.product_id, 0, 0, 0, 0, -OLD.gross_fen, -OLD.quantity, 0 FROM invoices i
        WHERE i.id = OLD.invoice_id AND i.status <> 'cancelled';
    INSERT INTO sales_rollup_deltas SELECT substr(i.invoice_date, 1, 7), i.node_path, i.owner_id, i.dealer_id,
        NEW.product_id, 0, 0, 0, 0, NEW.gross_fen, NEW.quantity, 0 FROM invoices i
        WHERE i.id = NEW.invoice_id AND i.status <> 'cancelled';
END;
CREATE TRIGGER rollup_invoice_out AFTER UPDATE OF status, invoice_date, node_path, owner_id, dealer_id ON invoices
WHEN OLD.status <> 'cancelled'
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(OLD.invoice_date, 1, 7), OLD.node_path, OLD.owner_id, OLD.dealer_id,
        l.product_id, 0, 0, 0, 0, -l.gross_fen, -l.quantity, 0 FROM invoice_lines l WHERE l.invoice_id = OLD.id;
END;
CREATE TRIGGER rollup_invoice_in AFTER UPDATE OF status, invoice_date, node_path, owner_id, dealer_id ON invoices
WHEN NEW.status <> 'cancelled'
BEGIN
    INSERT INTO sales_rollup_deltas SELECT substr(NEW.invoice_date, 1, 7), NEW.node_path, NEW.owner_id, NEW.dealer_id,
        l.product_id, 0, 0, 0, 0, l.gross_fen, l.quantity, 0 FROM invoice_lines l WHERE l.invoice_id = NEW.id;
END;

-- collected: payments received
CREATE TRIGGER rollup_payment_in AFTER INSERT ON payments
BEGIN
    INSERT INTO sales_rollup_deltas VALUES (substr(NEW.received_on, 1, 7), NEW.node_path, NEW.owner_id,
        NEW.dealer_id, 0, 0, 0, 0, 0, 0, 0, NEW.amount_fen);
END;
CREATE TRIGGER rollup_payment_out AFTER DELETE ON payments
BEGIN
    INSERT INTO sales_rollup_deltas VALUES (substr(OLD.received_on, 1, 7), OLD.node_path, OLD.owner_id,
        OLD.dealer_id, 0, 0, 0, 0, 0, 0, 0, -OLD.amount_fen);
END;
CREATE TRIGGER rollup_payment_change AFTER UPDATE OF received_on, amount_fen, node_path, owner_id, dealer_id ON payments
BEGIN
    INSERT INTO sales_rollup_deltas VALUES (substr(OLD.received_on, 1, 7), OLD.node_path, OLD.owner_id,
        OLD.dealer_id, 0, 0, 0, 0, 0, 0, 0, -OLD.amount_fen);
    INSERT INTO sales_rollup_deltas VALUES (substr(NEW.received_on, 1, 7), NEW.node_path, NEW.owner_id,
        NEW.dealer_id, 0, 0, 0, 0, 0, 0, 0, NEW.amount_fen);
END;
