//! Everything Vireo asks of libvirt goes through the `Hypervisor` trait. The real implementation keeps
//! one connection per host URI and runs every (blocking) libvirt call on tokio's blocking pool with a
//! deadline, so a hung host never stalls the async runtime and a dead one only fails its own calls.

use crate::capabilities;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vireo_app::domain::host_topology::HostTopology;
use virt::connect::Connect;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HypervisorError {
    /// libvirt's own message, for the user.
    #[error("{0}")]
    Libvirt(String),
    #[error("no answer from the host within {0} seconds")]
    Timeout(u64),
    #[error("{0}")]
    Capabilities(String),
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
}

/// How long one libvirt call may take before Vireo gives up on it (an ssh host that does not answer
/// would otherwise hold the caller for minutes).
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Default)]
pub struct LibvirtPool {
    connections: Mutex<HashMap<String, Arc<Connect>>>,
}

impl LibvirtPool {
    pub fn new() -> Self {
        // libvirt prints every error to stderr by default; Vireo reports them itself.
        virt::error::clear_error_callback();
        Self::default()
    }

    fn connection(&self, uri: &str) -> Result<Arc<Connect>, HypervisorError> {
        if let Some(conn) = self.lock().get(uri) {
            if conn.is_alive().unwrap_or(false) {
                return Ok(conn.clone());
            }
        }
        let conn = Arc::new(Connect::open(Some(uri)).map_err(libvirt_error)?);
        self.lock().insert(uri.to_string(), conn.clone());
        Ok(conn)
    }

    fn forget(&self, uri: &str) {
        self.lock().remove(uri);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Connect>>> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts/removes).
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the host's connection on the blocking pool, with a deadline; a failed call
    /// drops the cached connection so the next one reconnects.
    async fn call<T: Send + 'static>(
        self: &Arc<Self>,
        uri: &str,
        f: impl FnOnce(&Connect) -> Result<T, HypervisorError> + Send + 'static,
    ) -> Result<T, HypervisorError> {
        let pool = self.clone();
        let uri_owned = uri.to_string();
        let task = tokio::task::spawn_blocking(move || {
            let conn = pool.connection(&uri_owned)?;
            f(&conn)
        });
        let result = match tokio::time::timeout(CALL_TIMEOUT, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(HypervisorError::Libvirt(format!(
                "libvirt call failed: {join}"
            ))),
            Err(_) => Err(HypervisorError::Timeout(CALL_TIMEOUT.as_secs())),
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
            .call(uri, |conn| {
                let xml = conn.capabilities().map_err(libvirt_error)?;
                let mut topology = capabilities::parse(&xml)
                    .map_err(|e| HypervisorError::Capabilities(e.to_string()))?;
                fill_free_pages(conn, &mut topology)?;
                Ok(HostProbe {
                    hostname: conn.hostname().map_err(libvirt_error)?,
                    driver: conn.driver_type().map_err(libvirt_error)?,
                    topology,
                })
            })
            .await
    }

    async fn ping(&self, uri: &str) -> Result<(), HypervisorError> {
        self.0
            .call(uri, |conn| {
                conn.lib_version().map(|_| ()).map_err(libvirt_error)
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
