-- Open receivables rollup maintenance on SQLite (see 0011_dashboard_rollups.sql). Named
-- `rollup_…` like the sales rollups' triggers, so bulk loads set them aside the same way.
CREATE TRIGGER rollup_receivables_in AFTER INSERT ON invoices
WHEN NEW.status = 'open' AND NEW.open_fen > 0
BEGIN
    INSERT INTO open_receivables_rollups (due_date, node_path, owner_id, open_fen)
    VALUES (NEW.due_date, NEW.node_path, NEW.owner_id, NEW.open_fen)
    ON CONFLICT (due_date, node_path, owner_id) DO UPDATE SET open_fen = open_fen + excluded.open_fen;
END;
CREATE TRIGGER rollup_receivables_out AFTER DELETE ON invoices
WHEN OLD.status = 'open' AND OLD.open_fen > 0
BEGIN
    UPDATE open_receivables_rollups SET open_fen = open_fen - OLD.open_fen
    WHERE due_date = OLD.due_date AND node_path = OLD.node_path AND owner_id = OLD.owner_id;
    DELETE FROM open_receivables_rollups
    WHERE due_date = OLD.due_date AND node_path = OLD.node_path AND owner_id = OLD.owner_id AND open_fen = 0;
END;
CREATE TRIGGER rollup_receivables_change AFTER UPDATE OF status, open_fen, due_date, node_path, owner_id ON invoices
WHEN (OLD.status = 'open' AND OLD.open_fen > 0) OR (NEW.status = 'open' AND NEW.open_fen > 0)
BEGIN
    UPDATE open_receivables_rollups SET open_fen = open_fen - OLD.open_fen
    WHERE due_date = OLD.due_date AND node_path = OLD.node_path AND owner_id = OLD.owner_id
      AND OLD.status = 'open' AND OLD.open_fen > 0;
    INSERT INTO open_receivables_rollups (due_date, node_path, owner_id, open_fen)
    SELECT NEW.due_date, NEW.node_path, NEW.owner_id, NEW.open_fen WHERE NEW.status = 'open' AND NEW.open_fen > 0
    ON CONFLICT (due_date, node_path, owner_id) DO UPDATE SET open_fen = open_fen + excluded.open_fen;
    DELETE FROM open_receivables_rollups
    WHERE due_date = OLD.due_date AND node_path = OLD.node_path AND owner_id = OLD.owner_id AND open_fen = 0;
END;
