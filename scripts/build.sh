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

mkdir -p "$site/pkg"
# The browser bundle: wasm-bindgen, then (release) wasm-opt -Oz, which alone takes ~35 s. Both are
# redone only when their input changed: the stamp names the profile, the tools' versions and the
# compiled wasm's hash, and is written only after both succeeded.
input="$target_dir/wasm32-unknown-unknown/$wasm_dir/vireo_app.wasm"
wasm_opt="$root/end2end/node_modules/.bin/wasm-opt"
stamp="$site/pkg/.bundle-input"
want="$profile $(sha256sum "$input" | cut -d' ' -f1) $(wasm-bindgen --version)"
if [ "$profile" = release ]; then want="$want $("$wasm_opt" --version)"; fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$site/pkg/vireo.wasm" ] && [ -f "$site/pkg/vireo.js" ]; then
  echo "browser bundle unchanged: kept target/site/pkg/vireo.wasm"
else
  rm -f "$stamp"
  wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name vireo "$input"
  # Leptos's hydration script loads <output-name>.wasm (cargo-leptos renames the same way).
  mv "$site/pkg/vireo_bg.wasm" "$site/pkg/vireo.wasm"
  if [ "$profile" = release ]; then
    # npm's binaryen 132: Debian's wasm-opt 108 silently breaks hydration.
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types \
      -o "$site/pkg/vireo.wasm" "$site/pkg/vireo.wasm"
  fi
  echo "$want" > "$stamp"
fi
cp style/main.css "$site/pkg/vireo.css"
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
# Where the binary is, for the run and test scripts.
if [ "$profile" = release ]; then echo "$target_dir/release/vireo-server" > "$site/.server-bin"
else echo "$target_dir/debug/vireo-server" > "$site/.server-bin"; fi
