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
    # The server as `cargo test --workspace` builds it: with the tests among the targets, the
    # dev-dependencies' features (tokio's test-util, …) are on, so the ~40 crates below them
    # (tokio, axum, sqlx, the Leptos stack) are not compiled a second time without them. After
    # `make test`'s cargo test phase this is a no-op; tests not yet built are built here.
    cargo build --locked --workspace --bins --tests
    cargo build --locked -p vireo-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --profile wasm-dev
    wasm_dir=wasm-dev
    ;;
  release)
    cargo build --locked --release -p vireo-server
    cargo build --locked -p vireo-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
      --profile wasm-release
    wasm_dir=wasm-release
    ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac

# The browser bundle, in three steps redone only when their input changed (the stamp names the
# profile, the tools' versions and the compiled wasm's hash, and is written only after all
# succeeded). Their output stays outside the site (one folder per profile).
# 1. wasm-split-cli cuts each split point (`wasm_split`/`#[lazy]`), with the code only it reaches,
#    into a chunk of its own, fetched later (most pages: components/lazy_page.rs; the New/Edit
#    dialog's form: components/config_dialog.rs; the selected object's details:
#    components/object_detail.rs), and code several chunks share into more chunks;
#    it writes the main part, the chunks and `__wasm_split.js`, which loads them.
# 2. wasm-bindgen makes the main part's JS glue; it keeps the exports the chunks link against.
# 3. (release) wasm-opt -Oz on the main part and on each chunk; alone it takes ~35 s.
input="$target_dir/wasm32-unknown-unknown/$wasm_dir/vireo_app.wasm"
wasm_opt="$root/end2end/node_modules/.bin/wasm-opt"
bundle="$target_dir/bundle/$profile"
stamp="$bundle/.bundle-input"
split_version=$(cargo install --list | sed -n 's/^wasm_split_cli_support v\([0-9.]*\):$/\1/p')
want="$profile $(sha256sum "$input" | cut -d' ' -f1) $(wasm-bindgen --version) wasm-split-cli $split_version"
if [ "$profile" = release ]; then want="$want $("$wasm_opt" --version)"; fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$bundle/out/vireo.wasm" ] && [ -f "$bundle/out/vireo.js" ]; then
  echo "browser bundle unchanged: kept $bundle/out"
else
  rm -rf "$bundle"
  mkdir -p "$bundle/split" "$bundle/out"
  wasm-split-cli "$input" "$bundle/split" --out-name vireo --target web
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$bundle/out" --out-name vireo "$bundle/split/vireo.wasm"
  # Leptos's hydration names the wasm <output-name>.wasm (cargo-leptos renames the same way).
  mv "$bundle/out/vireo_bg.wasm" "$bundle/out/vireo.wasm"
  rm "$bundle/split/vireo.wasm"
  mv "$bundle/split/"* "$bundle/out/"
  if [ "$profile" = release ]; then
    # npm's binaryen 132: Debian's wasm-opt 108 silently breaks hydration.
    for wasm in "$bundle/out/"*.wasm; do
      "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
        --enable-sign-ext --enable-mutable-globals --enable-reference-types \
        -o "$wasm" "$wasm"
    done
  fi
  echo "$want" > "$stamp"
fi

# The site's pkg/: the bundle in a folder named after a hash of all its files (bundle.<16 hex>/:
# the glue, the main wasm, the chunk loader and the chunks, which name each other by relative
# paths), and the stylesheet under a content-hashed name (vireo.<16 hex>.css); each with gzip -9
# and brotli copies the server answers with when the browser accepts them
# (server/src/web/static_assets.rs). hash.txt lists the hashes for the page to name them.
# A debug wasm is several MB: its copies would take longer to make than to send on localhost.
pkg=$site/pkg
mkdir -p "$pkg"
hash_of() { sha256sum "$1" | cut -c1-16; }
compress() { # a file: its .gz and .br copies, unless they are there already
  [ -f "$1.gz" ] || { gzip -9 -n -c "$1" > "$1.gz.tmp"; mv "$1.gz.tmp" "$1.gz"; }
  [ -f "$1.br" ] || { brotli -q 11 -c "$1" > "$1.br.tmp"; mv "$1.br.tmp" "$1.br"; }
}
bundle_hash=$(cd "$bundle/out" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
bundle_dir="bundle.$bundle_hash"
if [ ! -d "$pkg/$bundle_dir" ]; then
  rm -rf "$pkg/$bundle_dir.tmp"
  cp -R "$bundle/out" "$pkg/$bundle_dir.tmp"
  find "$pkg/$bundle_dir.tmp" -type f \( -name '*.js' -o -name '*.wasm' \) -print0 \
    | while IFS= read -r -d '' file; do
        case "$file" in *.wasm) [ "$profile" = release ] || continue ;; esac
        compress "$file"
      done
  mv "$pkg/$bundle_dir.tmp" "$pkg/$bundle_dir"
fi
css_hash=$(hash_of style/main.css)
css_name="vireo.$css_hash.css"
[ -f "$pkg/$css_name" ] || { cp style/main.css "$pkg/$css_name.tmp"; mv "$pkg/$css_name.tmp" "$pkg/$css_name"; }
compress "$pkg/$css_name"
printf 'bundle: %s\ncss: %s\n' "$bundle_hash" "$css_hash" > "$site/hash.txt.tmp"
mv "$site/hash.txt.tmp" "$site/hash.txt"
# Only after the page names the new files: the previous build's are removed.
find "$pkg" -mindepth 1 -maxdepth 1 ! -name "$bundle_dir" ! -name "$css_name*" -exec rm -rf {} +
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
