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
for p in qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libvirtd without systemd: it needs its run folder, the qemu user it was built for, and a qemu.conf.
getent group libvirt-qemu >/dev/null || as_root groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || as_root useradd --system --no-create-home --gid libvirt-qemu --shell /usr/sbin/nologin libvirt-qemu
as_root mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu /var/log/libvirt/qemu
if [ ! -f /etc/libvirt/qemu.conf ]; then
  # Diskless test guests: run QEMU as root so /dev/kvm and pinning need no extra permissions.
  printf 'user = "root"\ngroup = "root"\n' | as_root tee /etc/libvirt/qemu.conf >/dev/null
fi
pgrep -x virtlogd >/dev/null || as_root virtlogd -d
pgrep -x libvirtd >/dev/null || as_root libvirtd -d
for _ in $(seq 1 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "KVM test not run: libvirtd did not come up (see /var/log/libvirt)." >&2
  exit 1
fi
cargo test --locked -p vireo-server --features kvm-tests --test integration kvm -- --nocapture
