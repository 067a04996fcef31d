//! The consoles' WebSocket, `GET /vms/{id}/console/{serial|vnc}?ticket=T[&takeover=1]`, exactly as
//! the agreed protocol says (notes: consoles):
//!
//! - before the upgrade, plain HTTP answers: no logged-in user (session cookie, or a REST bearer
//!   token; the auth gate lets these paths through with 401, never a redirect) → 401; an `Origin`
//!   that is not this server's own → 403; a ticket unknown, expired, used or issued for something
//!   else, or a role without `UseConsole` → 403 (the service decides, and audits);
//! - after it, a console that cannot be opened is a text frame
//!   `{"type":"error","message":…,"held_by":…}` and a close: 4409 held, 4404 VM not running or no
//!   console on its host, 4500 anything else;
//! - while open: `{"type":"connected"}` first, then binary frames both ways (serial bytes, or RFB for
//!   VNC, whose subprotocol `binary` is accepted); the serial client may send
//!   `{"type":"resize","cols":C,"rows":R}`, which is recorded (a serial line carries no window size).
//!   Closes: 4001 taken over, 4002 idle, 4003 the guest side hung up, 4004 the user's session ended
//!   or the user was disabled; 1009 for a message over 64 KiB.
//!
//! The bridges (`serial_bridge`, `vnc_bridge`) are generic over the socket's two halves, so the unit
//! tests below drive them with channels for the socket and a fake console.

use crate::hypervisor::{ConsoleStream, HypervisorError, CONSOLE_CHUNK};
use crate::service::consoles::{duration_text, ConsoleIo, ConsoleRefused, Refusal, TAKEN_OVER_BY};
use crate::web::guard::{app_error_response, origin_is_host};
use crate::web::state::AppState;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;
use uuid::Uuid;
use vireo_app::authz::Permission;
use vireo_app::error::AppError;
use vireo_app::models::{ConsoleKind, CurrentUser};

/// The route, as axum spells it.
pub const CONSOLE_ROUTE: &str = "/vms/{id}/console/{kind}";
/// The largest message a client may send (and the largest frame).
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Window sizes a resize may name, per side.
pub const SIZE_RANGE: std::ops::RangeInclusive<u16> = 1..=1000;

pub const CLOSE_TAKEN_OVER: u16 = 4001;
pub const CLOSE_IDLE: u16 = 4002;
pub const CLOSE_HUNG_UP: u16 = 4003;
pub const CLOSE_SESSION_ENDED: u16 = 4004;
pub const CLOSE_UNAVAILABLE: u16 = 4404;
pub const CLOSE_HELD: u16 = 4409;
pub const CLOSE_FAILED: u16 = 4500;
/// RFC 6455's "message too big".
pub const CLOSE_TOO_BIG: u16 = 1009;

/// Whether a path is a console's WebSocket (`/vms/<id>/console/<kind>`): the auth gate answers 401
/// for these instead of redirecting to the login page, and accepts a bearer token.
pub fn is_console_path(path: &str) -> bool {
    let mut parts = path.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(""), Some("vms"), Some(id), Some("console"), Some(kind), None) if !id.is_empty() && !kind.is_empty()
    )
}

/// The user behind `Authorization: Bearer …` (a REST API token), for REST clients opening a
/// console. `Ok(None)` without a header or for a token that is not live.
pub async fn bearer_user(state: &AppState, headers: &HeaderMap) -> Result<Option<CurrentUser>, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256);
    let Some(token) = token else { return Ok(None) };
    // Tokens are stored as their SHA-256 (`ovirt/sso.rs`).
    let hash = Sha256::digest(token.as_bytes());
    Ok(state.repo.api_token_user(&hash).await?.and_then(|u| u.to_current()))
}

fn refuse(status: StatusCode, error: AppError) -> Response {
    app_error_response(status, &error)
}

/// `ticket` and `takeover` from the query; anything unreadable counts as absent.
fn query_parts(query: Option<&str>) -> (String, bool) {
    let pairs: Vec<(String, String)> = query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let ticket = pairs
        .iter()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let takeover = pairs
        .iter()
        .any(|(k, v)| k == "takeover" && matches!(v.as_str(), "1" | "true" | "yes"));
    (ticket, takeover)
}

/// `GET /vms/{id}/console/{kind}`.
pub async fn console_ws(
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    request: Request,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let Some(user) = parts.extensions.get::<CurrentUser>().cloned() else {
        return refuse(StatusCode::UNAUTHORIZED, AppError::Unauthorized);
    };
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or(parts.uri.authority().map(|a| a.as_str()));
        let same = match (origin.to_str().ok(), host) {
            (Some(origin), Some(host)) => origin_is_host(origin, host),
            _ => false,
        };
        if !same {
            tracing::warn!(origin = ?origin, "console WebSocket from another origin refused");
            return refuse(StatusCode::FORBIDDEN, AppError::Forbidden);
        }
    }
    let (Ok(id), Some(kind)) = (Uuid::parse_str(&id), ConsoleKind::parse(&kind)) else {
        return refuse(StatusCode::NOT_FOUND, AppError::not_found("Console"));
    };
    // The role before anything else about the request (audited by the service like every
    // refusal), so a viewer hears 403 whatever else is wrong with it; `try_open_console` checks it
    // again with the ticket.
    if let Err(e) = state
        .service
        .authorize(&user, Permission::UseConsole, "console.open", "vm", Some(id), "")
        .await
    {
        return refuse(StatusCode::FORBIDDEN, e);
    }
    let (ticket, takeover) = query_parts(parts.uri.query());
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(ws) => ws.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE),
        Err(rejection) => return rejection.into_response(),
    };
    let ws = match kind {
        ConsoleKind::Vnc => ws.protocols(["binary"]),
        ConsoleKind::Serial => ws,
    };
    let idle = state.service.consoles.idle_timeout;
    match state.service.try_open_console(&user, id, kind, &ticket, takeover).await {
        Err(refused) if refused.refusal == Refusal::Denied => {
            let status = StatusCode::from_u16(refused.error.http_status()).unwrap_or(StatusCode::FORBIDDEN);
            refuse(status, refused.error)
        }
        Err(refused) => ws.on_upgrade(move |socket| async move {
            let (mut tx, _rx) = socket.split();
            send_refusal(&mut tx, &refused).await;
        }),
        Ok(session) => ws.on_upgrade(move |socket| async move {
            let (mut tx, mut rx) = socket.split();
            let end = match session.io {
                ConsoleIo::Serial(stream) => serial_bridge(&mut tx, &mut rx, stream, session.dropped, idle).await,
                ConsoleIo::Vnc(fd) => match vnc_socket(fd) {
                    Ok(io) => vnc_bridge(&mut tx, &mut rx, io, session.dropped, idle).await,
                    Err(e) => {
                        let reason = format!("The display's socket could not be used: {e}");
                        close(&mut tx, CLOSE_FAILED, &reason).await;
                        BridgeEnd::closed(CLOSE_FAILED, reason)
                    }
                },
            };
            tracing::debug!(vm = %id, kind = kind.as_str(), code = ?end.code, reason = end.reason, "console closed");
            // `session.hold` drops here: the console is released and `console.close` written.
        }),
    }
}

/// The display's descriptor as a non-blocking tokio socket.
fn vnc_socket(fd: std::os::fd::OwnedFd) -> std::io::Result<tokio::net::UnixStream> {
    let std_stream = std::os::unix::net::UnixStream::from(fd);
    std_stream.set_nonblocking(true)?;
    tokio::net::UnixStream::from_std(std_stream)
}

/// The error frame and the close for a console that could not be opened.
pub async fn send_refusal<Tx: Sink<Message> + Unpin>(tx: &mut Tx, refused: &ConsoleRefused) {
    let code = match refused.refusal {
        Refusal::Held => CLOSE_HELD,
        Refusal::Unavailable => CLOSE_UNAVAILABLE,
        Refusal::Denied | Refusal::Failed => CLOSE_FAILED,
    };
    let message = refused.error.to_string();
    let frame = serde_json::json!({"type": "error", "message": message, "held_by": refused.held_by});
    let _ = tx.send(Message::Text(Utf8Bytes::from(frame.to_string()))).await;
    close(tx, code, &message).await;
}

/// How a bridge ended: the close code sent (`None` when the client left first), its reason, and
/// the terminal size the client last reported (serial).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeEnd {
    pub code: Option<u16>,
    pub reason: String,
    pub size: Option<(u16, u16)>,
    /// Resize messages taken (valid ones).
    pub resizes: u32,
}

impl BridgeEnd {
    fn closed(code: u16, reason: String) -> Self {
        Self {
            code: Some(code),
            reason,
            size: None,
            resizes: 0,
        }
    }

    fn client_left() -> Self {
        Self {
            code: None,
            reason: "The browser closed the console.".into(),
            size: None,
            resizes: 0,
        }
    }
}

/// A close reason fits in 123 bytes (RFC 6455); cut at a character boundary.
fn short_reason(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

async fn close<Tx: Sink<Message> + Unpin>(tx: &mut Tx, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from(short_reason(reason)),
    };
    let _ = tx.send(Message::Close(Some(frame))).await;
}

/// The close for a session ended by the service: taken over (4001) or the user's session over
/// (4004).
fn dropped_code(reason: &str) -> u16 {
    if reason.starts_with(TAKEN_OVER_BY) {
        CLOSE_TAKEN_OVER
    } else {
        CLOSE_SESSION_ENDED
    }
}

fn idle_reason(idle: Duration) -> String {
    format!("Closed after {} without input.", duration_text(idle.as_secs()))
}

/// A resize message's size, when it is one and in range.
fn resize(text: &str) -> Option<(u16, u16)> {
    #[derive(serde::Deserialize)]
    struct Resize {
        #[serde(rename = "type")]
        kind: String,
        cols: u16,
        rows: u16,
    }
    let r: Resize = serde_json::from_str(text).ok()?;
    (r.kind == "resize" && SIZE_RANGE.contains(&r.cols) && SIZE_RANGE.contains(&r.rows)).then_some((r.cols, r.rows))
}

/// What the client sent, as the bridges act on it.
enum FromClient {
    Data(Bytes),
    Text(String),
    TooBig,
    Left,
    Nothing,
}

fn from_client<E>(message: Option<Result<Message, E>>) -> FromClient {
    match message {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => FromClient::Left,
        Some(Ok(Message::Binary(b))) if b.len() > MAX_MESSAGE => FromClient::TooBig,
        Some(Ok(Message::Binary(b))) => FromClient::Data(b),
        Some(Ok(Message::Text(t))) if t.len() > MAX_MESSAGE => FromClient::TooBig,
        Some(Ok(Message::Text(t))) => FromClient::Text(t.as_str().to_string()),
        Some(Ok(_)) => FromClient::Nothing,
    }
}

const TOO_BIG: &str = "A message over 64 KiB was refused.";

async fn connected<Tx: Sink<Message> + Unpin>(tx: &mut Tx) -> bool {
    tx.send(Message::Text(Utf8Bytes::from_static(r#"{"type":"connected"}"#)))
        .await
        .is_ok()
}

/// Bridges a serial console and a WebSocket until one side ends, the service drops the session
/// (`dropped`), or no input arrives for `idle`.
pub async fn serial_bridge<Tx, Rx, E>(
    tx: &mut Tx,
    rx: &mut Rx,
    mut console: ConsoleStream,
    mut dropped: oneshot::Receiver<String>,
    idle: Duration,
) -> BridgeEnd
where
    Tx: Sink<Message> + Unpin,
    Rx: Stream<Item = Result<Message, E>> + Unpin,
{
    if !connected(tx).await {
        return BridgeEnd::client_left();
    }
    let mut size = None;
    let mut resizes = 0u32;
    let mut can_drop = true;
    let idle_timer = tokio::time::sleep(idle);
    tokio::pin!(idle_timer);
    let mut end = loop {
        tokio::select! {
            biased;
            reason = &mut dropped, if can_drop => match reason {
                Ok(reason) => break BridgeEnd::closed(dropped_code(&reason), reason),
                // The service let go without a reason: nothing to end for.
                Err(_) => can_drop = false,
            },
            output = console.output.recv() => match output {
                Some(Ok(bytes)) => {
                    if tx.send(Message::Binary(bytes)).await.is_err() {
                        break BridgeEnd::client_left();
                    }
                }
                Some(Err(e)) => break BridgeEnd::closed(CLOSE_HUNG_UP, hung_up(Some(&e))),
                None => break BridgeEnd::closed(CLOSE_HUNG_UP, hung_up(None)),
            },
            message = rx.next() => match from_client(message) {
                FromClient::Data(bytes) => {
                    idle_timer.as_mut().reset(tokio::time::Instant::now() + idle);
                    // A closed input means the stream is ending; its output says how.
                    let _ = console.input.send(bytes).await;
                }
                FromClient::Text(text) => {
                    idle_timer.as_mut().reset(tokio::time::Instant::now() + idle);
                    if let Some(s) = resize(&text) {
                        size = Some(s);
                        resizes = resizes.saturating_add(1);
                    }
                }
                FromClient::TooBig => break BridgeEnd::closed(CLOSE_TOO_BIG, TOO_BIG.into()),
                FromClient::Left => break BridgeEnd::client_left(),
                FromClient::Nothing => {}
            },
            _ = &mut idle_timer => break BridgeEnd::closed(CLOSE_IDLE, idle_reason(idle)),
        }
    };
    if let Some(code) = end.code {
        close(tx, code, &end.reason).await;
    }
    end.size = size;
    end.resizes = resizes;
    end
}

fn hung_up(error: Option<&HypervisorError>) -> String {
    match error {
        Some(e) => format!("The console was closed on the host: {e}"),
        None => "The console was closed on the host (the VM stopped, or another client took it).".into(),
    }
}

/// Bridges a VNC display's socket (RFB) and a WebSocket, binary frames both ways.
pub async fn vnc_bridge<Tx, Rx, E, Io>(
    tx: &mut Tx,
    rx: &mut Rx,
    io: Io,
    mut dropped: oneshot::Receiver<String>,
    idle: Duration,
) -> BridgeEnd
where
    Tx: Sink<Message> + Unpin,
    Rx: Stream<Item = Result<Message, E>> + Unpin,
    Io: AsyncRead + AsyncWrite,
{
    if !connected(tx).await {
        return BridgeEnd::client_left();
    }
    let (mut reader, mut writer) = tokio::io::split(io);
    let mut buf = vec![0u8; CONSOLE_CHUNK];
    let mut can_drop = true;
    let idle_timer = tokio::time::sleep(idle);
    tokio::pin!(idle_timer);
    let end = loop {
        tokio::select! {
            biased;
            reason = &mut dropped, if can_drop => match reason {
                Ok(reason) => break BridgeEnd::closed(dropped_code(&reason), reason),
                Err(_) => can_drop = false,
            },
            read = reader.read(&mut buf) => match read {
                Ok(0) => break BridgeEnd::closed(CLOSE_HUNG_UP, "The display was closed on the host (the VM stopped?).".into()),
                Ok(n) => {
                    if tx.send(Message::Binary(Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                        break BridgeEnd::client_left();
                    }
                }
                Err(e) => break BridgeEnd::closed(CLOSE_HUNG_UP, format!("The display's socket failed: {e}")),
            },
            message = rx.next() => match from_client(message) {
                FromClient::Data(bytes) => {
                    idle_timer.as_mut().reset(tokio::time::Instant::now() + idle);
                    if let Err(e) = writer.write_all(&bytes).await {
                        break BridgeEnd::closed(CLOSE_HUNG_UP, format!("The display's socket failed: {e}"));
                    }
                }
                // RFB is binary; text frames carry nothing for it.
                FromClient::Text(_) | FromClient::Nothing => {}
                FromClient::TooBig => break BridgeEnd::closed(CLOSE_TOO_BIG, TOO_BIG.into()),
                FromClient::Left => break BridgeEnd::client_left(),
            },
            _ = &mut idle_timer => break BridgeEnd::closed(CLOSE_IDLE, idle_reason(idle)),
        }
    };
    if let Some(code) = end.code {
        close(tx, code, &end.reason).await;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::pin::Pin;
    use tokio::sync::mpsc;

    type ClientRx = mpsc::UnboundedReceiver<Message>;
    type FakeTx = Pin<Box<dyn Sink<Message, Error = ()> + Send>>;
    type FakeRx = Pin<Box<dyn Stream<Item = Result<Message, Infallible>> + Send>>;

    /// A socket made of two channels: what the bridge sends arrives on `ClientRx`; what the test
    /// sends on the returned sender arrives at the bridge.
    fn fake_socket() -> (FakeTx, FakeRx, ClientRx, mpsc::UnboundedSender<Message>) {
        let (to_client, client_rx) = mpsc::unbounded_channel::<Message>();
        let (client_tx, from_client) = mpsc::unbounded_channel::<Message>();
        let tx = futures_util::sink::unfold(to_client, |to_client, m: Message| async move {
            to_client.send(m).map_err(|_| ())?;
            Ok::<_, ()>(to_client)
        });
        let rx = futures_util::stream::unfold(from_client, |mut from_client| async move {
            from_client.recv().await.map(|m| (Ok(m), from_client))
        });
        (Box::pin(tx), Box::pin(rx), client_rx, client_tx)
    }

    /// A fake serial console: the guest's side of both channels.
    struct FakeGuest {
        output: mpsc::Sender<Result<Bytes, HypervisorError>>,
        input: mpsc::Receiver<Bytes>,
    }

    /// The serial bridge between a fake socket and a fake console, on a task of its own.
    fn spawn_serial(
        mut tx: FakeTx,
        mut rx: FakeRx,
        console: ConsoleStream,
        dropped: oneshot::Receiver<String>,
        idle: Duration,
    ) -> tokio::task::JoinHandle<BridgeEnd> {
        tokio::spawn(async move { serial_bridge(&mut tx, &mut rx, console, dropped, idle).await })
    }

    fn fake_console() -> (ConsoleStream, FakeGuest) {
        let (out_tx, out_rx) = mpsc::channel(16);
        let (in_tx, in_rx) = mpsc::channel(16);
        (
            ConsoleStream {
                output: out_rx,
                input: in_tx,
            },
            FakeGuest {
                output: out_tx,
                input: in_rx,
            },
        )
    }

    fn close_of(m: &Message) -> Option<(u16, String)> {
        match m {
            Message::Close(Some(f)) => Some((f.code, f.reason.as_str().to_string())),
            _ => None,
        }
    }

    async fn next(rx: &mut ClientRx) -> Message {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a message in time")
            .expect("the bridge is sending")
    }

    async fn expect_connected(rx: &mut ClientRx) {
        assert_eq!(
            next(rx).await,
            Message::Text(Utf8Bytes::from_static(r#"{"type":"connected"}"#))
        );
    }

    #[test]
    fn console_paths_are_recognised() {
        assert!(is_console_path("/vms/0b9c/console/serial"));
        assert!(is_console_path("/vms/x/console/vnc"));
        assert!(!is_console_path("/vms/x/console"));
        assert!(!is_console_path("/vms/x/console/serial/more"));
        assert!(!is_console_path("/vms//console/serial"));
        assert!(!is_console_path("/api/vms/x/console/serial"));
    }

    #[test]
    fn queries_give_ticket_and_takeover() {
        assert_eq!(query_parts(Some("ticket=abc&takeover=1")), ("abc".into(), true));
        assert_eq!(query_parts(Some("ticket=abc")), ("abc".into(), false));
        assert_eq!(query_parts(Some("takeover=0")), (String::new(), false));
        assert_eq!(query_parts(None), (String::new(), false));
        assert_eq!(query_parts(Some("%zz=%")), (String::new(), false));
    }

    #[test]
    fn resizes_are_bounded() {
        assert_eq!(resize(r#"{"type":"resize","cols":80,"rows":24}"#), Some((80, 24)));
        assert_eq!(resize(r#"{"type":"resize","cols":1000,"rows":1}"#), Some((1000, 1)));
        for bad in [
            r#"{"type":"resize","cols":0,"rows":24}"#,
            r#"{"type":"resize","cols":1001,"rows":24}"#,
            r#"{"type":"resize","cols":80,"rows":70000}"#,
            r#"{"type":"resize","cols":-1,"rows":24}"#,
            r#"{"type":"other","cols":80,"rows":24}"#,
            "not json",
        ] {
            assert_eq!(resize(bad), None, "{bad}");
        }
        assert_eq!(short_reason(&"é".repeat(100)).len(), 122);
    }

    #[tokio::test]
    async fn serial_bytes_flow_both_ways_and_resizes_are_recorded() {
        let (tx, rx, mut client, to_bridge) = fake_socket();
        let (console, mut guest) = fake_console();
        let (_drop_tx, dropped) = oneshot::channel();
        let bridge = spawn_serial(tx, rx, console, dropped, Duration::from_secs(60));
        expect_connected(&mut client).await;
        guest.output.send(Ok(Bytes::from_static(b"login: "))).await.unwrap();
        assert_eq!(next(&mut client).await, Message::Binary(Bytes::from_static(b"login: ")));
        to_bridge.send(Message::Binary(Bytes::from_static(b"root\r"))).unwrap();
        assert_eq!(guest.input.recv().await.unwrap(), Bytes::from_static(b"root\r"));
        for text in [
            r#"{"type":"resize","cols":120,"rows":40}"#,
            r#"{"type":"resize","cols":5000,"rows":40}"#,
            "garbage",
            r#"{"type":"resize","cols":100,"rows":30}"#,
        ] {
            to_bridge.send(Message::Text(Utf8Bytes::from(text))).unwrap();
        }
        // Bytes still flow after the text messages.
        to_bridge.send(Message::Binary(Bytes::from_static(b"ls\r"))).unwrap();
        assert_eq!(guest.input.recv().await.unwrap(), Bytes::from_static(b"ls\r"));
        to_bridge.send(Message::Close(None)).unwrap();
        let end = bridge.await.unwrap();
        assert_eq!(end.code, None, "the client left; nothing to close");
        assert_eq!(end.size, Some((100, 30)));
        assert_eq!(end.resizes, 2);
    }

    #[tokio::test]
    async fn a_session_taken_over_closes_with_4001_and_the_reason() {
        let (tx, rx, mut client, _to_bridge) = fake_socket();
        let (console, _guest) = fake_console();
        let (drop_tx, dropped) = oneshot::channel();
        let bridge = spawn_serial(tx, rx, console, dropped, Duration::from_secs(60));
        expect_connected(&mut client).await;
        drop_tx.send("Taken over by bob".into()).unwrap();
        assert_eq!(
            close_of(&next(&mut client).await),
            Some((4001, "Taken over by bob".into()))
        );
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_TAKEN_OVER));
    }

    #[tokio::test]
    async fn a_disabled_user_is_closed_with_4004() {
        let (tx, rx, mut client, _to_bridge) = fake_socket();
        let (console, _guest) = fake_console();
        let (drop_tx, dropped) = oneshot::channel();
        let bridge = spawn_serial(tx, rx, console, dropped, Duration::from_secs(60));
        expect_connected(&mut client).await;
        drop_tx.send(crate::service::consoles::USER_DISABLED.into()).unwrap();
        assert_eq!(
            close_of(&next(&mut client).await),
            Some((4004, crate::service::consoles::USER_DISABLED.into()))
        );
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_SESSION_ENDED));
    }

    #[tokio::test]
    async fn the_guest_hanging_up_closes_with_4003() {
        let (tx, rx, mut client, _to_bridge) = fake_socket();
        let (console, guest) = fake_console();
        let (_drop_tx, dropped) = oneshot::channel();
        let bridge = spawn_serial(tx, rx, console, dropped, Duration::from_secs(60));
        expect_connected(&mut client).await;
        guest.output.send(Ok(Bytes::from_static(b"bye\r\n"))).await.unwrap();
        drop(guest);
        assert_eq!(next(&mut client).await, Message::Binary(Bytes::from_static(b"bye\r\n")));
        let (code, reason) = close_of(&next(&mut client).await).unwrap();
        assert_eq!(code, 4003);
        assert!(reason.contains("closed on the host"), "{reason}");
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_HUNG_UP));

        // A stream error hangs up too, with libvirt's words.
        let (tx, rx, mut client, _to_bridge) = fake_socket();
        let (console, guest) = fake_console();
        let (_drop_tx, dropped) = oneshot::channel();
        let bridge = spawn_serial(tx, rx, console, dropped, Duration::from_secs(60));
        expect_connected(&mut client).await;
        guest
            .output
            .send(Err(HypervisorError::Libvirt("stream aborted".into())))
            .await
            .unwrap();
        let (code, reason) = close_of(&next(&mut client).await).unwrap();
        assert_eq!(code, 4003);
        assert!(reason.contains("stream aborted"), "{reason}");
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_HUNG_UP));
    }

    #[tokio::test]
    async fn an_idle_console_closes_with_4002_and_input_keeps_it_open() {
        let (tx, rx, mut client, to_bridge) = fake_socket();
        let (console, mut guest) = fake_console();
        let (_drop_tx, dropped) = oneshot::channel();
        // Short, with margins of 400 ms for a busy machine.
        let idle = Duration::from_secs(1);
        let bridge = spawn_serial(tx, rx, console, dropped, idle);
        expect_connected(&mut client).await;
        let started = tokio::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(600)).await;
        to_bridge.send(Message::Binary(Bytes::from_static(b"x"))).unwrap();
        assert_eq!(guest.input.recv().await.unwrap(), Bytes::from_static(b"x"));
        // Output alone does not count as use.
        tokio::time::sleep(Duration::from_millis(600)).await;
        guest.output.send(Ok(Bytes::from_static(b"x"))).await.unwrap();
        assert_eq!(next(&mut client).await, Message::Binary(Bytes::from_static(b"x")));
        let (code, reason) = close_of(&next(&mut client).await).unwrap();
        assert_eq!(code, 4002);
        assert_eq!(reason, "Closed after 1 s without input.");
        assert!(
            started.elapsed() >= Duration::from_millis(1600),
            "the input restarted the clock"
        );
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_IDLE));
    }

    #[tokio::test]
    async fn oversized_input_is_refused() {
        let (tx, rx, mut client, to_bridge) = fake_socket();
        let (console, mut guest) = fake_console();
        let (_drop_tx, dropped) = oneshot::channel();
        let bridge = spawn_serial(tx, rx, console, dropped, Duration::from_secs(60));
        expect_connected(&mut client).await;
        to_bridge
            .send(Message::Binary(Bytes::from(vec![b'a'; MAX_MESSAGE + 1])))
            .unwrap();
        assert_eq!(close_of(&next(&mut client).await).map(|c| c.0), Some(1009));
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_TOO_BIG));
        assert!(guest.input.recv().await.is_none(), "nothing reached the guest");
    }

    #[tokio::test]
    async fn refusals_send_the_error_frame_then_the_close() {
        let (mut tx, _rx, mut client, _to_bridge) = fake_socket();
        let refused = ConsoleRefused {
            refusal: Refusal::Held,
            error: AppError::conflict("alice has the serial console of VM web1 open."),
            held_by: Some("alice".into()),
        };
        send_refusal(&mut tx, &refused).await;
        let Message::Text(text) = next(&mut client).await else {
            panic!("a text frame first")
        };
        let frame: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(frame["type"], "error");
        assert_eq!(frame["held_by"], "alice");
        assert_eq!(close_of(&next(&mut client).await).map(|c| c.0), Some(4409));

        let refused = ConsoleRefused {
            refusal: Refusal::Unavailable,
            error: AppError::host("Host h1 runs libvirt's test driver, which has no consoles."),
            held_by: None,
        };
        send_refusal(&mut tx, &refused).await;
        let Message::Text(text) = next(&mut client).await else {
            panic!("a text frame first")
        };
        assert!(text.as_str().contains("no consoles"));
        assert!(text.as_str().contains(r#""held_by":null"#));
        assert_eq!(close_of(&next(&mut client).await).map(|c| c.0), Some(4404));
    }

    #[tokio::test]
    async fn vnc_frames_are_spliced_to_the_display_socket() {
        let (mut tx, mut rx, mut client, to_bridge) = fake_socket();
        let (bridge_side, mut display) = tokio::io::duplex(64 * 1024);
        let (drop_tx, dropped) = oneshot::channel();
        let bridge =
            tokio::spawn(
                async move { vnc_bridge(&mut tx, &mut rx, bridge_side, dropped, Duration::from_secs(60)).await },
            );
        expect_connected(&mut client).await;
        display.write_all(b"RFB 003.008\n").await.unwrap();
        assert_eq!(
            next(&mut client).await,
            Message::Binary(Bytes::from_static(b"RFB 003.008\n"))
        );
        to_bridge
            .send(Message::Binary(Bytes::from_static(b"RFB 003.008\n")))
            .unwrap();
        let mut got = [0u8; 12];
        display.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"RFB 003.008\n");
        drop_tx.send("Taken over by carol".into()).unwrap();
        assert_eq!(
            close_of(&next(&mut client).await),
            Some((4001, "Taken over by carol".into()))
        );
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_TAKEN_OVER));

        // The display closing is a hang-up.
        let (mut tx, mut rx, mut client, _to_bridge) = fake_socket();
        let (bridge_side, display) = tokio::io::duplex(1024);
        let (_drop_tx, dropped) = oneshot::channel();
        let bridge =
            tokio::spawn(
                async move { vnc_bridge(&mut tx, &mut rx, bridge_side, dropped, Duration::from_secs(60)).await },
            );
        expect_connected(&mut client).await;
        drop(display);
        assert_eq!(close_of(&next(&mut client).await).map(|c| c.0), Some(4003));
        assert_eq!(bridge.await.unwrap().code, Some(CLOSE_HUNG_UP));
    }
}
