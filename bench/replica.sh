#!/usr/bin/env bash
# Read replica for reports (issue 6): a REAL streaming standby of the local PostgreSQL cluster
# (pg_basebackup -R, started with pg_ctl on a free port, hot_standby = on), two `salesos serve`
# processes on the primary with `--replica-url` pointing at the standby, and orders placed
# through server 1 while the director's dashboard is read through server 2 (which reads the
# standby): how long until each order shows there, and the standby's replay lag as the primary
# sees it (pg_stat_replication). Everything is torn down at the end (standby, its files, the
# bench database, the replication line added to pg_hba.conf if the script added one).
#
# Usage: bash bench/replica.sh [ORDERS]   (default 20 orders)
#   SALESOS_BIN=path       use this binary instead of building the release one
#   PG_URL=postgres://...  the primary's admin URL (default local, trust auth)
#   WAIT_SECONDS=N         an order must show on the replica-backed dashboard within N s (5);
#                          the run fails when one does not (it waits up to 60 s to measure it)
# Must run as root (it runs pg_basebackup and pg_ctl as the postgres user).
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-20}
wait_s=${WAIT_SECONDS:-5}
give_up_s=60
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -n "${SALESOS_BIN:-}" ] || cargo build --release -p salesos
bin=${SALESOS_BIN:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/salesos}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg() { psql "$pg_url" -Atq -v ON_ERROR_STOP=1 -c "$1"; }
now_ms() { date +%s%3N; }

db=salesos_replica_bench_$$
# a slot keeps the primary's WAL until the standby has it (a busy primary recycles it otherwise)
slot=salesos_bench_replica_$$
server_base=${pg_url%/*}
primary_url=$server_base/$db
work=$(mktemp -d /tmp/salesos-replica.XXXXXX)
chmod 755 "$work"
standby=$work/standby
sport=$(free_port)
replica_url=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(p._replace(netloc=p.netloc.rsplit(":",1)[0]+":"+sys.argv[2]).geturl())' "$primary_url" "$sport")
hba=$(pg "SHOW hba_file")
hba_tag="# added by salesos bench replica.sh"
servers=()
standby_started=

cleanup() {
  set +e
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "$standby_started" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$standby" -m fast -w stop >/dev/null
  pg "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null
  pg "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  if grep -q "$hba_tag" "$hba"; then
    sed -i "/$hba_tag/d" "$hba"
    pg "SELECT pg_reload_conf()" >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== primary: $(pg "SELECT version()" | cut -d' ' -f1-2), wal_level=$(pg "SHOW wal_level"), max_wal_senders=$(pg "SHOW max_wal_senders")"
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication' "$hba"; then
  echo "== adding a trust replication line for 127.0.0.1 to $hba (removed at the end)"
  printf 'host replication all 127.0.0.1/32 trust %s\n' "$hba_tag" >>"$hba"
  pg "SELECT pg_reload_conf()" >/dev/null
fi

echo "== demo company (tiny) in $db"
pg "CREATE DATABASE $db"
"$bin" demo --size tiny --no-serve --database-url "$primary_url" >"$work/demo.out" 2>&1 || {
  tail -20 "$work/demo.out" >&2
  exit 1
}

echo "== streaming standby on port $sport (pg_basebackup -R)"
install -d -o postgres -g postgres -m 700 "$standby" "$work/log"
started=$(now_ms)
# slots of earlier runs that died before their clean-up would hold WAL forever
pg "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'salesos_bench_replica_%' AND NOT active" >/dev/null
runuser -u postgres -- "$pg_bin/pg_basebackup" -d "$pg_url" -D "$standby" -R -X stream -c fast -C -S "$slot"
echo "basebackup: $(($(now_ms) - started)) ms, $(du -sh "$standby" | cut -f1) (the whole cluster)"
# Debian keeps the configuration outside the data folder: the standby gets its own. Settings a hot
# standby needs at least as high as the primary's are copied.
{
  echo "port = $sport"
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '$work/log'"
  echo "hot_standby = on"
  echo "shared_buffers = 64MB"
  echo "cluster_name = 'salesos-bench-standby'"
  for s in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    echo "$s = $(pg "SHOW $s")"
  done
} >"$standby/postgresql.conf"
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$standby/pg_hba.conf"
: >"$standby/pg_ident.conf"
chown postgres:postgres "$standby"/postgresql.conf "$standby"/pg_hba.conf "$standby"/pg_ident.conf
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$standby" -l "$work/log/standby.log" -w start >/dev/null || {
  tail -20 "$work/log/standby.log" >&2
  exit 1
}
standby_started=1
[ "$(psql "$replica_url" -Atc 'SELECT pg_is_in_recovery()')" = t ] || {
  echo "the standby is not in recovery" >&2
  exit 1
}
for _ in $(seq 100); do
  state=$(pg "SELECT state FROM pg_stat_replication WHERE application_name = 'salesos-bench-standby'")
  [ "$state" = streaming ] && break
  sleep 0.1
done
echo "standby: in recovery; its WAL sender on the primary: ${state:-none}"
[ "$state" = streaming ] || {
  tail -20 "$work/log/standby.log" >&2
  exit 1
}
# the standby first replays what the primary wrote since the base backup began
target=$(pg "SELECT pg_current_wal_lsn()")
started=$(now_ms)
until [ "$(pg "SELECT pg_wal_lsn_diff(replay_lsn, '$target') >= 0 FROM pg_stat_replication WHERE application_name = 'salesos-bench-standby'")" = t ]; do
  [ $(($(now_ms) - started)) -lt 600000 ] || {
    echo "the standby did not catch up within 10 minutes" >&2
    exit 1
  }
  sleep 0.2
done
echo "standby caught up with the primary in $(($(now_ms) - started)) ms"

start_server() { # port
  "$bin" serve --database-url "$primary_url" --replica-url "$replica_url" --listen "127.0.0.1:$1" \
    --data-dir "$work" >"$work/serve-$1.out" 2>&1 &
  servers+=($!)
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  cat "$work/serve-$1.out" >&2
  return 1
}
p1=$(free_port)
p2=$(free_port)
start_server "$p1"
start_server "$p2"
s1=http://127.0.0.1:$p1
s2=http://127.0.0.1:$p2
echo "== two servers with the replica: $s1 (orders) and $s2 (dashboard)"
echo "readyz of server 2: $(curl -s "$s2/readyz")"

director=$("$bin" user token director --database-url "$primary_url")
desk=$("$bin" user token desk --database-url "$primary_url")
products=$(curl -sf -H "Authorization: Bearer $desk" "$s1/api/v1/products?status=active" |
  jq -c '[.[:3][] | {product_id: .id, quantity: 1}]')
# dealers with the most credit headroom, so the orders are confirmed (and count as ordered)
mapfile -t dealers < <(psql "$primary_url" -Atc "SELECT d.id FROM dealers d JOIN dealer_balances b ON b.dealer_id = d.id WHERE d.status = 'active' ORDER BY d.credit_limit_fen - b.exposure_fen DESC, d.id LIMIT 10")
actual() { curl -sf -H "Authorization: Bearer $director" "$s2/api/v1/dashboard" | jq '.trend[-1].actual'; }

: >"$work/visible.ms"
: >"$work/replay_lag.ms"
: >"$work/dashboard.ms"
held=0
late=0
for i in $(seq "$orders"); do
  asked=$(now_ms)
  before=$(actual)
  echo $(($(now_ms) - asked)) >>"$work/dashboard.ms"
  dealer=${dealers[$(((i - 1) % ${#dealers[@]}))]}
  answer=$(curl -sf -X POST -H "Authorization: Bearer $desk" -H 'Content-Type: application/json' \
    -d "{\"dealer_id\": $dealer, \"note\": \"replica bench $i\", \"lines\": $products}" "$s1/api/v1/orders")
  placed=$(now_ms)
  read -r status total id < <(jq -r '"\(.order.status) \(.order.total_fen) \(.order.id)"' <<<"$answer")
  if [ "$status" != confirmed ]; then
    held=$((held + 1))
    continue
  fi
  want=$((before + total))
  shown=
  while [ $(($(now_ms) - placed)) -lt $((give_up_s * 1000)) ]; do
    if [ "$(actual)" -ge "$want" ]; then
      shown=$(($(now_ms) - placed))
      break
    fi
    sleep 0.005
  done
  if [ -z "$shown" ]; then
    echo "order $id did not show on the replica-backed dashboard within $give_up_s s" >&2
    exit 1
  fi
  echo "$shown" >>"$work/visible.ms"
  # the order page reads the primary: the order is there on server 2 as well
  curl -sf -o /dev/null -H "Authorization: Bearer $desk" "$s2/api/v1/orders/$id" || {
    echo "order $id not readable on server 2" >&2
    exit 1
  }
  [ "$shown" -le $((wait_s * 1000)) ] || late=$((late + 1))
  pg "SELECT COALESCE(CAST(EXTRACT(EPOCH FROM replay_lag) * 1000 AS NUMERIC(10,1)), 0) FROM pg_stat_replication WHERE application_name = 'salesos-bench-standby'" >>"$work/replay_lag.ms"
done

stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (!NR) { print "n/a"; exit } i50 = int(NR * 0.50 + 0.999); printf "p50 %.1f ms, max %.1f ms (%d samples)", v[i50], v[NR], NR }'; }
echo
echo "== results ($(uptime | sed 's/.*load average/load average/'))"
echo "orders placed through server 1: $orders ($held not confirmed, so not counted)"
echo "shown on the replica-backed dashboard of server 2: $(stats "$work/visible.ms"); over ${wait_s} s: $late"
echo "  (from the order's 201 until a dashboard request through server 2 shows it: includes one jq"
echo "  call and that request, and polls without pause)"
echo "one dashboard request through server 2 (curl + jq), for comparison: $(stats "$work/dashboard.ms")"
echo "standby replay_lag seen by the primary after each order: $(stats "$work/replay_lag.ms")"
echo "readyz of server 2 at the end: $(curl -s "$s2/readyz")"
[ "$late" -eq 0 ] || {
  echo "FAIL: $late order(s) did not show on the replica-backed dashboard within ${wait_s} s" >&2
  exit 1
}
