#!/usr/bin/env bash
# Starts libvirtd (and virtlogd) without systemd, installing the daemon first if needed. Used by the
# browser tests (a test-driver host reached through the daemon, `test+unix:///default`, whose domains
# a test can change from outside Vireo with virsh) and by the KVM test. Idempotent.
set -euo pipefail
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! dpkg-query -W -f='${Status}' libvirt-daemon 2>/dev/null | grep -q 'install ok installed'; then
  echo "==> apt-get install libvirt-daemon"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvirt-daemon >/dev/null
fi
# libvirtd exits without the qemu user it was built for, even when only the test driver is used.
getent group libvirt-qemu >/dev/null || as_root groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || as_root useradd --system --no-create-home --gid libvirt-qemu --shell /usr/sbin/nologin libvirt-qemu
as_root mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu /var/log/libvirt/qemu
if [ ! -f /etc/libvirt/qemu.conf ]; then
  # Diskless test guests: QEMU runs as root, so /dev/kvm and pinning need no extra permissions.
  as_root mkdir -p /etc/libvirt
  printf 'user = "root"\ngroup = "root"\n' | as_root tee /etc/libvirt/qemu.conf >/dev/null
fi
pgrep -x virtlogd >/dev/null || as_root virtlogd -d
# (Re)start libvirtd until it answers: a daemon that was just stopped may still hold its pidfile.
for _ in $(seq 1 75); do
  virsh -c test+unix:///default version >/dev/null 2>&1 && exit 0
  pgrep -x libvirtd >/dev/null || as_root libvirtd -d || true
  sleep 0.2
done
echo "libvirtd did not come up (see /var/log/libvirt)" >&2
exit 1
