-- The per-line rollup triggers of order_lines stay quiet in a transaction that asked for it with
-- SET LOCAL salesos.skip_rollups = 'on' (an import that adds the same figures set-based). The
-- condition sits in the triggers' WHEN clause, so a skipped row queues no trigger event at all.
DROP TRIGGER rollup_order_line_ins ON order_lines;
DROP TRIGGER rollup_order_line_upd ON order_lines;
CREATE TRIGGER rollup_order_line_ins AFTER INSERT OR DELETE ON order_lines
FOR EACH ROW WHEN (current_setting('salesos.skip_rollups', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION salesos_rollup_order_line();
CREATE TRIGGER rollup_order_line_upd AFTER UPDATE OF order_id, product_id, quantity, amount_fen ON order_lines
FOR EACH ROW WHEN (current_setting('salesos.skip_rollups', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION salesos_rollup_order_line();
