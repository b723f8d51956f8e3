#!/usr/bin/env bash
# Order intake through the HTTP API (salesos-loadgen) next to the raw database doing the bare
# order transaction (../shared/bench-limits), in one run, so the ratios are comparable. See
# BENCHMARKS.md ("Order intake") for the figures and how to read them.
#
#   bash bench/intake.sh
#
# Settings (environment):
#   INTAKE_BACKENDS   "sqlite postgres" (default) or one of them
#   INTAKE_CLIENTS    client counts, default 1,4,16,64
#   INTAKE_SECONDS    seconds of load per client count, default 10
#   INTAKE_PG_RAW_CLIENTS  pgbench client counts, default 1,4,16 (the cluster allows 40
#                     connections; the app's 64 clients share its pool of 16)
#   INTAKE_GROUP      SQLite group commit modes to run: "off on" (default; on is the default
#                     of salesos itself)
#   INTAKE_PG_SERVERS how many `salesos serve` share the PostgreSQL database, one run each:
#                     "1 3" (default); with several, orders go round-robin over them and each
#                     server's pool is a share of the cluster's 40 connections (SALESOS_PG_POOL)
#   INTAKE_PG_POOL    pool size of a single server on PostgreSQL, default 16
#   BENCH_LIMITS      the bench-limits folder, default ../shared/bench-limits
#   CARGO_TARGET_DIR  release build folder, default /tmp/intake-rel
#   SALESOS_BIN_DIR   use the salesos and salesos-loadgen binaries in this folder (no build)
# PostgreSQL runs on bench-limits' private cluster (./pg.sh up, 127.0.0.1:5433), so the app and
# pgbench see the same server.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/intake-rel}
limits=$(cd "${BENCH_LIMITS:-$repo/../shared/bench-limits}" && pwd)
backends=${INTAKE_BACKENDS:-sqlite postgres}
clients=${INTAKE_CLIENTS:-1,4,16,64}
secs=${INTAKE_SECONDS:-10}
group_modes=${INTAKE_GROUP:-off on}
pg_raw_clients=${INTAKE_PG_RAW_CLIENTS:-1,4,16}
pg_servers=${INTAKE_PG_SERVERS:-1 3}
raw_tx=${INTAKE_RAW_TX:-5000}
port=18981

if [ -n "${SALESOS_BIN_DIR:-}" ]; then
    dir=$SALESOS_BIN_DIR # binaries built already
else
    cargo build --release -p salesos -p salesos-loadgen
    dir=$CARGO_TARGET_DIR/release
fi
bin=$dir/salesos
loadgen=$dir/salesos-loadgen

work=$(mktemp -d /tmp/intake-bench.XXXXXX)
chmod 755 "$work"
export BENCH_DATA=$work/limits-data BENCH_RESULTS=$work/limits-results
mkdir -p "$BENCH_DATA" "$BENCH_RESULTS"
results=$work/loadgen.jsonl
servers=()
pg_started=""
cleanup() {
    stop_servers
    [ -n "$pg_started" ] && "$limits/pg.sh" down
    echo "work folder (results, logs): $work"
}
trap cleanup EXIT

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# serve N DB_ARGS... : start N `salesos serve` on ports port, port+1, … against one database,
# wait until each answers, record the idle RSS (summed) after 5 s
serve() {
    local n=$1 i p idle=0
    shift
    for ((i = 0; i < n; i++)); do
        p=$((port + i))
        "$bin" serve "$@" --listen "127.0.0.1:$p" >"$work/serve-$label-$i.log" 2>&1 &
        servers+=($!)
        for _ in $(seq 1 300); do
            curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break
            sleep 0.1
        done
        curl -sf "http://127.0.0.1:$p/readyz" >/dev/null || { echo "server did not start" >&2; cat "$work/serve-$label-$i.log" >&2; exit 1; }
    done
    sleep 5
    for pid in "${servers[@]}"; do idle=$((idle + $(rss_kib "$pid"))); done
    echo "{\"label\": \"$label\", \"servers\": $n, \"idle_rss_kib\": $idle}" >>"$work/idle.jsonl"
}

stop_servers() {
    local pid
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
    servers=()
}

# load DB_URL : run the generator against the servers started last, round-robin over them
load() {
    local t1 t2 i url_args=() pid_args=()
    t1=$("$bin" user token desk --name "bench-$label" "${db_args[@]}")
    t2=$("$bin" user token desk2 --name "bench-$label" "${db_args[@]}")
    for ((i = 0; i < ${#servers[@]}; i++)); do
        url_args+=(--url "http://127.0.0.1:$((port + i))")
        pid_args+=(--server-pid "${servers[$i]}")
    done
    "$loadgen" run "${url_args[@]}" --token "$t1" --token "$t2" \
        --clients "$clients" --seconds "$secs" "${pid_args[@]}" \
        --json "$results" --tag "$label" --database-url "$1" \
        --ack-log "$work/acks-$label.tsv"
}

echo "== disk: 8 KiB write + fdatasync"
python3 "$limits/fsync_probe.py" -n 1000 --tag intake

if [[ " $backends " == *" sqlite "* ]]; then
    for mode in $group_modes; do
        echo "== raw SQLite, synchronous=FULL, one transaction per order"
        python3 "$limits/intake_sqlite.py" --sync FULL --tx "$raw_tx" --tag intake
        label="sqlite-group-$mode"
        echo "== salesos on SQLite, group commit $mode"
        rm -rf "$work/$label"
        db_args=(--data-dir "$work/$label")
        "$bin" demo --no-serve "${db_args[@]}" >/dev/null 2>&1
        "$bin" jobs run credit-limits "${db_args[@]}" >/dev/null 2>&1
        SALESOS_SQLITE_GROUP_COMMIT=$mode serve 1 "${db_args[@]}"
        load "sqlite://$work/$label/salesos.db"
        stop_servers
        "$bin" check "${db_args[@]}" >"$work/check-$label.log" 2>&1 \
            || { echo "salesos check found differences:" >&2; cat "$work/check-$label.log" >&2; exit 1; }
    done
    echo "== raw SQLite, synchronous=FULL (again, to bracket the app runs)"
    python3 "$limits/intake_sqlite.py" --sync FULL --tx "$raw_tx" --tag intake
fi

if [[ " $backends " == *" postgres "* ]]; then
    echo "== PostgreSQL (bench-limits cluster on 127.0.0.1:${BENCH_PGPORT:-5433})"
    "$limits/pg.sh" up
    pg_started=1
    pg="postgres://postgres@127.0.0.1:${BENCH_PGPORT:-5433}"
    echo "== raw PostgreSQL (pgbench)"
    python3 "$limits/intake_pg.py" --clients "$pg_raw_clients" --tx "$((raw_tx * 2))" --tag intake
    # the demo company is built once and copied for each run (CREATE DATABASE … TEMPLATE)
    psql "$pg/postgres" -qtAc "DROP DATABASE IF EXISTS salesos_intake_demo WITH (FORCE)"
    psql "$pg/postgres" -qtAc "CREATE DATABASE salesos_intake_demo"
    "$bin" demo --no-serve --database-url "$pg/salesos_intake_demo" >/dev/null 2>&1
    # this month's scheduled job runs now, not in a server during the load
    "$bin" jobs run credit-limits --database-url "$pg/salesos_intake_demo" >/dev/null 2>&1
    for n in $pg_servers; do
        label="postgres-x$n"
        psql "$pg/postgres" -qtAc "DROP DATABASE IF EXISTS salesos_intake WITH (FORCE)"
        psql "$pg/postgres" -qtAc "CREATE DATABASE salesos_intake TEMPLATE salesos_intake_demo"
        db_args=(--database-url "$pg/salesos_intake")
        echo "== salesos on PostgreSQL, $n server(s)"
        # the cluster allows 40 connections: a single server keeps its default pool of 16,
        # several share 36 (the rest is for psql and the jobs' own connections)
        pool=$((n == 1 ? ${INTAKE_PG_POOL:-16} : 36 / n))
        SALESOS_PG_POOL=$pool serve "$n" "${db_args[@]}"
        load "$pg/salesos_intake"
        stop_servers
        "$bin" check "${db_args[@]}" >"$work/check-$label.log" 2>&1 \
            || { echo "salesos check found differences:" >&2; cat "$work/check-$label.log" >&2; exit 1; }
    done
    echo "== raw PostgreSQL again"
    python3 "$limits/intake_pg.py" --clients "$pg_raw_clients" --tx "$((raw_tx * 2))" --tag intake
fi

echo
echo "== summary"
python3 "$repo/bench/intake_summary.py" "$work"
