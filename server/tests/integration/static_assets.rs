//! The built bundle as browsers get it: content-hashed names in the page, the pre-compressed copy
//! the request accepts (brotli, gzip, or the file itself), and a year-long immutable cache for
//! hashed names only. The site is a small one made here, laid out as `scripts/build.sh` lays it out.

use crate::support::{app_with, body_text, config};
use axum::body::{Body, Bytes};
use axum::http::{header, Request, Response, StatusCode};
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use vireo_server::web::static_assets::{IMMUTABLE, REVALIDATE};

const BUNDLE: &str = "0123456789abcdef";
const CSS: &str = "00112233445566aa";

/// A site root with a hashed bundle whose three copies differ, so a body says which was sent.
fn hashed_site() -> PathBuf {
    let site = std::env::temp_dir().join(format!(
        "vireo-site-{}-{}",
        std::process::id(),
        crate::support::unique("s")
    ));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(pkg.join(format!("bundle.{BUNDLE}"))).expect("pkg folder");
    let write = |name: &str, content: &str| std::fs::write(pkg.join(name), content).expect("site file");
    for (name, content) in [
        (format!("bundle.{BUNDLE}/vireo.wasm"), "identity wasm"),
        (format!("bundle.{BUNDLE}/vireo.wasm.br"), "brotli wasm"),
        (format!("bundle.{BUNDLE}/vireo.wasm.gz"), "gzip wasm"),
        (format!("bundle.{BUNDLE}/vireo.js"), "identity js"),
        (format!("bundle.{BUNDLE}/vireo.js.br"), "brotli js"),
        (format!("bundle.{BUNDLE}/vireo.js.gz"), "gzip js"),
        (format!("bundle.{BUNDLE}/split_dialog.wasm"), "identity chunk"),
        (format!("bundle.{BUNDLE}/split_dialog.wasm.gz"), "gzip chunk"),
        (format!("vireo.{CSS}.css"), "body {}"),
        ("plain.css".to_string(), "p {}"),
    ] {
        write(&name, content);
    }
    std::fs::write(site.join("hash.txt"), format!("bundle: {BUNDLE}\ncss: {CSS}\n")).expect("hash list");
    site
}

async fn get_encoded(app: &crate::support::TestApp, path: &str, accept: Option<&str>) -> Response<Body> {
    let mut request = Request::get(path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT_ENCODING, accept);
    }
    app.send(request.body(Body::empty()).expect("request")).await
}

fn header_of(response: &Response<Body>, name: header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII header").to_string())
}

async fn body_bytes(response: Response<Body>) -> Bytes {
    response.into_body().collect().await.expect("body").to_bytes()
}

fn remove(site: &Path) {
    std::fs::remove_dir_all(site).expect("remove the test site");
}

#[tokio::test]
async fn a_hashed_bundle_is_answered_in_the_encoding_asked_for_and_cached_for_good() {
    let site = hashed_site();
    let mut c = config();
    c.site_root = site.clone();
    let app = app_with(c).await;
    let wasm = format!("/pkg/bundle.{BUNDLE}/vireo.wasm");

    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "brotli wasm"),
        (Some("br;q=1.0, gzip;q=0.8"), Some("br"), "brotli wasm"),
        (Some("gzip"), Some("gzip"), "gzip wasm"),
        (Some("identity"), None, "identity wasm"),
        (None, None, "identity wasm"),
    ] {
        let response = get_encoded(&app, &wasm, accept).await;
        assert_eq!(response.status(), StatusCode::OK, "{accept:?}");
        assert_eq!(
            header_of(&response, header::CONTENT_ENCODING).as_deref(),
            encoding,
            "{accept:?}"
        );
        assert_eq!(
            header_of(&response, header::CONTENT_TYPE).as_deref(),
            Some("application/wasm"),
            "the type is the file's own, whatever the encoding ({accept:?})"
        );
        assert_eq!(header_of(&response, header::CACHE_CONTROL).as_deref(), Some(IMMUTABLE));
        let vary = header_of(&response, header::VARY).unwrap_or_default();
        assert!(vary.to_ascii_lowercase().contains("accept-encoding"), "Vary: {vary}");
        assert_eq!(body_bytes(response).await, body.as_bytes(), "{accept:?}");
    }

    // The JavaScript the same way; anonymous, as the login page loads it.
    let js = get_encoded(&app, &format!("/pkg/bundle.{BUNDLE}/vireo.js"), Some("gzip")).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert_eq!(header_of(&js, header::CONTENT_ENCODING).as_deref(), Some("gzip"));
    assert_eq!(header_of(&js, header::CACHE_CONTROL).as_deref(), Some(IMMUTABLE));
    assert_eq!(body_bytes(js).await, "gzip js".as_bytes());

    // A lazily loaded chunk, fetched by the bundle's loader by its name in the same folder.
    let chunk = get_encoded(
        &app,
        &format!("/pkg/bundle.{BUNDLE}/split_dialog.wasm"),
        Some("br, gzip"),
    )
    .await;
    assert_eq!(chunk.status(), StatusCode::OK);
    assert_eq!(header_of(&chunk, header::CONTENT_ENCODING).as_deref(), Some("gzip"));
    assert_eq!(
        header_of(&chunk, header::CONTENT_TYPE).as_deref(),
        Some("application/wasm")
    );
    assert_eq!(header_of(&chunk, header::CACHE_CONTROL).as_deref(), Some(IMMUTABLE));
    assert_eq!(body_bytes(chunk).await, "gzip chunk".as_bytes());

    // A name without a hash may change under the same URL: revalidated on each use.
    let plain = get_encoded(&app, "/pkg/plain.css", Some("br")).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header_of(&plain, header::CACHE_CONTROL).as_deref(), Some(REVALIDATE));
    assert_eq!(
        header_of(&plain, header::CONTENT_ENCODING),
        None,
        "no .br copy: the file itself"
    );
    remove(&site);
}

#[tokio::test]
async fn the_page_names_the_hashed_bundle_and_stylesheet() {
    let site = hashed_site();
    let mut c = config();
    c.site_root = site.clone();
    let app = app_with(c).await;

    let page = app.get("/login").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(page).await;
    for name in [
        format!("/pkg/bundle.{BUNDLE}/vireo.js"),
        format!("/pkg/bundle.{BUNDLE}/vireo.wasm"),
        format!("/pkg/vireo.{CSS}.css"),
    ] {
        assert!(html.contains(&name), "the page names {name}: {html}");
    }
    assert!(!html.contains("/pkg/vireo.js"), "no unhashed bundle: {html}");
    assert!(!html.contains("/pkg/vireo.css"), "no unhashed stylesheet: {html}");
    // Each file the page names is there to be fetched.
    for name in [
        format!("/pkg/bundle.{BUNDLE}/vireo.js"),
        format!("/pkg/bundle.{BUNDLE}/vireo.wasm"),
        format!("/pkg/vireo.{CSS}.css"),
    ] {
        assert_eq!(app.get(&name).await.status(), StatusCode::OK, "{name}");
    }
    remove(&site);
}
