#!/usr/bin/env bash
# The oVirt SDK and Ansible suites (api-tests/): starts a fresh Vireo (debug build, own data folder
# and PostgreSQL cluster, libvirt test-driver host) on 127.0.0.1, runs the real ovirtsdk4 client
# against its REST API, then the ovirt.ovirt collection's playbooks (api-tests/ansible/NN_*.yml),
# and stops it. Needs `scripts/setup.sh` (the venv) and `scripts/build.sh debug`.
# `scripts/api-test.sh ansible [PLAYBOOK…]` runs only the Ansible suite (or those playbooks).
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

export VIREO_API_URL="http://127.0.0.1:$PORT/ovirt-engine/api" VIREO_API_PASSWORD=$PASSWORD
if [ "${1:-}" != ansible ]; then
  api-tests/.venv/bin/python -m unittest -v api-tests/test_ovirt_sdk.py \
    || { echo "--- server log"; tail -50 "$data/server.log"; exit 1; }
fi

# The Ansible suite, as users automate oVirt.
shift || true
cd api-tests/ansible
if [ $# -gt 0 ]; then playbooks=("$@"); else playbooks=([0-9][0-9]_*.yml); fi
ansible_start=$(date +%s)
ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1 \
  ../.venv/bin/ansible-playbook "${playbooks[@]}" 2>&1 | tee "$data/ansible.log" \
  || { echo "--- server log"; tail -50 "$data/server.log"; exit 1; }
# Tasks run = ok + failed + skipped + ignored (expected refusals) in the last recap (one
# ansible-playbook run's recaps are cumulative).
tasks=$(grep -E '^localhost +:' "$data/ansible.log" | tail -1 \
  | sed -E 's/.*ok=([0-9]+).*failed=([0-9]+).*skipped=([0-9]+).*ignored=([0-9]+).*/\1 \2 \3 \4/' \
  | awk '{ n += $1 + $2 + $3 + $4 } END { print n + 0 }')
echo "Ansible suite: ${#playbooks[@]} playbooks, $tasks tasks in $(( $(date +%s) - ansible_start )) s"
