-- The monthly PAE pack per market, generated ahead of the monthly review (job `pae-pack`).
-- content is the pack's figures frozen at generation (JSON: sheets of typed cells), rendered
-- to XLSX in the reader's language on download. One pack per market and month.
CREATE TABLE pae_packs (
    id {{pk}},
    month TEXT NOT NULL,
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_path {{path}} NOT NULL,
    content TEXT NOT NULL,
    generated_by TEXT NOT NULL,
    generated_at BIGINT NOT NULL,
    UNIQUE (month, node_id)
);
CREATE INDEX pae_packs_path ON pae_packs(node_path, month);
