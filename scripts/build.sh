#!/usr/bin/env bash
# Builds Vireo with plain cargo (no cargo-leptos needed): the server binary, the browser bundle
# (wasm + wasm-bindgen JS), CSS and static files, into target/site — the same layout cargo-leptos makes.
# Usage: scripts/build.sh [debug|release]
set -euo pipefail
profile=${1:-debug}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Where cargo puts its output (CARGO_TARGET_DIR, a config file or the default), as cargo itself says.
target_dir=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
site=$root/target/site

case "$profile" in
  debug)
    cargo build --locked -p vireo-server
    cargo build --locked -p vireo-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate
    wasm_dir=debug
    ;;
  release)
    cargo build --locked --release -p vireo-server
    cargo build --locked -p vireo-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
      --profile wasm-release
    wasm_dir=wasm-release
    ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac

# The browser bundle: wasm-bindgen, then (release) wasm-opt -Oz, which alone takes ~35 s. Both are
# redone only when their input changed: the stamp names the profile, the tools' versions and the
# compiled wasm's hash, and is written only after both succeeded. Their output stays outside the site
# (one folder per profile); the site gets content-hashed copies of it.
input="$target_dir/wasm32-unknown-unknown/$wasm_dir/vireo_app.wasm"
wasm_opt="$root/end2end/node_modules/.bin/wasm-opt"
bundle="$target_dir/bundle/$profile"
stamp="$bundle/.bundle-input"
want="$profile $(sha256sum "$input" | cut -d' ' -f1) $(wasm-bindgen --version)"
if [ "$profile" = release ]; then want="$want $("$wasm_opt" --version)"; fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$bundle/vireo.wasm" ] && [ -f "$bundle/vireo.js" ]; then
  echo "browser bundle unchanged: kept $bundle/vireo.wasm"
else
  rm -rf "$bundle"
  mkdir -p "$bundle"
  wasm-bindgen --target web --no-typescript --out-dir "$bundle" --out-name vireo "$input"
  # Leptos's hydration script loads <output-name>[.<hash>].wasm (cargo-leptos renames the same way).
  mv "$bundle/vireo_bg.wasm" "$bundle/vireo.wasm"
  if [ "$profile" = release ]; then
    # npm's binaryen 132: Debian's wasm-opt 108 silently breaks hydration.
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types \
      -o "$bundle/vireo.wasm" "$bundle/vireo.wasm"
  fi
  echo "$want" > "$stamp"
fi

# The site's pkg/: the bundle and the stylesheet under content-hashed names (vireo.<16 hex>.js), each
# with gzip -9 and brotli copies the server answers with when the browser accepts them
# (server/src/web/static_assets.rs); hash.txt lists the hashes for Leptos to name them in the page.
# A debug wasm is tens of MB: its copies would take longer to make than to send on localhost.
pkg=$site/pkg
mkdir -p "$pkg"
hash_of() { sha256sum "$1" | cut -c1-16; }
place() { # source, hashed name, whether to compress: copies the file in unless it is there already
  local source=$1 name=$2 compress=$3
  [ -f "$pkg/$name" ] || { cp "$source" "$pkg/$name.tmp"; mv "$pkg/$name.tmp" "$pkg/$name"; }
  if [ "$compress" = yes ]; then
    [ -f "$pkg/$name.gz" ] || { gzip -9 -n -c "$pkg/$name" > "$pkg/$name.gz.tmp"; mv "$pkg/$name.gz.tmp" "$pkg/$name.gz"; }
    [ -f "$pkg/$name.br" ] || { brotli -q 11 -c "$pkg/$name" > "$pkg/$name.br.tmp"; mv "$pkg/$name.br.tmp" "$pkg/$name.br"; }
  fi
}
js_hash=$(hash_of "$bundle/vireo.js")
wasm_hash=$(hash_of "$bundle/vireo.wasm")
css_hash=$(hash_of style/main.css)
if [ "$profile" = release ]; then compress_wasm=yes; else compress_wasm=no; fi
place "$bundle/vireo.js" "vireo.$js_hash.js" yes
place "$bundle/vireo.wasm" "vireo.$wasm_hash.wasm" "$compress_wasm"
place style/main.css "vireo.$css_hash.css" yes
# wasm-bindgen's inline JS snippets, imported by vireo.js by relative path (when there are any).
rm -rf "$pkg/snippets"
if [ -d "$bundle/snippets" ]; then cp -R "$bundle/snippets" "$pkg/snippets"; fi
printf 'js: %s\nwasm: %s\ncss: %s\n' "$js_hash" "$wasm_hash" "$css_hash" > "$site/hash.txt.tmp"
mv "$site/hash.txt.tmp" "$site/hash.txt"
# Only after the page names the new files: the previous build's are removed.
find "$pkg" -maxdepth 1 -type f ! -name "vireo.$js_hash.js*" ! -name "vireo.$wasm_hash.wasm*" \
  ! -name "vireo.$css_hash.css*" -delete
cp -R public/. "$site/"
# The consoles' browser libraries (web-vendor/, installed by setup.sh): exactly the files the pages
# load, with their licences. xterm.js 5 is a UMD bundle (with its fit and canvas add-ons); noVNC is
# ES modules: core/ and the pako it imports from ../vendor/.
npm_dir=$root/web-vendor/node_modules
if [ ! -f "$npm_dir/@xterm/xterm/lib/xterm.js" ] || [ ! -f "$npm_dir/@novnc/novnc/core/rfb.js" ]; then
  echo "web-vendor/node_modules is missing: run scripts/setup.sh" >&2
  exit 1
fi
vendor=$site/vendor
rm -rf "$vendor"
mkdir -p "$vendor/xterm/lib" "$vendor/xterm/css" "$vendor/addon-fit/lib" "$vendor/addon-canvas/lib" "$vendor/novnc"
cp "$npm_dir/@xterm/xterm/lib/xterm.js" "$vendor/xterm/lib/"
cp "$npm_dir/@xterm/xterm/LICENSE" "$vendor/xterm/"
cp "$npm_dir/@xterm/xterm/css/xterm.css" "$vendor/xterm/css/"
for addon in fit canvas; do
  cp "$npm_dir/@xterm/addon-$addon/lib/addon-$addon.js" "$vendor/addon-$addon/lib/"
  cp "$npm_dir/@xterm/addon-$addon/LICENSE" "$vendor/addon-$addon/"
done
cp -R "$npm_dir/@novnc/novnc/core" "$npm_dir/@novnc/novnc/vendor" "$npm_dir/@novnc/novnc/LICENSE.txt" \
  "$npm_dir/@novnc/novnc/AUTHORS" "$vendor/novnc/"
cp "$npm_dir/@novnc/novnc/docs/"LICENSE.* "$vendor/novnc/"
# The consoles' glue and libraries are answered by Leptos's file handler, which also prefers .br/.gz
# copies: a release build makes them (vendor/ is fresh each build; a stale console.js copy must go).
rm -f "$site/console.js.gz" "$site/console.js.br"
if [ "$profile" = release ]; then
  find "$site/console.js" "$vendor" -type f \( -name '*.js' -o -name '*.css' \) -print0 \
    | while IFS= read -r -d '' file; do gzip -9 -n -k -f "$file"; brotli -q 11 -k -f "$file"; done
fi
# Where the binary is, for the run and test scripts.
if [ "$profile" = release ]; then echo "$target_dir/release/vireo-server" > "$site/.server-bin"
else echo "$target_dir/debug/vireo-server" > "$site/.server-bin"; fi
