-- Open receivables rollup maintenance on PostgreSQL (see 0011_dashboard_rollups.sql). Named
-- `rollup_…` like the sales rollups' triggers, so bulk loads set them aside the same way.
CREATE FUNCTION salesos_rollup_receivables() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' AND OLD.open_fen > 0 THEN
        UPDATE open_receivables_rollups SET open_fen = open_fen - OLD.open_fen
        WHERE due_date = OLD.due_date AND node_path = OLD.node_path AND owner_id = OLD.owner_id;
        DELETE FROM open_receivables_rollups
        WHERE due_date = OLD.due_date AND node_path = OLD.node_path AND owner_id = OLD.owner_id AND open_fen = 0;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'open' AND NEW.open_fen > 0 THEN
        INSERT INTO open_receivables_rollups AS r (due_date, node_path, owner_id, open_fen)
        VALUES (NEW.due_date, NEW.node_path, NEW.owner_id, NEW.open_fen)
        ON CONFLICT (due_date, node_path, owner_id) DO UPDATE SET open_fen = r.open_fen + excluded.open_fen;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rollup_receivables_ins AFTER INSERT OR DELETE ON invoices
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_receivables();
CREATE TRIGGER rollup_receivables_upd AFTER UPDATE OF status, open_fen, due_date, node_path, owner_id ON invoices
FOR EACH ROW EXECUTE FUNCTION salesos_rollup_receivables();
