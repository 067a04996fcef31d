//! Everything Vireo asks of libvirt goes through the `Hypervisor` trait. The real implementation keeps
//! one connection per host URI and runs every (blocking) libvirt call off the async runtime's
//! worker — on tokio's blocking pool with a deadline, so a hung host never stalls the runtime and a
//! dead one only fails its own calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;
use vireo_app::domain::capabilities;
use vireo_app::domain::host_topology::HostTopology;
use virt::connect::Connect;

mod domain_events;
pub mod topology_files;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HypervisorError {
    /// libvirt's own message, for the user: from calls on an open connection to a URI Vireo built,
    /// where it describes the host or the domain, never a file's contents.
    #[error("{0}")]
    Libvirt(String),
    /// Opening the connection failed. libvirt's message is not kept: depending on the URI it can
    /// quote a file (the test driver parses the path it is given and quotes it on a parse error),
    /// ssh's output or a socket path. The kind is enough for the user; the full message goes to the
    /// operator's debug log.
    #[error("{0}")]
    Connect(ConnectFailure),
    /// Vireo does not open this URI (`HostAddress::parse_uri` refused it): a stored row that is not
    /// one Vireo would build.
    #[error("Vireo does not connect to this URI: {0}")]
    UriRefused(String),
    #[error("no answer from the host within {0} seconds")]
    Timeout(u64),
    #[error("{0}")]
    Capabilities(String),
}

/// Why a connection could not be opened, as a fixed message per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectFailure {
    #[error("the host did not answer (network, ssh or libvirt socket error)")]
    NoAnswer,
    #[error("authentication failed")]
    Authentication,
    #[error("the TLS handshake or its certificates failed")]
    Tls,
    #[error("libvirt refused the connection")]
    Refused,
}

impl ConnectFailure {
    /// Classifies libvirt's error by its code and domain, never by its text.
    pub fn classify(code: virt::error::ErrorNumberEnum, domain: virt::error::ErrorDomainEnum) -> Self {
        use virt::enumutil::Enum::Known;
        use virt::error::{ErrorDomain as D, ErrorNumber as N};
        match (code, domain) {
            (Known(N::AuthFailed | N::AuthCancelled | N::AuthUnavailable), _) | (_, Known(D::Auth)) => {
                Self::Authentication
            }
            (Known(N::GnutlsError), _) | (_, Known(D::Crypto)) => Self::Tls,
            (
                Known(
                    N::SystemError
                    | N::NoConnect
                    | N::Rpc
                    | N::OperationTimeout
                    | N::UnknownHost
                    | N::NoServer
                    | N::Ssh
                    | N::Libssh,
                ),
                _,
            )
            | (_, Known(D::Rpc | D::Remote | D::Ssh | D::Libssh)) => Self::NoAnswer,
            _ => Self::Refused,
        }
    }
}

/// What Vireo reads from a host when it is added or refreshed.
#[derive(Clone, Debug)]
pub struct HostProbe {
    pub hostname: String,
    pub driver: String,
    pub topology: HostTopology,
}

#[async_trait::async_trait]
pub trait Hypervisor: Send + Sync + 'static {
    /// Connects (or reuses the connection) and reads capabilities and free huge pages.
    async fn probe(&self, uri: &str) -> Result<HostProbe, HypervisorError>;
    /// A cheap liveness check.
    async fn ping(&self, uri: &str) -> Result<(), HypervisorError>;
    /// Whether kernel same-page merging runs on the host (node memory parameter `shm_run`).
    async fn ksm_running(&self, uri: &str) -> Result<bool, HypervisorError>;
    async fn set_ksm(&self, uri: &str, running: bool) -> Result<(), HypervisorError>;
    /// Reserves `count` more huge pages of `size_kib` in each given NUMA cell (`virNodeAllocPages`).
    async fn allocate_pages(&self, uri: &str, size_kib: u64, per_cell: &[(u32, u64)]) -> Result<(), HypervisorError>;

    /// The `<domain type>` this host runs: `test`, `kvm` (QEMU with KVM) or `qemu` (emulation).
    async fn domain_type(&self, uri: &str) -> Result<String, HypervisorError>;
    /// Defines the domain (replacing an inactive definition with the same UUID) and starts it. When
    /// the start fails, the definition is removed again.
    async fn define_and_start(&self, uri: &str, xml: &str) -> Result<(), HypervisorError>;
    /// ACPI shutdown request; the guest decides when it is down.
    async fn shutdown(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError>;
    /// Immediate power off. A domain that is not running is not an error.
    async fn destroy(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError>;
    async fn reboot(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError>;
    /// Removes the definition; a domain libvirt does not know is not an error.
    async fn undefine(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError>;
    /// Powers the domain off if it runs, then removes its definition, in one call to the host.
    async fn remove_domain(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError>;
    /// Every domain on the host with its state.
    async fn domain_states(&self, uri: &str) -> Result<Vec<(Uuid, DomainState)>, HypervisorError>;
    /// Host URIs announced as their domains change state (libvirt lifecycle events), for the one
    /// consumer that reconciles them. `None` when events are unavailable or already taken.
    fn take_lifecycle_events(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<String>> {
        None
    }
}

/// What libvirt says a domain is doing, reduced to what Vireo shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainState {
    Running,
    Paused,
    ShuttingDown,
    /// Off; `crashed` when the guest crashed (on_crash=destroy leaves it off with that reason).
    Off {
        crashed: bool,
    },
}

fn state_of(dom: &virt::domain::Domain) -> Result<DomainState, HypervisorError> {
    use virt::domain::{DomainShutoffReason, DomainState as S, DomainStateReason};
    use virt::enumutil::Enum;
    let (state, reason) = dom.state().map_err(libvirt_error)?;
    let crashed = matches!(
        reason,
        Enum::Known(DomainStateReason::Shutoff(Enum::Known(DomainShutoffReason::Crashed)))
    );
    Ok(match state {
        Enum::Known(S::Running) | Enum::Known(S::Blocked) => DomainState::Running,
        Enum::Known(S::Paused) | Enum::Known(S::PMSuspended) => DomainState::Paused,
        Enum::Known(S::Shutdown) => DomainState::ShuttingDown,
        Enum::Known(S::Crashed) => DomainState::Off { crashed: true },
        _ => DomainState::Off { crashed },
    })
}

/// Looks a domain up by Vireo's id; `None` when libvirt does not know it.
fn lookup(conn: &Connect, id: Uuid) -> Result<Option<virt::domain::Domain>, HypervisorError> {
    match conn.lookup_domain_by_uuid_string(&id.to_string()) {
        Ok(d) => Ok(Some(d)),
        Err(e)
            if matches!(
                e.code(),
                virt::enumutil::Enum::Known(virt::error::ErrorNumber::NoDomain)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(libvirt_error(e)),
    }
}

/// One blocking call's view of a host: its connection and the pool's domain handles.
pub struct Session<'a> {
    conn: &'a Connect,
    pool: &'a LibvirtPool,
    uri: &'a str,
}

impl Session<'_> {
    fn handles(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Uuid), virt::domain::Domain>> {
        self.pool.domains.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The domain's handle: remembered from its definition, else looked up by UUID. A remembered
    /// handle whose domain went away fails its call; that call forgets it (`forget`).
    fn domain(&self, id: Uuid) -> Result<Option<virt::domain::Domain>, HypervisorError> {
        if let Some(dom) = self.handles().get(&(self.uri.to_string(), id)).cloned() {
            if dom.is_persistent().is_ok() {
                return Ok(Some(dom));
            }
            self.forget(id);
        }
        lookup(self.conn, id)
    }

    fn remember(&self, dom: virt::domain::Domain) {
        if let Ok(id) = dom.uuid() {
            self.handles().insert((self.uri.to_string(), id), dom);
        }
    }

    fn forget(&self, id: Uuid) {
        self.handles().remove(&(self.uri.to_string(), id));
    }
}

/// How long one libvirt call may take before Vireo gives up on it (an ssh host that does not answer
/// would otherwise hold the caller for minutes).
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

pub struct LibvirtPool {
    /// Open connections by URI.
    connections: Mutex<HashMap<String, OpenConnection>>,
    /// Handles of the domains Vireo defined, so later calls skip the by-UUID lookup (on the test
    /// driver that lookup costs as much as a third of a define + start).
    domains: Mutex<HashMap<(String, Uuid), virt::domain::Domain>>,
    /// Where lifecycle events announce their host (when libvirt's event loop runs).
    events: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    event_rx: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<String>>>,
}

/// A host's connection, with its lifecycle-event registration when there is one.
struct OpenConnection {
    conn: Arc<Connect>,
    watch: Option<std::os::raw::c_int>,
}

impl Default for LibvirtPool {
    fn default() -> Self {
        Self::new()
    }
}

impl LibvirtPool {
    pub fn new() -> Self {
        // libvirt prints every error to stderr by default; Vireo reports them itself.
        virt::error::clear_error_callback();
        let (tx, rx) = if domain_events::start_event_loop() {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        Self {
            connections: Mutex::default(),
            domains: Mutex::default(),
            events: tx,
            event_rx: Mutex::new(rx),
        }
    }

    fn connection(&self, uri: &str) -> Result<Arc<Connect>, HypervisorError> {
        if let Some(open) = self.lock().get(uri) {
            if open.conn.is_alive().unwrap_or(false) {
                return Ok(open.conn.clone());
            }
        }
        self.forget(uri);
        // The last gate before libvirt: only URIs Vireo would build itself are ever opened, whoever
        // asks (add host, a stored row, the default host, a background task).
        if let Err(refused) = vireo_app::domain::host_address::HostAddress::parse_uri(uri) {
            return Err(HypervisorError::UriRefused(refused.0));
        }
        let conn = Arc::new(Connect::open(Some(uri)).map_err(|e| {
            let kind = ConnectFailure::classify(e.code(), e.domain());
            // Only for the operator: the message may quote files or ssh's output.
            tracing::debug!(uri, code = ?e.code(), domain = ?e.domain(), message = e.message(), %kind, "libvirt connection failed");
            HypervisorError::Connect(kind)
        })?);
        // Without events the periodic reconcile still notices every change, only later.
        let watch = self.events.as_ref().and_then(|tx| {
            domain_events::watch_lifecycle(&conn, uri, tx.clone())
                .inspect_err(|e| tracing::warn!(uri, error = %e, "no lifecycle events from this host"))
                .ok()
        });
        self.lock().insert(
            uri.to_string(),
            OpenConnection {
                conn: conn.clone(),
                watch,
            },
        );
        Ok(conn)
    }

    fn forget(&self, uri: &str) {
        let removed = self.lock().remove(uri);
        if let Some(OpenConnection {
            conn,
            watch: Some(watch),
        }) = removed
        {
            domain_events::unwatch(&conn, watch);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, OpenConnection>> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts/removes).
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the host's connection on the blocking pool, with a deadline; a failed call
    /// drops the cached connection so the next one reconnects.
    async fn call<T: Send + 'static>(
        self: &Arc<Self>,
        uri: &str,
        f: impl FnOnce(&Session) -> Result<T, HypervisorError> + Send + 'static,
    ) -> Result<T, HypervisorError> {
        let pool = self.clone();
        let uri_owned = uri.to_string();
        let work = move || {
            let conn = pool.connection(&uri_owned)?;
            f(&Session {
                conn: &conn,
                pool: &pool,
                uri: &uri_owned,
            })
        };
        // The in-process test driver cannot hang on a network, so its calls run in place (the
        // runtime moves this worker's other tasks elsewhere) and skip the blocking pool's thread
        // hop, which costs more than the call itself. Every other host goes to the blocking pool
        // under a deadline.
        let in_process = uri.starts_with("test:")
            && tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let result = if in_process {
            tokio::task::block_in_place(work)
        } else {
            match tokio::time::timeout(CALL_TIMEOUT, tokio::task::spawn_blocking(work)).await {
                Ok(Ok(result)) => result,
                Ok(Err(join)) => Err(HypervisorError::Libvirt(format!("libvirt call failed: {join}"))),
                Err(_) => Err(HypervisorError::Timeout(CALL_TIMEOUT.as_secs())),
            }
        };
        if result.is_err() {
            self.forget(uri);
        }
        result
    }
}

fn libvirt_error(e: virt::error::Error) -> HypervisorError {
    HypervisorError::Libvirt(e.message().to_string())
}

/// Shared handle; the trait is implemented on the Arc so calls can move a clone to the blocking pool.
#[derive(Clone, Default)]
pub struct SharedLibvirtPool(pub Arc<LibvirtPool>);

impl SharedLibvirtPool {
    pub fn new() -> Self {
        Self(Arc::new(LibvirtPool::new()))
    }
}

#[async_trait::async_trait]
impl Hypervisor for SharedLibvirtPool {
    async fn probe(&self, uri: &str) -> Result<HostProbe, HypervisorError> {
        self.0
            .call(uri, |s| {
                let xml = s.conn.capabilities().map_err(libvirt_error)?;
                let mut topology =
                    capabilities::parse(&xml).map_err(|e| HypervisorError::Capabilities(e.to_string()))?;
                fill_free_pages(s.conn, &mut topology)?;
                Ok(HostProbe {
                    hostname: s.conn.hostname().map_err(libvirt_error)?,
                    driver: s.conn.driver_type().map_err(libvirt_error)?,
                    topology,
                })
            })
            .await
    }

    async fn ping(&self, uri: &str) -> Result<(), HypervisorError> {
        self.0
            .call(uri, |s| s.conn.lib_version().map(|_| ()).map_err(libvirt_error))
            .await
    }

    async fn ksm_running(&self, uri: &str) -> Result<bool, HypervisorError> {
        self.0.call(uri, |s| node_ffi::shm_run(s.conn).map(|v| v == 1)).await
    }

    async fn set_ksm(&self, uri: &str, running: bool) -> Result<(), HypervisorError> {
        self.0
            .call(uri, move |s| node_ffi::set_shm_run(s.conn, u32::from(running)))
            .await
    }

    async fn domain_type(&self, uri: &str) -> Result<String, HypervisorError> {
        self.0
            .call(uri, |s| {
                let driver = s.conn.driver_type().map_err(libvirt_error)?;
                if driver.eq_ignore_ascii_case("test") {
                    return Ok("test".to_string());
                }
                let caps = s.conn.capabilities().map_err(libvirt_error)?;
                let kvm = capabilities::guest_domain_types(&caps).iter().any(|t| t == "kvm");
                Ok(if kvm { "kvm" } else { "qemu" }.to_string())
            })
            .await
    }

    async fn define_and_start(&self, uri: &str, xml: &str) -> Result<(), HypervisorError> {
        let xml = xml.to_string();
        self.0
            .call(uri, move |s| {
                let dom = s.conn.define_domain_xml(&xml).map_err(libvirt_error)?;
                if let Err(e) = dom.create() {
                    // Leave nothing behind that Vireo does not show as defined.
                    let _ = dom.undefine();
                    return Err(libvirt_error(e));
                }
                s.remember(dom);
                Ok(())
            })
            .await
    }

    async fn shutdown(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call(uri, move |s| match s.domain(id)? {
                Some(dom) => dom.shutdown().map_err(libvirt_error),
                None => Err(HypervisorError::Libvirt("the domain is not defined on its host".into())),
            })
            .await
    }

    async fn destroy(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call(uri, move |s| match s.domain(id)? {
                Some(dom) if dom.is_active().map_err(libvirt_error)? => dom.destroy().map_err(libvirt_error),
                _ => Ok(()),
            })
            .await
    }

    async fn reboot(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call(uri, move |s| match s.domain(id)? {
                Some(dom) => dom.reboot(0).map_err(libvirt_error),
                None => Err(HypervisorError::Libvirt("the domain is not defined on its host".into())),
            })
            .await
    }

    async fn undefine(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call(uri, move |s| match s.domain(id)? {
                Some(dom) => {
                    s.forget(id);
                    dom.undefine().map_err(libvirt_error)
                }
                None => Ok(()),
            })
            .await
    }

    async fn remove_domain(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError> {
        self.0
            .call(uri, move |s| match s.domain(id)? {
                Some(dom) => {
                    s.forget(id);
                    if dom.is_active().map_err(libvirt_error)? {
                        dom.destroy().map_err(libvirt_error)?;
                    }
                    dom.undefine().map_err(libvirt_error)
                }
                None => Ok(()),
            })
            .await
    }

    async fn domain_states(&self, uri: &str) -> Result<Vec<(Uuid, DomainState)>, HypervisorError> {
        self.0
            .call(uri, |s| {
                let mut out = Vec::new();
                for dom in s.conn.list_all_domains(0).map_err(libvirt_error)? {
                    let id = dom.uuid().map_err(libvirt_error)?;
                    out.push((id, state_of(&dom)?));
                }
                Ok(out)
            })
            .await
    }

    fn take_lifecycle_events(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<String>> {
        self.0.event_rx.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    async fn allocate_pages(&self, uri: &str, size_kib: u64, per_cell: &[(u32, u64)]) -> Result<(), HypervisorError> {
        let size = u32::try_from(size_kib)
            .map_err(|_| HypervisorError::Libvirt(format!("page size {size_kib} KiB is too large")))?;
        let per_cell = per_cell.to_vec();
        self.0
            .call(uri, move |s| {
                for (cell, count) in per_cell {
                    node_ffi::alloc_pages(s.conn, size, count, cell)?;
                }
                Ok(())
            })
            .await
    }
}

/// Replaces the capabilities' page totals' stand-in free counts with libvirt's real free counts.
fn fill_free_pages(conn: &Connect, topology: &mut HostTopology) -> Result<(), HypervisorError> {
    for cell in &mut topology.cells {
        let sizes: Vec<u32> = cell
            .pages
            .iter()
            .filter_map(|p| u32::try_from(p.size_kib).ok())
            .collect();
        if sizes.is_empty() {
            continue;
        }
        // Hosts without per-cell page info (or drivers without the call) keep the totals.
        if let Ok(free) = conn.free_pages(&sizes, cell.id, 1, 0) {
            for (page, count) in cell.pages.iter_mut().zip(free) {
                page.free = count;
            }
        }
    }
    Ok(())
}

/// Node calls the `virt` crate does not wrap, through `virt-sys`. Each function keeps its unsafe
/// blocks to the FFI calls and frees what libvirt allocates.
mod node_ffi {
    use super::HypervisorError;
    use std::ffi::CStr;
    use std::os::raw::{c_int, c_uint, c_ulonglong};
    use virt::connect::Connect;
    use virt_sys as sys;

    fn last_error() -> HypervisorError {
        // SAFETY: returns a pointer to a thread-local string owned by libvirt, or null.
        let msg = unsafe { sys::virGetLastErrorMessage() };
        if msg.is_null() {
            return HypervisorError::Libvirt("libvirt reported an unknown error".into());
        }
        // SAFETY: non-null and NUL-terminated, valid until the next libvirt call on this thread.
        HypervisorError::Libvirt(unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned())
    }

    const SHM_RUN: &CStr = c"shm_run";

    pub fn shm_run(conn: &Connect) -> Result<u32, HypervisorError> {
        let mut count: c_int = 0;
        // SAFETY: a null params array asks libvirt for the parameter count only.
        if unsafe { sys::virNodeGetMemoryParameters(conn.as_ptr(), std::ptr::null_mut(), &mut count, 0) } < 0 {
            return Err(last_error());
        }
        if count <= 0 {
            return Err(HypervisorError::Libvirt("the host reports no memory parameters".into()));
        }
        // SAFETY: virTypedParameter is plain data; all-zero is its empty value.
        let mut params: Vec<sys::virTypedParameter> = vec![unsafe { std::mem::zeroed() }; count as usize];
        // SAFETY: `params` holds `count` entries, as libvirt asked for.
        if unsafe { sys::virNodeGetMemoryParameters(conn.as_ptr(), params.as_mut_ptr(), &mut count, 0) } < 0 {
            return Err(last_error());
        }
        let mut value: c_uint = 0;
        // SAFETY: `params` holds `count` initialised entries.
        let found = unsafe { sys::virTypedParamsGetUInt(params.as_mut_ptr(), count, SHM_RUN.as_ptr(), &mut value) };
        // SAFETY: frees the string values libvirt may have allocated inside the entries.
        unsafe { sys::virTypedParamsClear(params.as_mut_ptr(), count) };
        match found {
            1 => Ok(value),
            0 => Err(HypervisorError::Libvirt(
                "the host does not report shm_run (no KSM)".into(),
            )),
            _ => Err(last_error()),
        }
    }

    pub fn set_shm_run(conn: &Connect, value: u32) -> Result<(), HypervisorError> {
        let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
        let mut n: c_int = 0;
        let mut max: c_int = 0;
        // SAFETY: libvirt grows `params` and records its size in `n` and `max`.
        if unsafe { sys::virTypedParamsAddUInt(&mut params, &mut n, &mut max, SHM_RUN.as_ptr(), value) } < 0 {
            return Err(last_error());
        }
        // SAFETY: `params` holds the `n` entries built above.
        let rc = unsafe { sys::virNodeSetMemoryParameters(conn.as_ptr(), params, n, 0) };
        let err = (rc < 0).then(last_error);
        // SAFETY: frees what virTypedParamsAddUInt allocated.
        unsafe { sys::virTypedParamsFree(params, n) };
        err.map_or(Ok(()), Err)
    }

    pub fn alloc_pages(conn: &Connect, size_kib: u32, count: u64, cell: u32) -> Result<(), HypervisorError> {
        let mut sizes = [size_kib as c_uint];
        let mut counts = [count as c_ulonglong];
        let cell =
            c_int::try_from(cell).map_err(|_| HypervisorError::Libvirt(format!("NUMA cell {cell} is out of range")))?;
        // SAFETY: one page size and one count, for the single cell `cell`.
        let rc = unsafe {
            sys::virNodeAllocPages(
                conn.as_ptr(),
                1,
                sizes.as_mut_ptr(),
                counts.as_mut_ptr(),
                cell,
                1,
                sys::VIR_NODE_ALLOC_PAGES_ADD,
            )
        };
        if rc < 0 {
            return Err(last_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectFailure;
    use virt::enumutil::Enum::{Known, Unknown};
    use virt::error::{ErrorDomain as D, ErrorNumber as N};

    #[test]
    fn connection_failures_are_classified_by_code_and_domain() {
        let kind = ConnectFailure::classify;
        assert_eq!(
            kind(Known(N::AuthFailed), Known(D::Remote)),
            ConnectFailure::Authentication
        );
        assert_eq!(
            kind(Known(N::AuthUnavailable), Known(D::Rpc)),
            ConnectFailure::Authentication
        );
        assert_eq!(
            kind(Known(N::InternalError), Known(D::Auth)),
            ConnectFailure::Authentication
        );
        assert_eq!(kind(Known(N::GnutlsError), Known(D::Rpc)), ConnectFailure::Tls);
        assert_eq!(kind(Known(N::SystemError), Known(D::Rpc)), ConnectFailure::NoAnswer);
        assert_eq!(kind(Known(N::NoConnect), Known(D::None)), ConnectFailure::NoAnswer);
        assert_eq!(kind(Known(N::InternalError), Known(D::Ssh)), ConnectFailure::NoAnswer);
        // What `test:///etc/shadow` used to produce (an XML parse error quoting the file): a kind,
        // not the text.
        assert_eq!(kind(Known(N::XmlError), Known(D::Test)), ConnectFailure::Refused);
        assert_eq!(kind(Known(N::NoSupport), Known(D::None)), ConnectFailure::Refused);
        assert_eq!(kind(Unknown(9999), Unknown(9999)), ConnectFailure::Refused);
        assert_eq!(ConnectFailure::Refused.to_string(), "libvirt refused the connection");
    }
}
