#!/usr/bin/env bash
# Load benchmark of the Virtual Machines grid at 10,000 VMs (`make bench-grid`): Vireo's grid data
# endpoint (the `vm_grid` server function: session check, search parsing, the grid query; filtered
# by type, sorted by name, 100 rows, total) against bare axum + sqlx endpoints returning the same rows
# (server/examples/bare_grid.rs: the issue's one-query reference with `count(*) OVER ()`, and one
# with Vireo's page + index-only count), all in this run on the same database, measured with wrk:
# single-connection latency (p50/p99) and throughput at 16 connections, then the ratios the goal
# names. Then the server-rendered grid page (/vms: the same 100 rows as HTML, the rows' data for
# hydration inside) against vm_grid in this run: issue 16's goal, page p50 <= 2x vm_grid's and
# throughput >= 0.5x. Everything listens on 127.0.0.1 only (VIREO_BENCH_PORT, default 3950, and
# the next port for the bare endpoints) and stops by itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
COUNT=${COUNT:-10000}
DURATION=${DURATION:-10s}
PORT=${VIREO_BENCH_PORT:-3950}
BARE_PORT=$((PORT + 1))

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

export VIREO_DATA_DIR="$data" VIREO_ADDR=127.0.0.1:$PORT VIREO_ADMIN_PASSWORD=bench-password VIREO_SITE_ROOT="$root/target/site" RUST_LOG=warn
"$target_dir/release/vireo-server" &
vireo_pid=$!
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
curl -fs http://127.0.0.1:$PORT/healthz >/dev/null || { echo "Vireo did not start on 127.0.0.1:$PORT (is the port taken?)" >&2; exit 1; }
echo "==> seeding $COUNT VMs"
"$target_dir/release/vireo-server" seed "$COUNT" --prefix bench

cookie=$(curl -s -o /dev/null -D - -d "username=admin&password=bench-password" http://127.0.0.1:$PORT/login \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
DATABASE_URL="postgres://vireo@localhost/vireo?host=$data/postgres/run" BARE_ADDR=127.0.0.1:$BARE_PORT \
  "$target_dir/release/examples/bare_grid" &
bare_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$BARE_PORT/grid?type=high_performance" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$BARE_PORT/grid?type=high_performance" >/dev/null || { echo "the bare endpoint did not start on 127.0.0.1:$BARE_PORT" >&2; exit 1; }

vireo_url="http://127.0.0.1:$PORT/api/vm_grid?query%5Bsearch%5D=type%3Ahigh_performance&query%5Bsort%5D=name&query%5Bdesc%5D=false&query%5Bpage%5D=1&query%5Bpage_size%5D=100"
page_url="http://127.0.0.1:$PORT/vms?q=type%3Ahigh_performance&sort=name&dir=asc&page=1&size=100"
bare_url="http://127.0.0.1:$BARE_PORT/grid?type=high_performance"
bare2_url="http://127.0.0.1:$BARE_PORT/grid2?type=high_performance"
rows=$(curl -s -H "Cookie: $cookie" "$vireo_url" | grep -o '"id"' | wc -l)
bare_rows=$(curl -s "$bare_url" | grep -o '"id"' | wc -l)
bare2_rows=$(curl -s "$bare2_url" | grep -o '"id"' | wc -l)
echo "rows per response: vireo $rows, bare $bare_rows, bare2 $bare2_rows"

# wrk prints latencies as 850.00us, 1.20ms or 1.01s; in milliseconds:
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
declare -A P50 RPS
measure() { # key name url [cookie]
  local lat thr p50 p99 rps
  lat=$(wrk -t1 -c1 -d"$DURATION" --latency ${4:+-H "Cookie: $4"} "$3")
  thr=$(wrk -t2 -c16 -d"$DURATION" ${4:+-H "Cookie: $4"} "$3")
  p50=$(echo "$lat" | awk '$1=="50%" {print $2}'); p99=$(echo "$lat" | awk '$1=="99%" {print $2}')
  rps=$(echo "$thr" | awk '/Requests\/sec/ {print $2}')
  P50[$1]=$(echo "$p50" | to_ms); RPS[$1]=$rps
  printf '%-40s p50 %8s  p99 %8s  %9s req/s (16 conn)\n' "$2" "$p50" "$p99" "$rps"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "==> $COUNT VMs, type:high_performance, sorted by name, 100 rows, $DURATION per measurement"
measure bare "bare: one query, count(*) OVER ()" "$bare_url"
measure bare2 "bare: page + index-only count" "$bare2_url"
measure vireo "Vireo grid data (vm_grid)" "$vireo_url" "$cookie"
measure page "Vireo grid page (server-rendered)" "$page_url" "$cookie"
echo "==> goal: latency <= 1.2 x bare, throughput >= 0.8 x bare"
for b in bare bare2; do
  echo "vm_grid vs $b: latency $(ratio "${P50[vireo]}" "${P50[$b]}") x, throughput $(ratio "${RPS[vireo]}" "${RPS[$b]}") x"
done
echo "==> goal (issue 16): page latency <= 2 x vm_grid, throughput >= 0.5 x"
echo "page vs vm_grid: latency $(ratio "${P50[page]}" "${P50[vireo]}") x, throughput $(ratio "${RPS[page]}" "${RPS[vireo]}") x"
