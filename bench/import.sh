#!/usr/bin/env bash
# Import of 1 million historical order lines from CSV (issue 5): rows/s of `salesos import
# orders` (every check applied: codes resolved in scope, dates and quantities checked, orders
# whose lines are apart and conflicting lines found, existing orders compared, one transaction,
# one audit entry per order, rollups kept) on SQLite and PostgreSQL, as a dry run and as a
# confirmed import, next to the database's own bulk load of the same file in the same run
# (sqlite3 `.import` and psql `\copy`, i.e. COPY, into a bare table of the same seven columns),
# which is run once before and once after the salesos runs of its backend (the machine is
# shared; the table shows both and the share against their mean).
#
#   bash bench/import.sh [LINES]          # default 1000000
#
# Needs: cargo, sqlite3, psql and a PostgreSQL at $PGURL (default postgres://postgres@127.0.0.1:5432);
# the database $BENCH_PGDB (default salesos_bench_import) is created and dropped again.
set -euo pipefail
LINES="${1:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${BENCH_DIR:-/tmp/salesos-bench-import}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
DB="${BENCH_PGDB:-salesos_bench_import}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/import-rel}"
rm -rf "$WORK" && mkdir -p "$WORK"
# SALESOS_BIN: a release binary built before (skips the build)
if [ -z "${SALESOS_BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release -q -p salesos)
fi
BIN="${SALESOS_BIN:-$CARGO_TARGET_DIR/release/salesos}"

secs() { python3 -c "import time; print(time.time())"; }
rate() { python3 -c "print(round($1 / ($3 - $2)))"; }

# the tiny demo company gives the dealers and products the lines name
"$BIN" demo --size tiny --no-serve --data-dir "$WORK/sqlite" >/dev/null
sqlite3 "$WORK/sqlite/salesos.db" "SELECT code FROM dealers WHERE status = 'active' ORDER BY id" >"$WORK/dealers.txt"
sqlite3 "$WORK/sqlite/salesos.db" "SELECT code FROM products ORDER BY id" >"$WORK/products.txt"

python3 - "$LINES" "$WORK" <<'PY'
import random, sys
lines, work = int(sys.argv[1]), sys.argv[2]
dealers = open(f"{work}/dealers.txt").read().split()
products = open(f"{work}/products.txt").read().split()
rng = random.Random(5)
with open(f"{work}/orders.csv", "w") as f:
    f.write("order_no,dealer,order_date,product,quantity,unit_price,note\n")
    n, order = 0, 0
    while n < lines:
        order += 1
        dealer = rng.choice(dealers)
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        for product in rng.sample(products, min(10, lines - n)):
            f.write(f"H{order:07d},{dealer},{day},{product},{rng.randint(1, 500)},{rng.randint(100, 9999) / 100:.2f},\n")
            n += 1
PY
SIZE=$(du -m "$WORK/orders.csv" | cut -f1)
echo "file: $LINES lines, ${SIZE} MiB"

sqlite_bulk() {
    rm -f "$WORK/bulk.db" "$WORK/bulk.db-wal" "$WORK/bulk.db-shm"
    local t0 t1
    t0=$(secs)
    sqlite3 -bail "$WORK/bulk.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE lines(order_no TEXT, dealer TEXT, order_date TEXT, product TEXT, quantity INTEGER, unit_price REAL, note TEXT);
.import --csv --skip 1 $WORK/orders.csv lines
SQL
    t1=$(secs)
    rate "$LINES" "$t0" "$t1"
}
pg_bulk() {
    psql -X -q "$PGURL/$DB" -c "DROP TABLE IF EXISTS lines" -c "CREATE TABLE lines(order_no text, dealer text, order_date text, product text, quantity bigint, unit_price numeric, note text)"
    local t0 t1
    t0=$(secs)
    psql -X -q "$PGURL/$DB" -c "\\copy lines FROM '$WORK/orders.csv' WITH (FORMAT csv, HEADER true)"
    t1=$(secs)
    psql -X -q "$PGURL/$DB" -c "DROP TABLE lines"
    rate "$LINES" "$t0" "$t1"
}
# salesos import orders with the given arguments; prints its rows/s, keeps its last line
salesos_import() {
    local t0 t1
    t0=$(secs)
    "$BIN" import orders "$WORK/orders.csv" --as desk "$@" 2>/dev/null | tail -1 >&2
    t1=$(secs)
    rate "$LINES" "$t0" "$t1"
}

# SQLite
S_BULK1=$(sqlite_bulk)
S_DRY=$(salesos_import --dry-run --data-dir "$WORK/sqlite")
S_IMPORT=$(salesos_import --data-dir "$WORK/sqlite")
"$BIN" check --data-dir "$WORK/sqlite" | tail -1
S_BULK2=$(sqlite_bulk)

# PostgreSQL
psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"$BIN" demo --size tiny --no-serve --database-url "$PGURL/$DB" >/dev/null
P_BULK1=$(pg_bulk)
P_DRY=$(salesos_import --dry-run --database-url "$PGURL/$DB")
P_IMPORT=$(salesos_import --database-url "$PGURL/$DB")
"$BIN" check --database-url "$PGURL/$DB" | tail -1
P_BULK2=$(pg_bulk)
psql -X -q "$PGURL/postgres" -c "DROP DATABASE $DB"

share() { python3 -c "print(f'{$1 / (($2 + $3) / 2):.2f}')"; }
echo
echo "| backend | bulk load, before / after (rows/s) | salesos dry run (rows/s, share) | salesos import (rows/s, share) |"
echo "|---|---|---|---|"
echo "| SQLite | $S_BULK1 / $S_BULK2 (sqlite3 .import) | $S_DRY ($(share "$S_DRY" "$S_BULK1" "$S_BULK2")) | $S_IMPORT ($(share "$S_IMPORT" "$S_BULK1" "$S_BULK2")) |"
echo "| PostgreSQL | $P_BULK1 / $P_BULK2 (psql \\copy) | $P_DRY ($(share "$P_DRY" "$P_BULK1" "$P_BULK2")) | $P_IMPORT ($(share "$P_IMPORT" "$P_BULK1" "$P_BULK2")) |"
