#!/usr/bin/env bash
# bench/intake_profile.sh BINDIR sqlite|postgres CLIENTS ORDERS [perf]
# CPU seconds per order of the server, the load generator and PostgreSQL (the postmaster's whole
# process tree, reaped backends included) for a fixed number of orders, after 200 warm-up orders;
# on PostgreSQL also the top statements of pg_stat_statements (cluster on port 5434:
# BENCH_DATA=/tmp/intake-pgdata BENCH_PGPORT=5434 ../shared/bench-limits/pg.sh up, with
# shared_preload_libraries = pg_stat_statements). See BENCHMARKS.md, "Where the CPU goes".
set -euo pipefail
bin=$1/salesos; lg=$1/salesos-loadgen; backend=$2; clients=$3; orders=$4; perf=${5:-}
P=${INTAKE_PROFILE_DIR:-/tmp/intake-prof}; mkdir -p "$P"; port=18991
here=$(cd "$(dirname "$0")" && pwd)
if [ "$backend" = sqlite ]; then
  if [ ! -d $P/sqlite-demo ]; then
    $bin demo --no-serve --data-dir $P/sqlite-demo >/dev/null 2>&1
    $bin jobs run credit-limits --data-dir $P/sqlite-demo >/dev/null 2>&1
  fi
  rm -rf $P/sqlite-run; cp -a $P/sqlite-demo $P/sqlite-run
  db=(--data-dir $P/sqlite-run); url=sqlite://$P/sqlite-run/salesos.db
else
  pg=postgres://postgres@127.0.0.1:5434
  if ! psql "$pg/postgres" -qtAc "select 1 from pg_database where datname='intake_prof_demo'" | grep -q 1; then
    psql "$pg/postgres" -qtAc "CREATE DATABASE intake_prof_demo"
    $bin demo --no-serve --database-url $pg/intake_prof_demo >/dev/null 2>&1
    $bin jobs run credit-limits --database-url $pg/intake_prof_demo >/dev/null 2>&1
  fi
  psql "$pg/postgres" -qtAc "DROP DATABASE IF EXISTS intake_prof WITH (FORCE)"
  psql "$pg/postgres" -qtAc "CREATE DATABASE intake_prof TEMPLATE intake_prof_demo"
  db=(--database-url $pg/intake_prof); url=$pg/intake_prof
fi
t1=$($bin user token desk --name prof "${db[@]}"); t2=$($bin user token desk2 --name prof "${db[@]}")
$bin serve "${db[@]}" --listen 127.0.0.1:$port >$P/serve.log 2>&1 &
spid=$!
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.1; done
pgpid=$(head -1 ${INTAKE_PGDATA:-/tmp/intake-pgdata}/pg/postmaster.pid 2>/dev/null || echo 0)
# warm-up
$lg run --url http://127.0.0.1:$port --token $t1 --token $t2 --clients $clients --orders 200 --seconds 60 --retry-share 0 >/dev/null
[ "$backend" = postgres ] && psql "$url" -qtAc "select pg_stat_statements_reset()" >/dev/null
s0=$(python3 $here/proc_cpu.py $spid); p0=$(python3 $here/proc_cpu.py $pgpid)
[ -n "$perf" ] && { perf record -e cpu-clock -F 999 -g -p $spid -o $P/perf-$backend.data >/dev/null 2>&1 & perfpid=$!; }
/usr/bin/time -f "%U %S %e" -o $P/lg.time $lg run --url http://127.0.0.1:$port --token $t1 --token $t2 --clients $clients --orders $orders --seconds 600 --retry-share 0 --json $P/lg.json --tag prof >$P/lg.out
[ -n "$perf" ] && { kill -INT $perfpid; wait $perfpid || true; }
s1=$(python3 $here/proc_cpu.py $spid); p1=$(python3 $here/proc_cpu.py $pgpid)
kill $spid; wait $spid || true
[ "$backend" = postgres ] && psql "$url" -c "select calls, round(total_exec_time::numeric,1) ms, round((total_exec_time/calls*1000)::numeric) us_per_call, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) q from pg_stat_statements order by total_exec_time desc limit 30" > $P/pgss-$(basename $1).txt
n=$(python3 -c "import json;d=[json.loads(l) for l in open('$P/lg.json')][-1];print(d.get('orders', d.get('acknowledged', 0)))")
read lu ls le < $P/lg.time
python3 - <<PY
n=$orders
s=$s1-$s0; p=$p1-$p0; l=$lu+$ls
print(f"$backend c=$clients orders={n} wall={$le}s  server {s:.2f}s ({s/n*1e6:.0f} us/order)  pg {p:.2f}s ({p/n*1e6:.0f} us/order)  loadgen {l:.2f}s ({l/n*1e6:.0f} us/order)  total {(s+p+l)/n*1e6:.0f} us/order")
PY
tail -3 $P/lg.out
