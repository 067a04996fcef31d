#!/usr/bin/env bash
# The oVirt SDK suite (api-tests/): starts a fresh Vireo (debug build, own data folder and PostgreSQL
# cluster, libvirt test-driver host) on 127.0.0.1, runs the real ovirtsdk4 client against its REST
# API, and stops it. Needs `scripts/setup.sh` (the SDK venv) and `scripts/build.sh debug`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PORT=${VIREO_API_TEST_PORT:-3997}
PASSWORD=api-test-admin-password
server=$(cat target/site/.server-bin)

data=$(mktemp -d /tmp/vireo-api.XXXXXX)
# Its PostgreSQL runs as the postgres user when we are root: let it in.
chmod 0711 "$data"
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

VIREO_ADDR=127.0.0.1:$PORT VIREO_DATA_DIR="$data" VIREO_ADMIN_PASSWORD=$PASSWORD \
  VIREO_SITE_ROOT="$root/target/site" RUST_LOG=warn "$server" > "$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$data/server.log"; echo "Vireo did not start" >&2; exit 1; }
  sleep 0.5
done

VIREO_API_URL="http://127.0.0.1:$PORT/ovirt-engine/api" VIREO_API_PASSWORD=$PASSWORD \
  api-tests/.venv/bin/python -m unittest -v api-tests/test_ovirt_sdk.py \
  || { echo "--- server log"; tail -50 "$data/server.log"; exit 1; }
