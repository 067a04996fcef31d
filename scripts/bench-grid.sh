#!/usr/bin/env bash
# Load benchmark of the Virtual Machines grid at 10,000 VMs (`make bench-grid`): Vireo's grid data
# endpoint (the `vm_grid` server function: session check, search parsing, the grid query; filtered
# by type, sorted by name, 100 rows, total) against a bare axum + sqlx endpoint running the same
# query (server/examples/bare_grid.rs), both in this run on the same database, measured with wrk:
# single-connection latency (p50/p99) and throughput at 16 connections. Also the server-rendered
# grid page, for reference. Everything listens on 127.0.0.1 only and stops by itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
COUNT=${COUNT:-10000}
DURATION=${DURATION:-10s}

if ! command -v wrk >/dev/null; then
  echo "==> apt-get install wrk"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
scripts/build.sh release >/dev/null
cargo build --locked --release -p vireo-server --example bare_grid 2>&1 | tail -1
target_dir=${CARGO_TARGET_DIR:-$root/target}

data=$(mktemp -d /tmp/vireo-bench.XXXXXX)
chmod 0711 "$data"
cleanup() {
  [ -n "${bare_pid:-}" ] && kill "$bare_pid" 2>/dev/null || true
  [ -n "${vireo_pid:-}" ] && kill "$vireo_pid" 2>/dev/null && wait "$vireo_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

export VIREO_DATA_DIR="$data" VIREO_ADDR=127.0.0.1:3950 VIREO_ADMIN_PASSWORD=bench-password VIREO_SITE_ROOT="$root/target/site" RUST_LOG=warn
"$target_dir/release/vireo-server" &
vireo_pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:3950/healthz >/dev/null && break; sleep 0.2; done
echo "==> seeding $COUNT VMs"
"$target_dir/release/vireo-server" seed "$COUNT" --prefix bench

cookie=$(curl -s -o /dev/null -D - -d "username=admin&password=bench-password" http://127.0.0.1:3950/login \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
DATABASE_URL="postgres://vireo@localhost/vireo?host=$data/postgres/run" BARE_ADDR=127.0.0.1:3951 \
  "$target_dir/release/examples/bare_grid" &
bare_pid=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:3951/grid?type=high_performance" >/dev/null && break; sleep 0.2; done

vireo_url='http://127.0.0.1:3950/api/vm_grid?query%5Bsearch%5D=type%3Ahigh_performance&query%5Bsort%5D=name&query%5Bdesc%5D=false&query%5Bpage%5D=1&query%5Bpage_size%5D=100'
page_url='http://127.0.0.1:3950/vms?q=type%3Ahigh_performance&sort=name&dir=asc&page=1&size=100'
bare_url='http://127.0.0.1:3951/grid?type=high_performance'
rows=$(curl -s -H "Cookie: $cookie" "$vireo_url" | grep -o '"id"' | wc -l)
bare_rows=$(curl -s "$bare_url" | grep -o '"id"' | wc -l)
echo "rows per response: vireo $rows, bare $bare_rows"

measure() { # name url [cookie]
  local lat thr
  lat=$(wrk -t1 -c1 -d"$DURATION" --latency ${3:+-H "Cookie: $3"} "$2")
  thr=$(wrk -t2 -c16 -d"$DURATION" ${3:+-H "Cookie: $3"} "$2")
  printf '%-34s p50 %8s  p99 %8s  %9s req/s (16 conn)\n' "$1" \
    "$(echo "$lat" | awk '$1=="50%" {print $2}')" "$(echo "$lat" | awk '$1=="99%" {print $2}')" \
    "$(echo "$thr" | awk '/Requests\/sec/ {print $2}')"
}
echo "==> $COUNT VMs, type:high_performance, sorted by name, 100 rows, $DURATION per measurement"
measure "bare axum + sqlx endpoint" "$bare_url"
measure "Vireo grid data (vm_grid)" "$vireo_url" "$cookie"
measure "Vireo grid page (server-rendered)" "$page_url" "$cookie"
