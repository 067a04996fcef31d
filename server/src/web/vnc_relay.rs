//! The one-time VNC relay behind the REST API's `remoteviewerconnectionfile`: what lets
//! `remote-viewer` (or any VNC client) reach a VM's display although that display listens on a UNIX
//! socket on its host and no TCP port is open there.
//!
//! For each `.vv` file, Vireo listens on an ephemeral TCP port of the address it serves on, for at
//! most the console ticket's lifetime, and accepts exactly one connection (the listener is closed as
//! soon as it has one, so a wrong password costs the whole relay: there is no second guess). To that
//! client it speaks RFB 3.8 as a server offering only VNC Authentication, whose password is the
//! relay's own 8 random printable characters (VNC passwords are 8 bytes; DES with VNC's bit-reversed
//! key, the RustCrypto `des` crate). Only once the client has proven it knows the password is the
//! VM's display opened (`VireoService::open_console` with the console ticket the file was issued
//! with, bound to the same user and VM): the relay then does the client side of the handshake
//! towards the display (QEMU offers security type None on its UNIX socket), answers the client's
//! SecurityResult, and splices both directions until either side hangs up or the service drops
//! the session (taken over, idle, user disabled).
//!
//! Every read is of a fixed, small size or bounded (reason strings), and every handshake step has a
//! deadline, so a client that stalls or sends garbage holds nothing for long.

use crate::service::VireoService;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use uuid::Uuid;
use vireo_app::error::AppError;
use vireo_app::models::{ConsoleKind, ConsoleTicket, CurrentUser};

/// The only protocol version the relay speaks, to the client and to the display.
pub const RFB_VERSION: &[u8; 12] = b"RFB 003.008\n";
/// RFB security types.
pub const SECURITY_NONE: u8 = 1;
pub const SECURITY_VNC_AUTH: u8 = 2;
/// VNC Authentication's password length (longer ones are cut by every client).
pub const PASSWORD_LEN: usize = 8;
/// The deadline of each handshake step (a read or a write, or opening the display).
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest failure reason read from the display (RFB puts a u32 length in front of it).
const MAX_REASON: u32 = 1024;
/// Relays waiting for their client or relaying at once, over all users.
const MAX_RELAYS: usize = 32;
/// Characters of a relay password: letters and digits without the look-alikes (0/O, 1/l/I), since
/// a user may have to type it.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("timed out while {0}")]
    Timeout(&'static str),
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("the client does not speak RFB 3.8 ({0:?})")]
    ClientVersion(String),
    #[error("the client chose security type {0}, not VNC Authentication")]
    SecurityType(u8),
    #[error("wrong VNC password")]
    WrongPassword,
    #[error("the console could not be opened: {0}")]
    Open(String),
    #[error("the VM's display: {0}")]
    Display(String),
}

/// How a relay that got through both handshakes ended.
#[derive(Debug, PartialEq, Eq)]
pub enum RelayEnd {
    /// One side hung up (bytes relayed client → display, display → client).
    HungUp { to_display: u64, to_client: u64 },
    /// The service ended the session (taken over, idle, user disabled): its reason.
    Dropped(String),
}

async fn step<T>(what: &'static str, fut: impl Future<Output = std::io::Result<T>>) -> Result<T, RelayError> {
    match tokio::time::timeout(STEP_TIMEOUT, fut).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(RelayError::Timeout(what)),
    }
}

async fn read_array<const N: usize, R: AsyncRead + Unpin>(
    reader: &mut R,
    what: &'static str,
) -> Result<[u8; N], RelayError> {
    let mut buf = [0u8; N];
    step(what, reader.read_exact(&mut buf)).await?;
    Ok(buf)
}

async fn write_all<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8], what: &'static str) -> Result<(), RelayError> {
    step(what, async {
        writer.write_all(bytes).await?;
        writer.flush().await
    })
    .await
}

/// VNC Authentication's answer to `challenge`: each 8-byte half DES-encrypted (ECB) under the
/// password, NUL-padded to 8 bytes, with every key byte's bits reversed (VNC's historical quirk).
pub fn vnc_auth_response(password: &[u8], challenge: &[u8; 16]) -> [u8; 16] {
    use des::cipher::{BlockEncrypt, KeyInit};
    let mut key = [0u8; PASSWORD_LEN];
    for (k, p) in key.iter_mut().zip(password) {
        *k = p.reverse_bits();
    }
    let cipher = des::Des::new(&key.into());
    let mut out = *challenge;
    for block in out.chunks_exact_mut(8) {
        cipher.encrypt_block(block.into());
    }
    out
}

/// Compares without an early exit, so the time taken says nothing about where they differ.
fn same_bytes(a: &[u8; 16], b: &[u8; 16]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SecurityResult "failed" with its reason (RFB 3.8), best effort: the connection is closed next.
async fn refuse<C: AsyncWrite + Unpin>(client: &mut C, reason: &str) {
    let reason = reason.as_bytes();
    let mut message = Vec::with_capacity(8 + reason.len());
    message.extend_from_slice(&1u32.to_be_bytes());
    message.extend_from_slice(&(reason.len() as u32).to_be_bytes());
    message.extend_from_slice(reason);
    let _ = write_all(client, &message, "refusing the client").await;
    let _ = tokio::time::timeout(STEP_TIMEOUT, client.shutdown()).await;
}

/// The server side of RFB 3.8 towards the client, up to checking its VNC Authentication response
/// (the SecurityResult is the caller's: success waits for the display). A wrong answer is refused
/// here, with a reason.
async fn client_handshake<C: AsyncRead + AsyncWrite + Unpin>(
    client: &mut C,
    password: &[u8; PASSWORD_LEN],
    challenge: &[u8; 16],
) -> Result<(), RelayError> {
    write_all(client, RFB_VERSION, "greeting the client").await?;
    let version: [u8; 12] = read_array(client, "reading the client's version").await?;
    if &version != RFB_VERSION {
        // RFB 3.3 and 3.7 clients have no way to read a reason: they are just closed.
        return Err(RelayError::ClientVersion(
            String::from_utf8_lossy(&version).into_owned(),
        ));
    }
    write_all(client, &[1, SECURITY_VNC_AUTH], "offering VNC Authentication").await?;
    let [chosen] = read_array(client, "reading the client's security type").await?;
    if chosen != SECURITY_VNC_AUTH {
        refuse(client, "This console offers VNC Authentication only.").await;
        return Err(RelayError::SecurityType(chosen));
    }
    write_all(client, challenge, "sending the challenge").await?;
    let response: [u8; 16] = read_array(client, "reading the client's response").await?;
    if !same_bytes(&response, &vnc_auth_response(password, challenge)) {
        refuse(
            client,
            "Wrong password: the ticket of this console file is not valid (each file works once).",
        )
        .await;
        return Err(RelayError::WrongPassword);
    }
    Ok(())
}

/// The client side of RFB 3.8 towards the VM's display, with security type None, up to its
/// SecurityResult. The display's ServerInit comes later, through the splice, after the client's
/// ClientInit.
async fn display_handshake<D: AsyncRead + AsyncWrite + Unpin>(display: &mut D) -> Result<(), RelayError> {
    let version: [u8; 12] = read_array(display, "reading the display's version").await?;
    if &version != RFB_VERSION {
        return Err(RelayError::Display(format!(
            "it speaks {:?}, not RFB 3.8",
            String::from_utf8_lossy(&version)
        )));
    }
    write_all(display, RFB_VERSION, "answering the display's version").await?;
    let [count] = read_array(display, "reading the display's security types").await?;
    if count == 0 {
        return Err(RelayError::Display(read_reason(display).await?));
    }
    let mut types = vec![0u8; usize::from(count)];
    step("reading the display's security types", display.read_exact(&mut types)).await?;
    if !types.contains(&SECURITY_NONE) {
        return Err(RelayError::Display(format!(
            "it asks for authentication (security types {types:?}), not None"
        )));
    }
    write_all(display, &[SECURITY_NONE], "choosing security type None").await?;
    let result: [u8; 4] = read_array(display, "reading the display's security result").await?;
    if u32::from_be_bytes(result) != 0 {
        return Err(RelayError::Display(read_reason(display).await?));
    }
    Ok(())
}

/// A failure reason the display sent (u32 length, text), bounded.
async fn read_reason<D: AsyncRead + Unpin>(display: &mut D) -> Result<String, RelayError> {
    let length = u32::from_be_bytes(read_array(display, "reading the display's reason").await?);
    let mut reason = vec![0u8; length.min(MAX_REASON) as usize];
    step("reading the display's reason", display.read_exact(&mut reason)).await?;
    Ok(format!("it refused: {}", String::from_utf8_lossy(&reason)))
}

/// Relays one client: its VNC Authentication against `password`, then `open()` (the display and a
/// future that resolves with a reason when the service ends the session; dropping it releases the
/// console), the handshake with the display, and the splice. Any failure before the splice is told
/// to the client as a failed SecurityResult with a reason where RFB allows it.
pub async fn relay<C, D, E, F, Fut>(
    mut client: C,
    password: &[u8; PASSWORD_LEN],
    open: F,
) -> Result<RelayEnd, RelayError>
where
    C: AsyncRead + AsyncWrite + Unpin,
    D: AsyncRead + AsyncWrite + Unpin,
    E: Future<Output = String> + Unpin,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(D, E), String>>,
{
    let mut challenge = [0u8; 16];
    {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        OsRng.fill_bytes(&mut challenge);
    }
    client_handshake(&mut client, password, &challenge).await?;
    let opened = match tokio::time::timeout(STEP_TIMEOUT, open()).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(reason)) => {
            refuse(&mut client, &reason).await;
            return Err(RelayError::Open(reason));
        }
        Err(_) => {
            refuse(&mut client, "The VM's display did not open in time.").await;
            return Err(RelayError::Timeout("opening the display"));
        }
    };
    let (mut display, mut ended) = opened;
    if let Err(e) = display_handshake(&mut display).await {
        refuse(
            &mut client,
            &format!("The VM's display did not answer as expected: {e}."),
        )
        .await;
        return Err(e);
    }
    write_all(&mut client, &0u32.to_be_bytes(), "accepting the client").await?;
    // Either side's end ends both: a viewer gone or a display gone leaves nothing to relay (a half
    // open connection would only hold a slot).
    let (mut client_in, mut client_out) = tokio::io::split(client);
    let (mut display_in, mut display_out) = tokio::io::split(display);
    let (mut to_display, mut to_client) = (0u64, 0u64);
    let end = tokio::select! {
        _ = pump(&mut client_in, &mut display_out, &mut to_display) => None,
        _ = pump(&mut display_in, &mut client_out, &mut to_client) => None,
        reason = &mut ended => Some(reason),
    };
    Ok(match end {
        Some(reason) => RelayEnd::Dropped(reason),
        None => RelayEnd::HungUp { to_display, to_client },
    })
}

/// Copies `from` into `to` until `from` ends (then shuts `to` down) or either fails, counting.
async fn pump<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(from: &mut R, to: &mut W, count: &mut u64) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).await.is_err() || to.flush().await.is_err() {
                    return;
                }
                *count += n as u64;
            }
        }
    }
    let _ = to.shutdown().await;
}

/// 8 random characters of `PASSWORD_ALPHABET` from the OS random source (rejection sampling, so
/// each character is uniform).
pub fn relay_password() -> [u8; PASSWORD_LEN] {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let limit = 256 - 256 % PASSWORD_ALPHABET.len();
    let mut out = [0u8; PASSWORD_LEN];
    let mut filled = 0;
    while filled < PASSWORD_LEN {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        if usize::from(byte[0]) < limit {
            out[filled] = PASSWORD_ALPHABET[usize::from(byte[0]) % PASSWORD_ALPHABET.len()];
            filled += 1;
        }
    }
    out
}

/// What a `.vv` file needs to reach a relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayOffer {
    pub port: u16,
    pub password: String,
    /// Seconds the relay waits for its client.
    pub expires_in: u32,
}

/// Resolves with the service's reason when it ends the session; holds the session (and so the
/// console) while the relay runs. A session whose sender is gone without a reason just runs on.
struct SessionEnd(crate::service::consoles::ConsoleSession, bool);

impl Future for SessionEnd {
    type Output = String;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        if self.1 {
            return Poll::Pending;
        }
        match Pin::new(&mut self.0.dropped).poll(cx) {
            Poll::Ready(Ok(reason)) => Poll::Ready(reason),
            Poll::Ready(Err(_)) => {
                self.1 = true;
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The VM's display as an async stream: a second descriptor for the session's socket, so the
/// session itself stays whole (and held) beside it.
fn display_stream(session: &crate::service::consoles::ConsoleSession) -> Result<tokio::net::UnixStream, String> {
    let crate::service::consoles::ConsoleIo::Vnc(fd) = &session.io else {
        return Err("The console opened is not a graphical one.".into());
    };
    let socket = fd
        .try_clone()
        .map(std::os::unix::net::UnixStream::from)
        .and_then(|s| {
            s.set_nonblocking(true)?;
            tokio::net::UnixStream::from_std(s)
        })
        .map_err(|e| format!("The VM's display socket cannot be used: {e}"))?;
    Ok(socket)
}

/// The relays, one per `.vv` file handed out; `MAX_RELAYS` at once.
pub struct VncRelays {
    bind: IpAddr,
    slots: Arc<Semaphore>,
}

impl VncRelays {
    /// Relays listening on `bind` (the address Vireo serves on).
    pub fn new(bind: IpAddr) -> Self {
        Self {
            bind,
            slots: Arc::new(Semaphore::new(MAX_RELAYS)),
        }
    }

    /// The address relays listen on.
    pub fn bind_address(&self) -> IpAddr {
        self.bind
    }

    /// Starts a relay for `user` to `vm`'s display, redeeming `ticket` (issued to `user` for this
    /// VM's VNC console) when its client has authenticated.
    pub async fn open(
        &self,
        service: Arc<VireoService>,
        user: CurrentUser,
        vm: Uuid,
        ticket: ConsoleTicket,
    ) -> Result<RelayOffer, AppError> {
        let permit = self.slots.clone().try_acquire_owned().map_err(|_| AppError::Busy {
            message: "Too many console files are waiting for their viewer; try again in a minute.".into(),
        })?;
        let listener = TcpListener::bind((self.bind, 0)).await.map_err(|e| {
            tracing::error!("VNC relay: cannot listen on {}: {e}", self.bind);
            AppError::Internal
        })?;
        let port = listener.local_addr().map_err(|_| AppError::Internal)?.port();
        let password = relay_password();
        let offer = RelayOffer {
            port,
            password: String::from_utf8_lossy(&password).into_owned(),
            expires_in: ticket.expires_in,
        };
        let lifetime = Duration::from_secs(u64::from(ticket.expires_in));
        tokio::spawn(async move {
            let _permit = permit;
            let Ok(Ok((stream, peer))) = tokio::time::timeout(lifetime, listener.accept()).await else {
                return;
            };
            // Exactly one connection: nobody else may even try the password.
            drop(listener);
            let _ = stream.set_nodelay(true);
            let open = || async {
                let session = service
                    .open_console(&user, vm, ConsoleKind::Vnc, &ticket.ticket, false)
                    .await
                    .map_err(|e| e.to_string())?;
                let display = display_stream(&session)?;
                Ok((display, SessionEnd(session, false)))
            };
            match relay(stream, &password, open).await {
                Ok(end) => tracing::info!("VNC relay for {} to VM {vm} from {peer} ended: {end:?}", user.username),
                Err(e) => tracing::info!("VNC relay for {} to VM {vm} from {peer}: {e}", user.username),
            }
        });
        Ok(offer)
    }
}

#[cfg(test)]
mod tests;
