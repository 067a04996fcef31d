#!/usr/bin/env bash
# `make bench-bundle`: what a browser downloads to run Vireo — the release bundle as scripts/build.sh
# serves it (raw, gzip -9 and brotli -q 11: the .gz/.br copies the server answers with):
#  - first load: what every page fetches before it hydrates (wasm-bindgen's JS, the main wasm and
#    the chunk loader `__wasm_split.js` the JS imports), beside the goal of 350 KB (350,000 bytes)
#    gzip;
#  - the first load of a page in each of the page parts (components/lazy_page.rs: the Dashboard's
#    `home`; the Template, Pool and Host grids' `grids`; the `pages`: data centers, clusters,
#    storage, networks, events, users …), which fetches its part's chunk, and the shared chunks it
#    needs, before hydrating (the VM grid and the login page are in the main part);
#  - each lazily loaded chunk (the split points: the page parts, the New/Edit dialog's form, the
#    selected object's details, and the code they share), fetched once the page is interactive (or
#    first, when it arrives showing one), and the whole bundle's total.
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
  printf '%-52s %12s %12s %12s\n' "$1" "$raw" "$gz" "$br"
  row_raw=$raw row_gz=$gz row_br=$br
}

printf '%-52s %12s %12s %12s\n' file raw gzip-9 brotli
first_raw=0 first_gz=0 first_br=0
for name in vireo.wasm vireo.js __wasm_split.js; do
  row "first load: $name" "$folder/$name"
  first_raw=$((first_raw + row_raw)) first_gz=$((first_gz + row_gz)) first_br=$((first_br + row_br))
done
printf '%-52s %12s %12s %12s\n' "first load: VM grid, login" "$first_raw" "$first_gz" "$first_br"
# A page of a page part hydrates after its chunk and the shared chunks it needs, as the chunk loader
# lists them (`__wasm_split_load_vireo_<part>` and its dependencies).
chunks_of() { # a page part: the chunk files its pages fetch first
  python3 - "$folder/__wasm_split.js" "__wasm_split_load_vireo_$1" <<'PY'
import re, sys
js = open(sys.argv[1]).read()
# Each loader: `const __chunk_N = makeLoad(` or `export const __wasm_split_load_X = wrapAsyncCb(makeLoad(`,
# then its fetch("./file.wasm" …) and, closing the call, its dependencies `[__chunk_A, …]`.
loaders = {}
for m in re.finditer(r'const (\w+) = (?:wrapAsyncCb\()?makeLoad\(.*?"\./([\w.]+\.wasm)".*?\n, \[([^\]]*)\]', js, re.S):
    loaders[m.group(1)] = (m.group(2), [d.strip() for d in m.group(3).split(",") if d.strip()])
need, todo = [], [sys.argv[2]]
while todo:
    name = todo.pop()
    if name in need:
        continue
    need.append(name)
    todo.extend(loaders[name][1])
print(" ".join(loaders[n][0] for n in need))
PY
}
part_summary=()
for part in home:Dashboard grids:"Templates, Pools, Hosts" pages:"Data Centers … Users"; do
  name=${part%%:*} pages=${part#*:}
  part_raw=$first_raw part_gz=$first_gz part_br=$first_br
  for chunk in $(chunks_of "$name"); do
    row "  + fetched first by $name: $chunk" "$folder/$chunk"
    part_raw=$((part_raw + row_raw)) part_gz=$((part_gz + row_gz)) part_br=$((part_br + row_br))
  done
  printf '%-52s %12s %12s %12s\n' "first load: $pages" "$part_raw" "$part_gz" "$part_br"
  part_summary+=("first load of $pages (part $name), gzip -9: $part_gz bytes")
done
all_raw=$first_raw all_gz=$first_gz all_br=$first_br
for chunk in "$folder"/*.wasm; do
  [ "$(basename "$chunk")" = vireo.wasm ] && continue
  row "chunk: $(basename "$chunk")" "$chunk"
  all_raw=$((all_raw + row_raw)) all_gz=$((all_gz + row_gz)) all_br=$((all_br + row_br))
done
printf '%-52s %12s %12s %12s\n' "whole bundle, every chunk included" "$all_raw" "$all_gz" "$all_br"
if [ "$first_gz" -le "$GOAL" ]; then verdict=met; else verdict="NOT met"; fi
echo "first load of the VM grid (wasm + js + chunk loader), gzip -9: $first_gz bytes; goal <= $GOAL bytes: $verdict"
printf '%s\n' "${part_summary[@]}"
echo "whole bundle, gzip -9: $all_gz bytes"
[ "$first_gz" -le "$GOAL" ]
