#!/usr/bin/env bash
# The floor of an order-history import on PostgreSQL (issue 5): how long the server itself takes
# to write what `salesos import orders` writes, with no client in the loop, next to COPY of the
# same file in the same run.
#
# The file's rows are first copied into a staging table and their codes resolved (untimed).
# Then, timed, in one transaction and set-based (`INSERT … SELECT`), with the import's own
# relief applied: rollup triggers skipped (`salesos.skip_rollups`), the foreign keys of
# `order_lines` dropped (and not even added back), the secondary indexes of `orders` dropped
# (and not rebuilt):
#   - the orders (one row per order, with its unique number),
#   - their lines (primary key and `order_lines_order` kept: the schema has them),
#   - one audit entry per order, smaller than the import's (no lines in it).
# No rollups, no first orders, no checks. If this floor alone is slower than three times COPY,
# no client can make the import reach a third of COPY on this schema.
#
#   bash bench/import_floor_pg.sh [CSV]    # default: the file bench/import.sh left behind
#
# Needs: psql, a PostgreSQL at $PGURL, and a salesos binary ($SALESOS_BIN, else a release build)
# for the tiny demo company whose dealer and product codes the file names.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CSV="$(realpath "${1:-/tmp/salesos-bench-import/orders.csv}")"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
DB="${BENCH_PGDB:-salesos_bench_floor}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/import-rel}"
if [ -z "${SALESOS_BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release -q -p salesos)
fi
BIN="${SALESOS_BIN:-$CARGO_TARGET_DIR/release/salesos}"
LINES=$(($(wc -l <"$CSV") - 1))

psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"$BIN" demo --size tiny --no-serve --database-url "$PGURL/$DB" >/dev/null 2>&1

# prints the seconds one psql script took
timed() {
    local t0 t1
    t0=$(date +%s.%N)
    psql -X -q -v ON_ERROR_STOP=1 "$PGURL/$DB" >/dev/null
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.2f}')"
}
copy() {
    timed <<SQL
CREATE TABLE lines(order_no text, dealer text, order_date text, product text, quantity bigint, unit_price numeric, note text);
\\copy lines FROM '$CSV' WITH (FORMAT csv, HEADER true)
DROP TABLE lines;
SQL
}

COPY1=$(copy)
psql -X -q -v ON_ERROR_STOP=1 "$PGURL/$DB" >/dev/null <<SQL
CREATE UNLOGGED TABLE stage(order_no text, dealer text, order_date text, product text, quantity bigint, unit_price numeric, note text);
\\copy stage FROM '$CSV' WITH (FORMAT csv, HEADER true)
CREATE UNLOGGED TABLE stage_orders AS
  SELECT o.order_no, d.id AS dealer_id, o.order_date, d.node_id, n.path AS node_path, d.owner_id,
         (SELECT COALESCE(MAX(id), 0) FROM orders) + ROW_NUMBER() OVER (ORDER BY o.order_no) AS id
  FROM (SELECT order_no, MIN(dealer) AS dealer, MIN(order_date) AS order_date FROM stage GROUP BY order_no) o
  JOIN dealers d ON d.code = o.dealer JOIN org_nodes n ON n.id = d.node_id;
CREATE UNLOGGED TABLE stage_lines AS
  SELECT o.id AS order_id, ROW_NUMBER() OVER (PARTITION BY o.id) AS line_no, p.id AS product_id,
         s.quantity, (s.unit_price * 100)::bigint AS unit_price_fen
  FROM stage s JOIN stage_orders o USING (order_no) JOIN products p ON p.code = s.product
  ORDER BY o.id;
ANALYZE stage_orders; ANALYZE stage_lines;
SQL

WRITE=$(timed <<'SQL'
BEGIN;
SET LOCAL salesos.skip_rollups = 'on';
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = 'order_lines'::regclass AND contype = 'f' LOOP
    EXECUTE format('ALTER TABLE order_lines DROP CONSTRAINT %I', r.conname);
  END LOOP;
  FOR r IN SELECT indexrelid::regclass::text AS name FROM pg_index
           WHERE indrelid = 'orders'::regclass AND NOT indisprimary AND NOT indisunique LOOP
    EXECUTE format('DROP INDEX %s', r.name);
  END LOOP;
END $$;
INSERT INTO orders (id, number, dealer_id, order_date, status, source, node_id, node_path, owner_id,
                    total_fen, exposure_fen, created_at, updated_at)
  SELECT id, order_no, dealer_id, order_date, 'closed', 'import', node_id, node_path, owner_id, 0, 0, 1, 1
  FROM stage_orders ORDER BY id;
INSERT INTO order_lines (order_id, line_no, product_id, quantity, list_price_fen, unit_price_fen,
                         amount_fen, manual_price, shipped_qty)
  SELECT order_id, line_no, product_id, quantity, NULL, unit_price_fen, quantity * unit_price_fen, 0, quantity
  FROM stage_lines;
INSERT INTO audit_log (at, person_id, source, request_id, operation, entity, entity_id, scope_path, after_json)
  SELECT 1, NULL, 'cli', 'floor', 'order.import', 'order', id, node_path,
         json_build_object('number', order_no, 'dealer_id', dealer_id, 'order_date', order_date)::text
  FROM stage_orders;
COMMIT;
SQL
)
COPY2=$(copy)
psql -X -q "$PGURL/postgres" -c "DROP DATABASE $DB"

python3 - "$LINES" "$COPY1" "$COPY2" "$WRITE" <<'PY'
import sys
lines, c1, c2, w = int(sys.argv[1]), *map(float, sys.argv[2:])
copy = (c1 + c2) / 2
print(f"lines: {lines:,}")
print(f"COPY into a bare table, before / after: {c1:.2f} s / {c2:.2f} s ({lines / copy:,.0f} rows/s)")
print(f"server-side floor of the import's writes: {w:.2f} s ({lines / w:,.0f} rows/s, {copy / w:.2f} of COPY)")
print(f"a third of COPY allows {3 * copy:.2f} s for the whole import")
PY
