-- The first-order trigger on insert stays quiet in a transaction that asked for it with
-- SET LOCAL salesos.skip_rollups = 'on' (an import that offers its orders set-based).
DROP TRIGGER first_order_insert ON orders;
CREATE TRIGGER first_order_insert AFTER INSERT ON orders
FOR EACH ROW WHEN (salesos_order_counts(NEW.status)
    AND current_setting('salesos.skip_rollups', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION salesos_first_order();
