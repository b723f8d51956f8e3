-- Dealers (customers), the catalogue, price lists, quotas and market feedback.

CREATE TABLE dealers (
    id {{pk}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- prospect | evaluating | active | suspended | terminated
    status TEXT NOT NULL,
    status_reason TEXT,
    tier TEXT NOT NULL,
    licence_no TEXT,
    legal_representative TEXT,
    address TEXT,
    city TEXT,
    delivery_station TEXT,
    bank_name TEXT,
    bank_account TEXT,
    tax_no TEXT,
    phone TEXT,
    -- where the dealer sits in the organisation and who owns it now (scope columns)
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_path {{path}} NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES people(id),
    slt_owner_id BIGINT REFERENCES people(id),
    price_list_id BIGINT,
    payment_term_days BIGINT NOT NULL,
    credit_limit_fen BIGINT NOT NULL,
    -- the opening scorecard: JSON of criterion -> score 0..100, and the weighted total
    scorecard_json TEXT,
    score BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dealers_node_path ON dealers(node_path);
CREATE INDEX dealers_owner ON dealers(owner_id);
CREATE INDEX dealers_licence ON dealers(licence_no);
CREATE INDEX dealers_city_name ON dealers(city, name);

CREATE TABLE dealer_contacts (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    name TEXT NOT NULL,
    title TEXT,
    phone TEXT,
    email TEXT,
    is_primary BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX dealer_contacts_dealer ON dealer_contacts(dealer_id);

-- Who owned a dealer, and where it sat, over time: past documents stay attributed.
CREATE TABLE dealer_owners (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    owner_id BIGINT NOT NULL REFERENCES people(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_path {{path}} NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT
);
CREATE INDEX dealer_owners_dealer ON dealer_owners(dealer_id, valid_from);

-- History of the key commercial terms (credit limit, payment term, price list, tier).
CREATE TABLE dealer_terms (
    id {{pk}},
    dealer_id BIGINT NOT NULL REFERENCES dealers(id),
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    valid_from TEXT NOT NULL,
    changed_by BIGINT REFERENCES people(id),
    approval_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX dealer_terms_dealer ON dealer_terms(dealer_id, id);

CREATE TABLE market_feedback (
    id {{pk}},
    dealer_id BIGINT REFERENCES dealers(id),
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    node_path {{path}} NOT NULL,
    author_id BIGINT NOT NULL REFERENCES people(id),
    -- competitor | price | complaint | other
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX market_feedback_path ON market_feedback(node_path, id);

CREATE TABLE product_lines (
    id {{pk}},
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE products (
    id {{pk}},
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    line_id BIGINT NOT NULL REFERENCES product_lines(id),
    -- the base unit quantities are counted in, and how many make a case
    unit TEXT NOT NULL,
    case_size BIGINT NOT NULL,
    -- VAT in basis points (1300 = 13%)
    tax_rate_bp BIGINT NOT NULL,
    -- active | inactive
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_line ON products(line_id);

CREATE TABLE price_lists (
    id {{pk}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- tier: serves every dealer of `tier`; dealer: one dealer's own list
    kind TEXT NOT NULL,
    tier TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- A price of one product on one list over [valid_from, valid_to).
CREATE TABLE price_list_items (
    id {{pk}},
    price_list_id BIGINT NOT NULL REFERENCES price_lists(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    price_fen BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX price_list_items_lookup ON price_list_items(price_list_id, product_id, valid_from);

-- Allocations of scarce products per market (node) or per dealer per period (YYYY-MM).
CREATE TABLE quotas (
    id {{pk}},
    product_id BIGINT NOT NULL REFERENCES products(id),
    node_id BIGINT REFERENCES org_nodes(id),
    dealer_id BIGINT REFERENCES dealers(id),
    period TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    consumed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX quotas_lookup ON quotas(product_id, period);
