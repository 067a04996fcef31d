//! `LibvirtPool`: one open connection per host URI (reopened when it dies or a call on it fails),
//! the domain handles Vireo defined, and `call`, which runs a blocking libvirt call on tokio's
//! blocking pool under a deadline so a hung host never stalls the runtime.

use super::domain_events;
use super::errors::{libvirt_error, ConnectFailure, HypervisorError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;
use virt::connect::Connect;

/// Looks a domain up by Vireo's id; `None` when libvirt does not know it.
pub(super) fn lookup(conn: &Connect, id: Uuid) -> Result<Option<virt::domain::Domain>, HypervisorError> {
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

/// After an SSH connection failed: whether the host now presents another key than the pinned one
/// (libssh refused it; libvirt's message says so only in words). `None` when it presents the pinned
/// key or cannot be asked.
fn key_mismatch(
    host: &vireo_app::domain::host_address::HostName,
    port: u16,
    pinned: &crate::ssh::HostKey,
) -> Option<HypervisorError> {
    let presented = crate::ssh::presented_instead(host, port, pinned)?;
    Some(HypervisorError::HostKeyChanged {
        pinned: pinned.fingerprint(),
        presented: presented.fingerprint(),
    })
}

/// One blocking call's view of a host: its connection and the pool's domain handles.
pub struct Session<'a> {
    pub(super) conn: &'a Connect,
    pool: &'a LibvirtPool,
    uri: &'a str,
}

impl Session<'_> {
    fn handles(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Uuid), virt::domain::Domain>> {
        self.pool.domains.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The domain's handle: remembered from its definition, else looked up by UUID. A remembered
    /// handle whose domain went away fails its call; that call forgets it (`forget`).
    pub(super) fn domain(&self, id: Uuid) -> Result<Option<virt::domain::Domain>, HypervisorError> {
        if let Some(dom) = self.handles().get(&(self.uri.to_string(), id)).cloned() {
            if dom.is_persistent().is_ok() {
                return Ok(Some(dom));
            }
            self.forget(id);
        }
        lookup(self.conn, id)
    }

    pub(super) fn remember(&self, dom: virt::domain::Domain) {
        if let Ok(id) = dom.uuid() {
            self.handles().insert((self.uri.to_string(), id), dom);
        }
    }

    pub(super) fn forget(&self, id: Uuid) {
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
    /// Where lifecycle events announce their host and domain (when libvirt's event loop runs).
    events: Option<tokio::sync::mpsc::UnboundedSender<super::LifecycleEvent>>,
    /// How each SSH host is opened (`Hypervisor::route_ssh`), by its stored `qemu+ssh` URI.
    ssh_routes: Mutex<HashMap<String, super::SshRoute>>,
    pub(super) event_rx: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<super::LifecycleEvent>>>,
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
            ssh_routes: Mutex::default(),
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
        let address = match vireo_app::domain::host_address::HostAddress::parse_uri(uri) {
            Ok(address) => address,
            Err(refused) => return Err(HypervisorError::UriRefused(refused.0)),
        };
        // An SSH host is opened over libssh with Vireo's key and its pinned known_hosts file only.
        let route = match &address {
            vireo_app::domain::host_address::HostAddress::Ssh { .. } => {
                let routes = self.ssh_routes.lock().unwrap_or_else(|p| p.into_inner());
                Some(routes.get(uri).cloned().ok_or(HypervisorError::NoPinnedKey)?)
            }
            _ => None,
        };
        let open_uri = route.as_ref().map_or(uri, |r| r.open_uri.as_str());
        let conn = Arc::new(Connect::open(Some(open_uri)).map_err(|e| {
            let kind = ConnectFailure::classify(e.code(), e.domain());
            // Only for the operator: the message may quote files or ssh's output.
            tracing::debug!(uri, code = ?e.code(), domain = ?e.domain(), message = e.message(), %kind, "libvirt connection failed");
            match (&address, &route) {
                (vireo_app::domain::host_address::HostAddress::Ssh { host, port, .. }, Some(route)) => {
                    key_mismatch(host, port.map_or(22, |p| p.get()), &route.pinned)
                        .unwrap_or(HypervisorError::Connect(kind))
                }
                _ => HypervisorError::Connect(kind),
            }
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

    pub fn route_ssh(&self, uri: &str, route: Option<super::SshRoute>) {
        let mut routes = self.ssh_routes.lock().unwrap_or_else(|p| p.into_inner());
        let changed = match route {
            Some(route) => routes.insert(uri.to_string(), route.clone()).as_ref() != Some(&route),
            None => routes.remove(uri).is_some(),
        };
        drop(routes);
        if changed {
            self.forget(uri);
        }
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
    /// drops the cached connection so the next one reconnects. `name` (the `Hypervisor` method)
    /// labels the call's latency and errors in `/metrics`.
    pub(super) async fn call<T: Send + 'static>(
        self: &Arc<Self>,
        name: &'static str,
        uri: &str,
        f: impl FnOnce(&Session) -> Result<T, HypervisorError> + Send + 'static,
    ) -> Result<T, HypervisorError> {
        self.call_within(name, uri, CALL_TIMEOUT, f).await
    }

    /// `call` with its own deadline, for calls that may rightly take long (copying a volume).
    pub(super) async fn call_within<T: Send + 'static>(
        self: &Arc<Self>,
        name: &'static str,
        uri: &str,
        deadline: Duration,
        f: impl FnOnce(&Session) -> Result<T, HypervisorError> + Send + 'static,
    ) -> Result<T, HypervisorError> {
        let started = std::time::Instant::now();
        let result = self.call_timed(uri, deadline, f).await;
        crate::metrics::libvirt_call(name, started.elapsed(), result.is_ok());
        result
    }

    async fn call_timed<T: Send + 'static>(
        self: &Arc<Self>,
        uri: &str,
        deadline: Duration,
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
            match tokio::time::timeout(deadline, tokio::task::spawn_blocking(work)).await {
                Ok(Ok(result)) => result,
                Ok(Err(join)) => Err(HypervisorError::Libvirt(format!("libvirt call failed: {join}"))),
                Err(_) => Err(HypervisorError::Timeout(deadline.as_secs())),
            }
        };
        if result.as_ref().is_err_and(HypervisorError::may_be_the_connection) {
            self.forget(uri);
        }
        result
    }
}

/// Shared handle; the trait is implemented on the Arc so calls can move a clone to the blocking pool.
#[derive(Clone, Default)]
pub struct SharedLibvirtPool(pub Arc<LibvirtPool>);

impl SharedLibvirtPool {
    pub fn new() -> Self {
        Self(Arc::new(LibvirtPool::new()))
    }
}
