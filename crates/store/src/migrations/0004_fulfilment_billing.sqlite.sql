CREATE TRIGGER ar_ledger_no_update BEFORE UPDATE ON ar_ledger
BEGIN SELECT RAISE(ABORT, 'ar_ledger is append-only'); END;
CREATE TRIGGER ar_ledger_no_delete BEFORE DELETE ON ar_ledger
BEGIN SELECT RAISE(ABORT, 'ar_ledger is append-only'); END;
CREATE TRIGGER payment_allocations_no_update BEFORE UPDATE ON payment_allocations
BEGIN SELECT RAISE(ABORT, 'payment_allocations is append-only'); END;
CREATE TRIGGER payment_allocations_no_delete BEFORE DELETE ON payment_allocations
BEGIN SELECT RAISE(ABORT, 'payment_allocations is append-only'); END;
