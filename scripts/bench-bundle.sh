#!/usr/bin/env bash
# `make bench-bundle`: what a browser downloads to run Vireo — the release bundle (wasm + wasm-bindgen's
# JS) as scripts/build.sh serves it: raw, gzip -9 and brotli -q 11 (the .gz/.br copies the server
# answers with), beside the goal of 350 KB (350,000 bytes) gzip for the whole app. Exits non-zero
# when the goal is missed. Builds first (a warm build with nothing changed takes seconds).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GOAL=350000

scripts/setup.sh >/dev/null
scripts/build.sh release >/dev/null

site=$root/target/site
hash() { sed -n "s/^$1: *//p" "$site/hash.txt"; }
wasm=$site/pkg/vireo.$(hash wasm).wasm
js=$site/pkg/vireo.$(hash js).js
size() { stat -c %s "$1"; }

printf '%-6s %12s %12s %12s\n' file raw gzip-9 brotli
total_raw=0 total_gz=0 total_br=0
for file in "$wasm" "$js"; do
  raw=$(size "$file") gz=$(size "$file.gz") br=$(size "$file.br")
  printf '%-6s %12s %12s %12s\n' "${file##*.}" "$raw" "$gz" "$br"
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
done
printf '%-6s %12s %12s %12s\n' total "$total_raw" "$total_gz" "$total_br"
if [ "$total_gz" -le "$GOAL" ]; then verdict=met; else verdict="NOT met"; fi
echo "whole app (wasm + js), gzip -9: $total_gz bytes; goal <= $GOAL bytes: $verdict"
[ "$total_gz" -le "$GOAL" ]
