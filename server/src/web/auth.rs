//! Logging in and out, and the gate in front of every page and server function.
//!
//! Login and logout are plain form posts (they work with JavaScript off). Sessions live in
//! PostgreSQL (tower-sessions); the cookie is HttpOnly and SameSite=Strict. A session remembers the
//! user's `auth_epoch` from its login and ends when it moves on (password changed, user disabled).
//! Repeated failed logins lock out the user name and the client address for a while (429 with
//! `Retry-After`), and the answer never says which half was wrong.

use crate::config::TrustedProxies;
use crate::repository::NewEvent;
use crate::service::audit::{self, Object, Outcome};
use crate::web::state::AppState;
use crate::web::static_assets;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tower_sessions::Session;
use uuid::Uuid;
use vireo_app::api::users::SESSION_EPOCH_KEY;
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

const SESSION_USER_KEY: &str = "user_id";

/// User names are at most this long (the `users` table's check); longer ones are refused before
/// anything else happens.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Whether a user of this name could exist (the `users` table's check): a name that cannot gets
/// the "invalid" answer without a database lookup, a password check or a throttle entry of its own.
pub fn plausible_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_USERNAME_CHARS
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Login forms are tiny; reading at most this much keeps a megabyte "user name" out of memory.
pub const LOGIN_BODY_LIMIT: usize = 16 * 1024;

/// Reads a form body of at most `limit` bytes; `None` when it is larger or not a form.
pub async fn read_small_form<T: serde::de::DeserializeOwned>(request: Request, limit: usize) -> Option<T> {
    let bytes = axum::body::to_bytes(request.into_body(), limit).await.ok()?;
    serde_urlencoded::from_bytes(&bytes).ok()
}

/// Only a same-origin path: starts with `/`, is not `//…` or `/\…` (which browsers read as another
/// host), and has no backslash, whitespace or control character anywhere (browsers drop tabs and
/// newlines from URLs, so `/\t/evil.example` is `//evil.example`; a control character cannot even
/// be put into a `Location` header). Anything else, and the login page itself, becomes `/` (the Dashboard).
pub fn safe_next(next: &str) -> &str {
    let mut chars = next.chars();
    let same_origin = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/') | Some('\\'))
        && !next.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    if same_origin && !next.starts_with("/login") {
        next
    } else {
        "/"
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

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Where a request came from, for the throttle and the audit log: the connection's peer, unless the
/// peer is a trusted proxy (`VIREO_TRUSTED_PROXIES`); then the right-most `X-Forwarded-For` entry
/// that is not itself a trusted proxy (entries further left are whatever the client claimed).
pub fn client_address(request: &Request, trusted: &TrustedProxies) -> Option<String> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(client_ip(peer, request.headers(), trusted).to_string())
}

pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    break;
                }
            }
            // A proxy we trust wrote garbage: believe it no further.
            Err(_) => break,
        }
    }
    client
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The user and the `auth_epoch` to stamp their session with.
    LoggedIn(CurrentUser, i32),
    /// Wrong name or password, a disabled user, or a name that cannot exist: one answer for all.
    Invalid,
    /// The name or the address is locked out; try again after this long.
    TooMany(Duration),
    /// Too many password checks at once; try again shortly.
    Busy,
}

/// Whole seconds for `Retry-After`, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// Checks a user name and password for the login page and the API's SSO endpoint alike: names
/// that cannot exist are refused first, then the throttle admits (or refuses at once), then one
/// bounded argon2 check, constant-time whether or not the user exists; failures and logins are
/// audited (`via` names the entry point; refusals by the throttle are not, or a flood would fill
/// the audit log). `Err` only when the database is unreachable.
pub async fn check_credentials(
    state: &AppState,
    username: &str,
    password: String,
    client: Option<&str>,
    via: &str,
) -> Result<LoginOutcome, AppError> {
    let plausible = plausible_username(username);
    let attempt = match state
        .throttle
        .admit_shared(plausible.then_some(username), client)
        .await?
    {
        Ok(a) => a,
        Err(wait) => return Ok(LoginOutcome::TooMany(wait)),
    };
    let from = client.map(|c| format!(" from {c}")).unwrap_or_default();
    if !plausible {
        // The name itself stays out of the audit log: it may be a megabyte long.
        state
            .repo
            .record_event(NewEvent {
                user: None,
                username: None,
                severity: "warning",
                action: "user.login",
                object_kind: "user",
                object_id: None,
                object_name: None,
                success: false,
                message: format!(
                    "Failed login with an impossible user name ({} characters){from}{via}.",
                    username.chars().count()
                ),
            })
            .await;
        return Ok(LoginOutcome::Invalid);
    }
    let record = match state.repo.user_by_name(username).await {
        Ok(r) => r,
        Err(e) => {
            state.throttle.refund_shared(attempt).await;
            return Err(e);
        }
    };
    // Verify against a fixed hash when the user does not exist, so timing does not tell.
    let hash = record
        .as_ref()
        .map(|r| r.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let ok = match state.throttle.verify(password, hash).await {
        Ok(ok) => ok,
        Err(_) => {
            state.throttle.refund_shared(attempt).await;
            return Ok(LoginOutcome::Busy);
        }
    };
    let disabled = record.as_ref().is_some_and(|r| r.disabled);
    let user = record
        .as_ref()
        .filter(|r| ok && !r.disabled)
        .and_then(|r| r.to_current().map(|u| (u, r.auth_epoch)));
    match user {
        None => {
            let why = if ok && disabled { " (the user is disabled)" } else { "" };
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
                    message: format!("Failed login for '{username}'{why}{from}{via}."),
                })
                .await;
            Ok(LoginOutcome::Invalid)
        }
        Some((user, epoch)) => {
            state.throttle.succeeded_shared(attempt).await;
            let message = format!("{} logged in{from}{via}.", user.username);
            state.repo.record_event(own_event(&user, "user.login", message)).await;
            Ok(LoginOutcome::LoggedIn(user, epoch))
        }
    }
}

/// The event of a user's own login or logout: the user is both who did it and what it was about.
fn own_event<'a>(user: &'a CurrentUser, action: &'a str, message: String) -> NewEvent<'a> {
    let object = Object::new("user", Some(user.id), &user.username);
    audit::event(Some(user), action, object, Outcome::Done(message))
}

/// The login form again with a message, for answers that must carry their own status (429, 503)
/// and so cannot be a redirect to the login page. Plain HTML: it works with JavaScript on and off.
fn login_refused(status: StatusCode, wait: Duration, message: &str, next: &str, stylesheet: &str) -> Response {
    let secs = retry_after_secs(wait);
    let message = html_escape(&message.replace("{N}", &secs.to_string()));
    let next = html_escape(next);
    let body = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Vireo</title><link rel="stylesheet" href="{stylesheet}"><link rel="icon" type="image/svg+xml" href="/favicon.svg"></head>
<body><div class="login-page"><form class="login-card" method="post" action="/login">
<h1><img src="/icons/vireo.svg" alt="" width="32" height="32">Vireo</h1>
<p class="muted">Virtual machines on libvirt hosts</p>
<div class="alert alert-error" role="alert">{message}</div>
<input type="hidden" name="next" value="{next}">
<label for="login-username">Username</label>
<input id="login-username" name="username" type="text" autocomplete="username" required autofocus>
<label for="login-password">Password</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="btn btn-primary">Log in</button>
</form></div></body></html>"#
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::RETRY_AFTER, secs.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub const TOO_MANY_MESSAGE: &str = "Too many attempts; try again in {N} seconds.";
pub const BUSY_MESSAGE: &str = "Vireo is busy checking other logins; try again in {N} seconds.";

pub async fn login(State(state): State<AppState>, session: Session, request: Request) -> Response {
    let client = client_address(&request, &state.trusted_proxies);
    // A body too large for a login form is answered like a wrong password.
    let Some(form) = read_small_form::<LoginForm>(request, LOGIN_BODY_LIMIT).await else {
        return Redirect::to("/login?error=invalid").into_response();
    };
    let next = safe_next(&form.next);
    let outcome = check_credentials(&state, form.username.trim(), form.password, client.as_deref(), "").await;
    let (user, epoch) = match outcome {
        Ok(LoginOutcome::LoggedIn(user, epoch)) => (user, epoch),
        Ok(LoginOutcome::Invalid) => {
            return Redirect::to(&format!("/login?error=invalid&next={}", encode(next))).into_response()
        }
        Ok(LoginOutcome::TooMany(wait)) => {
            return login_refused(
                StatusCode::TOO_MANY_REQUESTS,
                wait,
                TOO_MANY_MESSAGE,
                next,
                &static_assets::stylesheet_href(&state.leptos_options),
            )
        }
        Ok(LoginOutcome::Busy) => {
            return login_refused(
                StatusCode::SERVICE_UNAVAILABLE,
                BUSY_RETRY,
                BUSY_MESSAGE,
                next,
                &static_assets::stylesheet_href(&state.leptos_options),
            )
        }
        Err(_) => return Redirect::to("/login?error=unavailable").into_response(),
    };
    // A new session id at login defeats session fixation.
    if session.cycle_id().await.is_err()
        || session.insert(SESSION_USER_KEY, user.id).await.is_err()
        || session.insert(SESSION_EPOCH_KEY, epoch).await.is_err()
    {
        return Redirect::to("/login?error=unavailable").into_response();
    }
    Redirect::to(next).into_response()
}

/// What a busy refusal asks the client to wait.
pub const BUSY_RETRY: Duration = Duration::from_secs(2);

pub async fn logout(State(state): State<AppState>, session: Session) -> Response {
    if let Some(user) = session_user(&state, &session).await {
        let message = format!("{} logged out.", user.username);
        state.repo.record_event(own_event(&user, "user.logout", message)).await;
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
    let Some(record) = state.repo.user_by_id(id).await? else {
        return Ok(None);
    };
    // A session from an older epoch (the password changed since) or of a disabled user is over.
    let epoch: Option<i32> = session.get(SESSION_EPOCH_KEY).await.ok().flatten();
    if record.disabled || epoch != Some(record.auth_epoch) {
        return Ok(None);
    }
    let Some(user) = record.to_current() else {
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

/// Paths anyone may fetch: the login page, health, and static assets (the consoles' script and
/// vendored libraries included). The oVirt-compatible API authenticates with its own bearer tokens.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/healthz"
        // Its own gate: the metrics token or network (`metrics_endpoint.rs`), not a session.
        || path == crate::web::metrics_endpoint::METRICS_PATH
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || path.starts_with("/icons/")
        // The consoles' script and its open-source libraries: the shell loads the script on the
        // login page too, and neither holds anything private.
        || path == "/console.js"
        || path.starts_with("/vendor/")
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
            return Redirect::to("/").into_response();
        }
        return next.run(request).await;
    }
    match session_lookup(&state, &session).await {
        Err(e) => lookup_failed(&path, e),
        Ok(Some(user)) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        // A console's WebSocket: REST clients may bring their bearer token instead of a session;
        // without either it is a 401 before the upgrade, not a redirect a WebSocket cannot follow.
        Ok(None) if crate::web::console::is_console_path(&path) => {
            match crate::web::console::bearer_user(&state, request.headers()).await {
                Err(e) => lookup_failed(&path, e),
                Ok(Some(user)) => {
                    request.extensions_mut().insert(user);
                    next.run(request).await
                }
                Ok(None) => crate::web::guard::app_error_response(StatusCode::UNAUTHORIZED, &AppError::Unauthorized),
            }
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
                .unwrap_or_else(|| "/".into());
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
    fn plausible_names_are_what_the_users_table_allows() {
        assert!(plausible_username("admin"));
        assert!(plausible_username("ops.team@example.com"));
        assert!(plausible_username(&"a".repeat(64)));
        assert!(!plausible_username(&"a".repeat(65)));
        assert!(!plausible_username(""));
        assert!(!plausible_username("a b"));
        assert!(!plausible_username("<script>"));
        assert!(!plausible_username("é"));
    }

    #[test]
    fn next_targets_stay_on_site() {
        assert_eq!(safe_next("/hosts?selected=1"), "/hosts?selected=1");
        assert_eq!(
            safe_next("/vms?q=type:high_performance"),
            "/vms?q=type:high_performance"
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\x0b",
            "/ok\x0bno",
            "/a b",
            "/a\\b",
            "/\u{85}x",
            "/\u{a0}x",
            "https://evil.example",
            "evil.example",
            "/login?x",
            "",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
        assert_eq!(encode("/hosts?a=b&c"), "/hosts%3Fa%3Db%26c");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", v.parse().unwrap());
            h
        };
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        // An untrusted peer's header is ignored.
        assert_eq!(client_ip(stranger, &headers("1.2.3.4"), &trusted), stranger);
        assert_eq!(
            client_ip(stranger, &headers("1.2.3.4"), &TrustedProxies::default()),
            stranger
        );
        // Right-most untrusted entry: what the client wrote to the left is not believed.
        assert_eq!(
            client_ip(proxy, &headers("6.6.6.6, 198.51.100.7, 10.0.0.3"), &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(client_ip(proxy, &headers("garbage"), &trusted), proxy);
        assert_eq!(
            client_ip(proxy, &headers("10.0.0.7"), &trusted),
            "10.0.0.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }
}
