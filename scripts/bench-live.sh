#!/usr/bin/env bash
# Load benchmark of live updates (`make bench-live`, issue 16): a release-built Vireo on a throwaway
# data folder with 10,000 seeded VMs, 1,000 open `/api/stream` streams over 10 sessions (clients on
# different pages of the VMs grid, 1% on the page holding the changed VM), and one VM changed 10
# times a second for 30 s through the REST API (server/examples/live_load.rs). Prints every figure
# beside its goal: change -> event latency p50/p99/max and missed changes (every client sees every
# change within 1 s), the server's RSS peak (< 500 MiB), and the grid refetches the browser's
# decision function makes on and off the VM's page. Listens on 127.0.0.1 only; stops by itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
COUNT=${COUNT:-10000}
CLIENTS=${CLIENTS:-1000}
SESSIONS=${SESSIONS:-10}
SECONDS_=${LIVE_SECONDS:-30}
PORT=${VIREO_BENCH_LIVE_PORT:-3990}
# PROFILE=debug measures a debug build (quicker to build; slower, so the figures are an upper bound).
PROFILE=${PROFILE:-release}

. scripts/bench-lib.sh
if [ "$PROFILE" = release ]; then
  release_fresh || scripts/build.sh release >/dev/null
  cargo build --locked --release -p vireo-server --example live_load 2>&1 | tail -1
  bin_dir=release
else
  cargo build --locked -p vireo-server --bin vireo-server --example live_load 2>&1 | tail -1
  bin_dir=debug
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}

data=$(mktemp -d /tmp/vireo-bench-live.XXXXXX)
chmod 0711 "$data"
vireo_pid=
cleanup() {
  if [ -n "$vireo_pid" ]; then kill "$vireo_pid" 2>/dev/null && wait "$vireo_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

# The streams a session may hold are raised for the benchmark only: its 1,000 "browsers" share
# 10 logins, where real browsers would have a login each (default 8 per session).
per_session=$(( (CLIENTS + SESSIONS - 1) / SESSIONS ))
export VIREO_DATA_DIR="$data" VIREO_ADDR=127.0.0.1:$PORT VIREO_ADMIN_PASSWORD=bench-password \
  VIREO_SITE_ROOT="$root/target/site" RUST_LOG=warn VIREO_STREAMS_PER_SESSION=$per_session
"$target_dir/$bin_dir/vireo-server" &
vireo_pid=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "Vireo did not start on 127.0.0.1:$PORT (is the port taken?)" >&2; exit 1; }
echo "==> seeding $COUNT VMs"
"$target_dir/$bin_dir/vireo-server" seed "$COUNT" --prefix live >/dev/null
echo "==> $PROFILE build; machine: $(nproc) cores ($(uptime | sed 's/.*load average/load average/'))"

LIVE_ADDR=127.0.0.1:$PORT LIVE_PASSWORD=bench-password LIVE_CLIENTS=$CLIENTS LIVE_SESSIONS=$SESSIONS \
  LIVE_SECONDS=$SECONDS_ LIVE_SERVER_PID=$vireo_pid \
  DATABASE_URL="postgres://vireo@localhost/vireo?host=$data/postgres/run" \
  "$target_dir/$bin_dir/examples/live_load"
