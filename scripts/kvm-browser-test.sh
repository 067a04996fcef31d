#!/usr/bin/env bash
# The consoles in Chromium against a real hypervisor (end2end/kvm, playwright.kvm.config.ts): where
# /dev/kvm exists, after scripts/kvm-test.sh started libvirtd with QEMU and scripts/build.sh built the
# site. Elsewhere, say what is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ ! -c /dev/kvm ]; then
  echo "KVM browser test not run: /dev/kvm is absent (the serial and VNC consoles in Chromium need a real VM)."
  exit 0
fi
scripts/libvirtd.sh
data=$(mktemp -d /tmp/vireo-e2e-kvm.XXXXXX)
chmod 0711 "$data"
export VIREO_E2E_DATA_DIR="$data"
export VIREO_E2E_SERVER="$(cat target/site/.server-bin)"
status=0
(cd end2end && npx playwright test --config playwright.kvm.config.ts) || status=$?
rm -rf "$data"
exit $status
