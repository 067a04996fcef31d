#!/usr/bin/env bash
# `make run`: install what is missing, build the release, serve at VIREO_ADDR (default 127.0.0.1:3000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh release
export VIREO_SITE_ROOT="$root/target/site"
exec "$(cat target/site/.server-bin)"
