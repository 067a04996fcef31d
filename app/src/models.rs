//! Views of stored objects as the UI and the API see them. Plain data, serialisable, no behaviour
//! beyond small derived values; the rules live in `domain`.

use crate::domain::host_topology::HostTopology;
use crate::domain::string_enum::string_enum;
use crate::domain::vm_config::{CompatVersion, OptimizedFor};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

string_enum! {
    /// What a user may do. `admin` everything; `operator` runs the VM estate (VMs, Templates, Pools)
    /// but not the infrastructure (hosts, clusters, instance types) nor the users; `viewer` reads
    /// only. The role check itself is `crate::authz::authorize`.
    pub enum Role {
        Admin = "admin" => "Administrator",
        Operator = "operator" => "Operator",
        Viewer = "viewer" => "Viewer",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
}

string_enum! {
    pub enum HostStatus {
        Up = "up" => "Up",
        /// Vireo could not reach the host's libvirt on the last attempt.
        NonResponsive = "non_responsive" => "Non Responsive",
        Maintenance = "maintenance" => "Maintenance",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostView {
    pub id: Uuid,
    pub name: String,
    pub cluster_id: Uuid,
    pub cluster_name: String,
    pub uri: String,
    pub status: HostStatus,
    /// For a libvirt test-driver host: the shipped capabilities file its topology comes from.
    /// `None` for real hosts, whose topology libvirt reports.
    pub simulated_topology: Option<String>,
    pub topology: HostTopology,
    /// KSM (kernel same-page merging) running on the host, when known.
    pub ksm_running: Option<bool>,
    pub last_error: Option<String>,
    pub vm_count: i64,
    pub version: i32,
}

string_enum! {
    /// A data center's status, derived from its hosts as oVirt's engine derives it: `up` while one
    /// of its hosts is up, `uninitialized` with no hosts, `problematic` when none answers.
    pub enum DataCenterStatus {
        Up = "up" => "Up",
        Uninitialized = "uninitialized" => "Uninitialized",
        Problematic = "problematic" => "Problematic",
    }
}

/// A data center: oVirt's top level, owning clusters (and through them hosts and VMs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCenterView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub compat_version: CompatVersion,
    pub status: DataCenterStatus,
    pub cluster_count: i64,
    pub host_count: i64,
    pub vm_count: i64,
    pub version: i32,
}

/// The data center dialog's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCenterDraft {
    pub id: Option<Uuid>,
    pub version: Option<i32>,
    pub name: String,
    pub description: String,
    pub compat_version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub data_center_id: Uuid,
    pub data_center_name: String,
    pub compat_version: CompatVersion,
    pub cpu_arch: String,
    pub ksm_enabled: bool,
    pub ballooning_enabled: bool,
    pub host_count: i64,
    pub vm_count: i64,
    pub version: i32,
}

/// A shipped capabilities file a test-driver host can take its topology from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologyFile {
    pub id: String,
    pub label: String,
}

/// "Add host": where the host is, as structured fields (never a libvirt URI — the service validates
/// these with `domain::host_address` and builds the URI itself). Empty strings mean "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddHostRequest {
    pub name: String,
    pub cluster_id: Uuid,
    /// `ssh`, `tls`, `local`, `simulated` or `simulated_libvirtd` (`host_address::Transport`).
    pub transport: String,
    /// Host name or IP address (SSH and TLS only).
    pub address: String,
    /// SSH user (SSH only; empty: ssh's default).
    pub user: String,
    /// 1–65535 (SSH and TLS only; empty: the transport's default).
    pub port: String,
    /// Simulated hosts only: which shipped topology the host reports (empty: the first).
    pub simulated_topology: String,
    /// SSH hosts only: the host key's fingerprint (`SHA256:…`) the admin confirmed. The service
    /// fetches the key again and pins it only when it still has this fingerprint.
    #[serde(default)]
    pub host_key_sha256: String,
}

/// Vireo's SSH identity, shown in Add Host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshIdentity {
    /// `ssh-ed25519 AAAA… vireo`
    pub public_key: String,
    /// The line for the remote user's `~/.ssh/authorized_keys`.
    pub authorized_keys_line: String,
}

/// An SSH host's key as fetched, for the admin to compare with the host's own
/// (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeyScan {
    /// `SHA256:…`
    pub fingerprint: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, …
    pub key_type: String,
    /// `host:port` the key came from.
    pub from: String,
}

impl AddHostRequest {
    pub fn address_fields(&self) -> crate::domain::host_address::AddressFields<'_> {
        crate::domain::host_address::AddressFields {
            transport: &self.transport,
            address: &self.address,
            user: &self.user,
            port: &self.port,
            simulated_topology: &self.simulated_topology,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub cluster_name: Option<String>,
    pub optimized_for: OptimizedFor,
    pub stateless: bool,
    pub memory_mib: i64,
    pub vcpus: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub username: Option<String>,
    pub severity: String,
    pub action: String,
    pub object_kind: String,
    pub object_name: Option<String>,
    pub result: String,
    pub message: String,
}

/// Everything the New/Edit dialog offers in its selects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogOptions {
    pub clusters: Vec<ClusterView>,
    pub os_types: Vec<crate::domain::vm_config::OsType>,
    pub templates: Vec<TemplateOption>,
    pub instance_types: Vec<InstanceTypeOption>,
    pub hosts: Vec<HostOption>,
    /// Active storage domains a new disk can go to.
    #[serde(default)]
    pub storage_domains: Vec<StorageDomainView>,
    /// ISO disks the CD-ROM can hold.
    #[serde(default)]
    pub isos: Vec<DiskView>,
    /// Every vNIC profile (the dialog offers those of the selected cluster).
    #[serde(default)]
    pub vnic_profiles: Vec<VnicProfileView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateOption {
    pub id: Uuid,
    pub name: String,
    pub cluster_id: Option<Uuid>,
    pub optimized_for: OptimizedFor,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceTypeOption {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub spec: crate::domain::instance_type::InstanceTypeSpec,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostOption {
    pub id: Uuid,
    pub name: String,
    pub cluster_id: Uuid,
    pub invtsc: bool,
    pub huge_page_sizes: Vec<u64>,
}

/// A draft opened for editing, with what the dialog must know about the object's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftEnvelope {
    pub draft: crate::domain::draft::VmDraft,
    /// The VM is running: restart-needing changes become next-run configuration.
    pub running: bool,
    /// Fields already waiting for the next start.
    pub pending_next_run: Vec<String>,
}

/// The rules' verdict on a draft, without writing anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub errors: Vec<crate::error::FieldError>,
    pub recommendations: Vec<crate::domain::recommendations::Recommendation>,
    /// For a running VM: the fields that will wait for the next start.
    pub pending_restart: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaveOutcome {
    Saved {
        id: Uuid,
        kind: crate::domain::draft::ConfigKind,
        /// Fields saved as next-run configuration (the VM is running).
        pending_restart: Vec<String>,
    },
    /// High Performance recommendations are unmet; nothing was written. Apply fixes, or save anyway.
    NeedsReview {
        recommendations: Vec<crate::domain::recommendations::Recommendation>,
    },
}

/// A VM row for the Virtual Machines page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub status: VmStatus,
    pub cluster_name: String,
    pub host_name: Option<String>,
    pub template_name: String,
    pub pool_name: Option<String>,
    pub optimized_for: OptimizedFor,
    pub stateless: bool,
    pub memory_mib: i64,
    pub vcpus: i32,
    pub next_run: bool,
    /// Seconds since the VM came up, while it is up.
    pub uptime_secs: Option<i64>,
    /// The guest's addresses as libvirt last reported them (running VMs only), comma separated.
    #[serde(default)]
    pub ip_addresses: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub template_name: String,
    pub cluster_name: String,
    pub optimized_for: OptimizedFor,
    pub stateless: bool,
    pub size: i32,
    pub vm_count: i64,
    pub running: i64,
}

/// The cluster dialog's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterDraft {
    pub id: Option<Uuid>,
    pub version: Option<i32>,
    pub name: String,
    pub description: String,
    /// `None`: the only data center, or the one named "Default" (REST clients that name none).
    pub data_center_id: Option<Uuid>,
    pub compat_version: String,
    pub cpu_arch: String,
    pub ksm_enabled: bool,
    pub ballooning_enabled: bool,
}

string_enum! {
    /// Lifecycle operations on a VM.
    pub enum VmAction {
        Run = "run" => "Run",
        Shutdown = "shutdown" => "Shutdown",
        PowerOff = "power_off" => "Power Off",
        Restart = "restart" => "Restart",
        /// A hard reset, as from the machine's reset button (the console's way out of a hung guest).
        Reset = "reset" => "Reset",
    }
}

string_enum! {
    /// A VM's state: the `vms.status` column (whose CHECK constraint lists these strings), the JSON
    /// and HTML the UI gets, the REST API's `<status>` (but `rebooting`, which oVirt calls
    /// `reboot_in_progress`). Labels are the lower-case words the grid shows.
    pub enum VmStatus {
        Down = "down" => "down",
        Up = "up" => "up",
        PoweringUp = "powering_up" => "powering up",
        PoweringDown = "powering_down" => "powering down",
        Rebooting = "rebooting" => "rebooting",
        Paused = "paused" => "paused",
        /// Vireo lost track of it (its host stopped answering): it may well still be running.
        Unknown = "unknown" => "unknown",
    }
}

impl VmStatus {
    /// Running in some form: it holds its host (and its pins), an edit waits for its next start,
    /// and shutting it down makes sense. `Unknown` is not: Vireo does not know it runs.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Up | Self::PoweringUp | Self::Rebooting | Self::Paused | Self::PoweringDown
        )
    }
}

impl std::fmt::Display for VmStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `vms.status` value this Vireo does not know. The column's CHECK constraint keeps them out, so
/// only a schema newer than the code could hold one; reading it is an error, not a guess.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown VM status '{0}'")]
pub struct UnknownVmStatus(pub String);

/// How the repository reads the column (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for VmStatus {
    type Error = UnknownVmStatus;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or(UnknownVmStatus(text))
    }
}

/// A status compares with its stored string, as code that read the column as text did.
impl PartialEq<&str> for VmStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A grid's state as the URL holds it: `?q=…&sort=…&dir=asc|desc&page=N&size=N`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridQuery {
    pub search: String,
    pub sort: String,
    pub desc: bool,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
    /// Show the page holding this row (set when the URL selects a row but names no page: a
    /// saved object, a shared link).
    #[serde(default)]
    pub focus: Option<Uuid>,
}

pub const PAGE_SIZES: [u32; 4] = [25, 50, 100, 200];
/// The last page a grid asks for: far past any real grid (200 M rows at 200 a page), low enough
/// that its OFFSET is an ordinary number.
pub const MAX_PAGE: u32 = 1_000_000;

impl GridQuery {
    pub fn new(default_sort: &str) -> Self {
        Self {
            search: String::new(),
            sort: default_sort.into(),
            desc: false,
            page: 1,
            page_size: 50,
            focus: None,
        }
    }

    /// Reads the URL's parameters; anything missing or malformed takes its default.
    pub fn from_params(get: impl Fn(&str) -> Option<String>, default_sort: &str, default_desc: bool) -> Self {
        let page_size = get("size")
            .and_then(|s| s.parse().ok())
            .filter(|s| PAGE_SIZES.contains(s))
            .unwrap_or(50);
        Self {
            search: get("q").unwrap_or_default(),
            sort: get("sort")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| default_sort.into()),
            desc: get("dir").map(|d| d == "desc").unwrap_or(default_desc),
            page: get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| *p >= 1)
                .map_or(1, |p| p.min(MAX_PAGE)),
            page_size,
            focus: get("page")
                .is_none()
                .then(|| get("selected").and_then(|s| Uuid::parse_str(&s).ok()))
                .flatten(),
        }
    }

    /// Rows before this page. Both factors are u32, so the product fits an i64 only because they are
    /// held to the limits first (u32::MAX² does not).
    pub fn offset(&self) -> i64 {
        let page = self.page.clamp(1, MAX_PAGE);
        let size = self.page_size.clamp(1, PAGE_SIZES[PAGE_SIZES.len() - 1]);
        i64::from(page - 1) * i64::from(size)
    }

    /// The query as the database runs it: a server function can be called with any numbers, and a
    /// page of a million rows is not a grid page.
    pub fn within_limits(mut self) -> Self {
        self.page = self.page.clamp(1, MAX_PAGE);
        self.page_size = self.page_size.clamp(1, PAGE_SIZES[PAGE_SIZES.len() - 1]);
        self
    }
}

/// One page of a grid plus the total that matches the search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridPage<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

impl<T> GridPage<T> {
    pub fn pages(&self) -> u32 {
        ((self.total.max(0) as u64).div_ceil(u64::from(self.page_size.max(1))) as u32).max(1)
    }
}

/// What a CPU map draws: a host's topology and the pins of the VMs on it
/// (`domain::cpu_map::build` turns it into the map).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuMapData {
    pub host_id: Uuid,
    pub host_name: String,
    pub topology: crate::domain::host_topology::HostTopology,
    pub vms: Vec<crate::domain::cpu_map::VmPins>,
}

/// The General sub-tab of a VM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmDetails {
    pub row: VmRow,
    pub os_name: String,
    pub config: crate::domain::vm_config::VmConfig,
    /// The pinned host's name, when pinned.
    pub pinned_host: Option<String>,
    /// Fields waiting for the next start.
    pub pending_next_run: Vec<String>,
    /// The guest's NICs and addresses as libvirt last reported them.
    #[serde(default)]
    pub reported_nics: Vec<ReportedNic>,
    /// Its own pins on its pinned (else running) host, for the CPU map; `None` without such a host.
    #[serde(default)]
    pub cpu_map: Option<CpuMapData>,
}

/// A row of the Users grid. Never carries the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub created: String,
}

/// "Add user", as the form sends it (strings, so a plain form post with JavaScript off works and
/// every field can get its own error).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserRequest {
    pub username: String,
    pub role: String,
    pub password: String,
    pub confirm: String,
}

/// A new password and its repetition (reset by an admin, or one's own after the current one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    pub password: String,
    pub confirm: String,
}

/// Passwords are at least this many characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    /// Pentest row 13: page and size come from the URL or a server function call with any numbers;
    /// the OFFSET is computed from held values and cannot overflow (u32::MAX² would, in i64).
    #[test]
    fn grid_paging_is_bounded() {
        let mut q = GridQuery::new("name");
        (q.page, q.page_size) = (u32::MAX, u32::MAX);
        assert_eq!(q.offset(), i64::from(MAX_PAGE - 1) * 200);
        let held = q.clone().within_limits();
        assert_eq!((held.page, held.page_size), (MAX_PAGE, 200));
        (q.page, q.page_size) = (0, 0);
        assert_eq!(q.offset(), 0);
        let from_url = GridQuery::from_params(
            |k| match k {
                "page" => Some("4294967295".into()),
                "size" => Some("4294967295".into()),
                _ => None,
            },
            "name",
            false,
        );
        assert_eq!((from_url.page, from_url.page_size), (MAX_PAGE, 50));
        let too_big = GridQuery::from_params(|k| (k == "page").then(|| "99999999999".into()), "name", false);
        assert_eq!(too_big.page, 1, "not a u32: the default");
    }
}

/// A row of the Storage Domains grid: one libvirt storage pool on one host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageDomainView {
    pub id: Uuid,
    pub name: String,
    pub host_id: Uuid,
    pub host_name: String,
    /// libvirt's pool type (`dir`, `fs`, `logical`, `netfs`, ...).
    pub pool_type: String,
    /// The pool's target path on its host.
    pub path: String,
    pub capacity_bytes: i64,
    pub allocation_bytes: i64,
    pub available_bytes: i64,
    pub status: crate::domain::storage::StorageDomainStatus,
    pub disk_count: i64,
}

/// A row of the Disks grid (and of a VM's or Template's Disks sub-tab).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub storage_domain_id: Uuid,
    pub storage_domain_name: String,
    pub host_id: Uuid,
    /// The virtual size the guest sees.
    pub provisioned_bytes: i64,
    /// The space the volume takes on its host.
    pub actual_bytes: i64,
    pub format: crate::domain::storage::DiskFormat,
    pub content: crate::domain::storage::DiskContent,
    pub sparse: bool,
    pub status: crate::domain::storage::DiskStatus,
    /// The disk this one is a thin overlay of (a template's base disk).
    pub backing_disk_id: Option<Uuid>,
    /// The VMs, Templates and Pools it is attached to, by name ("vm1, template web").
    pub attached_to: Vec<AttachedTo>,
    /// Path of the volume on its host.
    pub path: String,
    pub version: i32,
}

/// One object a disk is attached to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedTo {
    pub kind: crate::domain::draft::ConfigKind,
    pub id: Uuid,
    pub name: String,
}

/// Add storage domain: a directory pool at `path` on `host_id`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStorageDomainRequest {
    pub host_id: Option<Uuid>,
    pub name: String,
    pub path: String,
}

/// New disk (the Disks grid's New, and the REST API's `POST /disks`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDiskRequest {
    pub name: String,
    pub description: String,
    pub size_bytes: u64,
    pub format: crate::domain::storage::DiskFormat,
    pub storage_domain_id: Option<Uuid>,
    pub sparse: bool,
}

/// What a VM's or Template's Disks sub-tab shows: each attachment with its disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedDisk {
    pub attachment: crate::domain::storage::DiskAttachment,
    pub disk: DiskView,
    /// Waits for the next start (saved while the VM runs, not plugged live).
    pub pending: bool,
}

/// Where a disk change on a running VM took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiskChangeOutcome {
    /// Plugged or unplugged live, and kept in the configuration.
    Live,
    /// Saved for the next start (the VM is down, or its host cannot hotplug); with the reason.
    NextRun { reason: String },
}

/// A row of the Networks grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub cluster_id: Uuid,
    pub cluster_name: String,
    pub backing: crate::domain::network::NetworkBacking,
    /// The libvirt network's or the bridge's name on every host of the cluster.
    pub backing_name: String,
    /// 802.1Q tag the backing carries (informational: the bridge or libvirt network tags).
    pub vlan_id: Option<i32>,
    /// The cluster's default network (a new VM's first NIC goes on it).
    pub is_default: bool,
    /// Hosts of the cluster where the backing exists (active), by name.
    pub present_on: Vec<String>,
    /// Hosts of the cluster where it does not (or is inactive), by name.
    pub missing_on: Vec<String>,
    pub profile_count: i64,
    /// NICs (on VMs, Templates and Pools) whose profile is on this network.
    pub nic_count: i64,
    pub version: i32,
}

/// A row of the vNIC Profiles grid (and an option of the NIC dialogs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VnicProfileView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub network_id: Uuid,
    pub network_name: String,
    pub cluster_id: Uuid,
    /// libvirt's nwfilter applied to NICs on this profile (one of `NETWORK_FILTERS`), if any.
    pub network_filter: Option<String>,
    /// Port mirroring: always off in Vireo (shown, as oVirt shows it).
    pub port_mirroring: bool,
    /// virtio NICs on this profile get queues when their VM has multiqueue on.
    pub multiqueue: bool,
    /// The network's default profile (named as the network, made with it).
    pub is_default: bool,
    pub nic_count: i64,
    pub version: i32,
}

/// New network (the Networks grid's New, and the REST API's `POST /networks`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNetworkRequest {
    pub name: String,
    pub description: String,
    /// `None`: the default cluster.
    pub cluster_id: Option<Uuid>,
    pub backing: crate::domain::network::NetworkBacking,
    /// Empty: the network's own name.
    pub backing_name: String,
    pub vlan_id: Option<u32>,
}

/// New or edited vNIC profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VnicProfileRequest {
    pub name: String,
    pub description: String,
    pub network_id: Uuid,
    pub network_filter: Option<String>,
    pub multiqueue: bool,
}

/// What a VM's or Template's Network Interfaces sub-tab shows: each NIC with its profile and
/// network, and what the guest reports on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedNic {
    pub nic: crate::domain::network::Nic,
    pub profile_name: Option<String>,
    pub network_name: Option<String>,
    /// Waits for the next start (added, changed or removed while the VM runs, not plugged live).
    pub pending: bool,
    /// The guest's addresses on this NIC (by MAC), as libvirt last reported them.
    pub addresses: Vec<String>,
}

/// One guest NIC as libvirt reports it (`virDomainInterfaceAddresses`: DHCP leases, or the guest
/// agent). oVirt's `reported_device`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedNic {
    /// The guest's (or host tap's) interface name.
    pub name: String,
    pub mac: String,
    /// `192.168.122.5/24`, `fe80::1/64`, ...
    pub addresses: Vec<String>,
}

/// Where a NIC change on a running VM took effect (the same answer disks give).
pub type NicChangeOutcome = DiskChangeOutcome;

string_enum! {
    /// The consoles a VM can have in the browser: its serial console (xterm.js) and its graphical
    /// display (noVNC). The value is the last segment of the WebSocket path
    /// `/vms/{id}/console/{kind}`.
    pub enum ConsoleKind {
        Serial = "serial" => "Serial console",
        Vnc = "vnc" => "Graphical console",
    }
}

/// One of a VM's consoles as the Console sub-tab shows it before connecting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleAvailability {
    pub kind: ConsoleKind,
    /// `None` when it can be opened now; otherwise why not, in words for the user (the VM has no
    /// serial console or is headless, it is not running, its host's driver has no consoles, the
    /// host is remote and its display cannot be reached).
    pub unavailable: Option<String>,
    /// The Vireo user whose browser holds the console now, if any (libvirt allows one client per
    /// console; opening it takes it over).
    pub held_by: Option<String>,
}

/// A one-time ticket for a console's WebSocket: bound to the user who asked, the VM and the
/// console, valid for `expires_in` seconds, redeemed once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleTicket {
    pub ticket: String,
    pub expires_in: u32,
    /// The WebSocket's path, `/vms/{id}/console/{kind}` (the page adds `?ticket=`).
    pub path: String,
}
