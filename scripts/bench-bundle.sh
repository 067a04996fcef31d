#!/usr/bin/env bash
# `make bench-bundle`: what a browser downloads to run Vireo — the release bundle as scripts/build.sh
# serves it (raw, gzip -9 and brotli -q 11: the .gz/.br copies the server answers with):
#  - first load: what every page fetches before it hydrates (wasm-bindgen's JS, the main wasm and
#    the chunk loader `__wasm_split.js` the JS imports), beside the goal of 350 KB (350,000 bytes)
#    gzip;
#  - each lazily loaded chunk (the split points: the New/Edit dialog's form, the selected object's
#    details, and the code they share), fetched once the page is interactive (or first, when it
#    arrives with a dialog open or a row's details shown), and the whole bundle's total.
# Exits non-zero when the first-load goal is missed. Builds first (seconds when nothing changed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GOAL=350000

scripts/setup.sh >/dev/null
scripts/build.sh release >/dev/null

site=$root/target/site
folder=$site/pkg/bundle.$(sed -n 's/^bundle: *//p' "$site/hash.txt")
size() { stat -c %s "$1"; }
row() { # label, file: prints its three sizes and adds them to the named totals
  local raw gz br
  raw=$(size "$2") gz=$(size "$2.gz") br=$(size "$2.br")
  printf '%-44s %12s %12s %12s\n' "$1" "$raw" "$gz" "$br"
  row_raw=$raw row_gz=$gz row_br=$br
}

printf '%-44s %12s %12s %12s\n' file raw gzip-9 brotli
first_raw=0 first_gz=0 first_br=0
for name in vireo.wasm vireo.js __wasm_split.js; do
  row "first load: $name" "$folder/$name"
  first_raw=$((first_raw + row_raw)) first_gz=$((first_gz + row_gz)) first_br=$((first_br + row_br))
done
printf '%-44s %12s %12s %12s\n' "first load, total" "$first_raw" "$first_gz" "$first_br"
all_raw=$first_raw all_gz=$first_gz all_br=$first_br
for chunk in "$folder"/*.wasm; do
  [ "$(basename "$chunk")" = vireo.wasm ] && continue
  row "after hydrating: $(basename "$chunk")" "$chunk"
  all_raw=$((all_raw + row_raw)) all_gz=$((all_gz + row_gz)) all_br=$((all_br + row_br))
done
printf '%-44s %12s %12s %12s\n' "whole bundle, every chunk included" "$all_raw" "$all_gz" "$all_br"
if [ "$first_gz" -le "$GOAL" ]; then verdict=met; else verdict="NOT met"; fi
echo "first load (wasm + js + chunk loader), gzip -9: $first_gz bytes; goal <= $GOAL bytes: $verdict"
echo "whole bundle, gzip -9: $all_gz bytes"
[ "$first_gz" -le "$GOAL" ]
