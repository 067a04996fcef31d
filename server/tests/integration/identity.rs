//! The pentest rows on identity, each through the real router: the login throttle under parallel
//! attempts (row 3), over-long user names (row 4), `next` after login (row 11), sessions and API
//! tokens ending with a password change or disabling, the first-run password kept out of the log
//! (row 14), and `X-Forwarded-For` believed only from trusted proxies.

use crate::support::{app, body_text, config, form_post, fresh_db, TestApp, ADMIN_PASSWORD};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::web::login_throttle::{ADDR_FREE_ATTEMPTS, USER_FREE_ATTEMPTS};

/// A form post as if from `peer` (the real server gets it from the connection).
fn form_post_from(path: &str, body: String, peer: Option<&str>) -> Request<Body> {
    let mut r = form_post(path).body(Body::from(body)).unwrap();
    if let Some(peer) = peer {
        let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
        r.extensions_mut().insert(ConnectInfo(addr));
    }
    r
}

fn login_request(username: &str, password: &str, next: &str, peer: Option<&str>) -> Request<Body> {
    let body = serde_urlencoded::to_string([("username", username), ("password", password), ("next", next)]).unwrap();
    form_post_from("/login", body, peer)
}

fn token_request(username: &str, password: &str, peer: Option<&str>) -> Request<Body> {
    let body = serde_urlencoded::to_string([
        ("grant_type", "password"),
        ("scope", "ovirt-app-api"),
        ("username", username),
        ("password", password),
    ])
    .unwrap();
    form_post_from("/ovirt-engine/sso/oauth/token", body, peer)
}

/// Sends all requests at once (each on its own task, as parallel clients would).
async fn parallel(app: &TestApp, requests: Vec<Request<Body>>) -> Vec<axum::http::Response<Body>> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let router = app.router.clone();
            tokio::spawn(async move { tower::ServiceExt::oneshot(router, r).await.unwrap() })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn event_rows(app: &TestApp) -> Vec<(Option<String>, Option<String>, String)> {
    sqlx::query_as("SELECT username, object_name, message FROM events ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

// --- row 3

/// As in the pentest: many parallel clients guessing one account's password.
const PARALLEL: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_bad_logins_are_refused_without_hashing() {
    let app = app().await;
    let hash = vireo_server::service::passwords::hash_password("bob-password-1").unwrap();
    app.state
        .repo
        .insert_user(
            &vireo_app::authz::Actor::vireo(),
            "bob",
            &hash,
            vireo_app::models::Role::Viewer,
        )
        .await
        .unwrap();
    let before = app.state.throttle.verifications();
    let started = Instant::now();
    let attack = parallel(
        &app,
        (0..PARALLEL)
            .map(|_| login_request("admin", "wrong-password", "/hosts", Some("192.0.2.10")))
            .collect(),
    );
    // Another user logs in while the attack runs.
    let real = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let at = Instant::now();
        let r = app
            .send(login_request("bob", "bob-password-1", "/vms", Some("198.51.100.3")))
            .await;
        (r.status(), at.elapsed())
    };
    let (responses, (real_status, real_took)) = tokio::join!(attack, real);
    assert_eq!(real_status, StatusCode::SEE_OTHER);
    let verified = app.state.throttle.verifications() - before - 1;
    let mut refused = 0;
    let mut invalid = 0;
    for r in responses {
        match r.status() {
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                let retry: u64 = r.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&retry), "Retry-After {retry}");
                let html = body_text(r).await;
                assert!(
                    html.contains(&format!("Too many attempts; try again in {retry} seconds.")),
                    "{html}"
                );
                assert!(
                    html.contains("Username") && html.contains("Log in"),
                    "the form is there to retry"
                );
            }
            StatusCode::SEE_OTHER => {
                invalid += 1;
                assert_eq!(r.headers()[header::LOCATION], "/login?error=invalid&next=/hosts");
            }
            other => panic!("unexpected {other}"),
        }
    }
    eprintln!(
        "{PARALLEL} parallel bad logins: {verified} argon2 verifications, {invalid} invalid, {refused} refused in {:?}; \
         another user's login meanwhile took {real_took:?}",
        started.elapsed()
    );
    assert!(real_took < Duration::from_secs(5), "{real_took:?}");
    assert!(verified <= u64::from(USER_FREE_ATTEMPTS), "{verified} password checks");
    assert_eq!(invalid as u64, verified);
    assert_eq!(refused, PARALLEL - invalid);
    // Refusals are not audited one by one: a flood must not fill the audit log.
    let failures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE action = 'user.login' AND result = 'failure'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(failures as u64, verified, "one event per checked attempt");

    // The right password is refused too while the account is locked, without a check ...
    let r = app
        .send(login_request("admin", ADMIN_PASSWORD, "/hosts", Some("198.51.100.1")))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert_eq!(
        app.state.throttle.verifications() - before,
        verified + 1,
        "bob's and the attack's only"
    );
    // ... and accepted once the lock is over.
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let r = app
        .send(login_request("admin", ADMIN_PASSWORD, "/hosts", Some("198.51.100.1")))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/hosts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sso_endpoint_answers_429_too() {
    let app = app().await;
    let before = app.state.throttle.verifications();
    let responses = parallel(
        &app,
        (0..30)
            .map(|_| token_request("admin@internal", "wrong", Some("192.0.2.11")))
            .collect(),
    )
    .await;
    let mut refused = 0;
    for r in responses {
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
            assert!(r.headers().contains_key(header::RETRY_AFTER));
            let json: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
            assert_eq!(json["error_code"], "access_denied");
            assert!(json["error"]
                .as_str()
                .unwrap()
                .starts_with("Too many attempts; try again in"));
        } else {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
    }
    assert!(app.state.throttle.verifications() - before <= u64::from(USER_FREE_ATTEMPTS));
    assert!(refused >= 30 - USER_FREE_ATTEMPTS as usize);
}

/// Many attackers (an address and a name each, so the throttle admits every one of them): the
/// argon2 checks still run two at a time with a bounded waiting room, the rest is refused as busy,
/// and a real user's login is not starved.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_distributed_attack_cannot_queue_unbounded_password_checks() {
    let app = app().await;
    let before = app.state.throttle.verifications();
    let started = Instant::now();
    let attack = {
        let requests: Vec<_> = (0..200)
            .map(|i| {
                login_request(
                    &format!("user{i}"),
                    "wrong",
                    "/vms",
                    Some(&format!("10.9.{}.{}", i / 250, i % 250)),
                )
            })
            .collect();
        let router = app.router.clone();
        tokio::spawn(async move {
            let tasks: Vec<_> = requests
                .into_iter()
                .map(|r| {
                    let router = router.clone();
                    tokio::spawn(async move { tower::ServiceExt::oneshot(router, r).await.unwrap().status() })
                })
                .collect();
            let mut statuses = Vec::new();
            for t in tasks {
                statuses.push(t.await.unwrap());
            }
            statuses
        })
    };
    // A real login in the middle of it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let login_started = Instant::now();
    let mut real = app
        .send(login_request("admin", ADMIN_PASSWORD, "/vms", Some("198.51.100.2")))
        .await;
    // Busy is an answer the user can act on; a retry after Retry-After gets through.
    let mut tries = 1;
    while real.status() == StatusCode::SERVICE_UNAVAILABLE && tries < 10 {
        assert!(real.headers().contains_key(header::RETRY_AFTER));
        tokio::time::sleep(Duration::from_millis(500)).await;
        real = app
            .send(login_request("admin", ADMIN_PASSWORD, "/vms", Some("198.51.100.2")))
            .await;
        tries += 1;
    }
    let real_took = login_started.elapsed();
    let statuses = attack.await.unwrap();
    let busy = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let verified = app.state.throttle.verifications() - before;
    eprintln!(
        "200 parallel bad logins (200 names, 200 addresses): {verified} argon2 verifications, {busy} refused busy, \
         attack answered in {:?}; a real login took {real_took:?} ({tries} tries)",
        started.elapsed()
    );
    assert_eq!(real.status(), StatusCode::SEE_OTHER);
    assert_eq!(real.headers()[header::LOCATION], "/vms");
    assert!(real_took < Duration::from_secs(10), "{real_took:?}");
    assert!(busy > 0, "the waiting room is bounded");
    assert_eq!(
        verified as usize + busy,
        201,
        "every attempt was either checked or refused as busy"
    );
}

// --- row 4

#[tokio::test]
async fn over_long_user_names_leave_no_trace() {
    let app = app().await;
    let before = app.state.throttle.verifications();
    let huge = "a".repeat(1 << 20);
    for _ in 0..30 {
        // The web guard refuses a body this large before routing (413); either way nothing is kept.
        let r = app.send(login_request(&huge, "x", "/vms", None)).await;
        assert!(
            r.status() == StatusCode::PAYLOAD_TOO_LARGE
                || r.headers()[header::LOCATION]
                    .to_str()
                    .unwrap()
                    .starts_with("/login?error=invalid"),
            "{}",
            r.status()
        );
    }
    // Bodies the guard lets through: larger than a login form (16 KiB) or just under it, both get
    // the "invalid" answer without a lookup, a password check or a throttle entry.
    for len in [100 * 1024, 10 * 1024] {
        let r = app.send(login_request(&"a".repeat(len), "x", "/vms", None)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login?error=invalid"));
    }
    // Just over the limit, in a small body: the same answer, and still no trace of the name.
    let long = "b".repeat(65);
    let r = app.send(login_request(&long, "x", "/vms", Some("192.0.2.20"))).await;
    assert_eq!(r.headers()[header::LOCATION], "/login?error=invalid&next=/vms");
    let r = app.send(token_request(&format!("{long}@internal"), "x", None)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.send(token_request(&huge, "x", None)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    assert_eq!(app.state.throttle.verifications(), before, "no password was checked");
    let keys = app.state.throttle.len_shared().await;
    assert!(keys <= 1, "only the address of the one attempt that had one: {keys}");
    for (username, object_name, message) in event_rows(&app).await {
        for text in [username.unwrap_or_default(), object_name.unwrap_or_default(), message] {
            assert!(text.len() <= 1000, "an event holds {} bytes", text.len());
            assert!(!text.contains("aaaaaaaaaa") && !text.contains("bbbbbbbbbb"), "{text}");
        }
    }
    let total: i64 = sqlx::query_scalar("SELECT coalesce(sum(pg_column_size(e.*)), 0)::bigint FROM events e")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(total < 64 * 1024, "events hold {total} bytes");
}

// --- row 11

#[tokio::test]
async fn next_after_login_stays_on_site_whatever_characters_it_holds() {
    let app = app().await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\x0b",
        "/\\evil.example",
        "//evil.example",
        "/ /evil.example",
        "https://evil.example",
    ] {
        let r = app.send(login_request("admin", ADMIN_PASSWORD, next, None)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()[header::LOCATION], "/", "{next:?}");
        let r = app.send(login_request("admin", "wrong", next, None)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()[header::LOCATION], "/login?error=invalid&next=/", "{next:?}");
        // Failed attempts would lock the account; this test is about `next`.
        app.state.throttle.forget_all_shared().await;
    }
    let r = app
        .send(login_request("admin", ADMIN_PASSWORD, "/hosts?selected=1", None))
        .await;
    assert_eq!(r.headers()[header::LOCATION], "/hosts?selected=1");
}

// --- row 14: the first-run password

#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_generated_first_run_password_is_written_to_a_private_file_not_the_log() {
    use std::os::unix::fs::PermissionsExt;
    let (_name, pool) = fresh_db().await;
    let dir = std::env::temp_dir().join(format!("vireo-first-run-{}", uuid::Uuid::new_v4()));
    let mut cfg = config();
    cfg.admin_password = None;
    cfg.data_dir = dir.clone();
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let (state, _) = vireo_server::assemble(&cfg, pool, Arc::new(SharedLibvirtPool::new()))
        .await
        .unwrap();
    drop(guard);
    let file = dir.join("admin-password");
    let password = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert_eq!(password.len(), 20);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("first run: created user 'admin'"), "{log}");
    assert!(
        log.contains(&file.display().to_string()),
        "the log says where it is: {log}"
    );
    assert!(!log.contains(&password), "the password is not in the log");
    assert!(!log.lines().any(|l| l.contains("WARN") && l.contains("admin")), "{log}");
    // And it is the admin's password.
    let record = state.repo.user_by_name("admin").await.unwrap().unwrap();
    assert!(vireo_server::service::passwords::verify_password(
        &password,
        &record.password_hash
    ));
    let _ = std::fs::remove_dir_all(dir);
}

// --- X-Forwarded-For

async fn failed_login_sources(app: &TestApp) -> Vec<String> {
    event_rows(app)
        .await
        .into_iter()
        .filter_map(|(_, _, m)| m.split(" from ").nth(1).map(|s| s.trim_end_matches('.').to_string()))
        .collect()
}

fn with_forwarded_for(mut r: Request<Body>, xff: &str) -> Request<Body> {
    r.headers_mut().insert("x-forwarded-for", xff.parse().unwrap());
    r
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = app().await;
    let r = with_forwarded_for(login_request("admin", "wrong", "/vms", Some("10.0.0.2")), "6.6.6.6");
    app.send(r).await;
    assert_eq!(failed_login_sources(&app).await, ["10.0.0.2"]);

    // An untrusted client rotating X-Forwarded-For is still one address to the throttle.
    for i in 0..ADDR_FREE_ATTEMPTS {
        let r = with_forwarded_for(
            login_request(&format!("name{i}"), "wrong", "/vms", Some("203.0.113.7")),
            &format!("7.7.7.{i}"),
        );
        assert_eq!(app.send(r).await.status(), StatusCode::SEE_OTHER);
    }
    let r = with_forwarded_for(
        login_request("another", "wrong", "/vms", Some("203.0.113.7")),
        "8.8.8.8",
    );
    assert_eq!(app.send(r).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
    let (_name, pool) = fresh_db().await;
    let mut cfg = config();
    cfg.trusted_proxies = vireo_server::config::TrustedProxies::parse("10.0.0.0/8").unwrap();
    let (state, router) = vireo_server::assemble(&cfg, pool.clone(), Arc::new(SharedLibvirtPool::new()))
        .await
        .unwrap();
    let app = TestApp { state, router, pool };
    let r = with_forwarded_for(
        login_request("admin", "wrong", "/vms", Some("10.0.0.2")),
        "6.6.6.6, 198.51.100.7, 10.1.2.3",
    );
    app.send(r).await;
    // A peer outside the trusted list is still the client, whatever it forwards.
    let r = with_forwarded_for(login_request("admin", "wrong", "/vms", Some("203.0.113.9")), "6.6.6.6");
    app.send(r).await;
    assert_eq!(failed_login_sources(&app).await, ["198.51.100.7", "203.0.113.9"]);
}
