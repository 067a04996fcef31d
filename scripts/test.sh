#!/usr/bin/env bash
# `make test`: install what is missing, then every test — formatting and lints, the Rust unit and
# integration tests (real PostgreSQL, libvirt test driver), and the Playwright suite in Debian's
# Chromium against a freshly started server (hydrated and with JavaScript off). Exits non-zero on
# any failure and prints how long each phase took.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
phase_start=$start
timings=()
phase() {
  local now; now=$(date +%s)
  timings+=("$(printf '%-28s %4ss' "$1" $((now - phase_start)))")
  phase_start=$now
}
report() {
  local status=$?
  # What failed in the browser suite, last, where a log's tail shows it.
  if [ $status -ne 0 ] && [ -f end2end/playwright-report/results.json ]; then
    node end2end/failure-digest.mjs end2end/playwright-report/results.json || true
  fi
  echo
  echo "make test timings:"
  for t in "${timings[@]}"; do echo "  $t"; done
  echo "  $(printf '%-28s %4ss' total $(( $(date +%s) - start )))"
  [ $status -eq 0 ] && echo "make test: all passed" || echo "make test: FAILED (exit $status)"
}
trap report EXIT

scripts/setup.sh
phase "setup"

cargo fmt --all -- --check
leptosfmt --check --quiet app/src
cargo clippy --locked --workspace --all-targets -- -D warnings
# Leptos's renderer must be the vendored, patched copy (vendor/README.md): when an upgrade needs
# another tachys, cargo only warns that the patch went unused, and the bundle silently grows back.
cargo metadata --locked --format-version 1 | python3 -c '
import json, sys
sources = [p["source"] for p in json.load(sys.stdin)["packages"] if p["name"] == "tachys"]
if sources != [None]:
    sys.exit(f"tachys is not the vendored, patched copy ({sources}): vendor/README.md says how to redo it")
'
phase "fmt + clippy"

# The image-upload tests need a real libvirtd with its QEMU driver (qemu:///system); they fail, not
# skip, without it.
scripts/libvirtd.sh
virsh -c qemu:///system version >/dev/null || { echo "libvirtd has no working QEMU driver (qemu:///system)" >&2; exit 1; }
# The KVM tests (tests/integration/kvm*.rs) run in the next phase, from the same test binary.
cargo test --locked --workspace -- --skip kvm:: --skip kvm_console::
phase "cargo test"

scripts/kvm-test.sh
phase "KVM test"

scripts/build.sh debug
phase "build site (debug)"

# The systemd unit (server/systemd/vireo.service), checked against the binary just built.
scripts/systemd-verify.sh
phase "systemd unit"

scripts/api-test.sh
phase "oVirt SDK + Ansible"

# The browser tests also drive a host through libvirtd's test driver (changed from outside by virsh).
scripts/libvirtd.sh

rm -f end2end/playwright-report/results.json
e2e_data=$(mktemp -d /tmp/vireo-e2e.XXXXXX)
# The e2e server's PostgreSQL runs as the postgres user when we are root: let it in.
chmod 0711 "$e2e_data"
export VIREO_E2E_DATA_DIR="$e2e_data"
export VIREO_E2E_SERVER="$(cat target/site/.server-bin)"
(cd end2end && npx playwright test) || { rm -rf "$e2e_data"; exit 1; }
rm -rf "$e2e_data"
phase "playwright"

# The consoles in Chromium against libvirtd + QEMU/KVM (says what it skips where /dev/kvm is absent).
scripts/kvm-browser-test.sh
phase "KVM browser test"
