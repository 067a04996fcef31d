#!/usr/bin/env bash
# Checks server/systemd/vireo.service with `systemd-analyze verify` (which needs no running systemd):
# on a copy whose ExecStart is the binary just built (verify wants an executable there). Any
# complaint fails — verify itself only warns about unknown keys, which would silently switch a
# hardening option off. Needs `scripts/build.sh` first (target/site/.server-bin).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
server=$(cat target/site/.server-bin)
[ -x "$server" ] || { echo "no built server at '$server': run scripts/build.sh first" >&2; exit 1; }
work=$(mktemp -d /tmp/vireo-unit.XXXXXX)
trap 'rm -rf "$work"' EXIT
sed "s#^ExecStart=/usr/local/bin/vireo-server #ExecStart=$server #" server/systemd/vireo.service > "$work/vireo.service"
grep -q "^ExecStart=$server " "$work/vireo.service" || { echo "vireo.service: no ExecStart=/usr/local/bin/vireo-server line" >&2; exit 1; }
out=$(systemd-analyze verify "$work/vireo.service" 2>&1) || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2
  echo "systemd-analyze verify complained about server/systemd/vireo.service" >&2
  exit 1
fi
echo "server/systemd/vireo.service: systemd-analyze verify passed"
