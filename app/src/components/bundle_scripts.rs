//! The page's `<head>` entries that load the browser bundle and hydrate the page: Leptos's
//! `HydrationScripts`, but with the bundle's compile started while the page is still being parsed
//! (`bundle_scripts.js` says how). The gain is small and measured: README, Benchmarks, Navigation.

use leptos::config::LeptosOptions;
use leptos::prelude::*;
use std::path::PathBuf;

/// How many hex digits of the content's SHA-256 a hashed name carries (`scripts/build.sh`).
pub const HASH_DIGITS: usize = 16;

/// The hash of `kind` in a hash list (`kind: hash` lines, the file `scripts/build.sh` writes and
/// Leptos's `HashedStylesheet` reads). Anything that is not a hash is not one: it never reaches a
/// URL.
pub fn listed_hash(list: &str, kind: &str) -> Option<String> {
    list.lines()
        .filter_map(|line| line.trim().split_once(':'))
        .find(|(file, _)| file.trim() == kind)
        .map(|(_, hash)| hash.trim().to_string())
        .filter(|hash| hash.len() == HASH_DIGITS && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The site's hash list (`hash_file`, where Leptos looks for it: joined onto the server binary's
/// folder, which an absolute `hash_file` replaces); empty when the build wrote none.
pub fn hash_list(options: &LeptosOptions) -> String {
    if !options.hash_files {
        return String::new();
    }
    let folder = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(PathBuf::from))
        .unwrap_or_default();
    std::fs::read_to_string(folder.join(options.hash_file.as_ref())).unwrap_or_default()
}

/// The URL of the built `kind` file (`css`): `/pkg/vireo.<hash>.<kind>` when `list` has its hash,
/// `/pkg/vireo.<kind>` otherwise.
pub fn pkg_url(options: &LeptosOptions, list: &str, kind: &str) -> String {
    let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
    match listed_hash(list, kind) {
        Some(hash) => format!("/{pkg}/{name}.{hash}.{kind}"),
        None => format!("/{pkg}/{name}.{kind}"),
    }
}

/// The folder the browser bundle's files are in: `bundle.<hash>` when `list` has the bundle's hash.
/// One hash for them all, since the glue, the chunk loader and the chunks name each other by
/// relative paths (`scripts/build.sh`).
pub fn bundle_folder(list: &str) -> Option<String> {
    listed_hash(list, "bundle").map(|hash| format!("bundle.{hash}"))
}

/// The URLs of the bundle's JS glue and main wasm, from one read of the hash list:
/// `/pkg/bundle.<hash>/vireo.js` and `.wasm`, or `/pkg/vireo.js` and `.wasm` without a hash.
pub fn bundle_urls(options: &LeptosOptions) -> (String, String) {
    let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
    let folder = match bundle_folder(&hash_list(options)) {
        Some(folder) => format!("/{pkg}/{folder}"),
        None => format!("/{pkg}"),
    };
    (format!("{folder}/{name}.js"), format!("{folder}/{name}.wasm"))
}

/// The script that loads the bundle, with the URLs it loads, as one JS statement. Its comment
/// lines are left out: every page carries the script.
fn loader(js: &str, wasm: &str) -> String {
    let mut script = String::with_capacity(600);
    for line in include_str!("bundle_scripts.js").lines() {
        if !line.trim_start().starts_with("//") {
            script.push_str(line.trim());
        }
    }
    // `{:?}` quotes as JS does for these names (ASCII letters, digits, `/` and `.`).
    script.push_str(&format!("({js:?}, {wasm:?});"));
    script
}

/// Preloads the bundle and runs the loader; in the `<head>`, on the server only (the browser
/// hydrates the `<body>`).
#[component]
pub fn BundleScripts(options: LeptosOptions) -> impl IntoView {
    let (js, wasm) = bundle_urls(&options);
    let nonce = leptos::nonce::use_nonce();
    let script = loader(&js, &wasm);
    // `crossorigin` as the loader's fetches ask (same origin, credentials): a preload whose mode
    // differs from the fetch is not reused, and the bundle would be read twice.
    view! {
        <link rel="modulepreload" href=js crossorigin="" />
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" async="" nonce=nonce>
            {script}
        </script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_list_is_read_as_leptos_reads_it() {
        let list = "js: 0123456789abcdef\nwasm:fedcba9876543210\n\n css : aaaaaaaaaaaaaaaa \n";
        assert_eq!(listed_hash(list, "js").as_deref(), Some("0123456789abcdef"));
        assert_eq!(listed_hash(list, "wasm").as_deref(), Some("fedcba9876543210"));
        assert_eq!(listed_hash(list, "css").as_deref(), Some("aaaaaaaaaaaaaaaa"));
        assert_eq!(listed_hash(list, "split"), None);
        assert_eq!(
            bundle_folder("bundle: 0123456789abcdef\n").as_deref(),
            Some("bundle.0123456789abcdef")
        );
        assert_eq!(bundle_folder("bundle: ../../etc\n"), None);
        assert_eq!(bundle_folder(list), None);
        // Something that is not a hash never reaches a URL.
        assert_eq!(listed_hash("css: ../../etc/passwd", "css"), None);
        assert_eq!(listed_hash("js: 0123456789ABCDEG", "js"), None);
    }

    #[test]
    fn the_loader_is_called_with_both_urls() {
        let script = loader(
            "/pkg/bundle.0123456789abcdef/vireo.js",
            "/pkg/bundle.0123456789abcdef/vireo.wasm",
        );
        assert!(script.starts_with("(function (js, wasm) {"));
        assert!(!script.contains("//"), "comments are left out: {script}");
        assert!(script
            .ends_with(r#"})("/pkg/bundle.0123456789abcdef/vireo.js", "/pkg/bundle.0123456789abcdef/vireo.wasm");"#));
        // Nothing in it would end the <script> element early.
        assert!(!script.contains("</"));
    }

    #[test]
    fn without_a_hash_list_the_names_are_plain() {
        let options = LeptosOptions::builder().output_name("vireo").hash_files(false).build();
        assert_eq!(
            bundle_urls(&options),
            ("/pkg/vireo.js".to_string(), "/pkg/vireo.wasm".to_string())
        );
    }
}
