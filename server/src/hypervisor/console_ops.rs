//! Consoles: a domain's serial console as a non-blocking libvirt stream, and a socket to its VNC
//! display.
//!
//! The serial console is `virDomainOpenConsole` on a `VIR_STREAM_NONBLOCK` stream whose events
//! libvirt's event loop (`domain_events::start_event_loop`, a thread of its own) delivers to
//! `on_stream` here: readable → `virStreamRecv` until it would block, in chunks of at most
//! [`CHUNK`] bytes, into the bounded output channel; writable → the pending keystrokes into
//! `virStreamSend`. No thread ever waits for a byte. Memory stays bounded both ways: when the output
//! channel is full the stream stops asking for READABLE until the consumer has made room, and at
//! most [`MAX_PENDING_INPUT`] bytes of input wait for the stream (the input task takes no more
//! from its channel until they are sent). The callback is registered with raw FFI and a boxed
//! `Arc` of this module's own state, freed by libvirt through `free_opaque` — the `virt` crate's
//! `Stream::event_add_callback` keeps the address of the `Stream` value itself and panics in
//! `Drop`, so it cannot be moved into a channel's owner.
//!
//! Closing happens exactly once (whoever takes the stream pointer out of the state under its lock
//! releases it): at end of file, on a stream error or hang-up, when the Rust side drops its input
//! sender or its output receiver. Releasing — remove the callback, `virStreamAbort`,
//! `virStreamFree` — may wait for libvirtd's answer, so it runs on the blocking pool.

use super::connection_pool::Session;
use super::errors::HypervisorError;
use super::ConsoleStream;
use axum::body::Bytes;
use std::collections::VecDeque;
use std::ffi::CStr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::raw::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;
use vireo_app::domain::host_address::HostAddress;
use virt_sys as sys;

/// The most one `virStreamRecv` reads, and so the largest output chunk.
pub const CHUNK: usize = 16 * 1024;
/// Output chunks buffered for a consumer that is slower than the guest (at most 256 KiB).
pub const OUTPUT_CHUNKS: usize = 16;
/// Input messages buffered in the channel before the input task takes them.
pub const INPUT_MESSAGES: usize = 16;
/// Input bytes taken from the channel but not yet accepted by the stream.
pub const MAX_PENDING_INPUT: usize = 64 * 1024;

/// What a driver without consoles (libvirt's test driver) is reported as.
pub const NO_CONSOLES: &str = "the host's libvirt driver has no consoles";

const READABLE: c_int = sys::VIR_STREAM_EVENT_READABLE as c_int;
const WRITABLE: c_int = sys::VIR_STREAM_EVENT_WRITABLE as c_int;
const ERROR: c_int = sys::VIR_STREAM_EVENT_ERROR as c_int;
const HANGUP: c_int = sys::VIR_STREAM_EVENT_HANGUP as c_int;

/// A stream pointer that may cross threads: libvirt's stream calls are thread-safe, and this module
/// uses it only under `Shared::state`'s lock or after taking it out of the state (then alone).
struct StreamPtr(sys::virStreamPtr);

// SAFETY: see the type's comment; libvirt objects are reference-counted and locked internally.
unsafe impl Send for StreamPtr {}

type Output = mpsc::Sender<Result<Bytes, HypervisorError>>;

struct State {
    /// `None` once closed: nothing touches the stream after that but the one releasing it.
    stream: Option<StreamPtr>,
    /// Dropped at close, which is how the consumer learns of the end.
    output: Option<Output>,
    pending: VecDeque<Bytes>,
    pending_bytes: usize,
    /// READABLE is asked for (not while the output channel is full).
    reading: bool,
    /// The event callback is registered (so closing removes it).
    callback: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the input task: room for more input, or the stream closed.
    wake: Notify,
    runtime: tokio::runtime::Handle,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent before anything can panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks libvirt for the events the state needs now.
    fn set_events(&self, st: &State) -> Result<(), HypervisorError> {
        let Some(stream) = st.stream.as_ref() else {
            return Ok(());
        };
        if !st.callback {
            return Ok(());
        }
        let mut events = ERROR | HANGUP;
        if st.reading {
            events |= READABLE;
        }
        // WRITABLE only with something to write: libvirt reports a writable stream on every turn of
        // its loop, which would spin.
        if !st.pending.is_empty() {
            events |= WRITABLE;
        }
        // SAFETY: a live stream (still in the state, under the lock) with a registered callback.
        if unsafe { sys::virStreamEventUpdateCallback(stream.0, events) } < 0 {
            return Err(last_error("the console's stream could not be watched"));
        }
        Ok(())
    }

    /// Marks the stream closed: the consumer gets `error` (when there is room for it) and then the
    /// channel's end; the input task wakes and ends. Returns the stream for `release`, once.
    fn close(&self, st: &mut State, error: Option<HypervisorError>) -> Option<(StreamPtr, bool)> {
        if let Some(output) = st.output.take() {
            if let Some(e) = error {
                let _ = output.try_send(Err(e));
            }
        }
        st.pending.clear();
        st.pending_bytes = 0;
        self.wake.notify_one();
        st.stream.take().map(|s| (s, st.callback))
    }

    /// Releases a closed stream off the caller's thread (libvirt's event loop or a runtime worker).
    fn release(&self, taken: Option<(StreamPtr, bool)>) {
        if let Some((stream, callback)) = taken {
            // A runtime that is shutting down does not run it; the process is ending then.
            drop(self.runtime.spawn_blocking(move || release(stream, callback)));
        }
    }

    fn close_and_release(&self, error: Option<HypervisorError>) {
        let taken = {
            let mut st = self.lock();
            self.close(&mut st, error)
        };
        self.release(taken);
    }

    /// The event loop's callback body.
    fn on_events(self: &Arc<Self>, events: c_int) {
        let mut st = self.lock();
        let Some(stream) = st.stream.as_ref().map(|s| s.0) else {
            return;
        };
        let mut end: Option<Option<HypervisorError>> = None;
        if events & WRITABLE != 0 {
            if let Err(e) = self.write_pending(stream, &mut st) {
                end = Some(Some(e));
            }
        }
        if end.is_none() && events & READABLE != 0 && st.reading {
            end = self.read_available(stream, &mut st);
        }
        if end.is_none() && events & (ERROR | HANGUP) != 0 {
            end = Some(Some(if events & ERROR != 0 {
                last_error("the console's stream failed")
            } else {
                HypervisorError::Libvirt("the console was closed on the host".into())
            }));
        }
        match end {
            Some(error) => {
                let taken = self.close(&mut st, error);
                drop(st);
                self.release(taken);
            }
            None => {
                if let Err(e) = self.set_events(&st) {
                    let taken = self.close(&mut st, Some(e));
                    drop(st);
                    self.release(taken);
                }
            }
        }
    }

    /// Reads until the stream would block or the output channel is full. `Some` when the stream
    /// ended (with the error when it failed).
    fn read_available(self: &Arc<Self>, stream: sys::virStreamPtr, st: &mut State) -> Option<Option<HypervisorError>> {
        let output = st.output.clone()?;
        let mut buf = [0u8; CHUNK];
        loop {
            let permit = match output.try_reserve() {
                Ok(permit) => permit,
                Err(mpsc::error::TrySendError::Full(())) => {
                    // Stop reading until the consumer has room; libvirt keeps the data meanwhile.
                    st.reading = false;
                    self.resume_when_room(output.clone());
                    return None;
                }
                // The consumer is gone: the console is no longer wanted.
                Err(mpsc::error::TrySendError::Closed(())) => return Some(None),
            };
            // SAFETY: a live stream; `buf` is writable for `CHUNK` bytes.
            let n = unsafe { sys::virStreamRecv(stream, buf.as_mut_ptr() as *mut c_char, CHUNK) };
            match n {
                -2 => return None,
                0 => return Some(None),
                n if n > 0 => {
                    let n = usize::try_from(n).unwrap_or(0).min(CHUNK);
                    permit.send(Ok(Bytes::copy_from_slice(&buf[..n])));
                }
                _ => return Some(Some(last_error("reading the console failed"))),
            }
        }
    }

    /// Sends pending input until the stream would block.
    fn write_pending(&self, stream: sys::virStreamPtr, st: &mut State) -> Result<(), HypervisorError> {
        while let Some(front) = st.pending.front_mut() {
            // SAFETY: a live stream; `front` is readable for its length.
            let n = unsafe { sys::virStreamSend(stream, front.as_ptr() as *const c_char, front.len()) };
            if n == -2 {
                break;
            }
            let Ok(n) = usize::try_from(n) else {
                return Err(last_error("writing to the console failed"));
            };
            let n = n.min(front.len());
            st.pending_bytes = st.pending_bytes.saturating_sub(n);
            if n == front.len() {
                st.pending.pop_front();
            } else {
                *front = front.slice(n..);
            }
        }
        // Room for more input (the task checks how much).
        self.wake.notify_one();
        Ok(())
    }

    /// Asks for READABLE again once the output channel has a free slot.
    fn resume_when_room(self: &Arc<Self>, output: Output) {
        let shared = self.clone();
        self.runtime.spawn(async move {
            let room = output.reserve().await.is_ok();
            drop(output);
            let mut st = shared.lock();
            if !room {
                let taken = shared.close(&mut st, None);
                drop(st);
                shared.release(taken);
                return;
            }
            st.reading = true;
            if let Err(e) = shared.set_events(&st) {
                let taken = shared.close(&mut st, Some(e));
                drop(st);
                shared.release(taken);
            }
        });
    }
}

/// Called by libvirt's event loop.
unsafe extern "C" fn on_stream(_stream: sys::virStreamPtr, events: c_int, opaque: *mut c_void) {
    // SAFETY: `opaque` is the `Box<Arc<Shared>>` made in `open_serial`, alive until `free_opaque`.
    let shared = unsafe { &*(opaque as *const Arc<Shared>) };
    shared.on_events(events);
}

unsafe extern "C" fn free_opaque(opaque: *mut c_void) {
    // SAFETY: libvirt calls this once, with the pointer `open_serial` leaked.
    drop(unsafe { Box::from_raw(opaque as *mut Arc<Shared>) });
}

/// Removes the callback (libvirt then frees its `Arc`), aborts and frees the stream.
fn release(stream: StreamPtr, callback: bool) {
    // SAFETY: taken out of the state exactly once, so no other call uses it any more. Failures only
    // mean the stream had already ended on libvirt's side.
    unsafe {
        if callback {
            let _ = sys::virStreamEventRemoveCallback(stream.0);
        }
        let _ = sys::virStreamAbort(stream.0);
        let _ = sys::virStreamFree(stream.0);
    }
}

/// Takes the input channel's bytes into the pending queue (bounded) and asks for WRITABLE; closes
/// the stream when the Rust side lets go of either channel.
async fn pump_input(shared: Arc<Shared>, mut input: mpsc::Receiver<Bytes>, output: Output) {
    loop {
        let notified = shared.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let room = {
            let st = shared.lock();
            if st.stream.is_none() {
                return;
            }
            st.pending_bytes < MAX_PENDING_INPUT
        };
        if !room {
            tokio::select! {
                _ = &mut notified => continue,
                _ = output.closed() => return shared.close_and_release(None),
            }
        }
        tokio::select! {
            message = input.recv() => match message {
                Some(bytes) if bytes.is_empty() => {}
                Some(bytes) => {
                    let mut st = shared.lock();
                    if st.stream.is_none() {
                        return;
                    }
                    st.pending_bytes += bytes.len();
                    st.pending.push_back(bytes);
                    if let Err(e) = shared.set_events(&st) {
                        let taken = shared.close(&mut st, Some(e));
                        drop(st);
                        return shared.release(taken);
                    }
                }
                None => return shared.close_and_release(None),
            },
            _ = output.closed() => return shared.close_and_release(None),
            _ = &mut notified => {}
        }
    }
}

/// libvirt's last error on this thread: its code and message.
fn last_error_parts() -> (c_int, Option<String>) {
    // SAFETY: thread-local values owned by libvirt; the message is null or NUL-terminated.
    unsafe {
        let code = sys::virGetLastErrorCode();
        let msg = sys::virGetLastErrorMessage();
        let msg = (!msg.is_null()).then(|| CStr::from_ptr(msg).to_string_lossy().into_owned());
        (code, msg)
    }
}

fn last_error(fallback: &str) -> HypervisorError {
    HypervisorError::Libvirt(last_error_parts().1.unwrap_or_else(|| fallback.to_string()))
}

/// What opening a console failed with, by libvirt's error code: "not supported" is a driver
/// without consoles; "operation failed" without `force` is another client holding it (libvirt's
/// qemu driver gives that code for "Active console session exists for this domain"; the same code
/// also covers a console that is not a pty, so the message's words decide between the two).
pub fn classify_open_error(code: c_int, message: Option<String>, force: bool, no_support: &str) -> HypervisorError {
    let message = message.unwrap_or_else(|| "libvirt could not open the console".to_string());
    match u32::try_from(code) {
        Ok(sys::VIR_ERR_NO_SUPPORT) => HypervisorError::ConsoleUnavailable(no_support.to_string()),
        Ok(sys::VIR_ERR_OPERATION_FAILED) if !force && message.to_ascii_lowercase().contains("console session") => {
            HypervisorError::ConsoleHeld
        }
        _ => HypervisorError::Libvirt(message),
    }
}

/// Opens the domain's (first) serial console. Runs on the pool's blocking path; `runtime` is where
/// the input task and releases run.
pub(super) fn open_serial(
    s: &Session<'_>,
    id: Uuid,
    force: bool,
    runtime: tokio::runtime::Handle,
) -> Result<ConsoleStream, HypervisorError> {
    // Looked up on this very connection, not from the pool's handle cache: libvirt refuses a
    // stream and a domain of different connections ("stream must match connection of domain"),
    // and a cached handle can outlive the connection it came from.
    let dom = super::connection_pool::lookup(s.conn, id)?
        .ok_or_else(|| HypervisorError::Libvirt("the domain is not defined on its host".into()))?;
    // SAFETY: a live connection; the stream takes its own reference to it.
    let stream = unsafe { sys::virStreamNew(s.conn.as_ptr(), sys::VIR_STREAM_NONBLOCK) };
    if stream.is_null() {
        return Err(last_error("libvirt could not make a stream"));
    }
    let mut flags = sys::VIR_DOMAIN_CONSOLE_SAFE;
    if force {
        flags |= sys::VIR_DOMAIN_CONSOLE_FORCE;
    }
    // SAFETY: live domain and stream; a null device name is the domain's first console.
    if unsafe { sys::virDomainOpenConsole(dom.as_ptr(), std::ptr::null(), stream, flags) } < 0 {
        let (code, message) = last_error_parts();
        // SAFETY: the stream made above, used by nothing else.
        unsafe { sys::virStreamFree(stream) };
        return Err(classify_open_error(code, message, force, NO_CONSOLES));
    }
    let (out_tx, out_rx) = mpsc::channel(OUTPUT_CHUNKS);
    let (in_tx, in_rx) = mpsc::channel(INPUT_MESSAGES);
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            stream: Some(StreamPtr(stream)),
            output: Some(out_tx.clone()),
            pending: VecDeque::new(),
            pending_bytes: 0,
            reading: true,
            callback: false,
        }),
        wake: Notify::new(),
        runtime: runtime.clone(),
    });
    {
        // Registered under the lock, so a first event waits until the state knows of it.
        let mut st = shared.lock();
        let opaque = Box::into_raw(Box::new(shared.clone()));
        // SAFETY: a live stream; `opaque` is freed by `free_opaque` when the registration ends.
        let rc = unsafe {
            sys::virStreamEventAddCallback(
                stream,
                READABLE | ERROR | HANGUP,
                Some(on_stream),
                opaque as *mut c_void,
                Some(free_opaque),
            )
        };
        if rc < 0 {
            // Not registered, so libvirt will not free it.
            // SAFETY: the pointer leaked above, not handed to libvirt.
            drop(unsafe { Box::from_raw(opaque) });
            let e = last_error("libvirt could not watch the console's stream");
            if let Some((stream, _)) = shared.close(&mut st, None) {
                release(stream, false);
            }
            return Err(e);
        }
        st.callback = true;
    }
    runtime.spawn(pump_input(shared, in_rx, out_tx));
    Ok(ConsoleStream {
        output: out_rx,
        input: in_tx,
    })
}

/// Whether Vireo can be handed the display's socket for a host: libvirt passes descriptors only to
/// clients on the host itself (its UNIX socket), so this machine and its simulated hosts only.
pub fn graphics_reachable(uri: &str) -> Result<(), HypervisorError> {
    match HostAddress::parse_uri(uri) {
        Err(refused) => Err(HypervisorError::UriRefused(refused.0)),
        Ok(HostAddress::Local | HostAddress::Simulated { .. }) => Ok(()),
        Ok(HostAddress::Ssh { .. } | HostAddress::Tls { .. }) => Err(HypervisorError::ConsoleUnavailable(
            "the host is remote: libvirt hands a display's socket only to clients on the host itself, and Vireo does not forward it over SSH yet"
                .into(),
        )),
    }
}

/// A socket connected to the domain's first display (QEMU's own authentication skipped: Vireo has
/// checked the user).
pub(super) fn open_graphics(s: &Session<'_>, id: Uuid) -> Result<OwnedFd, HypervisorError> {
    // Looked up on this very connection, not from the pool's handle cache: libvirt refuses a
    // stream and a domain of different connections ("stream must match connection of domain"),
    // and a cached handle can outlive the connection it came from.
    let dom = super::connection_pool::lookup(s.conn, id)?
        .ok_or_else(|| HypervisorError::Libvirt("the domain is not defined on its host".into()))?;
    // SAFETY: a live domain.
    let fd = unsafe { sys::virDomainOpenGraphicsFD(dom.as_ptr(), 0, sys::VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH) };
    if fd < 0 {
        let (code, message) = last_error_parts();
        return Err(classify_open_error(code, message, true, NO_CONSOLES));
    }
    // SAFETY: libvirt hands the descriptor over to the caller.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_errors_are_classified_by_code() {
        let no_support = c_int::try_from(sys::VIR_ERR_NO_SUPPORT).unwrap();
        let failed = c_int::try_from(sys::VIR_ERR_OPERATION_FAILED).unwrap();
        assert_eq!(
            classify_open_error(
                no_support,
                Some("this function is not supported".into()),
                false,
                NO_CONSOLES
            ),
            HypervisorError::ConsoleUnavailable(NO_CONSOLES.into())
        );
        let held = Some("operation failed: Active console session exists for this domain".to_string());
        assert_eq!(
            classify_open_error(failed, held.clone(), false, NO_CONSOLES),
            HypervisorError::ConsoleHeld
        );
        // Forced, it cannot be "held": libvirt's message is kept.
        assert!(matches!(
            classify_open_error(failed, held, true, NO_CONSOLES),
            HypervisorError::Libvirt(_)
        ));
        assert_eq!(
            classify_open_error(
                failed,
                Some("character device serial0 is not using a PTY".into()),
                false,
                NO_CONSOLES
            ),
            HypervisorError::Libvirt("character device serial0 is not using a PTY".into())
        );
        assert_eq!(
            classify_open_error(1, None, false, NO_CONSOLES),
            HypervisorError::Libvirt("libvirt could not open the console".into())
        );
    }

    #[test]
    fn graphics_reach_only_hosts_on_this_machine() {
        assert_eq!(graphics_reachable("qemu:///system"), Ok(()));
        assert_eq!(graphics_reachable("test:///default"), Ok(()));
        assert_eq!(graphics_reachable("test+unix:///default"), Ok(()));
        for remote in [
            "qemu+ssh://root@kvm1.example.com/system",
            "qemu+tls://kvm1.example.com/system",
        ] {
            let Err(HypervisorError::ConsoleUnavailable(why)) = graphics_reachable(remote) else {
                panic!("{remote} must be refused");
            };
            assert!(why.contains("remote"), "{why}");
        }
        assert!(matches!(
            graphics_reachable("qemu+ext:///system?command=/bin/sh"),
            Err(HypervisorError::UriRefused(_))
        ));
    }
}
