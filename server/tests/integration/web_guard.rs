//! The HTTP layer under abuse, through the real router (and, for connection limits, the real accept
//! loop on a TCP port): cross-site writes refused with nothing written, security headers and the
//! CSP nonce on Leptos's inline scripts, bounded bodies answered with 413, live streams capped per
//! session, panics answered with a typed 500, half-sent connections closed, the connection cap,
//! the client address reaching handlers, and a shutdown that ends despite open streams.

use crate::support::{
    app, app_error, body_text, config, event_messages, form_post, fresh_db, login_form, TestApp, ADMIN_PASSWORD,
};
use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vireo_app::error::AppError;
use vireo_server::config::HttpLimits;
use vireo_server::hypervisor::SharedLibvirtPool;

const HOST: &str = "vireo.test:3000";
const SITE: &str = "http://vireo.test:3000";

async fn cluster_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM clusters")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A form post to this site's `HOST`, in the session of `cookie` if any, with `extra` headers (the
/// origin headers the guard judges).
fn site_post(path: &str, cookie: Option<&str>, extra: &[(&str, &str)], body: impl Into<Body>) -> Request<Body> {
    let mut builder = form_post(path).header(header::HOST, HOST);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    for (k, v) in extra {
        builder = builder.header(*k, *v);
    }
    builder.body(body.into()).unwrap()
}

fn save_cluster(cookie: &str, name: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let body = format!("name={name}&compat_version=4.8&cpu_arch=x86_64");
    site_post("/api/save_cluster", Some(cookie), extra, body)
}

#[tokio::test]
async fn cross_site_writes_are_refused_before_any_handler_and_write_nothing() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let before = cluster_count(&app).await;

    // The reported attack: a form on another site posting with the victim's cookie.
    for extra in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![
            ("origin", "http://admin.vireo.test:3000"),
            ("sec-fetch-site", "same-site"),
        ],
    ] {
        let r = app.send(save_cluster(&cookie, "evil", &extra)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{extra:?}");
        assert_eq!(app_error(r).await, AppError::Forbidden);
    }
    // The no-JavaScript forms: a short text instead of JSON.
    for path in ["/dialog/save", "/dialog/apply-fix", "/vms/bulk", "/logout"] {
        let evil = [("origin", "https://evil.example")];
        let body = "kind=vm&name=evil&action=remove&ids=x";
        let r = app.send(site_post(path, Some(&cookie), &evil, body)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(body_text(r).await.contains("Cross-site request refused"), "{path}");
    }
    assert_eq!(cluster_count(&app).await, before, "nothing was written");
    // The session survived the refused logout.
    let r = app.get_as(&cookie, "/api/whoami").await;
    assert_eq!(r.status(), StatusCode::OK);

    // The same request from this site, and from a client that sends neither header, goes through.
    let r = app
        .send(save_cluster(
            &cookie,
            "same-origin",
            &[("origin", SITE), ("sec-fetch-site", "same-origin")],
        ))
        .await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let r = app.send(save_cluster(&cookie, "curl", &[])).await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    assert_eq!(cluster_count(&app).await, before + 2);
}

#[tokio::test]
async fn a_cross_site_login_is_refused_and_opens_no_session() {
    let app = app().await;
    let events_before = event_messages(&app.pool).await.len();
    let login = login_form("admin", ADMIN_PASSWORD, "%2Fvms");
    let r = app
        .send(site_post(
            "/login",
            None,
            &[("origin", "http://evil.example")],
            login.clone(),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get(header::SET_COOKIE).is_none(), "no session cookie");
    assert_eq!(
        event_messages(&app.pool).await.len(),
        events_before,
        "the credentials were never checked"
    );

    // From the login page itself it works.
    let same_site = [("origin", SITE), ("sec-fetch-site", "same-origin")];
    let r = app.send(site_post("/login", None, &same_site, login)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/vms");
    assert!(r.headers().get(header::SET_COOKIE).is_some());
}

#[tokio::test]
async fn bearer_token_rest_calls_are_exempt() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let token = app.admin_token().await;
    let before = cluster_count(&app).await;
    // Even with a stray session cookie and a foreign Origin (a script on another page using the
    // API with its own token): the token, not the cookie, authenticates.
    let r = app
        .send(
            Request::post("/ovirt-engine/api/clusters")
                .header(header::HOST, HOST)
                .header(header::COOKIE, &cookie)
                .header(header::ORIGIN, "http://tools.example")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/xml")
                .body(Body::from("<cluster><name>rest</name></cluster>"))
                .unwrap(),
        )
        .await;
    let status = r.status();
    assert_eq!(status, StatusCode::CREATED, "{}", body_text(r).await);
    assert_eq!(cluster_count(&app).await, before + 1);

    // The SDK's doubled slashes are collapsed by the router itself (it used to be main's job, so
    // tests never saw it).
    let r = app
        .send(
            Request::get("/ovirt-engine/api//clusters/")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body_text(r).await.contains("<name>rest</name>"));
}

/// The nonce in the `Content-Security-Policy` header of this response.
fn csp_nonce(response: &Response<Body>) -> String {
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
    csp[start..].split('\'').next().unwrap().to_string()
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_inline_scripts_the_nonce() {
    let app = app().await;
    let r = app.get("/login").await;
    assert_eq!(r.status(), StatusCode::OK);
    let headers = r.headers().clone();
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    for directive in [
        "script-src 'self' 'wasm-unsafe-eval' 'nonce-",
        "style-src 'self';",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");

    let nonce = csp_nonce(&r);
    let html = body_text(r).await;
    // Leptos's hydration loader (and, on pages with resources, the resolved data) is inline: every
    // inline script must carry the header's nonce or the browser would not run it.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "the page hydrates with an inline script");
    for script in &scripts {
        let tag = script.split('>').next().unwrap();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "<script{tag}> lacks the nonce {nonce}"
        );
    }
    assert!(
        !html.contains(" style=\""),
        "inline styles would need style-src 'unsafe-inline'"
    );

    // A page with resources (SsrMode::Async: the resolved data are inline scripts too).
    let cookie = app.admin_cookie().await;
    let r = app.get_as(&cookie, "/clusters").await;
    assert_eq!(r.status(), StatusCode::OK);
    let nonce_2 = csp_nonce(&r);
    assert_ne!(nonce, nonce_2, "a fresh nonce per response");
    let html = body_text(r).await;
    for script in html.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap();
        assert!(tag.contains(&format!("nonce=\"{nonce_2}\"")), "<script{tag}>");
    }
    assert!(!html.contains(" style=\""));

    // Errors and other answers carry them too.
    for (path, status) in [("/api/whoami", StatusCode::UNAUTHORIZED), ("/healthz", StatusCode::OK)] {
        let r = app.get(path).await;
        assert_eq!(r.status(), status, "{path}");
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY), "{path}");
        assert_eq!(r.headers()[header::X_FRAME_OPTIONS], "DENY", "{path}");
    }
}

#[tokio::test]
async fn oversized_bodies_get_413_and_write_nothing() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let before = cluster_count(&app).await;
    let limit = HttpLimits::default().max_body;

    // The report: a server function with more than 2 MB answered 500.
    let big = format!(
        "name=big&compat_version=4.8&cpu_arch=x86_64&description={}",
        "x".repeat(3 << 20)
    );
    let r = app.post_form_as(&cookie, "/api/save_cluster", big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(matches!(app_error(r).await, AppError::Transport { .. }));

    // Just over the limit, sent without a Content-Length (chunked): counted while read.
    let chunks: Vec<Result<String, std::io::Error>> = (0..=limit / 1024)
        .map(|_| Ok(format!("&pad={}", "y".repeat(1019))))
        .collect();
    let chunked = Body::from_stream(futures_util::stream::iter(chunks));
    let r = app.post_form_as(&cookie, "/api/save_cluster", chunked).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(matches!(app_error(r).await, AppError::Transport { .. }));

    // The forms: plain text.
    let over = format!("name=big&pad={}", "z".repeat(limit));
    for path in ["/login", "/dialog/save", "/dialog/apply-fix", "/vms/bulk"] {
        let r = app.post_form_as(&cookie, path, over.clone()).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    assert_eq!(cluster_count(&app).await, before, "nothing was written");

    // A large but legitimate body still goes through (a bulk form answered with its redirect).
    let under = format!("action=run&pad={}", "z".repeat(limit - 1024));
    let r = app.post_form_as(&cookie, "/vms/bulk", under).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The REST API keeps its own 1 MiB bound and XML fault (its bodies are larger than forms').
    let r = app
        .send(
            Request::post("/ovirt-engine/api/clusters")
                .header(header::AUTHORIZATION, "Bearer not-checked-before-the-body")
                .header(header::CONTENT_TYPE, "application/xml")
                .body(Body::from(format!(
                    "<cluster><name>{}</name></cluster>",
                    "n".repeat(600 * 1024)
                )))
                .unwrap(),
        )
        .await;
    assert_ne!(
        r.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "600 KiB is within the API's bound"
    );
}

#[tokio::test]
async fn live_streams_are_capped_per_session() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let limits = HttpLimits::default();
    let open = |cookie: String| {
        let app = &app;
        async move { app.get_as(&cookie, "/api/stream").await }
    };
    // Each response held here is an open stream.
    let mut streams = Vec::new();
    for _ in 0..limits.streams_per_session {
        let r = open(cookie.clone()).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
        streams.push(r);
    }
    let r = open(cookie.clone()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(app_error(r).await, AppError::Busy { .. }));

    // Another session is not affected.
    let other = app.admin_cookie().await;
    let r = open(other).await;
    assert_eq!(r.status(), StatusCode::OK);

    // Closing a stream (the tab went away) frees its place.
    streams.pop();
    let r = open(cookie.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_with_an_internal_app_error() {
    // No production route panics on purpose; a router of the test's own wrapped in the very stack
    // `build_router` uses shows the layer is in it and answers the way clients expect.
    let panics = Router::new().route(
        "/api/boom",
        get(|| async {
            let names: Vec<String> = Vec::new();
            // An index out of bounds, the kind of bug the layer is there for.
            names[usize::from(names.is_empty())].clone()
        }),
    );
    let guarded = vireo_server::web::guard::protect(panics, &HttpLimits::default());
    let r = tower::ServiceExt::oneshot(guarded, Request::get("/api/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(app_error(r).await, AppError::Internal);
}

// ---------------------------------------------------------------------------------------------
// The accept loop, on a real port.

struct Served {
    addr: std::net::SocketAddr,
    pool: sqlx::PgPool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(limits: HttpLimits) -> Served {
    let (_name, pool) = fresh_db().await;
    let mut config = config();
    config.limits = limits.clone();
    let (_state, router) = vireo_server::assemble(&config, pool.clone(), Arc::new(SharedLibvirtPool::new()))
        .await
        .expect("assemble Vireo");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        vireo_server::web::http_server::serve(listener, router, &limits, async {
            let _ = stopped.await;
        })
        .await
    });
    Served {
        addr,
        pool,
        stop: Some(stop),
        task,
    }
}

/// One complete request on its own connection; the whole answer as text.
async fn request(addr: std::net::SocketAddr, head: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!(
                "{head}\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    answer
}

/// Waits until the server closes `stream` (EOF or reset); how long that took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            // hyper may answer 408 before closing; keep reading to the end.
            Ok(Ok(_)) => continue,
        }
    }
}

fn short_limits() -> HttpLimits {
    HttpLimits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 64,
        shutdown_grace: Duration::from_secs(1),
        ..HttpLimits::default()
    }
}

#[tokio::test]
async fn half_sent_requests_are_closed_after_the_header_timeout_while_others_are_served() {
    let served = serve(short_limits()).await;
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(served.addr).await.unwrap();
        s.write_all(b"GET /healthz HT").await.unwrap();
        stalled.push(s);
    }
    // A well-behaved client meanwhile is answered at once.
    let answer = request(served.addr, "GET /healthz HTTP/1.1", "").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("content-security-policy:"),
        "the real server runs the same layers"
    );

    for (i, s) in stalled.iter_mut().enumerate() {
        let took = closed_within(s, Duration::from_secs(8))
            .await
            .unwrap_or_else(|| panic!("connection {i} still open"));
        assert!(took < Duration::from_secs(8), "{i}: {took:?}");
    }
    // An idle keep-alive connection is closed by the same deadline.
    let mut idle = TcpStream::connect(served.addr).await.unwrap();
    idle.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", served.addr).as_bytes())
        .await
        .unwrap();
    let took = closed_within(&mut idle, Duration::from_secs(8)).await;
    assert!(took.is_some_and(|t| t >= Duration::from_millis(900)), "{took:?}");
    // And the server still serves.
    let answer = request(served.addr, "GET /healthz HTTP/1.1", "").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(served.stop);
    served.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn past_the_connection_cap_new_connections_wait_instead_of_failing() {
    let served = serve(HttpLimits {
        max_connections: 4,
        ..short_limits()
    })
    .await;
    let started = Instant::now();
    let mut holders = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(served.addr).await.unwrap();
        s.write_all(b"GET /").await.unwrap();
        holders.push(s);
    }
    // Give the accept loop time to take all four.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The fifth connects (the kernel's backlog holds it) but is not served while the four hold
    // every place ...
    let mut fifth = TcpStream::connect(served.addr).await.unwrap();
    fifth
        .write_all(
            format!(
                "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                served.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    let early = tokio::time::timeout(Duration::from_millis(500), fifth.read_to_string(&mut answer)).await;
    assert!(early.is_err(), "served past the cap: {answer}");
    // ... and is served once the stalled ones have timed out.
    tokio::time::timeout(Duration::from_secs(10), fifth.read_to_string(&mut answer))
        .await
        .expect("served after the stalled connections were closed")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    drop(served.stop);
    served.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn handlers_see_the_client_address_and_shutdown_ends_despite_open_streams() {
    let mut served = serve(short_limits()).await;
    // The login throttle and audit log key on the client's address (ConnectInfo).
    let answer = request(
        served.addr,
        "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
        "username=admin&password=wrong-password&next=%2Fvms",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    let events = event_messages(&served.pool).await;
    assert!(
        events
            .iter()
            .any(|(_, _, m)| m.contains("Failed login for 'admin' from 127.0.0.1")),
        "{events:?}"
    );

    // Log in and hold a live-update stream open: it never ends on its own.
    let answer = request(
        served.addr,
        "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
        &format!("username=admin&password={ADMIN_PASSWORD}&next=%2Fvms"),
    )
    .await;
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let mut stream = TcpStream::connect(served.addr).await.unwrap();
    stream
        .write_all(
            format!(
                "GET /api/stream HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\r\n",
                served.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));
    // The header deadline applies to request heads only: an open stream outlives it.
    assert!(
        closed_within(&mut stream, Duration::from_millis(2500)).await.is_none(),
        "the stream was cut by the header timeout"
    );

    let started = Instant::now();
    let _ = served.stop.take().map(|s| s.send(()));
    tokio::time::timeout(Duration::from_secs(5), &mut served.task)
        .await
        .expect("serve returns within the grace")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(
        closed_within(&mut stream, Duration::from_secs(2)).await.is_some(),
        "the stream was closed"
    );
    assert!(TcpStream::connect(served.addr).await.is_err(), "no longer listening");
}

#[tokio::test]
async fn over_long_addresses_get_414_before_any_handler() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    let long = "x".repeat(vireo_server::web::guard::MAX_URI_BYTES);
    for (path, json) in [
        (format!("/vms?dialog=new&q={long}"), false),
        (format!("/api/vm_grid?query[search]={long}"), true),
    ] {
        let r = app.get_as(&cookie, &path).await;
        assert_eq!(r.status(), StatusCode::URI_TOO_LONG, "{}", &path[..20]);
        let body = body_text(r).await;
        assert_eq!(body.contains("\"Validation\""), json, "{body}");
    }
    // A long but legitimate search still renders.
    let search = "name:".to_string() + &"a".repeat(900);
    let r = app.get_as(&cookie, format!("/vms?q={search}")).await;
    assert_ne!(r.status(), StatusCode::URI_TOO_LONG);
}
