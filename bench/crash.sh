#!/usr/bin/env bash
# Crash test: `salesos serve` under order-intake load is killed with SIGKILL at random moments
# and restarted; afterwards every acknowledged order must be there whole (lines, credit ledger
# entry or hold, audit entry, idempotency record), no order of the generator half-written, no key
# with two orders, and `salesos check` clean.
#
#   bash bench/crash.sh [KILLS]        # long form: 20 kills, release build
#   CRASH_BUILD=debug bash bench/crash.sh 3   # the short form scripts/test runs
#
# Settings (environment):
#   CRASH_BUILD         release (default; CARGO_TARGET_DIR defaults to /tmp/intake-rel) or debug
#   SALESOS_BIN_DIR     use the salesos and salesos-loadgen binaries in this folder (no build)
#   CRASH_CLIENTS       concurrent clients, default 8
#   CRASH_DB            sqlite (default) or postgres: a fresh database on the local PostgreSQL,
#                       made from SALESOS_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres)
#                       and dropped afterwards
#   CRASH_DATABASE_URL  run against this (empty) PostgreSQL database instead
# On SQLite, group commit alternates off/on from one restart to the next, so both write paths
# are killed mid-flight. Idempotency under retries: every order the generator sends carries an
# Idempotency-Key (also its note); a share of first attempts is cut off by a short timeout, and
# every request a kill interrupts is retried with the same key. The verify step fails on a key
# with two orders, and this script fails if no retry happened at all.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
build=${CRASH_BUILD:-release}
clients=${CRASH_CLIENTS:-8}
port=${CRASH_PORT:-18983}

if [ -n "${SALESOS_BIN_DIR:-}" ]; then
    dir=$SALESOS_BIN_DIR # binaries built already
elif [ "$build" = release ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/intake-rel}
    cargo build --release -q -p salesos -p salesos-loadgen
    dir=$CARGO_TARGET_DIR/release
else
    cargo build -q -p salesos -p salesos-loadgen
    dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug
fi
bin=$dir/salesos
loadgen=$dir/salesos-loadgen

work=$(mktemp -d /tmp/salesos-crash.XXXXXX)
server=""
generator=""
cleanup() {
    [ -n "$generator" ] && kill -9 "$generator" 2>/dev/null
    [ -n "$server" ] && kill -9 "$server" 2>/dev/null
    wait 2>/dev/null || true
    if [ "${keep:-}" = 1 ]; then
        echo "crash test: work folder kept: $work${made_db:+, database kept: $made_db}"
    else
        rm -rf "$work"
        [ -n "$made_db" ] && psql "$pg_admin" -qtAc "DROP DATABASE IF EXISTS $made_db WITH (FORCE)" >/dev/null
    fi
    return 0
}
trap cleanup EXIT

pg_admin=${SALESOS_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
made_db=""
if [ "${CRASH_DB:-sqlite}" = postgres ] && [ -z "${CRASH_DATABASE_URL:-}" ]; then
    made_db="salesos_crash_$$"
    psql "$pg_admin" -qtAc "CREATE DATABASE $made_db" >/dev/null
    CRASH_DATABASE_URL="${pg_admin%/*}/$made_db"
fi
if [ -n "${CRASH_DATABASE_URL:-}" ]; then
    db_args=(--database-url "$CRASH_DATABASE_URL")
    db_url=$CRASH_DATABASE_URL
else
    db_args=(--data-dir "$work/data")
    db_url="sqlite://$work/data/salesos.db"
fi

"$bin" demo --no-serve --size tiny "${db_args[@]}" >"$work/demo.log" 2>&1
token=$("$bin" user token desk --name crash "${db_args[@]}")

start=0
start_server() {
    local mode=off
    [ $((start % 2)) = 1 ] && mode=on
    start=$((start + 1))
    SALESOS_SQLITE_GROUP_COMMIT=$mode "$bin" serve "${db_args[@]}" --listen "127.0.0.1:$port" \
        >>"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0
        sleep 0.05
    done
    echo "crash test: the server did not come back after restart $start" >&2
    tail -20 "$work/serve.log" >&2
    keep=1
    exit 1
}

start_server
"$loadgen" run --url "http://127.0.0.1:$port" --token "$token" --clients "$clients" \
    --seconds 3600 --retry-share 0.05 --give-up-after 60 --stop-file "$work/stop" \
    --ack-log "$work/acks.tsv" --json "$work/run.json" --tag crash >"$work/loadgen.log" 2>&1 &
generator=$!

for i in $(seq 1 "$kills"); do
    # a random moment: 0.3 to 1.5 s of load
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + (r % 1200) / 1000 }')"
    kill -9 "$server"
    wait "$server" 2>/dev/null || true
    acked=$(wc -l <"$work/acks.tsv" 2>/dev/null || echo 0)
    echo "kill $i/$kills: $acked orders acknowledged so far"
    start_server
done
sleep 1
touch "$work/stop"
wait "$generator" || { echo "crash test: the load generator failed:" >&2; cat "$work/loadgen.log" >&2; keep=1; exit 1; }
generator=""
kill -9 "$server"
wait "$server" 2>/dev/null || true
server=""
cat "$work/loadgen.log"

"$loadgen" verify --database-url "$db_url" --ack-log "$work/acks.tsv" \
    || { keep=1; echo "crash test: FAILED verification" >&2; exit 1; }
"$bin" check "${db_args[@]}" \
    || { keep=1; echo "crash test: salesos check found differences" >&2; exit 1; }
acked=$(wc -l <"$work/acks.tsv")
[ "$acked" -gt 0 ] || { keep=1; echo "crash test: no order was acknowledged" >&2; exit 1; }
# the duplicate-key check above only means something if requests were in fact retried
read -r retried replayed < <(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(r["retries"], r["replays"])' "$work/run.json")
[ "${retried:-0}" -gt 0 ] || { keep=1; echo "crash test: no request was retried, so idempotency went untested" >&2; exit 1; }
backend=SQLite
[ -n "${CRASH_DATABASE_URL:-}" ] && backend=PostgreSQL
echo "crash test: OK ($backend): $kills kills, $acked acknowledged orders all whole, nothing half-written, $retried retried requests ($replayed answered as replays) and no key with two orders, check clean"
