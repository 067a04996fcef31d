//! Logging in and out, and the gate in front of every page and server function.
//!
//! Login and logout are plain form posts (they work with JavaScript off). Sessions live in
//! PostgreSQL (tower-sessions); the cookie is HttpOnly and SameSite=Strict. Failed logins are slowed
//! down per user name and per client address, and the answer never says which half was wrong.

use crate::repository::NewEvent;
use crate::state::AppState;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tower_sessions::Session;
use uuid::Uuid;
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

const SESSION_USER_KEY: &str = "user_id";

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A password for the first-run admin when none is configured: 20 characters from an alphabet
/// without look-alikes, from the OS random source.
pub fn random_password() -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let b = (OsRng.next_u32() & 0xff) as usize;
        // Rejection sampling keeps the characters uniform.
        if b < ALPHABET.len() * (256 / ALPHABET.len()) {
            out.push(ALPHABET[b % ALPHABET.len()] as char);
        }
    }
    out
}

/// Slows down repeated failures: after `FREE_ATTEMPTS` failures for the same user name or client
/// address, every further attempt waits 1 s, 2 s, 4 s ... up to `MAX_DELAY` before it is answered.
/// Entries are forgotten `FORGET_AFTER` after their last failure, and on success.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

const FREE_ATTEMPTS: u32 = 3;
const MAX_DELAY: Duration = Duration::from_secs(16);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

impl LoginThrottle {
    fn keys(username: &str, client: Option<&str>) -> Vec<String> {
        let mut keys = vec![format!("user:{}", username.to_lowercase())];
        if let Some(c) = client {
            keys.push(format!("addr:{c}"));
        }
        keys
    }

    pub fn delay(&self, username: &str, client: Option<&str>, now: Instant) -> Duration {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
        let worst = Self::keys(username, client)
            .iter()
            .filter_map(|k| map.get(k).map(|(n, _)| *n))
            .max()
            .unwrap_or(0);
        if worst < FREE_ATTEMPTS {
            Duration::ZERO
        } else {
            let exp = (worst - FREE_ATTEMPTS).min(10);
            Duration::from_secs(1u64 << exp).min(MAX_DELAY)
        }
    }

    pub fn failed(&self, username: &str, client: Option<&str>, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(username, client) {
            let entry = map.entry(key).or_insert((0, now));
            entry.0 = entry.0.saturating_add(1);
            entry.1 = now;
        }
    }

    pub fn succeeded(&self, username: &str, client: Option<&str>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(username, client) {
            map.remove(&key);
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only same-site paths: never `//evil.example` or `https://...`.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.starts_with("/login") {
        next
    } else {
        "/vms"
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a login attempt came from, for the throttle and the audit log.
pub fn client_address(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Checks a user name and password for the login page and the API's SSO endpoint alike: throttled
/// after repeated failures, constant-time whether or not the user exists, every attempt audited
/// (`via` names the entry point). `Err` only when the database is unreachable.
pub async fn check_credentials(
    state: &AppState,
    username: &str,
    password: String,
    client: Option<&str>,
    via: &str,
) -> Result<Option<CurrentUser>, AppError> {
    let delay = state.throttle.delay(username, client, Instant::now());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let record = state.repo.user_by_name(username).await?;
    // Verify against a fixed hash when the user does not exist, so timing does not tell.
    let hash = record
        .as_ref()
        .map(|r| r.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
        && record.is_some();
    let user = record.as_ref().and_then(|r| r.to_current()).filter(|_| ok);
    let from = client.map(|c| format!(" from {c}")).unwrap_or_default();
    match &user {
        None => {
            state.throttle.failed(username, client, Instant::now());
            state
                .repo
                .record_event(NewEvent {
                    user: None,
                    username: Some(username),
                    severity: "warning",
                    action: "user.login",
                    object_kind: "user",
                    object_id: None,
                    object_name: Some(username),
                    success: false,
                    message: format!("Failed login for '{username}'{from}{via}."),
                })
                .await;
        }
        Some(user) => {
            state.throttle.succeeded(username, client);
            state
                .repo
                .record_event(NewEvent {
                    user: Some(user),
                    username: None,
                    severity: "info",
                    action: "user.login",
                    object_kind: "user",
                    object_id: Some(user.id),
                    object_name: Some(&user.username),
                    success: true,
                    message: format!("{} logged in{via}.", user.username),
                })
                .await;
        }
    }
    Ok(user)
}

pub async fn login(State(state): State<AppState>, session: Session, request: Request) -> Response {
    let client = client_address(&request);
    let Form(form) = match Form::<LoginForm>::from_request(request, &state).await {
        Ok(f) => f,
        Err(_) => return Redirect::to("/login?error=invalid").into_response(),
    };
    let username = form.username.trim().to_string();
    let user = match check_credentials(&state, &username, form.password, client.as_deref(), "").await {
        Ok(u) => u,
        Err(_) => return Redirect::to("/login?error=unavailable").into_response(),
    };
    let Some(user) = user else {
        let next = safe_next(&form.next);
        return Redirect::to(&format!("/login?error=invalid&next={}", encode(next))).into_response();
    };
    // A new session id at login defeats session fixation.
    if session.cycle_id().await.is_err() || session.insert(SESSION_USER_KEY, user.id).await.is_err() {
        return Redirect::to("/login?error=unavailable").into_response();
    }
    Redirect::to(safe_next(&form.next)).into_response()
}

pub async fn logout(State(state): State<AppState>, session: Session) -> Response {
    if let Some(user) = session_user(&state, &session).await {
        state
            .repo
            .record_event(NewEvent {
                user: Some(&user),
                username: None,
                severity: "info",
                action: "user.logout",
                object_kind: "user",
                object_id: Some(user.id),
                object_name: Some(&user.username),
                success: true,
                message: format!("{} logged out.", user.username),
            })
            .await;
    }
    let _ = session.flush().await;
    Redirect::to("/login?logged_out=1").into_response()
}

/// tower-sessions extends an `OnInactivity` expiry only when the session is written, so activity
/// is recorded at most every `TOUCH_EVERY` seconds: the session then ends 8 hours after the last
/// request (give or take that interval) without a write on every request.
const SESSION_SEEN_KEY: &str = "seen";
const TOUCH_EVERY: i64 = 300;

async fn session_user(state: &AppState, session: &Session) -> Option<CurrentUser> {
    session_lookup(state, session).await.ok().flatten()
}

/// The session's user: `Ok(None)` when there is none (no or unknown session, user removed or
/// disabled), `Err` when the session store or the database could not answer. The two must not be
/// confused: treating "could not look" as "nobody" sent every logged-in user to the login page
/// whenever the database restarted.
async fn session_lookup(state: &AppState, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let id: Option<Uuid> = session.get(SESSION_USER_KEY).await.map_err(|e| {
        tracing::warn!(error = %e, "the session store is unavailable");
        AppError::Unavailable
    })?;
    let Some(id) = id else { return Ok(None) };
    let Some(user) = state.repo.user_by_id(id).await?.and_then(|u| u.to_current()) else {
        return Ok(None);
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let seen: i64 = session.get(SESSION_SEEN_KEY).await.ok().flatten().unwrap_or(0);
    if now - seen >= TOUCH_EVERY {
        // A failed write only shortens the session; the request itself is fine.
        let _ = session.insert(SESSION_SEEN_KEY, now).await;
    }
    Ok(Some(user))
}

/// The answer when the session's user could not be looked up: 503 while the database is away (any
/// other failure keeps its own status), and the session is left alone — not flushed, no new
/// cookie — so the user is still logged in when the database is back. A JSON `AppError` for
/// server functions; a small page that reloads by itself otherwise.
fn lookup_failed(path: &str, error: AppError) -> Response {
    if error != AppError::Unavailable {
        tracing::error!(error = %error, "looking up the session's user failed");
    }
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let retry = [(header::RETRY_AFTER, "5")];
    if path.starts_with("/api/") {
        let body = serde_json::to_string(&error).unwrap_or_default();
        return (status, retry, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"5\"><title>Vireo is unavailable</title></head>\
         <body><main><h1>Vireo is unavailable</h1><p>{error}</p>\
         <p>This page reloads by itself; you stay logged in.</p></main></body></html>"
    );
    (
        status,
        retry,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// Paths anyone may fetch: the login page, health, and static assets. The oVirt-compatible API
/// authenticates with its own bearer tokens.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/healthz"
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || path.starts_with("/icons/")
        || path.starts_with("/ovirt-engine/")
}

/// The gate: attaches the logged-in user to the request, or refuses — 401 for server functions
/// (an `AppError::Unauthorized` body the client can decode), a redirect to the login page otherwise.
/// When the user cannot be looked up (database away) it answers 503 and keeps the session.
pub async fn require_user(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if is_public(&path) {
        // A logged-in user asking for the login page goes straight to the app.
        if path == "/login"
            && request.method() == axum::http::Method::GET
            && session_user(&state, &session).await.is_some()
        {
            return Redirect::to("/vms").into_response();
        }
        return next.run(request).await;
    }
    match session_lookup(&state, &session).await {
        Err(e) => lookup_failed(&path, e),
        Ok(Some(user)) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        Ok(None) if path.starts_with("/api/") => {
            let body = serde_json::to_string(&AppError::Unauthorized).unwrap_or_default();
            (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
        Ok(None) => {
            let target = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/vms".into());
            let location = if target == "/" {
                "/login".to_string()
            } else {
                format!("/login?next={}", encode(&target))
            };
            Redirect::to(&location).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn random_passwords_are_long_and_differ() {
        let a = random_password();
        assert_eq!(a.len(), 20);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, random_password());
    }

    #[test]
    fn throttle_slows_repeated_failures_then_forgets() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.delay("admin", Some("10.0.0.1"), now), Duration::ZERO);
            t.failed("admin", Some("10.0.0.1"), now);
        }
        assert_eq!(t.delay("admin", Some("10.0.0.1"), now), Duration::from_secs(1));
        t.failed("admin", Some("10.0.0.1"), now);
        assert_eq!(
            t.delay("ADMIN", None, now),
            Duration::from_secs(2),
            "user names match case-blind"
        );
        // The address alone is throttled too, whatever name it tries next.
        assert_eq!(t.delay("other", Some("10.0.0.1"), now), Duration::from_secs(2));
        for _ in 0..20 {
            t.failed("admin", None, now);
        }
        assert_eq!(t.delay("admin", None, now), MAX_DELAY);
        assert_eq!(t.delay("admin", None, now + FORGET_AFTER), Duration::ZERO);
        t.failed("bob", None, now);
        t.succeeded("bob", None);
        assert_eq!(t.delay("bob", None, now), Duration::ZERO);
    }

    #[test]
    fn next_targets_stay_on_site() {
        assert_eq!(safe_next("/hosts?selected=1"), "/hosts?selected=1");
        assert_eq!(safe_next("//evil.example"), "/vms");
        assert_eq!(safe_next("https://evil.example"), "/vms");
        assert_eq!(safe_next("/login?x"), "/vms");
        assert_eq!(safe_next(""), "/vms");
        assert_eq!(encode("/hosts?a=b&c"), "/hosts%3Fa%3Db%26c");
    }
}
