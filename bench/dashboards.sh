#!/usr/bin/env bash
# Scoreboard figures for BENCHMARKS.md (issue 4): p50/p95 of each home dashboard
# (`GET /api/v1/dashboard` as the director, a market manager, an area manager and the rep with
# most dealers) and of the achievement report (`GET /api/v1/targets/{id}`: the company's month
# target with its markets ranked), all read from the sales rollups — next to the same aggregates
# computed by a plain GROUP BY over the raw order lines, on SQLite and PostgreSQL, same machine,
# same run. Also records the demo generation (wall time, peak RSS) when it makes the database.
#
# Usage: bash bench/dashboards.sh [LINES] [REQUESTS]   (default 10000000 lines, 60 requests)
#   SALESOS_BIN=path        use this binary instead of building the release one
#   BENCH_DIR=dir           where the SQLite database lives between runs (default
#                           /tmp/salesos-bench-<LINES>); an existing one is reused
#   PG_URL=postgres://...   PostgreSQL server (default local, trust auth); SKIP_PG=1 to skip,
#                           SKIP_SQLITE=1 to skip SQLite
#   PG_DB=name              the PostgreSQL database (default salesos_bench_<LINES>), reused too
#   FRESH=1                 make the demo databases again even if they exist
#   DROP_PG=1               drop the PostgreSQL database at the end (frees the disk)
#   NO_WRITE=1              print the table only, do not rewrite BENCHMARKS.md
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000000}
requests=${2:-60}
raw_runs=${RAW_RUNS:-5}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
bench_dir=${BENCH_DIR:-/tmp/salesos-bench-$lines}
pg_db=${PG_DB:-salesos_bench_$lines}
[ -n "${SALESOS_BIN:-}" ] || cargo build --release -p salesos
bin=${SALESOS_BIN:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/salesos}
work=$(mktemp -d)
port=${PORT:-18997}
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
results=$work/results.tsv # backend \t row label \t value
: >"$results"

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

# "p50 p95" in ms of `requests` GETs of $1 with bearer $2 (after two warm-up requests)
percentiles() {
  local url=$1 token=$2
  for _ in 1 2; do curl -s -o /dev/null -H "Authorization: Bearer $token" "$url"; done
  for _ in $(seq "$requests"); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" "$url"
  done | awk '$1 != 200 { bad++ } { print $2 } END { if (bad) { print "non-200 responses: " bad > "/dev/stderr"; exit 1 } }' |
    sort -n | awk '{ v[NR] = $1 * 1000 } END { i50 = int(NR * 0.50 + 0.999); i95 = int(NR * 0.95 + 0.999); printf "%.1f %.1f\n", v[i50], v[i95] }'
}

sql() { # query, then the backend arguments
  local q=$1
  shift
  if [ "$1" = "--data-dir" ]; then sqlite3 "$2/salesos.db" "$q"; else psql "$2" -Atc "$q"; fi
}

# "p50 p95" in ms of `raw_runs` runs of a query, timed by the database's own client
raw_timing() { # query, then the backend arguments
  local q=$1
  shift
  for _ in $(seq "$raw_runs"); do
    if [ "$1" = "--data-dir" ]; then
      printf '.timer on\n%s;\n' "$q" | sqlite3 "$2/salesos.db" | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | awk '{ printf "%.1f\n", $1 * 1000 }'
    else
      psql "$2" -At -c '\timing on' -c "$q" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
    fi
  done | sort -n | awk '{ v[NR] = $1 } END { i50 = int(NR * 0.50 + 0.999); i95 = int(NR * 0.95 + 0.999); printf "%.1f %.1f\n", v[i50], v[i95] }'
}

# one backend: $1 = label, then the `--data-dir …` or `--database-url …` arguments
run() {
  local label=$1
  shift
  local have=0
  if [ -z "${FRESH:-}" ]; then have=$(sql "SELECT COUNT(*) FROM order_lines" "$@" 2>/dev/null || echo 0); fi
  if [ "${have:-0}" -gt 0 ]; then
    echo "== $label: reusing the demo database ($have order lines)"
  else
    echo "== $label: demo with ~$lines order lines"
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" demo --no-serve --size large --lines "$lines" "$@" >"$work/demo.out" 2>"$work/demo.err" || {
      tail -20 "$work/demo.err" >&2
      return 1
    }
    grep -E '^history' "$work/demo.out" || true
    read -r secs rss <"$work/time"
    echo "demo: $secs s wall, peak RSS $((rss / 1024)) MiB"
    record "$label" "demo generation: wall time" "$secs s"
    record "$label" "demo generation: peak RSS" "$((rss / 1024)) MiB"
    /usr/bin/time -f '%e' -o "$work/time" "$bin" check "$@" >"$work/check.out" 2>&1 || {
      tail -20 "$work/check.out" >&2
      return 1
    }
    echo "check: clean, $(cat "$work/time") s"
    record "$label" "\`salesos check\` (all invariants, rollups = recomputation)" "clean, $(cat "$work/time") s"
  fi
  local n_lines groups coarse
  n_lines=$(sql "SELECT COUNT(*) FROM order_lines" "$@")
  groups=$(sql "SELECT COUNT(*) FROM sales_rollups" "$@")
  coarse=$(sql "SELECT COUNT(*) FROM sales_rollups_by_owner" "$@")
  echo "lines: $n_lines, rollup groups: $groups detailed, $coarse per owner"
  record "$label" "order lines / rollup groups (detailed, per owner)" "$n_lines / $groups, $coarse"

  "$bin" migrate "$@" >/dev/null # a reused database may predate a migration
  sql "ANALYZE" "$@" >/dev/null   # … whose new tables and indexes the planner has not seen yet
  "$bin" serve --listen "127.0.0.1:$port" "$@" >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$port"
  local mm_login am_login rep_login rep_id mm_path am_path director mm am rep
  mm_login=$(sql "SELECT login FROM people WHERE role = 'market_manager' AND active = 1 ORDER BY id LIMIT 1" "$@")
  am_login=$(sql "SELECT login FROM people WHERE role = 'area_manager' AND active = 1 ORDER BY id LIMIT 1" "$@")
  rep_login=$(sql "SELECT p.login FROM people p JOIN dealers d ON d.owner_id = p.id WHERE p.role = 'sales_rep' GROUP BY p.login ORDER BY COUNT(*) DESC, p.login LIMIT 1" "$@")
  rep_id=$(sql "SELECT id FROM people WHERE login = '$rep_login'" "$@")
  mm_path=$(sql "SELECT node_path FROM people WHERE login = '$mm_login'" "$@")
  am_path=$(sql "SELECT node_path FROM people WHERE login = '$am_login'" "$@")
  director=$("$bin" user token director "$@" | tail -1)
  mm=$("$bin" user token "$mm_login" "$@" | tail -1)
  am=$("$bin" user token "$am_login" "$@" | tail -1)
  rep=$("$bin" user token "$rep_login" "$@" | tail -1)

  # the achievement report: the company's month target for this month, split to the markets
  local hq month year target
  hq=$(sql "SELECT id FROM org_nodes WHERE parent_id IS NULL" "$@")
  month=$(date +%Y-%m)
  year=$(date +%Y)
  target=$(sql "SELECT MIN(t.id) FROM targets t WHERE t.node_id = $hq AND t.person_id IS NULL AND t.period = '$month' AND t.metric = 'ordered_amount' AND t.product_id IS NULL AND t.product_line_id IS NULL AND EXISTS (SELECT 1 FROM targets c WHERE c.parent_id = t.id)" "$@")
  if [ -z "$target" ]; then
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
  fi

  local p
  p=$(percentiles "$base/api/v1/dashboard" "$director"); echo "dashboard, director: $p"; record "$label" "dashboard, director" "$p"
  p=$(percentiles "$base/api/v1/dashboard" "$mm"); echo "dashboard, market manager: $p"; record "$label" "dashboard, market manager" "$p"
  p=$(percentiles "$base/api/v1/dashboard" "$am"); echo "dashboard, area manager: $p"; record "$label" "dashboard, area manager" "$p"
  p=$(percentiles "$base/api/v1/dashboard" "$rep"); echo "dashboard, rep: $p"; record "$label" "dashboard, rep (most dealers)" "$p"
  p=$(percentiles "$base/api/v1/targets/$target" "$director"); echo "achievement report: $p"; record "$label" "achievement report (month target, markets ranked)" "$p"
  kill "$server"; wait "$server" 2>/dev/null || true; server=

  # the same aggregates by a plain GROUP BY over the raw order lines
  local from counts="o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')"
  from=$(date -d "$(date +%Y-%m-01) -11 months" +%Y-%m-01)
  local trend="SELECT substr(o.order_date, 1, 7) AS m, SUM(l.amount_fen) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE $counts AND o.order_date >= '$from'"
  local this_month="SELECT o.node_path, SUM(l.amount_fen) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE $counts AND o.order_date >= '$month-01'"
  p=$(raw_timing "$trend GROUP BY 1" "$@"); echo "raw, company 12-month trend: $p"; record "$label" "raw GROUP BY: company, 12 months per month (director's trend)" "$p"
  p=$(raw_timing "$trend AND o.node_path >= '$mm_path' AND o.node_path < '${mm_path%/}0' GROUP BY 1" "$@"); echo "raw, market 12-month trend: $p"; record "$label" "raw GROUP BY: one market, 12 months per month" "$p"
  p=$(raw_timing "$trend AND o.node_path >= '$am_path' AND o.node_path < '${am_path%/}0' GROUP BY 1" "$@"); echo "raw, area 12-month trend: $p"; record "$label" "raw GROUP BY: one area, 12 months per month" "$p"
  p=$(raw_timing "$trend AND o.owner_id = $rep_id GROUP BY 1" "$@"); echo "raw, rep 12-month trend: $p"; record "$label" "raw GROUP BY: the rep, 12 months per month" "$p"
  p=$(raw_timing "$this_month GROUP BY 1" "$@"); echo "raw, this month per territory: $p"; record "$label" "raw GROUP BY: company, this month per territory (achievement)" "$p"
}

echo "binary: $bin; cores: $(nproc)"
if [ -z "${SKIP_SQLITE:-}" ]; then
  mkdir -p "$bench_dir"
  run "SQLite" --data-dir "$bench_dir"
fi
if [ -z "${SKIP_PG:-}" ]; then
  if [ -n "${FRESH:-}" ] || ! psql "$pg_url" -Atc "SELECT 1 FROM pg_database WHERE datname = '$pg_db'" | grep -q 1; then
    psql "$pg_url" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null
    psql "$pg_url" -qc "CREATE DATABASE $pg_db" >/dev/null
  fi
  run "PostgreSQL" --database-url "${pg_url%/*}/$pg_db"
  [ -z "${DROP_PG:-}" ] || psql "$pg_url" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null
fi

# the table: one row per measurement, one column per backend ("p50 p95" become "p50 / p95 ms")
python3 - "$results" "$lines" "$requests" "$raw_runs" "${NO_WRITE:-}" <<'EOF' | tee "$work/table.md"
import sys, collections, datetime, os, re
path, lines, requests, raw_runs, no_write = sys.argv[1:6]
rows, backends = collections.OrderedDict(), []
for line in open(path):
    backend, label, value = line.rstrip("\n").split("\t")
    if backend not in backends:
        backends.append(backend)
    if re.fullmatch(r"[0-9.]+ [0-9.]+", value):
        value = " / ".join(value.split()) + " ms"
    rows.setdefault(label, {})[backend] = value
out = [f"Measured {datetime.date.today()} with `bash bench/dashboards.sh {lines} {requests}` "
       f"({requests} HTTP requests per page, {raw_runs} runs per raw query; p50 / p95):", "",
       "| | " + " | ".join(backends) + " |", "|---|" + "---|" * len(backends)]
for label, by in rows.items():
    out.append(f"| {label} | " + " | ".join(by.get(b, "—") for b in backends) + " |")
print("\n".join(out))
if not no_write:
    md = open("BENCHMARKS.md").read()
    start, end = "<!-- dashboards-10m:start -->", "<!-- dashboards-10m:end -->"
    if start in md and end in md:
        a, b = md.index(start) + len(start), md.index(end)
        open("BENCHMARKS.md", "w").write(md[:a] + "\n" + "\n".join(out) + "\n" + md[b:])
        print("(written to BENCHMARKS.md)", file=sys.stderr)
EOF
