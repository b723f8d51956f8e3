-- Foundation: organisation, people and their positions, sign-in, API tokens, audit trail.
-- Tokens: {{pk}} auto-increment primary key, {{path}} a materialised org path (byte-ordered).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE org_nodes (
    id {{pk}},
    parent_id BIGINT REFERENCES org_nodes(id),
    kind TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    path {{path}} NOT NULL UNIQUE,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX org_nodes_parent ON org_nodes(parent_id);

-- Where each node hung, and when: moves end one period and start the next.
CREATE TABLE org_node_links (
    id {{pk}},
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    parent_id BIGINT REFERENCES org_nodes(id),
    path {{path}} NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT
);
CREATE INDEX org_node_links_node ON org_node_links(node_id, valid_from);

CREATE TABLE people (
    id {{pk}},
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    password_hash TEXT NOT NULL,
    locale TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    -- the current position, kept equal to the open assignment for scoped queries
    node_id BIGINT REFERENCES org_nodes(id),
    role TEXT,
    node_path {{path}},
    password_changed_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX people_node_path ON people(node_path);

-- A person holding a position (a role at a node) over a period: the history of who was where.
CREATE TABLE assignments (
    id {{pk}},
    person_id BIGINT NOT NULL REFERENCES people(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    role TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX assignments_person ON assignments(person_id, valid_from);
CREATE INDEX assignments_node ON assignments(node_id, valid_from);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    csrf_token TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_person ON sessions(person_id);

CREATE TABLE api_tokens (
    id {{pk}},
    person_id BIGINT NOT NULL REFERENCES people(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_by BIGINT REFERENCES people(id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_person ON api_tokens(person_id);

CREATE TABLE login_attempts (
    id {{pk}},
    login TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL,
    succeeded BIGINT NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts(login, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

-- Append-only: triggers (per backend, below) refuse every UPDATE and DELETE.
CREATE TABLE audit_log (
    id {{pk}},
    at BIGINT NOT NULL,
    person_id BIGINT REFERENCES people(id),
    source TEXT NOT NULL,
    request_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    scope_path {{path}},
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, id);
