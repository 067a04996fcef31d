#!/usr/bin/env bash
# Installs everything `make run` and `make test` need, idempotently: each step first checks whether its
# tool is already there, so a warm machine passes through in a second or two. Every version is pinned here.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
LEPTOSFMT_VERSION=0.1.33      # formats view! macros, which rustfmt skips (make test checks both)
WASM_SPLIT_VERSION=0.2.4      # wasm-split-cli: the runtime side is wasm_split_helpers 0.2, through leptos
BINARYEN_VERSION=132.0.0       # npm binaryen; Debian's binaryen 108 breaks hydration in release builds
APT_PACKAGES=(postgresql libvirt-dev libvirt-clients libxml2-utils pkg-config chromium
              gcc python3-dev python3-venv libxml2-dev
              # The site's pre-compressed .br copies (scripts/build.sh).
              brotli
              # Image uploads need a real libvirtd storage driver (the test driver has no upload):
              # its QEMU driver (qemu:///system, no KVM needed for storage) and qemu-img for the tests.
              libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils
              # systemd-analyze, which checks server/systemd/vireo.service (no running systemd needed).
              systemd
              # Remote hosts over SSH: ssh-keygen/ssh-keyscan (Vireo's key, host keys) and sshd, only
              # for the SSH host test's own throwaway daemon on a loopback port (see below: the
              # install does not leave a system sshd running or enabled on port 22).
              openssh-client openssh-server)

root_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$root_dir"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------------
find_missing() {
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
}
find_missing
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  # openssh-server's install would start (and, with systemd, enable) a system sshd on port 22.
  # Vireo's tests never use it: keep services from starting during the install (policy-rc.d, unless
  # the machine has one), and below disable the one this install brought.
  new_sshd=""
  [[ " ${missing[*]} " == *" openssh-server "* ]] && new_sshd=1
  temp_policy=""
  if [ -n "$new_sshd" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 0755 /usr/sbin/policy-rc.d
    temp_policy=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ -n "$temp_policy" ] && as_root rm -f /usr/sbin/policy-rc.d
  if [ -n "$new_sshd" ] && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
  # An install can remove a package of the list that was there: machines of this kind come with a
  # backported qemu-utils (10.x), which Debian 12's qemu-system-x86 (7.2) replaces by removing it.
  # Install whatever is missing now (apt then picks the version that fits).
  installed_first=("${missing[@]}")
  find_missing
  if [ ${#missing[@]} -gt 0 ]; then
    step "apt-get install ${missing[*]} (removed by the install above)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  missing=("${installed_first[@]}" "${missing[@]}")
  # A libvirtd started before its QEMU driver was installed does not know it: scripts/libvirtd.sh
  # starts it again.
  if [[ " ${missing[*]} " == *" libvirt-daemon-driver-qemu "* ]] && [ -s /run/libvirtd.pid ]; then
    as_root kill "$(cat /run/libvirtd.pid)" 2>/dev/null || true; sleep 1
  fi
fi

# --- Rust: the pinned compiler (rust-toolchain.toml) ----------------------------------------------
pinned=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
if ! rustup toolchain list | grep -q "^$pinned-"; then
  # RUSTUP_TOOLCHAIN overrides rust-toolchain.toml, so asking stable does not try to fetch the pin.
  stable=$(RUSTUP_TOOLCHAIN=stable rustc --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$stable" = "$pinned" ]; then
    # The installed stable is this release: register it under the pinned name, as an install of
    # that release would (rustup's `toolchain link` refuses release names, and its download server
    # may be out of reach, as it is on the machines this was measured on).
    sysroot=$(RUSTUP_TOOLCHAIN=stable rustc --print sysroot)
    host=$(RUSTUP_TOOLCHAIN=stable rustc -vV | sed -n 's/^host: //p')
    step "register the installed stable Rust $pinned as toolchain $pinned-$host"
    ln -sfn "$sysroot" "$(dirname "$sysroot")/$pinned-$host"
  else
    step "rustup toolchain install $pinned"
    rustup toolchain install "$pinned" --profile minimal --component rustfmt,clippy \
      || { echo "Vireo is built with Rust $pinned (rust-toolchain.toml); install it with rustup." >&2; exit 1; }
  fi
fi

# --- Rust: wasm target and wasm-bindgen-cli --------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: the CLI's lockfile wants a webpki-roots version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# Splits the browser bundle at its `#[lazy]`/`wasm_split` points (scripts/build.sh). A debug build of
# the tool: it installs in about half the time, and splits the release bundle in about a second.
if [ "$(cargo install --list | sed -n 's/^wasm_split_cli_support v\([0-9.]*\):$/\1/p')" != "$WASM_SPLIT_VERSION" ]; then
  step "cargo install wasm_split_cli_support $WASM_SPLIT_VERSION (wasm-split-cli)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked --debug --force
fi

if [ "$(leptosfmt --version 2>/dev/null | awk '{print $2}')" != "$LEPTOSFMT_VERSION" ]; then
  step "cargo install leptosfmt $LEPTOSFMT_VERSION"
  cargo install leptosfmt --version "$LEPTOSFMT_VERSION" --locked --force
fi

# --- npm: Playwright and binaryen (wasm-opt) in end2end/ --------------------------------------------
if [ ! -x end2end/node_modules/.bin/playwright ] || [ ! -x end2end/node_modules/.bin/wasm-opt ] \
   || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  step "npm ci (end2end)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi
installed_binaryen=$(node -p "require('./end2end/node_modules/binaryen/package.json').version" 2>/dev/null || true)
if [ "$installed_binaryen" != "$BINARYEN_VERSION" ]; then
  echo "end2end/package.json must pin binaryen@$BINARYEN_VERSION (found '$installed_binaryen')" >&2
  exit 1
fi

# --- npm: the browser libraries the site ships (xterm.js, noVNC) in web-vendor/ ----------------------
# Pinned in web-vendor/package-lock.json; scripts/build.sh copies the files the pages load.
if [ ! -f web-vendor/node_modules/.package-lock.json ] \
   || [ web-vendor/package-lock.json -nt web-vendor/node_modules/.package-lock.json ]; then
  step "npm ci (web-vendor)"
  (cd web-vendor && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- Python: the oVirt SDK and Ansible (ovirt.ovirt) for the REST API tests, in api-tests/.venv ---
# Debian's own python3 (python3-dev matches it), whatever else is first on PATH.
if [ ! -x api-tests/.venv/bin/python ] || [ api-tests/requirements.txt -nt api-tests/.venv/.installed ]; then
  step "pip install the oVirt SDK and Ansible (api-tests/.venv)"
  rm -rf api-tests/.venv
  /usr/bin/python3 -m venv api-tests/.venv
  api-tests/.venv/bin/pip install --quiet --disable-pip-version-check -r api-tests/requirements.txt
  touch api-tests/.venv/.installed
fi
