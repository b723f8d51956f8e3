#!/usr/bin/env bash
# Foundation figures for BENCHMARKS.md: `salesos demo` time and size at the default size, cold
# start to serving with the demo data present, idle RSS of `salesos serve`.
# Usage: bash bench/foundation.sh [RUNS]   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
[ -n "${SALESOS_BIN:-}" ] || cargo build --release -p salesos
bin=${SALESOS_BIN:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/salesos}
port=18979
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }

echo "binary: $bin ($(du -h "$bin" | cut -f1))"
echo "== demo at the default size (fresh data folder each run)"
for i in $(seq "$runs"); do
  rm -rf "$work/data"
  t0=$(now_ms)
  "$bin" demo --no-serve --data-dir "$work/data" >/dev/null 2>&1
  t1=$(now_ms)
  # checkpoint the WAL so the file size is the database's own
  "$bin" check --data-dir "$work/data" >/dev/null 2>&1
  size=$(du -cb "$work"/data/salesos.db* | tail -1 | cut -f1)
  echo "run $i: demo $((t1 - t0)) ms, database $((size / 1024)) KiB"
done

echo "== cold start to serving (demo data present), then idle RSS after 5 s"
for i in $(seq "$runs"); do
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  t0=$(now_ms)
  "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.005; done
  t1=$(now_ms)
  sleep 5
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "run $i: ready in $((t1 - t0)) ms, idle RSS $((rss / 1024)) MiB ($rss KiB)"
done
