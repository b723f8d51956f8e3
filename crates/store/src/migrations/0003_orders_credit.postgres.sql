CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
FOR EACH ROW EXECUTE FUNCTION salesos_refuse_change();
CREATE TRIGGER credit_ledger_no_truncate BEFORE TRUNCATE ON credit_ledger
FOR EACH STATEMENT EXECUTE FUNCTION salesos_refuse_change();
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
FOR EACH ROW EXECUTE FUNCTION salesos_refuse_change();
CREATE TRIGGER order_events_no_truncate BEFORE TRUNCATE ON order_events
FOR EACH STATEMENT EXECUTE FUNCTION salesos_refuse_change();
