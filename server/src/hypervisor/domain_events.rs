//! libvirt's domain lifecycle events (started, stopped, crashed, paused …), so VM status changes
//! reach Vireo — and, through PostgreSQL and server-sent events, the grids — within a fraction of a
//! second instead of at the next reconcile tick. libvirt delivers events from its event loop, which
//! this module runs on a thread of its own; the callback only names the host and the domain that had
//! an event, and the host monitor reconciles that domain's VM (the same code as the periodic tick).

use super::{HypervisorError, LifecycleEvent};
use std::ffi::CStr;
use std::os::raw::{c_int, c_void};
use std::sync::OnceLock;
use tokio::sync::mpsc::UnboundedSender;
use virt::connect::Connect;
use virt_sys as sys;

static EVENT_LOOP: OnceLock<bool> = OnceLock::new();

/// Registers libvirt's default event loop and runs it on a dedicated thread, once per process.
/// Must happen before connections open (remote connections bind to the loop when they open).
/// Returns whether events are available.
pub fn start_event_loop() -> bool {
    *EVENT_LOOP.get_or_init(|| {
        if virt::event::event_register_default_impl().is_err() {
            tracing::warn!("libvirt's event loop could not start; VM status follows the periodic reconcile only");
            return false;
        }
        std::thread::Builder::new()
            .name("libvirt-events".into())
            .spawn(|| loop {
                if let Err(e) = virt::event::event_run_default_impl() {
                    tracing::error!(error = %e, "libvirt's event loop stopped");
                    break;
                }
            })
            .is_ok()
    })
}

/// What a callback registration carries: the host's URI and where to announce its events.
struct Watch {
    uri: String,
    tx: UnboundedSender<LifecycleEvent>,
}

/// Called by libvirt's event loop for every lifecycle event of a domain on the connection.
unsafe extern "C" fn on_lifecycle(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: `opaque` is the `Watch` boxed in `watch_lifecycle`, alive until `free_watch`.
    let watch = unsafe { &*(opaque as *const Watch) };
    let mut uuid = [0u8; sys::VIR_UUID_BUFLEN as usize];
    // SAFETY: the event's domain, valid for the callback; the buffer has VIR_UUID_BUFLEN bytes. A
    // local call (the handle carries its UUID), so the event loop never waits on the host here.
    if dom.is_null() || unsafe { sys::virDomainGetUUID(dom, uuid.as_mut_ptr()) } < 0 {
        return;
    }
    // The receiver is gone only while the process shuts down.
    let _ = watch.tx.send(LifecycleEvent {
        uri: watch.uri.clone(),
        domain: uuid::Uuid::from_bytes(uuid),
    });
}

unsafe extern "C" fn free_watch(opaque: *mut c_void) {
    // SAFETY: libvirt calls this once, with the pointer `watch_lifecycle` leaked.
    drop(unsafe { Box::from_raw(opaque as *mut Watch) });
}

fn last_error() -> HypervisorError {
    // SAFETY: a thread-local message owned by libvirt, or null.
    let msg = unsafe { sys::virGetLastErrorMessage() };
    if msg.is_null() {
        return HypervisorError::Libvirt("libvirt could not register for domain events".into());
    }
    // SAFETY: non-null and NUL-terminated.
    HypervisorError::Libvirt(unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned())
}

/// Announces `uri` and the domain on `tx` whenever a domain on `conn` changes state. Returns the
/// registration id.
pub fn watch_lifecycle(
    conn: &Connect,
    uri: &str,
    tx: UnboundedSender<LifecycleEvent>,
) -> Result<c_int, HypervisorError> {
    let opaque = Box::into_raw(Box::new(Watch {
        uri: uri.to_string(),
        tx,
    }));
    // libvirt's C API takes every event callback as the generic type and calls it with the
    // signature of the event id (its VIR_DOMAIN_EVENT_CALLBACK cast does the same).
    // SAFETY: same ABI (extern "C", pointer/int arguments); libvirt passes LIFECYCLE's arguments.
    let cb: sys::virConnectDomainEventGenericCallback = Some(unsafe {
        std::mem::transmute::<
            unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, c_int, *mut c_void),
            unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void),
        >(on_lifecycle)
    });
    // SAFETY: a live connection; `opaque` is freed by `free_watch` when the registration ends.
    let id = unsafe {
        sys::virConnectDomainEventRegisterAny(
            conn.as_ptr(),
            std::ptr::null_mut(),
            sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE as c_int,
            cb,
            opaque as *mut c_void,
            Some(free_watch),
        )
    };
    if id < 0 {
        // Registration failed, so libvirt will not free it.
        // SAFETY: the pointer leaked above, not handed to libvirt.
        drop(unsafe { Box::from_raw(opaque) });
        return Err(last_error());
    }
    Ok(id)
}

/// Ends a registration (its `Watch` is freed by libvirt).
pub fn unwatch(conn: &Connect, id: c_int) {
    // SAFETY: a live connection and an id it returned. A failure only means it already ended.
    let _ = unsafe { sys::virConnectDomainEventDeregisterAny(conn.as_ptr(), id) };
}
