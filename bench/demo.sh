#!/usr/bin/env bash
# Demo-history figures for BENCHMARKS.md: `salesos demo` with its two years of order-to-cash
# history at the default size and at a large size, on SQLite and PostgreSQL: wall time, rows
# written per second, peak RSS (GNU time), database size, and `salesos check` over the result.
#
# Usage: bash bench/demo.sh [LARGE_LINES]        (default 10000000; builds the release binary)
#   SALESOS_BIN=path        use this binary instead of building
#   PG_URL=postgres://...   the server for the PostgreSQL runs (default: local, trust auth);
#                           set SKIP_PG=1 to skip them, SKIP_LARGE=1 to skip the large size
set -euo pipefail
cd "$(dirname "$0")/.."
large=${1:-10000000}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
[ -n "${SALESOS_BIN:-}" ] || cargo build --release -p salesos
bin=${SALESOS_BIN:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/salesos}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# runs "$@" under GNU time; prints the demo's own summary line, wall seconds and peak RSS
measure() {
  /usr/bin/time -f '%e s wall, peak RSS %M KiB' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    cat "$work/err" >&2
    return 1
  }
  grep -E '^history' "$work/out" || true
  cat "$work/time"
}

sqlite_run() { # name, extra args...
  local name=$1
  shift
  rm -rf "$work/data"
  echo "== SQLite, $name"
  measure "$bin" demo --no-serve --data-dir "$work/data" "$@"
  /usr/bin/time -f 'check: %e s, peak RSS %M KiB' "$bin" check --data-dir "$work/data" 2>&1 | tail -2
  echo "database: $(du -cb "$work"/data/salesos.db* | tail -1 | awk '{printf "%.1f MiB", $1 / 1048576}')"
}

pg_run() { # name, extra args...
  local name=$1
  shift
  local db=salesos_bench_demo
  local url=${pg_url%/*}/$db
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  psql "$pg_url" -qc "CREATE DATABASE $db" >/dev/null
  echo "== PostgreSQL, $name"
  measure "$bin" demo --no-serve --database-url "$url" "$@"
  /usr/bin/time -f 'check: %e s, peak RSS %M KiB' "$bin" check --database-url "$url" 2>&1 | tail -2
  echo "database: $(psql "$url" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
}

echo "binary: $bin"
nproc | xargs echo "cores:"
sqlite_run "standard size (default)"
[ -n "${SKIP_PG:-}" ] || pg_run "standard size (default)"
if [ -z "${SKIP_LARGE:-}" ]; then
  sqlite_run "large: --lines $large" --size large --lines "$large"
  [ -n "${SKIP_PG:-}" ] || pg_run "large: --lines $large" --size large --lines "$large"
fi
