//! The HTTP layer's own defences, applied around the whole router (`routes::build_router`) so that
//! the integration tests exercise exactly what production serves:
//!
//! - `security_headers`: a Content-Security-Policy with a per-response nonce for Leptos's inline
//!   hydration scripts, and the other browser hardening headers;
//! - `refuse_cross_site`: state-changing requests from another site are refused before any handler
//!   (the session cookie is SameSite=Strict already; this also covers same-site attackers, browsers
//!   without SameSite, and login CSRF, which no cookie protects);
//! - `limit_body`: form and server-function bodies are bounded and read within a deadline, and too
//!   large a body is a 413, not a 500 from deep inside a handler;
//! - `panic_response`: the catch-panic layer's answer, a last line of defence.

use crate::config::HttpLimits;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use http_body_util::BodyExt;
use std::any::Any;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use vireo_app::error::AppError;

/// Wraps the application in the defences; `routes::build_router` applies it to the whole app, and
/// tests can wrap a router of their own (a handler that panics, say) in exactly the same stack.
/// Outermost last: tracing sees every answer; the security headers go on every response, a 500 from
/// a panic included; a cross-site write is refused before its body is read.
pub fn protect<S>(app: S, limits: &HttpLimits) -> Router
where
    S: tower::Service<Request, Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    Router::new()
        .fallback_service(app)
        .layer(axum::middleware::from_fn_with_state(limits.clone(), limit_body))
        .layer(axum::middleware::from_fn(refuse_long_uri))
        .layer(axum::middleware::from_fn(refuse_cross_site))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(TraceLayer::new_for_http())
}

/// The session cookie's name (set in `routes.rs`).
pub const SESSION_COOKIE: &str = "vireo_session";

/// A JSON `AppError` answer, as server functions give them.
pub fn app_error_response(status: StatusCode, error: &AppError) -> Response {
    let body = serde_json::to_string(error).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Server functions (and the live stream) answer with a JSON `AppError` the client decodes; pages
/// and form posts with a short text.
fn refuse(path: &str, status: StatusCode, error: AppError, text: &'static str) -> Response {
    if path.starts_with("/api/") {
        app_error_response(status, &error)
    } else {
        (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// Request line

/// The longest path and query Vireo reads. Every legitimate one is far shorter (a grid search is at
/// most 1,000 characters, three times that encoded); a longer one would only be copied into every
/// link of a server-rendered page.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// 414 for a path and query over [`MAX_URI_BYTES`], before any handler reads it.
pub async fn refuse_long_uri(request: Request, next: Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if length > MAX_URI_BYTES {
        let path = request.uri().path().to_string();
        return refuse(
            &path,
            StatusCode::URI_TOO_LONG,
            AppError::validation("request", format!("The address is longer than {MAX_URI_BYTES} bytes.")),
            "The address is too long.",
        );
    }
    next.run(request).await
}

// ---------------------------------------------------------------------------------------------
// Security headers

/// The nonce of this response's Content-Security-Policy, put into the request's extensions for the
/// Leptos renderer (`provide_csp_nonce`).
#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

/// 128 bits from the OS random source, URL-safe base64 (the form Leptos itself uses).
fn new_nonce() -> Arc<str> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes).into()
}

/// The policy for every response. Leptos's hydration emits inline `<script>`s (the loader and the
/// resolved resources), which carry the nonce; the bundle itself is a same-origin module that
/// compiles WebAssembly (`'wasm-unsafe-eval'`). The app has no inline styles, so `style-src` is
/// `'self'` only.
///
/// The consoles need no loosening: `public/console.js` and the vendored xterm.js and noVNC are
/// same-origin scripts (`'self'`); xterm's default DOM renderer would inject `<style>` elements,
/// so the page uses its canvas renderer, which injects none (only CSSOM `element.style`, which CSP
/// does not govern); noVNC draws on a canvas. `connect-src 'self'` admits WebSockets to this
/// same host and port (CSP3: `'self'` covers `ws:`/`wss:` of the page's own origin), and nothing
/// else: the console WebSockets cannot be pointed elsewhere. `end2end/tests/consoles.hydrated.spec.ts`
/// checks that no directive is violated by either console, and that a foreign WebSocket is refused.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the security headers to every response (errors and static files included).
pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = new_nonce();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Called in the Leptos context of every render: makes Leptos put the header's nonce on its inline
/// scripts (it would otherwise make up one of its own that the header does not know).
pub fn provide_csp_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-site writes

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim_start().split('=').next() == Some(SESSION_COOKIE))
}

/// `host[:port]`, lower-cased, with the scheme's default port made explicit, so `example:443` and
/// `https://example` compare equal. `None` for anything that is not a plain authority.
fn normalised_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let parsed: http::uri::Authority = authority.parse().ok()?;
    if parsed.as_str().contains('@') {
        return None;
    }
    Some((
        parsed.host().to_ascii_lowercase(),
        parsed.port_u16().unwrap_or(default_port),
    ))
}

/// Whether `origin` (`scheme://host[:port]`) is this site, the one the browser asked for in `Host`.
/// Both schemes count: behind a TLS-terminating proxy the server sees plain HTTP.
pub fn origin_is_host(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    match (
        normalised_authority(authority, default_port),
        normalised_authority(host, default_port),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Why a request is a cross-site write to refuse, or `None` to let it through.
pub fn cross_site_write(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    uri_host: Option<&str>,
) -> Option<&'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    // REST clients authenticate each call with a bearer token, which a browser never attaches to a
    // cross-site request (setting Authorization needs a CORS preflight Vireo does not answer).
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("bearer ")));
    if path.starts_with("/ovirt-engine/") && bearer {
        return None;
    }
    // Only requests that act as a logged-in user are at stake, plus the login form itself: a
    // cross-site login would sign the victim into the attacker's account.
    if !(has_session_cookie(headers) || path == "/login") {
        return None;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).or(uri_host);
    let origin_matches = headers.get(header::ORIGIN).map(|origin| {
        // `Origin: null` (sandboxed frames, some redirects) and unreadable values never match.
        match (origin.to_str().ok(), host) {
            (Some(origin), Some(host)) => origin_is_host(origin, host),
            _ => false,
        }
    });
    if origin_matches == Some(false) {
        return Some("Origin is another site");
    }
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    match fetch_site.as_deref() {
        Some("cross-site") => Some("Sec-Fetch-Site: cross-site"),
        // Same site but another origin (a sibling subdomain), unless the Origin shows it is this one.
        Some("same-site") if origin_matches != Some(true) => Some("Sec-Fetch-Site: same-site"),
        // Neither header (curl, old clients): the SameSite=Strict cookie is the protection.
        _ => None,
    }
}

/// Refuses cross-site writes with 403 before any handler runs.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let uri_host = request.uri().authority().map(|a| a.as_str());
    if let Some(reason) = cross_site_write(request.method(), path, request.headers(), uri_host) {
        tracing::warn!(
            method = %request.method(),
            path,
            origin = ?request.headers().get(header::ORIGIN),
            reason,
            "cross-site request refused"
        );
        return refuse(
            path,
            StatusCode::FORBIDDEN,
            AppError::Forbidden,
            "Cross-site request refused.",
        );
    }
    next.run(request).await
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// Reads form and server-function bodies completely (bounded in size and time) before the handler
/// sees them. The oVirt REST API reads its own bodies (1 MiB, answering with an XML `<fault>`), and
/// the image upload streams its own (bounded by its Content-Length, with an idle timeout).
pub async fn limit_body(State(limits): State<HttpLimits>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    // Image uploads stream through to libvirt, bounded by their Content-Length
    // (`disk_upload.rs`); collecting them here would hold gigabytes in memory.
    let upload = request.method() == Method::PUT && path == crate::web::disk_upload::UPLOAD_PATH;
    if path.starts_with("/ovirt-engine/") || upload {
        return next.run(request).await;
    }
    let too_large = || {
        refuse(
            &path,
            StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Transport {
                message: format!("The request body is larger than {} KiB.", limits.max_body / 1024),
            },
            "Request body too large.",
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    if axum::body::HttpBody::size_hint(&body).exact() == Some(0) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let read = tokio::time::timeout(
        limits.body_read_timeout,
        http_body_util::Limited::new(body, limits.max_body).collect(),
    )
    .await;
    match read {
        Ok(Ok(collected)) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => too_large(),
        Ok(Err(_)) => refuse(
            &path,
            StatusCode::BAD_REQUEST,
            AppError::Transport {
                message: "The request body could not be read.".into(),
            },
            "The request body could not be read.",
        ),
        Err(_) => refuse(
            &path,
            StatusCode::REQUEST_TIMEOUT,
            AppError::Transport {
                message: "The request body did not arrive in time.".into(),
            },
            "The request body did not arrive in time.",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Panics

/// What the catch-panic layer answers: a 500 with the `AppError::Internal` body (the client shows
/// its usual "something went wrong"), the panic's message in the log, never in the response.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    app_error_response(StatusCode::INTERNAL_SERVER_ERROR, &AppError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn origins_match_the_host_with_default_ports_and_case_ignored() {
        assert!(origin_is_host("http://vireo.example:3000", "vireo.example:3000"));
        assert!(origin_is_host("https://Vireo.Example", "vireo.example"));
        assert!(origin_is_host("https://vireo.example", "vireo.example:443"));
        assert!(origin_is_host("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(origin_is_host("http://[::1]:3000", "[::1]:3000"));
        assert!(!origin_is_host("http://evil.example", "vireo.example"));
        assert!(!origin_is_host("http://vireo.example:3001", "vireo.example:3000"));
        assert!(!origin_is_host("http://vireo.example.evil.example", "vireo.example"));
        assert!(!origin_is_host("null", "vireo.example"));
        assert!(!origin_is_host("ftp://vireo.example", "vireo.example"));
        assert!(!origin_is_host("http://user@vireo.example", "vireo.example"));
        assert!(!origin_is_host("http://vireo.example/path", "vireo.example"));
    }

    #[test]
    fn writes_with_the_session_cookie_from_elsewhere_are_refused() {
        let post = Method::POST;
        let cookie = ("cookie", "theme=dark; vireo_session=abc");
        let host = ("host", "vireo.example:3000");
        let refused =
            |pairs: &[(&str, &str)], path: &str| cross_site_write(&post, path, &headers(pairs), None).is_some();

        assert!(refused(
            &[cookie, host, ("origin", "http://evil.example")],
            "/api/save_cluster"
        ));
        assert!(refused(&[cookie, host, ("origin", "null")], "/dialog/save"));
        assert!(refused(&[cookie, host, ("sec-fetch-site", "cross-site")], "/vms/bulk"));
        assert!(refused(
            &[
                cookie,
                host,
                ("sec-fetch-site", "same-site"),
                ("origin", "http://other.vireo.example:3000")
            ],
            "/vms/bulk"
        ));
        assert!(refused(&[cookie, host, ("sec-fetch-site", "same-site")], "/vms/bulk"));
        // The login form is checked without a cookie (login CSRF).
        assert!(refused(&[host, ("origin", "http://evil.example")], "/login"));
        // An Origin but no Host to compare with cannot be shown to be this site.
        assert!(refused(&[cookie, ("origin", "http://vireo.example:3000")], "/logout"));

        assert!(!refused(
            &[
                cookie,
                host,
                ("origin", "http://vireo.example:3000"),
                ("sec-fetch-site", "same-origin")
            ],
            "/api/save_cluster"
        ));
        assert!(
            !refused(&[cookie, host], "/api/save_cluster"),
            "curl sends neither header"
        );
        assert!(
            !refused(&[host, ("origin", "http://evil.example")], "/api/save_cluster"),
            "no cookie"
        );
        assert!(!refused(
            &[
                cookie,
                host,
                ("origin", "http://evil.example"),
                ("authorization", "Bearer t0k3n")
            ],
            "/ovirt-engine/api/vms"
        ));
        assert!(
            refused(
                &[
                    cookie,
                    host,
                    ("origin", "http://evil.example"),
                    ("authorization", "Bearer t0k3n")
                ],
                "/api/save_cluster"
            ),
            "bearer tokens exempt only the REST API"
        );
        for safe in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(cross_site_write(
                &safe,
                "/vms",
                &headers(&[cookie, host, ("origin", "http://evil.example")]),
                None
            )
            .is_none());
        }
        assert!(!refused(
            &[
                ("cookie", "vireo_session_old=1"),
                host,
                ("origin", "http://evil.example")
            ],
            "/x"
        ));
    }

    #[test]
    fn the_policy_names_the_nonce_and_nothing_inline_without_it() {
        let csp = content_security_policy("abc123");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc123'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_ne!(new_nonce(), new_nonce());
        assert_eq!(new_nonce().len(), 22);
    }

    #[tokio::test]
    async fn a_panic_becomes_an_internal_app_error() {
        for payload in [
            Box::new("boom") as Box<dyn Any + Send>,
            Box::new(String::from("boom")),
            Box::new(42u8),
        ] {
            let response = panic_response(payload);
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let error: AppError = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(error, AppError::Internal);
            assert!(!String::from_utf8_lossy(&bytes).contains("boom"));
        }
    }
}
