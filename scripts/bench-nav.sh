#!/usr/bin/env bash
# Navigation → hydrated, interactive VM grid in headless Chromium (`make bench-nav`): a release
# build of Vireo on a throwaway data folder, seeded with 10,000 VMs, then end2end/bench/nav.bench.mjs
# (20 full page loads of /vms with 100 rows from another page, warm HTTP cache, then 20 cold ones;
# each until hydrated and a click on a row has selected it). Prints p50/p90 beside the goal
# (< 300 ms p50), where the page's main thread spent its time (5 traced navigations), the same
# navigation to 25 rows, and the grid's sorts and page turns in the browser (click → new rows
# drawn, and where a traced sort's main thread went). Listens on 127.0.0.1 only and stops by itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
COUNT=${COUNT:-10000}
PORT=${VIREO_BENCH_PORT:-3960}

scripts/build.sh release >/dev/null

data=$(mktemp -d /tmp/vireo-bench-nav.XXXXXX)
chmod 0711 "$data"
cleanup() {
  [ -n "${vireo_pid:-}" ] && kill "$vireo_pid" 2>/dev/null && wait "$vireo_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

server=$(cat target/site/.server-bin)
export VIREO_DATA_DIR="$data" VIREO_ADDR=127.0.0.1:$PORT VIREO_ADMIN_PASSWORD=bench-password VIREO_SITE_ROOT="$root/target/site" RUST_LOG=warn
"$server" &
vireo_pid=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "Vireo did not start on 127.0.0.1:$PORT (is the port taken?)" >&2; exit 1; }
echo "==> seeding $COUNT VMs"
"$server" seed "$COUNT" --prefix bench

cd end2end
VIREO_BENCH_URL="http://127.0.0.1:$PORT" VIREO_BENCH_PASSWORD=bench-password node bench/nav.bench.mjs
