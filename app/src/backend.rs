//! The service interface server functions call. The server crate implements it over PostgreSQL and
//! the libvirt pool and provides it as context; server functions only authorize, call it and map
//! errors. The REST API calls the same implementation, so both front doors share one behaviour.

use crate::domain::draft::{ConfigKind, VmDraft};
use crate::domain::network::Nic;
use crate::domain::recommendations::HostAction;
use crate::domain::rule_context::RuleContext;
use crate::error::AppError;
use crate::models::{
    AddHostRequest, AttachedDisk, AttachedNic, ClusterDraft, ClusterView, ConsoleAvailability, ConsoleKind,
    ConsoleTicket, CpuMapData, CurrentUser, DataCenterDraft, DataCenterView, DialogOptions, DiskChangeOutcome,
    DiskView, DraftEnvelope, EventView, GridPage, GridQuery, HostView, NetworkView, NewDiskRequest, NewNetworkRequest,
    NewPassword, NewStorageDomainRequest, NewUserRequest, NicChangeOutcome, PoolRow, Preview, ReportedNic, SaveOutcome,
    StorageDomainView, TemplateView, TopologyFile, UserView, VmAction, VmDetails, VmRow, VnicProfileRequest,
    VnicProfileView,
};
use std::sync::Arc;
use uuid::Uuid;

/// Everything server functions call, one trait per area; each is implemented in the server file
/// that owns its code (`server/src/service/<area>.rs`). A server function takes `Arc<dyn Backend>`
/// from context; `api::ssr` brings the area traits into scope.
pub trait Backend:
    HostBackend
    + ClusterBackend
    + DataCenterBackend
    + ConfigBackend
    + LifecycleBackend
    + GridBackend
    + UserBackend
    + StorageBackend
    + NetworkBackend
    + ConsoleBackend
    + DashboardBackend
    + UsageBackend
    + Send
    + Sync
    + 'static
{
}

impl<T> Backend for T where
    T: HostBackend
        + ClusterBackend
        + DataCenterBackend
        + ConfigBackend
        + LifecycleBackend
        + GridBackend
        + UserBackend
        + StorageBackend
        + NetworkBackend
        + ConsoleBackend
        + DashboardBackend
        + UsageBackend
        + Send
        + Sync
        + 'static
{
}

/// The Dashboard at `/` (`server/src/service/dashboard.rs`): any logged-in user may read it.
#[async_trait::async_trait]
pub trait DashboardBackend: Send + Sync {
    /// Hosts and VMs by status and type, per-cluster allocation against the Up hosts' capacity,
    /// huge pages free per host, and how many High Performance VMs miss a recommendation.
    async fn dashboard(&self) -> Result<crate::domain::dashboard::Dashboard, AppError>;
}

/// Usage charts of the General sub-tabs (`server/src/service/usage.rs`): any logged-in user may read
/// them.
#[async_trait::async_trait]
pub trait UsageBackend: Send + Sync {
    /// The VM's or host's samples of the last hour (at most `usage::MAX_SAMPLES`, the newest),
    /// oldest first; empty for an object without samples (never running, or unknown).
    async fn usage_history(
        &self,
        kind: crate::domain::usage::UsageKind,
        id: Uuid,
    ) -> Result<crate::domain::usage::UsageHistory, AppError>;
}

/// Hosts (`server/src/service/hosts.rs`).
#[async_trait::async_trait]
pub trait HostBackend: Send + Sync {
    async fn list_hosts(&self) -> Result<Vec<HostView>, AppError>;
    /// Connects to the URI, reads its topology and stores the host; stores nothing when that fails.
    async fn add_host(&self, actor: &CurrentUser, request: AddHostRequest) -> Result<HostView, AppError>;
    fn topology_files(&self) -> Vec<TopologyFile>;
    /// Vireo's SSH public key and the `authorized_keys` line for a remote host (made on first run).
    async fn ssh_identity(&self) -> Result<crate::models::SshIdentity, AppError>;
    /// Fetches an SSH host's key (admins only) and answers its fingerprint, for the admin to
    /// confirm before `add_host` pins it.
    async fn scan_host_key(
        &self,
        actor: &CurrentUser,
        request: AddHostRequest,
    ) -> Result<crate::models::HostKeyScan, AppError>;
    /// Starts or stops KSM on the host (through libvirt; kept in Vireo for simulated hosts).
    async fn set_host_ksm(&self, actor: &CurrentUser, host_id: Uuid, running: bool) -> Result<HostView, AppError>;
    /// A host-level change a recommendation's fix needs (huge page allocation).
    async fn apply_host_action(&self, actor: &CurrentUser, action: HostAction) -> Result<HostView, AppError>;
    /// The host's topology and the pins of every VM pinned to it or running on it (the CPU map).
    async fn host_cpu_map(&self, host_id: Uuid) -> Result<CpuMapData, AppError>;
}

/// Clusters (`server/src/service/clusters.rs`).
#[async_trait::async_trait]
pub trait ClusterBackend: Send + Sync {
    async fn list_clusters(&self) -> Result<Vec<ClusterView>, AppError>;
    async fn save_cluster(&self, actor: &CurrentUser, draft: ClusterDraft) -> Result<ClusterView, AppError>;
    /// Removes a cluster nothing uses (no hosts, VMs, templates, pools or networks).
    async fn remove_cluster(&self, actor: &CurrentUser, id: Uuid) -> Result<(), AppError>;
}

/// Data centers (`server/src/service/data_centers.rs`).
#[async_trait::async_trait]
pub trait DataCenterBackend: Send + Sync {
    async fn list_data_centers(&self) -> Result<Vec<DataCenterView>, AppError>;
    async fn data_center(&self, id: Uuid) -> Result<DataCenterView, AppError>;
    async fn save_data_center(&self, actor: &CurrentUser, draft: DataCenterDraft) -> Result<DataCenterView, AppError>;
    /// Removes a data center that owns no cluster.
    async fn remove_data_center(&self, actor: &CurrentUser, id: Uuid) -> Result<(), AppError>;
    async fn data_center_grid(&self, q: &GridQuery) -> Result<GridPage<DataCenterView>, AppError>;
}

/// The VM, Template and Pool dialogs (`server/src/service/configs.rs`).
#[async_trait::async_trait]
pub trait ConfigBackend: Send + Sync {
    async fn dialog_options(&self) -> Result<DialogOptions, AppError>;
    /// What the rules see for a draft in `cluster_id` with `os_type` (`exclude`: the object edited).
    async fn rule_context(
        &self,
        cluster_id: Option<Uuid>,
        os_type: &str,
        exclude: Option<Uuid>,
    ) -> Result<RuleContext, AppError>;
    /// A new VM/Template/Pool inheriting the template's configuration (Blank when `None`).
    async fn new_draft(&self, kind: ConfigKind, template_id: Option<Uuid>) -> Result<VmDraft, AppError>;
    async fn load_draft(&self, kind: ConfigKind, id: Uuid) -> Result<DraftEnvelope, AppError>;
    /// Validation, recommendations and next-run fields; writes nothing.
    async fn preview(&self, draft: &VmDraft) -> Result<Preview, AppError>;
    /// Validates and saves in one transaction (version-checked); unmet recommendations stop it
    /// unless `save_anyway`.
    async fn save(&self, actor: &CurrentUser, draft: VmDraft, save_anyway: bool) -> Result<SaveOutcome, AppError>;
    /// Everything the General sub-tab shows about a VM.
    async fn vm_details(&self, id: Uuid) -> Result<VmDetails, AppError>;
}

/// Running VMs (`server/src/service/lifecycle.rs`).
#[async_trait::async_trait]
pub trait LifecycleBackend: Send + Sync {
    /// Run, Shutdown, Power Off or Restart.
    async fn vm_action(&self, actor: &CurrentUser, id: Uuid, action: VmAction) -> Result<(), AppError>;
    /// Removes a VM; a running one only with `force`. `remove_disks`: also the disks only it uses
    /// (oVirt's default; its REST `detach_only=true` keeps them).
    async fn remove_vm(&self, actor: &CurrentUser, id: Uuid, force: bool, remove_disks: bool) -> Result<(), AppError>;
    /// The exact libvirt domain XML the VM gets at its next start.
    async fn domain_xml(&self, id: Uuid) -> Result<String, AppError>;
}

/// The grids: server-side search, sort and paging (search errors are `search` field errors), and
/// the event log (`server/src/service/grids.rs`).
#[async_trait::async_trait]
pub trait GridBackend: Send + Sync {
    async fn vm_grid(&self, q: &GridQuery) -> Result<GridPage<VmRow>, AppError>;
    async fn template_grid(&self, q: &GridQuery) -> Result<GridPage<TemplateView>, AppError>;
    async fn pool_grid(&self, q: &GridQuery) -> Result<GridPage<PoolRow>, AppError>;
    async fn host_grid(&self, q: &GridQuery) -> Result<GridPage<HostView>, AppError>;
    async fn cluster_grid(&self, q: &GridQuery) -> Result<GridPage<ClusterView>, AppError>;
    /// Events, optionally only one object's.
    async fn event_grid(&self, q: &GridQuery, object: Option<Uuid>) -> Result<GridPage<EventView>, AppError>;
    async fn list_events(&self, limit: i64) -> Result<Vec<EventView>, AppError>;
}

/// Users: admins only, except one's own password; every write ends with an audit event
/// (`server/src/service/users.rs`).
#[async_trait::async_trait]
pub trait UserBackend: Send + Sync {
    /// The Users grid; `Forbidden` for anyone but an admin.
    async fn user_grid(&self, actor: &CurrentUser, q: &GridQuery) -> Result<GridPage<UserView>, AppError>;
    async fn add_user(&self, actor: &CurrentUser, request: NewUserRequest) -> Result<UserView, AppError>;
    /// An admin cannot change their own role, and the last enabled admin stays an admin.
    async fn set_user_role(&self, actor: &CurrentUser, id: Uuid, role: String) -> Result<UserView, AppError>;
    /// Disabling ends the user's sessions and API tokens at once. An admin cannot disable
    /// themselves, and the last enabled admin stays enabled.
    async fn set_user_disabled(&self, actor: &CurrentUser, id: Uuid, disabled: bool) -> Result<UserView, AppError>;
    /// An admin sets another user's password; that user's sessions and API tokens end.
    async fn reset_user_password(
        &self,
        actor: &CurrentUser,
        id: Uuid,
        password: NewPassword,
    ) -> Result<UserView, AppError>;
    /// Anyone changes their own password (the current one first). Returns the new `auth_epoch`:
    /// the caller re-stamps the session it came from, every other session and token ends.
    async fn change_own_password(
        &self,
        actor: &CurrentUser,
        current: String,
        password: NewPassword,
    ) -> Result<i32, AppError>;
}

/// Storage domains (libvirt pools) and disks (their volumes) (`server/src/service/storage.rs`).
/// Storage domains are infrastructure (`ManageInfrastructure`); disks belong to the VM estate
/// (`ManageVms`).
#[async_trait::async_trait]
pub trait StorageBackend: Send + Sync {
    async fn storage_domain_grid(&self, q: &GridQuery) -> Result<GridPage<StorageDomainView>, AppError>;
    async fn disk_grid(&self, q: &GridQuery) -> Result<GridPage<DiskView>, AppError>;
    async fn storage_domain(&self, id: Uuid) -> Result<StorageDomainView, AppError>;
    async fn disk(&self, id: Uuid) -> Result<DiskView, AppError>;
    /// Reads every host's pools from libvirt again (new, gone, sizes, state) and their volumes'
    /// sizes; one host when `host_id` is given.
    async fn refresh_storage(&self, actor: &CurrentUser, host_id: Option<Uuid>) -> Result<(), AppError>;
    /// Defines, builds and starts a directory pool on the host (autostarted).
    async fn add_storage_domain(
        &self,
        actor: &CurrentUser,
        request: NewStorageDomainRequest,
    ) -> Result<StorageDomainView, AppError>;
    /// Stops and undefines the pool; refused while Vireo has disks in it. Files stay on the host.
    async fn remove_storage_domain(&self, actor: &CurrentUser, id: Uuid) -> Result<(), AppError>;
    async fn create_disk(&self, actor: &CurrentUser, request: NewDiskRequest) -> Result<DiskView, AppError>;
    /// Grows a disk (never shrinks: a guest's file system would lose its end).
    async fn resize_disk(&self, actor: &CurrentUser, id: Uuid, size_bytes: u64) -> Result<DiskView, AppError>;
    /// Renames a disk or changes its description (`version`: the edit's starting point).
    async fn update_disk(
        &self,
        actor: &CurrentUser,
        id: Uuid,
        version: i32,
        name: String,
        description: String,
    ) -> Result<DiskView, AppError>;
    /// Deletes the disk and its volume; refused while it is attached anywhere or a disk is made
    /// from it.
    async fn remove_disk(&self, actor: &CurrentUser, id: Uuid) -> Result<(), AppError>;
    /// A VM's or Template's attachments with their disks (current and next-run).
    async fn attached_disks(&self, kind: ConfigKind, id: Uuid) -> Result<Vec<AttachedDisk>, AppError>;
    /// Attaches a disk (live on a running VM when its host can, else at the next start).
    async fn attach_disk(
        &self,
        actor: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        attachment: crate::domain::storage::DiskAttachment,
    ) -> Result<DiskChangeOutcome, AppError>;
    /// Changes an attachment's bus, bootable or read-only flag (at the next start on a running VM).
    async fn update_attachment(
        &self,
        actor: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        attachment: crate::domain::storage::DiskAttachment,
    ) -> Result<DiskChangeOutcome, AppError>;
    /// Detaches a disk (live on a running VM when its host can, else at the next start); the disk
    /// stays.
    async fn detach_disk(
        &self,
        actor: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        disk_id: Uuid,
    ) -> Result<DiskChangeOutcome, AppError>;
}

/// Networks, vNIC profiles and NICs (`server/src/service/networks.rs`). Networks and profiles are
/// infrastructure (`ManageInfrastructure`); NICs belong to the VM estate (`ManageVms`).
#[async_trait::async_trait]
pub trait NetworkBackend: Send + Sync {
    async fn network_grid(&self, q: &GridQuery) -> Result<GridPage<NetworkView>, AppError>;
    async fn vnic_profile_grid(&self, q: &GridQuery) -> Result<GridPage<VnicProfileView>, AppError>;
    async fn network(&self, id: Uuid) -> Result<NetworkView, AppError>;
    async fn vnic_profile(&self, id: Uuid) -> Result<VnicProfileView, AppError>;
    /// Every profile (the NIC dialogs' options).
    async fn list_vnic_profiles(&self) -> Result<Vec<VnicProfileView>, AppError>;
    /// The default profile of the cluster's default network (the default cluster's when `None`):
    /// what the New VM dialog puts a new VM's first NIC on. `None` when the cluster has none.
    async fn default_vnic_profile(&self, cluster_id: Option<Uuid>) -> Result<Option<Uuid>, AppError>;
    /// Records a network backed by a libvirt network or host bridge of that name on the cluster's
    /// hosts, with its default profile (named as the network). Nothing is created on the hosts:
    /// the grid shows where the backing is present and where it is missing.
    async fn add_network(&self, actor: &CurrentUser, request: NewNetworkRequest) -> Result<NetworkView, AppError>;
    /// Refused (naming the VMs/Templates/Pools) while any NIC uses one of its profiles.
    async fn remove_network(&self, actor: &CurrentUser, id: Uuid) -> Result<(), AppError>;
    async fn add_vnic_profile(
        &self,
        actor: &CurrentUser,
        request: VnicProfileRequest,
    ) -> Result<VnicProfileView, AppError>;
    /// `version`: the edit's starting point. The network cannot change.
    async fn update_vnic_profile(
        &self,
        actor: &CurrentUser,
        id: Uuid,
        version: i32,
        request: VnicProfileRequest,
    ) -> Result<VnicProfileView, AppError>;
    /// Refused (naming them) while NICs use it.
    async fn remove_vnic_profile(&self, actor: &CurrentUser, id: Uuid) -> Result<(), AppError>;
    /// Reads every host's libvirt networks and bridges again (one host when `host_id` is given).
    async fn refresh_networks(&self, actor: &CurrentUser, host_id: Option<Uuid>) -> Result<(), AppError>;
    /// A VM's or Template's NICs with their profiles (current and next-run) and reported addresses.
    async fn vm_nics(&self, kind: ConfigKind, id: Uuid) -> Result<Vec<AttachedNic>, AppError>;
    /// Adds a NIC (a VM gets a MAC from Vireo's range unless `nic.mac` names a free one); plugged
    /// live into a running VM when its host can, else at the next start.
    async fn add_nic(
        &self,
        actor: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        nic: Nic,
    ) -> Result<NicChangeOutcome, AppError>;
    /// Changes a NIC (matched by `nic.id`): profile, model, MAC, link state, plugged.
    async fn update_nic(
        &self,
        actor: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        nic: Nic,
    ) -> Result<NicChangeOutcome, AppError>;
    /// Removes a NIC (unplugged live from a running VM when its host can, else at the next start).
    async fn remove_nic(
        &self,
        actor: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        nic_id: Uuid,
    ) -> Result<NicChangeOutcome, AppError>;
    /// The guest NICs and addresses libvirt last reported for a VM.
    async fn reported_nics(&self, id: Uuid) -> Result<Vec<ReportedNic>, AppError>;
}

/// Consoles (`server/src/service/consoles.rs`). Opening one (the WebSocket, the VNC relay) is
/// server-only (`VireoService::open_console`): it hands out streams, not views.
#[async_trait::async_trait]
pub trait ConsoleBackend: Send + Sync {
    /// The VM's consoles and whether each can be opened now (any logged-in user may read this).
    async fn vm_consoles(&self, id: Uuid) -> Result<Vec<ConsoleAvailability>, AppError>;
    /// A one-time ticket for the console's WebSocket (`Permission::UseConsole`, audited), bound to
    /// `actor`, the VM and `kind`.
    async fn console_ticket(&self, actor: &CurrentUser, id: Uuid, kind: ConsoleKind)
        -> Result<ConsoleTicket, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;
