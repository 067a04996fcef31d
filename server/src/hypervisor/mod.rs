//! Everything Vireo asks of libvirt goes through the `Hypervisor` trait (this file, with the types
//! its methods answer). The real implementation keeps one connection per host URI and runs every
//! (blocking) libvirt call off the async runtime's worker — on tokio's blocking pool with a
//! deadline, so a hung host never stalls the runtime and a dead one only fails its own calls:
//! `connection_pool.rs` holds the connections and runs the calls, `domain_ops.rs` implements the
//! trait's operations with them, `node_ffi.rs` the node calls the `virt` crate does not wrap,
//! `errors.rs` what a call fails with, `network_ops.rs` libvirt networks, bridges and guest addresses, `domain_events.rs` libvirt's lifecycle events,
//! `console_ops.rs` serial consoles (non-blocking streams on libvirt's event loop) and VNC sockets,
//! `stats_ffi.rs` the usage counters of running domains and of the host.

use uuid::Uuid;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::domain::storage_xml::VolumeSpec;

mod connection_pool;
mod console_ops;
mod domain_events;
mod domain_ops;
mod errors;
mod network_ops;
mod node_ffi;
mod stats_ffi;
mod storage_ops;
pub mod topology_files;

pub use connection_pool::{LibvirtPool, Session, SharedLibvirtPool};
pub use console_ops::{CHUNK as CONSOLE_CHUNK, NO_CONSOLES};
pub use errors::{ConnectFailure, HypervisorError};

/// How an SSH host is opened (issue 17): the libssh URI with Vireo's key and the host's pinned
/// known_hosts file (`crate::ssh::SshFiles::pin`), and the pinned key, to name both fingerprints
/// when the host presents another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshRoute {
    pub open_uri: String,
    pub pinned: crate::ssh::HostKey,
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
    /// SSH hosts: how the host at `uri` (its `qemu+ssh://` form) is opened, or `None` to forget
    /// it. An SSH host without a route is never opened (no pinned key, no connection). Changing a
    /// route drops the open connection.
    fn route_ssh(&self, _uri: &str, _route: Option<SshRoute>) {}
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
    /// Every domain on the host with its state (one round trip where the driver allows).
    async fn domain_states(&self, uri: &str) -> Result<Vec<(Uuid, DomainState)>, HypervisorError>;
    // --- Storage: pools (storage domains) and volumes (disks).
    async fn storage_pools(&self, uri: &str) -> Result<Vec<PoolInfo>, HypervisorError>;
    /// Defines, builds, starts and autostarts a directory pool; nothing stays when a step fails.
    async fn define_dir_pool(&self, uri: &str, name: &str, path: &str) -> Result<PoolInfo, HypervisorError>;
    /// Stops and undefines a pool (its files stay).
    async fn remove_pool(&self, uri: &str, name: &str) -> Result<(), HypervisorError>;
    async fn refresh_pool(&self, uri: &str, name: &str) -> Result<PoolInfo, HypervisorError>;
    /// Every volume in the pool (one call, for the periodic read of sizes).
    async fn volumes(&self, uri: &str, pool: &str) -> Result<Vec<VolumeInfo>, HypervisorError>;
    /// The volume's sizes and path; `None` when the pool lacks it.
    async fn volume(&self, uri: &str, pool: &str, name: &str) -> Result<Option<VolumeInfo>, HypervisorError>;
    async fn create_volume(&self, uri: &str, pool: &str, spec: VolumeSpec) -> Result<VolumeInfo, HypervisorError>;
    /// A full copy of `source` (same pool) as `spec`.
    async fn clone_volume(
        &self,
        uri: &str,
        pool: &str,
        source: &str,
        spec: VolumeSpec,
    ) -> Result<VolumeInfo, HypervisorError>;
    /// Deletes a volume; one already gone is not an error.
    async fn delete_volume(&self, uri: &str, pool: &str, name: &str) -> Result<(), HypervisorError>;
    async fn resize_volume(
        &self,
        uri: &str,
        pool: &str,
        name: &str,
        capacity: u64,
    ) -> Result<VolumeInfo, HypervisorError>;
    /// Writes the bytes arriving on `chunks` into the existing volume from offset 0
    /// (`virStorageVolUpload`), `length` in all; `Ok` with the bytes written once libvirt has them
    /// all. The channel closing early (the client cancelled) aborts the upload with an error; the
    /// volume then holds part of the data and the caller deletes it. The deadline covers the whole
    /// upload, not one call.
    async fn upload_volume(
        &self,
        uri: &str,
        pool: &str,
        volume: &str,
        length: u64,
        chunks: tokio::sync::mpsc::Receiver<axum::body::Bytes>,
    ) -> Result<u64, HypervisorError>;
    /// Plugs a device into (or out of, `attach == false`) a running domain. `Ok(false)`: not done
    /// because the domain is not running or its host cannot hotplug.
    async fn change_device(&self, uri: &str, id: Uuid, xml: &str, attach: bool) -> Result<bool, HypervisorError>;
    /// Changes a device of a running domain in place (`virDomainUpdateDeviceFlags`, live): a NIC's
    /// link state. `Ok(false)`: not done because the domain is not running or its host cannot.
    async fn update_device(&self, uri: &str, id: Uuid, xml: &str) -> Result<bool, HypervisorError>;

    // --- Networks: what can back a Vireo network on the host.
    /// The host's libvirt networks (`virConnectListAllNetworks`) and bridges
    /// (`virConnectListAllInterfaces`; a host whose libvirt has no interface driver reports none).
    async fn network_backings(&self, uri: &str) -> Result<Vec<NetworkBackingInfo>, HypervisorError>;
    /// The guest's NICs and addresses (`virDomainInterfaceAddresses`): DHCP leases of libvirt
    /// networks, then the guest agent where the domain has its channel. Empty for a domain that
    /// is not running.
    async fn interface_addresses(&self, uri: &str, id: Uuid) -> Result<Vec<GuestInterface>, HypervisorError>;

    // --- Consoles.
    /// Connects to the domain's serial console (`virDomainOpenConsole` on a non-blocking stream,
    /// driven by libvirt's event loop: no thread waits per byte). libvirt allows one client per
    /// console: `force` takes it from whoever holds it (that client's stream ends), otherwise a held
    /// console is an error.
    async fn open_serial_console(&self, uri: &str, id: Uuid, force: bool) -> Result<ConsoleStream, HypervisorError>;
    /// A socket connected to the domain's VNC server (`virDomainOpenGraphicsFD`, QEMU's own
    /// authentication skipped: Vireo has checked the user). libvirt passes the descriptor only to
    /// clients on the host itself, so this fails for remote hosts with a message saying so.
    async fn open_graphics(&self, uri: &str, id: Uuid) -> Result<std::os::fd::OwnedFd, HypervisorError>;
    /// A hard reset of a running domain (`virDomainReset`): the guest reboots at once, as from the
    /// machine's reset button.
    async fn reset(&self, uri: &str, id: Uuid) -> Result<(), HypervisorError>;

    // --- Usage.
    /// Counters of every running domain on the host, in one `virConnectGetAllDomainStats` call
    /// (a driver without it, or without CPU time in it, is read with `virDomainGetInfo`). What the
    /// host does not report is `None`.
    async fn domain_stats(&self, uri: &str) -> Result<Vec<DomainStats>, HypervisorError>;
    /// The host's cumulative CPU times (`virNodeGetCPUStats`) and memory (`virNodeGetMemoryStats`,
    /// else node info less free memory).
    async fn node_usage(&self, uri: &str) -> Result<NodeUsage, HypervisorError>;

    /// Domains announced with their host's URI as they change state (libvirt lifecycle events),
    /// for the one consumer that reconciles them. `None` when events are unavailable or already taken.
    fn take_lifecycle_events(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<LifecycleEvent>> {
        None
    }
}

/// An open serial console: two bounded channels to and from the guest's serial port.
pub struct ConsoleStream {
    /// What the guest writes, in chunks as they arrive. `Err` once when the stream fails; the
    /// channel closes at hang-up (the domain stopped, or another client forced the console away).
    pub output: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, HypervisorError>>,
    /// What the guest reads (keystrokes, pasted text). Dropping the sender closes the stream.
    pub input: tokio::sync::mpsc::Sender<axum::body::Bytes>,
}

/// A running domain's counters as libvirt reports them; `None` for what the driver does not report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainStats {
    pub id: Uuid,
    /// Cumulative CPU time, nanoseconds.
    pub cpu_time_ns: Option<u64>,
    pub vcpus: Option<u32>,
    /// Memory in use on the host (resident), else the balloon's current size, KiB.
    pub memory_kib: Option<u64>,
    /// The most memory the domain may have, KiB.
    pub memory_max_kib: Option<u64>,
    /// Cumulative bytes over all disks and all NICs.
    pub disk_read_bytes: Option<u64>,
    pub disk_write_bytes: Option<u64>,
    pub net_rx_bytes: Option<u64>,
    pub net_tx_bytes: Option<u64>,
}

/// A host's CPU times and memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub cpu: Option<vireo_app::domain::usage::NodeCpuTimes>,
    pub memory_total_kib: Option<u64>,
    pub memory_used_kib: Option<u64>,
}

/// A libvirt storage pool as Vireo reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolInfo {
    pub uuid: Option<Uuid>,
    pub name: String,
    pub pool_type: String,
    pub path: String,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    pub active: bool,
}

/// A libvirt network or a bridge on a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkBackingInfo {
    pub backing: vireo_app::domain::network::NetworkBacking,
    pub name: String,
    pub active: bool,
    /// A libvirt network's bridge device (empty when it has none, and for bridges themselves).
    pub bridge: String,
}

/// One guest interface as libvirt reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestInterface {
    pub name: String,
    pub mac: String,
    /// `address/prefix`.
    pub addresses: Vec<String>,
}

/// A volume's path and sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub path: String,
    pub capacity: u64,
    pub allocation: u64,
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

impl DomainState {
    /// libvirt's `virDomainState` and its reason, as numbers (`virDomainGetState`, or the
    /// `state.state`/`state.reason` of the bulk stats call), reduced to what Vireo shows.
    pub fn from_raw(state: i32, reason: i32) -> Self {
        use virt_sys as sys;
        match u32::try_from(state).unwrap_or(u32::MAX) {
            sys::VIR_DOMAIN_RUNNING | sys::VIR_DOMAIN_BLOCKED => Self::Running,
            sys::VIR_DOMAIN_PAUSED | sys::VIR_DOMAIN_PMSUSPENDED => Self::Paused,
            sys::VIR_DOMAIN_SHUTDOWN => Self::ShuttingDown,
            sys::VIR_DOMAIN_CRASHED => Self::Off { crashed: true },
            sys::VIR_DOMAIN_SHUTOFF => Self::Off {
                crashed: u32::try_from(reason).is_ok_and(|r| r == sys::VIR_DOMAIN_SHUTOFF_CRASHED),
            },
            // No state (or one newer than Vireo): not running, as far as Vireo can tell.
            _ => Self::Off { crashed: false },
        }
    }
}

/// A domain changed state on a host (libvirt's lifecycle event): which host URI, and which domain,
/// so only that domain's VM needs a look (the test driver serves many simulated hosts on one URI).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleEvent {
    pub uri: String,
    pub domain: Uuid,
}

#[cfg(test)]
mod tests {
    use super::DomainState;
    use virt_sys as sys;

    #[test]
    fn raw_states_map_to_what_vireo_shows() {
        let raw = |s: u32, r: u32| DomainState::from_raw(s as i32, r as i32);
        assert_eq!(raw(sys::VIR_DOMAIN_RUNNING, 1), DomainState::Running);
        assert_eq!(raw(sys::VIR_DOMAIN_BLOCKED, 0), DomainState::Running);
        assert_eq!(raw(sys::VIR_DOMAIN_PAUSED, 1), DomainState::Paused);
        assert_eq!(raw(sys::VIR_DOMAIN_PMSUSPENDED, 0), DomainState::Paused);
        assert_eq!(raw(sys::VIR_DOMAIN_SHUTDOWN, 1), DomainState::ShuttingDown);
        assert_eq!(raw(sys::VIR_DOMAIN_CRASHED, 0), DomainState::Off { crashed: true });
        assert_eq!(
            raw(sys::VIR_DOMAIN_SHUTOFF, sys::VIR_DOMAIN_SHUTOFF_CRASHED),
            DomainState::Off { crashed: true }
        );
        assert_eq!(
            raw(sys::VIR_DOMAIN_SHUTOFF, sys::VIR_DOMAIN_SHUTOFF_DESTROYED),
            DomainState::Off { crashed: false }
        );
        // The crashed reason's number means something else under another state.
        assert_eq!(
            raw(sys::VIR_DOMAIN_PAUSED, sys::VIR_DOMAIN_SHUTOFF_CRASHED),
            DomainState::Paused
        );
        assert_eq!(raw(0, 0), DomainState::Off { crashed: false });
        assert_eq!(DomainState::from_raw(-1, -1), DomainState::Off { crashed: false });
        assert_eq!(DomainState::from_raw(99, 0), DomainState::Off { crashed: false });
    }
}
