#!/usr/bin/env bash
# Peak memory (RSS, from /usr/bin/time -v) of `salesos import orders` on SQLite, as a check
# (--dry-run) and confirmed, for files of two sizes: memory must not grow with the file
# (issue 5: "large files stream"). The files come from bench/import.sh's own generator.
#
#   bash bench/import_memory.sh [SMALL_LINES] [LARGE_LINES]     # default 100000 1000000
#
# Needs: cargo, sqlite3, python3, /usr/bin/time (GNU time).
set -euo pipefail
SMALL="${1:-100000}"
LARGE="${2:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
W="${BENCH_DIR:-/tmp/salesos-bench-import-memory}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/import-rel}"
rm -rf "$W" && mkdir -p "$W"
(cd "$ROOT" && cargo build --release -q -p salesos)
BIN="$CARGO_TARGET_DIR/release/salesos"

"$BIN" demo --size tiny --no-serve --data-dir "$W/base" >/dev/null 2>&1
sqlite3 "$W/base/salesos.db" "SELECT code FROM dealers WHERE status = 'active' ORDER BY id" >"$W/dealers.txt"
sqlite3 "$W/base/salesos.db" "SELECT code FROM products ORDER BY id" >"$W/products.txt"
# the generator of bench/import.sh, taken from that script so both measure the same files
GEN=$(sed -n "/^python3 - \"\$LINES\" \"\$WORK\" <<'PY'/,/^PY$/p" "$ROOT/bench/import.sh" | sed '1d;$d')
for n in "$SMALL" "$LARGE"; do
  python3 -c "$GEN" "$n" "$W"
  mv "$W/orders.csv" "$W/orders_$n.csv"
done

echo "| lines | file | mode | rows/s | peak RSS |"
echo "|---|---|---|---|---|"
for n in "$SMALL" "$LARGE"; do
  for mode in dry-run confirmed; do
    rm -rf "$W/db" && cp -r "$W/base" "$W/db"
    flag=(); [ "$mode" = dry-run ] && flag=(--dry-run)
    /usr/bin/time -v "$BIN" import orders "$W/orders_$n.csv" --as desk "${flag[@]}" --data-dir "$W/db" \
      >"$W/out.txt" 2>"$W/time.txt" || true
    rss=$(grep "Maximum resident" "$W/time.txt" | awk '{print $NF}')
    rate=$(grep -o '([0-9]* rows/s)' "$W/out.txt" | tr -d '()' | cut -d' ' -f1)
    echo "| $n | $(du -m "$W/orders_$n.csv" | cut -f1) MiB | $mode | $rate | $((rss / 1024)) MiB |"
  done
done
