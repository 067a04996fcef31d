#!/usr/bin/env bash
# Times a warm `make run`: from the command to /healthz answering 200, with everything already
# installed and built (this script builds first, untimed). Twice: the first start of a new data
# folder (initdb, migrations, first-run objects) and a restart of the same folder. The data folder
# is made with `mktemp -d` (mode 0700), as a user would, to show Vireo opening it for PostgreSQL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PORT=${VIREO_BENCH_START_PORT:-3995}

scripts/setup.sh >/dev/null
scripts/build.sh release >/dev/null

data=$(mktemp -d /tmp/vireo-start.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

# One `make run` until healthy; prints the seconds it took, then stops it.
time_run() {
  local log=$1 start now
  start=$(date +%s.%N)
  VIREO_ADDR=127.0.0.1:$PORT VIREO_DATA_DIR="$data" VIREO_ADMIN_PASSWORD=bench-start-password \
    RUST_LOG=info setsid make --no-print-directory run > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null; then
      now=$(date +%s.%N)
      kill -- -"$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      pid=
      awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "make run stopped before it was healthy" >&2; exit 1; }
    sleep 0.1
  done
  echo "make run was not healthy after 120 s" >&2
  exit 1
}

first=$(time_run "$data.first.log")
again=$(time_run "$data.again.log")
opened=$(grep -o "gave the data folder [^ ]* o+x[^;]*" "$data.first.log" | head -1 || true)
rm -f "$data.first.log" "$data.again.log"
echo "warm make run, to /healthz 200: ${first} s (new data folder), ${again} s (restart); goal < 10 s"
[ -z "$opened" ] || echo "($opened)"
