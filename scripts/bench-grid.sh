#!/usr/bin/env bash
# Load benchmark of the Virtual Machines grid at 10,000 VMs (`make bench-grid`): Vireo's grid data
# endpoint (the `vm_grid` server function: session check, search parsing, the grid query; filtered
# by type, sorted by name, 100 rows, total) against bare axum + sqlx endpoints returning the same rows
# (server/examples/bare_grid.rs: the issue's one-query reference with `count(*) OVER ()`, and one
# with Vireo's page + index-only count), all in this run on the same database, measured with wrk:
# single-connection latency (p50/p99) and throughput at 16 connections, then the ratios the goal
# names. Then the server-rendered grid page (/vms: the same 100 rows as HTML, the rows' data for
# hydration inside) against vm_grid, alternated in rounds: issue 16's goal, page p50 <= 2x vm_grid's
# and throughput >= 0.5x. Then every VM sorted by name ascending against descending (the same index, read
# both ways). Everything listens on 127.0.0.1 only (VIREO_BENCH_PORT, default 3950, and
# the next port for the bare endpoints) and stops by itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
COUNT=${COUNT:-10000}
DURATION=${DURATION:-10s}
PORT=${VIREO_BENCH_PORT:-3950}
BARE_PORT=$((PORT + 1))
. scripts/bench-lib.sh

ensure_wrk
release_fresh || scripts/build.sh release >/dev/null
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
wait_http http://127.0.0.1:$PORT/healthz "Vireo on 127.0.0.1:$PORT"
echo "==> seeding $COUNT VMs"
"$target_dir/release/vireo-server" seed "$COUNT" --prefix bench

cookie=$(login_cookie http://127.0.0.1:$PORT bench-password)
DATABASE_URL="postgres://vireo@localhost/vireo?host=$data/postgres/run" BARE_ADDR=127.0.0.1:$BARE_PORT \
  "$target_dir/release/examples/bare_grid" &
bare_pid=$!
wait_http "http://127.0.0.1:$BARE_PORT/grid?type=high_performance" "the bare endpoint on 127.0.0.1:$BARE_PORT"

vireo_url="http://127.0.0.1:$PORT/api/vm_grid?query%5Bsearch%5D=type%3Ahigh_performance&query%5Bsort%5D=name&query%5Bdesc%5D=false&query%5Bpage%5D=1&query%5Bpage_size%5D=100"
page_url="http://127.0.0.1:$PORT/vms?q=type%3Ahigh_performance&sort=name&dir=asc&page=1&size=100"
bare_url="http://127.0.0.1:$BARE_PORT/grid?type=high_performance"
bare2_url="http://127.0.0.1:$BARE_PORT/grid2?type=high_performance"
rows=$(curl -s -H "Cookie: $cookie" "$vireo_url" | grep -o '"id"' | wc -l)
bare_rows=$(curl -s "$bare_url" | grep -o '"id"' | wc -l)
bare2_rows=$(curl -s "$bare2_url" | grep -o '"id"' | wc -l)
echo "rows per response: vireo $rows, bare $bare_rows, bare2 $bare2_rows"

echo "==> $COUNT VMs, type:high_performance, sorted by name, 100 rows, $DURATION per measurement"
measure bare "bare: one query, count(*) OVER ()" "$bare_url"
measure bare2 "bare: page + index-only count" "$bare2_url"
measure vireo "Vireo grid data (vm_grid)" "$vireo_url" "$cookie"
echo "==> goal: latency <= 1.2 x bare, throughput >= 0.8 x bare"
for b in bare bare2; do
  echo "vm_grid vs $b: latency $(ratio "${P50[vireo]}" "${P50[$b]}") x, throughput $(ratio "${RPS[vireo]}" "${RPS[$b]}") x"
done
# The page against its data: alternated in rounds (bench-lib.sh's `alternate`), as measured one after
# the other the ratio swung with which of the two got the slower stretch of the shared cores.
echo "==> the server-rendered page against its data, alternated, ${ROUNDS:-5} rounds of $DURATION in all per side"
alternate page "Vireo grid page (server-rendered)" "$page_url" grid "Vireo grid data (vm_grid)" "$vireo_url" "$cookie"
echo "==> goal (issue 16): page latency <= 2 x vm_grid, throughput >= 0.5 x"
echo "page vs vm_grid: latency ${RATIO_P50} x, throughput ${RATIO_RPS} x (medians of the rounds' ratios)"

# Every VM by name, both ways: the name's index serves both (read backwards for descending), so the
# two should cost the same; a descending order PostgreSQL cannot read from the index sorts every VM.
by_name="http://127.0.0.1:$PORT/api/vm_grid?query%5Bsearch%5D=&query%5Bsort%5D=name&query%5Bpage%5D=1&query%5Bpage_size%5D=100&query%5Bdesc%5D="
echo "==> $COUNT VMs, no search, sorted by name, 100 rows"
measure asc "vm_grid by name, ascending" "${by_name}false" "$cookie"
measure desc "vm_grid by name, descending" "${by_name}true" "$cookie"
echo "descending vs ascending: latency $(ratio "${P50[desc]}" "${P50[asc]}") x, throughput $(ratio "${RPS[desc]}" "${RPS[asc]}") x"
