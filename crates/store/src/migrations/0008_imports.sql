-- Imports: the column mapping a person corrected for a kind of file, kept for next time, and a
-- record of every confirmed import (who, what, how many rows created / updated / unchanged).

CREATE TABLE import_mappings (
    id {{pk}},
    person_id BIGINT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    -- JSON object: field -> the column header in the person's file
    mapping TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (person_id, kind)
);

CREATE TABLE import_runs (
    id {{pk}},
    person_id BIGINT REFERENCES people(id),
    kind TEXT NOT NULL,
    file_name TEXT,
    rows_read BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX import_runs_person ON import_runs(person_id, id);
