//! The site's built files under `/pkg`: the browser bundle (wasm-bindgen's JS, the main wasm, the
//! chunk loader and its chunks) and the stylesheet. `scripts/build.sh` puts the bundle in a folder
//! named after a hash of its files (`bundle.<16 hex>/`) and gives the stylesheet a content-hashed
//! name (`vireo.<16 hex>.css`), writes pre-compressed `.br` and `.gz` copies beside them, and lists
//! the hashes in `<site>/hash.txt`, the file `BundleScripts` (app) and Leptos's `HashedStylesheet`
//! read to name them in the page.
//!
//! A hashed name changes whenever its content does, so those files are cached for a year without
//! revalidation; anything else here is revalidated on every use (`no-cache`: a cheap 304). The
//! compressed copies are chosen by the request's `Accept-Encoding` (brotli before gzip), so the
//! answer also says `Vary: Accept-Encoding` (tower-http 0.6's `ServeDir` does not).

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use leptos::config::LeptosOptions;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use vireo_app::components::bundle_scripts::{hash_list, pkg_url, HASH_DIGITS};

/// The hash list `scripts/build.sh` writes at the site root (`bundle: …`, `css: …`).
pub const HASH_FILE: &str = "hash.txt";
/// For content-hashed names: a new build gets new names, so a cached copy never goes stale.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For every other built file: kept, but asked about again before each use.
pub const REVALIDATE: &str = "no-cache";

/// Where the hash list of the site at `site_root` is, as an absolute path: Leptos joins the name
/// onto the server binary's folder, which an absolute path replaces.
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    std::path::absolute(site_root.join(HASH_FILE)).ok()
}

/// The Leptos options' `hash_files` and `hash_file`: hashed names when the site's build wrote a
/// hash list (every `scripts/build.sh` build does), the plain `vireo.js`/`.wasm`/`.css` otherwise.
pub fn hashing(site_root: &Path) -> (bool, String) {
    match hash_file(site_root) {
        Some(path) if path.is_file() => (true, path.to_string_lossy().into_owned()),
        _ => (false, HASH_FILE.to_string()),
    }
}

/// `/pkg/<name>`, from the built files at `<site_root>/pkg`, pre-compressed copies preferred.
pub fn pkg_service(site_root: &str) -> Router {
    let files = ServeDir::new(format!("{site_root}/pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_headers))
}

/// Sets the caching headers of a built file's answer from the name it was asked by.
async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = if hashed { IMMUTABLE } else { REVALIDATE };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether `path` names content-hashed content: a file `<stem>.<16 lowercase hex>.<ext>`, or any
/// file in the bundle's folder `bundle.<16 lowercase hex>/` (the folder's name is the hash of all
/// the files in it, wasm-bindgen's `snippets/` included).
pub fn is_content_hashed(path: &str) -> bool {
    let mut segments = path.rsplit('/');
    let name = segments.next().unwrap_or_default();
    let in_bundle_folder =
        !name.is_empty() && segments.any(|folder| folder.strip_prefix("bundle.").is_some_and(is_hash));
    let parts: Vec<&str> = name.split('.').collect();
    let hashed_name = parts.len() >= 3
        && !parts[0].is_empty()
        && parts.last().is_some_and(|ext| !ext.is_empty())
        && is_hash(parts[1]);
    in_bundle_folder || hashed_name
}

/// 16 lowercase hex digits, as `scripts/build.sh` cuts a SHA-256.
fn is_hash(text: &str) -> bool {
    text.len() == HASH_DIGITS && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The stylesheet's URL, for the few answers Leptos does not render (the login form's refusals):
/// the name `HashedStylesheet` gives it in the pages.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    pkg_url(options, &hash_list(options), "css")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_stem_hash_extension() {
        assert!(is_content_hashed("/vireo.0123456789abcdef.wasm"));
        assert!(is_content_hashed("/pkg/vireo.0123456789abcdef.js"));
        assert!(is_content_hashed("vireo.fedcba9876543210.css"));
    }

    #[test]
    fn files_in_the_bundle_folder_are_hashed_by_its_name() {
        assert!(is_content_hashed("/bundle.0123456789abcdef/vireo.js"));
        assert!(is_content_hashed("/pkg/bundle.0123456789abcdef/__wasm_split.js"));
        assert!(is_content_hashed("/bundle.0123456789abcdef/split_b.wasm"));
        assert!(is_content_hashed(
            "/bundle.0123456789abcdef/snippets/vireo-app-1/inline0.js"
        ));
        // Not the folder itself, not a short or upper-case hash, not another folder.
        assert!(!is_content_hashed("/bundle.0123456789abcdef/"));
        assert!(!is_content_hashed("/bundle.0123456789abcde/vireo.js"));
        assert!(!is_content_hashed("/bundle.0123456789ABCDEF/vireo.js"));
        assert!(!is_content_hashed("/other.0123456789abcdef/vireo.js"));
    }

    #[test]
    fn other_names_are_not_hashed() {
        assert!(!is_content_hashed("/vireo.wasm"));
        assert!(!is_content_hashed("/vireo.js"));
        assert!(!is_content_hashed("/hash.txt"));
        // Too short, too long, upper case, not hex, no extension, no stem.
        assert!(!is_content_hashed("/vireo.0123456789abcde.wasm"));
        assert!(!is_content_hashed("/vireo.0123456789abcdef0.wasm"));
        assert!(!is_content_hashed("/vireo.0123456789ABCDEF.wasm"));
        assert!(!is_content_hashed("/vireo.0123456789abcdeg.wasm"));
        assert!(!is_content_hashed("/vireo.0123456789abcdef"));
        assert!(!is_content_hashed("/vireo.0123456789abcdef."));
        assert!(!is_content_hashed("/.0123456789abcdef.js"));
        // The hash must be in the file's own name, not in a folder above it.
        assert!(!is_content_hashed("/x.0123456789abcdef.d/vireo.js"));
    }

    #[test]
    fn the_stylesheet_is_named_by_the_hash_list_when_there_is_one() {
        let site = std::env::temp_dir().join(format!("vireo-static-assets-{}", std::process::id()));
        std::fs::create_dir_all(&site).expect("site folder");
        let plain = LeptosOptions::builder().output_name("vireo").build();
        assert_eq!(stylesheet_href(&plain), "/pkg/vireo.css");

        std::fs::write(site.join(HASH_FILE), "js: 0000000000000000\ncss: 0123456789abcdef\n").expect("hash list");
        let (hash_files, hash_file) = hashing(&site);
        assert!(hash_files);
        assert!(Path::new(&hash_file).is_absolute());
        let hashed = LeptosOptions::builder()
            .output_name("vireo")
            .hash_files(hash_files)
            .hash_file(hash_file.into())
            .build();
        assert_eq!(stylesheet_href(&hashed), "/pkg/vireo.0123456789abcdef.css");
        std::fs::remove_dir_all(&site).expect("clean up");
    }
}
