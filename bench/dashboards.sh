#!/usr/bin/env bash
# Scoreboard figures for BENCHMARKS.md (issue 4): p50/p95 of each home dashboard
# (`GET /api/v1/dashboard` as a director, a market manager and a rep) and of the achievement
# report (`GET /api/v1/targets/{id}`: a month target with its children ranked), all read from
# the sales rollups, next to the same monthly aggregate computed by a plain GROUP BY over the raw
# order lines — on SQLite and PostgreSQL, same machine, same run.
#
# Usage: bash bench/dashboards.sh [LINES] [REQUESTS]   (default 10000000 lines, 60 requests)
#   SALESOS_BIN=path        use this binary instead of building the release one
#   PG_URL=postgres://...   PostgreSQL server (default local, trust auth); SKIP_PG=1 to skip
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000000}
requests=${2:-60}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
[ -n "${SALESOS_BIN:-}" ] || cargo build --release -p salesos
bin=${SALESOS_BIN:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/salesos}
work=$(mktemp -d)
port=18981
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# p50 and p95 in ms of `requests` GETs of $1 with bearer $2
percentiles() {
  local url=$1 token=$2
  for _ in $(seq "$requests"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url"
  done | sort -n | awk '{ v[NR] = $1 * 1000 } END { i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i95 = int(NR * 0.95 + 0.999); printf "p50 %.1f ms, p95 %.1f ms (%d requests)\n", v[i50], v[i95], NR }'
}

# one backend: $1 = label, then the `--data-dir …` or `--database-url …` arguments
run() {
  local label=$1
  shift
  echo "== $label: demo with ~$lines order lines"
  /usr/bin/time -f 'demo: %e s wall, peak RSS %M KiB' "$bin" demo --no-serve --size large --lines "$lines" "$@" 2>&1 | grep -E '^(history|demo:)' || true
  "$bin" serve --listen "127.0.0.1:$port" "$@" >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$port"
  local director mm rep
  director=$("$bin" user token director "$@" | tail -1)
  mm_login=$(sql "SELECT login FROM people WHERE role = 'market_manager' AND active = 1 ORDER BY id LIMIT 1" "$@")
  rep_login=$(sql "SELECT p.login FROM people p JOIN dealers d ON d.owner_id = p.id WHERE p.role = 'sales_rep' GROUP BY p.login ORDER BY COUNT(*) DESC, p.login LIMIT 1" "$@")
  mm=$("$bin" user token "$mm_login" "$@" | tail -1)
  rep=$("$bin" user token "$rep_login" "$@" | tail -1)
  echo "lines: $(sql "SELECT COUNT(*) FROM order_lines" "$@"), rollup groups: $(sql "SELECT COUNT(*) FROM sales_rollups" "$@")"
  # a month target at the company, split to the markets by last year's share
  local hq month year target
  hq=$(sql "SELECT id FROM org_nodes WHERE parent_id IS NULL" "$@")
  month=$(date +%Y-%m)
  year=$(date +%Y)
  curl -s -H "Authorization: Bearer $director" -H 'content-type: application/json' \
    -d "{\"metric\":\"ordered_amount\",\"amount\":100000000000,\"owner_node\":$hq,\"period\":\"$year\"}" "$base/api/v1/targets" >"$work/year.json"
  local year_id
  year_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"]["id"])' "$work/year.json")
  curl -s -H "Authorization: Bearer $director" -H 'content-type: application/json' \
    -d "{\"metric\":\"ordered_amount\",\"amount\":9000000000,\"owner_node\":$hq,\"period\":\"$month\",\"parent_id\":$year_id}" "$base/api/v1/targets" >"$work/month.json"
  target=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"]["id"])' "$work/month.json")
  curl -s -H "Authorization: Bearer $director" -H 'content-type: application/json' -d '{"by":"children"}' \
    "$base/api/v1/targets/$target/cascade-proposal" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps({"parts":[{"node_id":x["node_id"],"person_id":x["person_id"],"period":x["period"],"amount":x["amount"]} for x in p["parts"]]}))' >"$work/parts.json"
  curl -s -o /dev/null -H "Authorization: Bearer $director" -H 'content-type: application/json' -d @"$work/parts.json" "$base/api/v1/targets/$target/cascade"
  echo "dashboard, director:          $(percentiles "$base/api/v1/dashboard" "$director")"
  echo "dashboard, market manager:    $(percentiles "$base/api/v1/dashboard" "$mm")"
  echo "dashboard, rep ($rep_login):  $(percentiles "$base/api/v1/dashboard" "$rep")"
  echo "achievement report (month target, markets ranked): $(percentiles "$base/api/v1/targets/$target" "$director")"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  local from
  from=$(date -d "$(date +%Y-%m-01) -11 months" +%Y-%m-01)
  echo "plain GROUP BY over the raw lines (12 months of ordered amount per month, whole company):"
  raw_group_by "$from" "$@"
}

sql() { # query, then the backend arguments
  local q=$1
  shift
  if [ "$1" = "--data-dir" ]; then sqlite3 "$2/salesos.db" "$q"; else psql "$2" -Atc "$q"; fi
}

raw_group_by() { # from-day, then the backend arguments
  local from=$1
  shift
  local q="SELECT substr(o.order_date, 1, 7) AS m, SUM(l.amount_fen) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status IN ('confirmed','partially_shipped','shipped','closed') AND o.order_date >= '$from' GROUP BY 1 ORDER BY 1"
  for i in 1 2 3 4 5; do
    if [ "$1" = "--data-dir" ]; then
      local t0 t1
      t0=$(date +%s%N); sqlite3 "$2/salesos.db" "$q" >/dev/null; t1=$(date +%s%N)
      echo "  run $i: $(( (t1 - t0) / 1000000 )) ms"
    else
      psql "$2" -Atc '\timing on' -c "$q" | grep -E '^Time' | sed "s/^/  run $i: /"
    fi
  done
}

echo "binary: $bin; cores: $(nproc)"
run "SQLite" --data-dir "$work/data"
if [ -z "${SKIP_PG:-}" ]; then
  db=salesos_bench_dash
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  psql "$pg_url" -qc "CREATE DATABASE $db" >/dev/null
  run "PostgreSQL" --database-url "${pg_url%/*}/$db"
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
fi
