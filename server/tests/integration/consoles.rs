//! Consoles through the real router on a real port, with a real WebSocket client: tickets (one use,
//! bound to user + VM + console), the checks before the upgrade (401, Origin, ticket, role), what
//! libvirt's test driver answers (no consoles: an error frame and 4404), the availability the
//! Console sub-tab shows, and the audit events.

use crate::support::{app, saved_id, unique, TestApp, ADMIN_PASSWORD};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::backend::{ConfigBackend, ConsoleBackend, LifecycleBackend};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::error::AppError;
use vireo_app::models::{ConsoleKind, CurrentUser, Role, VmAction};

const PASSWORD: &str = "console-test-password";

/// The app served on a port of its own (the WebSocket needs a real connection to upgrade).
pub struct Served {
    pub app: TestApp,
    pub addr: std::net::SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn served() -> Served {
    let app = app().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = app.router.clone();
    let limits = crate::support::config().limits;
    tokio::spawn(async move {
        vireo_server::web::http_server::serve(listener, router, &limits, async {
            let _ = stopped.await;
        })
        .await
    });
    Served { app, addr, _stop: stop }
}

/// A user of `role` (the admin exists already), logged in: the user and their session cookie.
pub async fn user(app: &TestApp, role: Role) -> (CurrentUser, String) {
    if role == Role::Admin {
        return (app.admin_user().await, app.admin_cookie().await);
    }
    let name = unique(role.as_str());
    let hash = vireo_server::service::passwords::hash_password(PASSWORD).expect("hash");
    app.state
        .repo
        .insert_user(&Actor::vireo(), &name, &hash, role)
        .await
        .expect("user");
    let record = app.state.repo.user_by_name(&name).await.unwrap().unwrap();
    let cookie = app.login(&name, PASSWORD).await.expect("logs in");
    (record.to_current().expect("a current user"), cookie)
}

/// A running VM: High Performance (headless, serial console) or Server (a display, no serial).
pub async fn running_vm(app: &TestApp, profile: OptimizedFor) -> Uuid {
    let admin = app.admin_user().await;
    let d = app.sized_draft(ConfigKind::Vm, unique("con"), 2).await;
    let d = app.with_profile(d, profile).await;
    let d = app.fixed(&d).await;
    let id = saved_id(app.state.service.save(&admin, d, true).await.expect("saved"));
    app.state
        .service
        .vm_action(&admin, id, VmAction::Run)
        .await
        .expect("runs");
    id
}

/// What a WebSocket attempt came to: the HTTP refusal's status, or the frames until the close.
#[derive(Debug)]
pub enum Attempt {
    Refused(u16),
    Frames {
        texts: Vec<String>,
        close: Option<(u16, String)>,
    },
}

pub struct Ws<'a> {
    pub path: String,
    pub cookie: Option<&'a str>,
    pub bearer: Option<&'a str>,
    pub origin: Option<String>,
}

pub async fn attempt(addr: std::net::SocketAddr, ws: Ws<'_>) -> Attempt {
    let mut request = format!("ws://{addr}{}", ws.path)
        .into_client_request()
        .expect("request");
    let headers = request.headers_mut();
    if let Some(cookie) = ws.cookie {
        headers.insert("cookie", cookie.parse().unwrap());
    }
    if let Some(token) = ws.bearer {
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let origin = ws.origin.unwrap_or_else(|| format!("http://{addr}"));
    headers.insert("origin", origin.parse().unwrap());
    let (mut socket, _response) = match tokio_tungstenite::connect_async(request).await {
        Ok(ok) => ok,
        Err(WsError::Http(response)) => return Attempt::Refused(response.status().as_u16()),
        Err(e) => panic!("WebSocket failed: {e}"),
    };
    let mut texts = Vec::new();
    let mut close = None;
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        match message {
            Ok(Message::Text(t)) => texts.push(t.as_str().to_string()),
            Ok(Message::Close(frame)) => {
                close = frame.map(|f| (u16::from(f.code), f.reason.as_str().to_string()));
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Attempt::Frames { texts, close }
}

fn path(vm: Uuid, kind: &str, ticket: &str) -> String {
    format!("/vms/{vm}/console/{kind}?ticket={ticket}")
}

async fn ticket(app: &TestApp, user: &CurrentUser, vm: Uuid, kind: ConsoleKind) -> String {
    let t = app
        .state
        .service
        .console_ticket(user, vm, kind)
        .await
        .expect("a ticket");
    assert_eq!(t.expires_in, 30);
    assert_eq!(t.path, format!("/vms/{vm}/console/{}", kind.as_str()));
    t.ticket
}

fn own(path: String, cookie: &str) -> Ws<'_> {
    Ws {
        path,
        cookie: Some(cookie),
        bearer: None,
        origin: None,
    }
}

/// The error frame and 4404 that a console on libvirt's test driver ends with.
fn assert_no_consoles(attempt: Attempt) {
    let Attempt::Frames { texts, close } = attempt else {
        panic!("the upgrade should succeed: {attempt:?}");
    };
    assert_eq!(texts.len(), 1, "{texts:?}");
    let frame: serde_json::Value = serde_json::from_str(&texts[0]).expect("JSON");
    assert_eq!(frame["type"], "error");
    assert!(frame["held_by"].is_null());
    let message = frame["message"].as_str().unwrap_or_default();
    assert!(message.contains("test driver, which has no consoles"), "{message}");
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 4404, "{reason}");
}

#[tokio::test]
async fn an_admin_opens_the_websocket_and_the_test_driver_says_clearly_it_has_no_consoles() {
    let s = served().await;
    let (admin, cookie) = user(&s.app, Role::Admin).await;
    let hp = running_vm(&s.app, OptimizedFor::HighPerformance).await;
    let server = running_vm(&s.app, OptimizedFor::Server).await;

    let t = ticket(&s.app, &admin, hp, ConsoleKind::Serial).await;
    assert_no_consoles(attempt(s.addr, own(path(hp, "serial", &t), &cookie)).await);
    let t = ticket(&s.app, &admin, server, ConsoleKind::Vnc).await;
    assert_no_consoles(attempt(s.addr, own(path(server, "vnc", &t), &cookie)).await);

    // What the Console sub-tab shows before connecting says the same.
    let consoles = s.app.state.service.vm_consoles(hp).await.unwrap();
    let serial = consoles.iter().find(|c| c.kind == ConsoleKind::Serial).unwrap();
    assert!(
        serial
            .unavailable
            .as_deref()
            .unwrap_or_default()
            .contains("has no consoles"),
        "{serial:?}"
    );
    assert_eq!(serial.held_by, None);
    let vnc = consoles.iter().find(|c| c.kind == ConsoleKind::Vnc).unwrap();
    assert!(
        vnc.unavailable.as_deref().unwrap_or_default().contains("headless"),
        "{vnc:?}"
    );
    assert_eq!(
        consoles[0].kind,
        ConsoleKind::Serial,
        "an HP VM's tab opens on its serial console"
    );
    let consoles = s.app.state.service.vm_consoles(server).await.unwrap();
    assert_eq!(
        consoles[0].kind,
        ConsoleKind::Vnc,
        "a Server VM's tab opens on its display"
    );
    let serial = consoles.iter().find(|c| c.kind == ConsoleKind::Serial).unwrap();
    let why = serial.unavailable.clone().unwrap_or_default();
    assert!(why.contains("no serial console"), "{why}");

    // A VM that is not running.
    s.app
        .state
        .service
        .vm_action(&admin, server, VmAction::PowerOff)
        .await
        .unwrap();
    let consoles = s.app.state.service.vm_consoles(server).await.unwrap();
    let vnc = consoles.iter().find(|c| c.kind == ConsoleKind::Vnc).unwrap();
    assert!(
        vnc.unavailable.as_deref().unwrap_or_default().contains("not running"),
        "{vnc:?}"
    );
    let t = ticket(&s.app, &admin, server, ConsoleKind::Vnc).await;
    let Attempt::Frames { close, .. } = attempt(s.addr, own(path(server, "vnc", &t), &cookie)).await else {
        panic!("the upgrade should succeed");
    };
    assert_eq!(close.map(|c| c.0), Some(4404));

    // Every attempt is in the audit log.
    let events = crate::support::event_messages(&s.app.pool).await;
    let opens: Vec<_> = events.iter().filter(|(a, _, _)| a == "console.open").collect();
    assert_eq!(opens.len(), 3, "{opens:?}");
    assert!(opens.iter().all(|(_, result, _)| result == "failure"));
    assert!(opens[0].2.contains("no consoles"), "{opens:?}");
}

#[tokio::test]
async fn a_rest_client_opens_with_its_bearer_token() {
    let s = served().await;
    let admin = s.app.admin_user().await;
    let token = s.app.rest_token("admin", ADMIN_PASSWORD).await;
    let hp = running_vm(&s.app, OptimizedFor::HighPerformance).await;
    let t = ticket(&s.app, &admin, hp, ConsoleKind::Serial).await;
    let ws = Ws {
        path: path(hp, "serial", &t),
        cookie: None,
        bearer: Some(&token),
        origin: None,
    };
    assert_no_consoles(attempt(s.addr, ws).await);
    let ws = Ws {
        path: path(hp, "serial", &t),
        cookie: None,
        bearer: Some("not-a-token"),
        origin: None,
    };
    assert!(matches!(attempt(s.addr, ws).await, Attempt::Refused(401)));
}

#[tokio::test]
async fn tickets_are_one_time_and_bound_to_user_vm_and_console() {
    let s = served().await;
    let (admin, admin_cookie) = user(&s.app, Role::Admin).await;
    let (operator, operator_cookie) = user(&s.app, Role::Operator).await;
    let hp = running_vm(&s.app, OptimizedFor::HighPerformance).await;
    let other = running_vm(&s.app, OptimizedFor::HighPerformance).await;

    // Used once, then gone.
    let t = ticket(&s.app, &operator, hp, ConsoleKind::Serial).await;
    assert_no_consoles(attempt(s.addr, own(path(hp, "serial", &t), &operator_cookie)).await);
    assert!(matches!(
        attempt(s.addr, own(path(hp, "serial", &t), &operator_cookie)).await,
        Attempt::Refused(403)
    ));

    // Another user, VM or console: refused (and used up).
    let t = ticket(&s.app, &admin, hp, ConsoleKind::Serial).await;
    assert!(matches!(
        attempt(s.addr, own(path(hp, "serial", &t), &operator_cookie)).await,
        Attempt::Refused(403)
    ));
    assert!(matches!(
        attempt(s.addr, own(path(hp, "serial", &t), &admin_cookie)).await,
        Attempt::Refused(403)
    ));
    let t = ticket(&s.app, &admin, hp, ConsoleKind::Serial).await;
    assert!(matches!(
        attempt(s.addr, own(path(other, "serial", &t), &admin_cookie)).await,
        Attempt::Refused(403)
    ));
    let t = ticket(&s.app, &admin, hp, ConsoleKind::Serial).await;
    assert!(matches!(
        attempt(s.addr, own(path(hp, "vnc", &t), &admin_cookie)).await,
        Attempt::Refused(403)
    ));
    // No ticket, a made-up one.
    for p in [
        format!("/vms/{hp}/console/serial"),
        path(hp, "serial", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        assert!(matches!(
            attempt(s.addr, own(p, &admin_cookie)).await,
            Attempt::Refused(403)
        ));
    }

    // A ticket for a VM that does not exist is not handed out.
    assert!(matches!(
        s.app
            .state
            .service
            .console_ticket(&admin, Uuid::new_v4(), ConsoleKind::Serial)
            .await,
        Err(AppError::NotFound { .. })
    ));
    let events = crate::support::event_messages(&s.app.pool).await;
    assert!(
        events
            .iter()
            .any(|(a, r, m)| a == "console.open" && r == "failure" && m.contains("ticket")),
        "refused tickets are audited"
    );
}

#[tokio::test]
async fn the_upgrade_checks_session_origin_and_role_first() {
    let s = served().await;
    let (admin, cookie) = user(&s.app, Role::Admin).await;
    let (viewer, viewer_cookie) = user(&s.app, Role::Viewer).await;
    let hp = running_vm(&s.app, OptimizedFor::HighPerformance).await;

    // No session: 401 (not a redirect to the login page).
    let t = ticket(&s.app, &admin, hp, ConsoleKind::Serial).await;
    let anonymous = Ws {
        path: path(hp, "serial", &t),
        cookie: None,
        bearer: None,
        origin: None,
    };
    assert!(matches!(attempt(s.addr, anonymous).await, Attempt::Refused(401)));
    // Another site's page: 403, even with the right session and ticket.
    for origin in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        let ws = Ws {
            origin: Some(origin.into()),
            ..own(path(hp, "serial", &t), &cookie)
        };
        assert!(matches!(attempt(s.addr, ws).await, Attempt::Refused(403)), "{origin}");
    }
    // The ticket is still good: the refusals came before it was looked at.
    assert_no_consoles(attempt(s.addr, own(path(hp, "serial", &t), &cookie)).await);

    // A viewer gets no ticket and no console.
    let refused = s
        .app
        .state
        .service
        .console_ticket(&viewer, hp, ConsoleKind::Serial)
        .await;
    assert_eq!(refused.unwrap_err(), AppError::Forbidden);
    assert!(matches!(
        attempt(s.addr, own(path(hp, "serial", "whatever"), &viewer_cookie)).await,
        Attempt::Refused(403)
    ));
    let events = crate::support::event_messages(&s.app.pool).await;
    assert!(
        events.iter().any(|(a, r, _)| a == "console.ticket" && r == "failure"),
        "the viewer's refused ticket is audited: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|(a, r, m)| a == "console.open" && r == "failure" && m.contains("refused")),
        "the viewer's refused upgrade is audited"
    );

    // Bad kinds and ids are 404s; a plain GET (no upgrade) is not a server error.
    let t = ticket(&s.app, &admin, hp, ConsoleKind::Serial).await;
    for p in [
        format!("/vms/{hp}/console/spice?ticket={t}"),
        format!("/vms/not-a-uuid/console/serial?ticket={t}"),
    ] {
        assert!(matches!(attempt(s.addr, own(p, &cookie)).await, Attempt::Refused(404)));
    }
    let plain = s.app.get_as(&cookie, path(hp, "serial", &t)).await;
    assert!(plain.status().is_client_error(), "{}", plain.status());
}

#[tokio::test]
async fn hostile_console_requests_on_the_wire_get_client_errors() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = served().await;
    let cookie = s.app.admin_cookie().await;
    let hp = Uuid::new_v4();
    let huge = "A".repeat(1 << 20);
    for (target, upgrade) in [
        (format!("/vms/{hp}/console/serial?ticket={huge}"), true),
        (format!("/vms/{hp}/console/serial?ticket={}", "A".repeat(9_000)), true),
        (format!("/vms/{hp}/console/serial?ticket=x%00y&takeover=%FF"), false),
        (format!("/vms/{}/console/serial", "x".repeat(5_000)), true),
    ] {
        let mut stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let upgrade_headers = if upgrade {
            "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        } else {
            ""
        };
        let head = format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n{upgrade_headers}Connection: close\r\n\r\n",
            s.addr
        );
        // The server may close while a huge head is still being written.
        let _ = stream.write_all(head.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        let status = answer.split(' ').nth(1).unwrap_or("");
        // A closed connection (no answer) is a refusal too; what must never come is a 1xx/2xx
        // upgrade or a 5xx.
        assert!(
            answer.is_empty() || status.starts_with('4'),
            "{}: {}",
            target.chars().take(80).collect::<String>(),
            answer.lines().next().unwrap_or("")
        );
    }
}

#[tokio::test]
async fn the_close_codes_are_the_protocols() {
    // The protocol's numbers, which the page and outside clients rely on.
    use vireo_server::web::console::*;
    assert_eq!(
        [
            CLOSE_TAKEN_OVER,
            CLOSE_IDLE,
            CLOSE_HUNG_UP,
            CLOSE_SESSION_ENDED,
            CLOSE_UNAVAILABLE,
            CLOSE_HELD,
            CLOSE_FAILED
        ],
        [4001, 4002, 4003, 4004, 4404, 4409, 4500]
    );
    assert_eq!(u16::from(CloseCode::Size), CLOSE_TOO_BIG);
}
