CREATE TRIGGER ar_ledger_append_only BEFORE UPDATE OR DELETE ON ar_ledger
FOR EACH ROW EXECUTE FUNCTION salesos_refuse_change();
CREATE TRIGGER ar_ledger_no_truncate BEFORE TRUNCATE ON ar_ledger
FOR EACH STATEMENT EXECUTE FUNCTION salesos_refuse_change();
CREATE TRIGGER payment_allocations_append_only BEFORE UPDATE OR DELETE ON payment_allocations
FOR EACH ROW EXECUTE FUNCTION salesos_refuse_change();
CREATE TRIGGER payment_allocations_no_truncate BEFORE TRUNCATE ON payment_allocations
FOR EACH STATEMENT EXECUTE FUNCTION salesos_refuse_change();
