#!/usr/bin/env bash
# Import of 1 million historical order lines from CSV (issue 5): rows/s of `salesos import
# orders` (every check applied: codes resolved, dates and quantities checked, duplicates and
# conflicts found, one transaction, one audit entry per order) on SQLite and PostgreSQL, next to
# the database's own bulk load of the same file in the same run (sqlite3 `.import` and psql
# `\copy`, i.e. COPY, into a bare table of the same six text/number columns).
#
#   bash bench/import.sh [LINES]          # default 1000000
#
# Needs: cargo, sqlite3, psql and a PostgreSQL at $PGURL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
LINES="${1:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${BENCH_DIR:-/tmp/salesos-bench-import}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
DB="salesos_bench_import"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/import-rel}"
rm -rf "$WORK" && mkdir -p "$WORK"
(cd "$ROOT" && cargo build --release -q -p salesos)
BIN="$CARGO_TARGET_DIR/release/salesos"

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

# SQLite: salesos import, then sqlite3 .import of the same file
t0=$(secs); "$BIN" import orders "$WORK/orders.csv" --as desk --data-dir "$WORK/sqlite" 2>/dev/null | tail -1; t1=$(secs)
"$BIN" check --data-dir "$WORK/sqlite" | tail -1
S_IMPORT=$(rate "$LINES" "$t0" "$t1")
rm -f "$WORK/bulk.db"
t0=$(secs)
sqlite3 -bail "$WORK/bulk.db" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE lines(order_no TEXT, dealer TEXT, order_date TEXT, product TEXT, quantity INTEGER, unit_price REAL, note TEXT);
.import --csv --skip 1 $WORK/orders.csv lines
SQL
t1=$(secs)
S_BULK=$(rate "$LINES" "$t0" "$t1")

# PostgreSQL: the same
psql -X -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"$BIN" demo --size tiny --no-serve --database-url "$PGURL/$DB" >/dev/null
t0=$(secs); "$BIN" import orders "$WORK/orders.csv" --as desk --database-url "$PGURL/$DB" 2>/dev/null | tail -1; t1=$(secs)
"$BIN" check --database-url "$PGURL/$DB" | tail -1
P_IMPORT=$(rate "$LINES" "$t0" "$t1")
psql -X -q "$PGURL/$DB" -c "CREATE TABLE lines(order_no text, dealer text, order_date text, product text, quantity bigint, unit_price numeric, note text)"
t0=$(secs)
psql -X -q "$PGURL/$DB" -c "\\copy lines FROM '$WORK/orders.csv' WITH (FORMAT csv, HEADER true)"
t1=$(secs)
P_BULK=$(rate "$LINES" "$t0" "$t1")
psql -X -q "$PGURL/postgres" -c "DROP DATABASE $DB"

echo
echo "| backend | salesos import (rows/s) | bulk load of the same file (rows/s) | share |"
echo "|---|---|---|---|"
echo "| SQLite | $S_IMPORT | $S_BULK (sqlite3 .import) | $(python3 -c "print(f'{$S_IMPORT / $S_BULK:.2f}')") |"
echo "| PostgreSQL | $P_IMPORT | $P_BULK (psql \\copy) | $(python3 -c "print(f'{$P_IMPORT / $P_BULK:.2f}')") |"
