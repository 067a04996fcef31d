#!/usr/bin/env bash
# The real-hypervisor test: where /dev/kvm exists, install QEMU and libvirtd, start them without
# systemd, and run tests/integration/kvm.rs (a High Performance VM under KVM, its pinning checked
# from the host). Elsewhere, say why it does not run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ ! -c /dev/kvm ]; then
  echo "KVM test not run: /dev/kvm is absent on this machine (no hardware virtualisation exposed)."
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
# iptables: libvirt sets up even an isolated network's firewall rules with it (the NIC test's).
for p in qemu-system-x86 libvirt-daemon-driver-qemu iptables; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # A libvirtd started before the QEMU driver was installed does not know it.
  if pgrep -x libvirtd >/dev/null; then as_root pkill -x libvirtd; sleep 1; fi
fi
scripts/libvirtd.sh
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "KVM test not run: libvirtd has no working QEMU driver." >&2
  exit 1
fi
# An argument narrows the run to one test module (make bench-console: kvm_console). `--workspace`,
# as in `make test`'s cargo test run, so the integration test binary built there is reused as is
# (a narrower package selection changes features and recompiles the server).
cargo test --locked --workspace --test integration "${1:-kvm}" -- --nocapture
