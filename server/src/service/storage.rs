//! Storage domains (libvirt pools on hosts) and disks (their volumes): `StorageBackend`. Storage
//! domains are infrastructure (admins); disks belong to the VM estate (operators too). Every
//! libvirt change happens before the row that records it, and a failed step undoes the ones before
//! it, so the database never shows a volume the host does not have (nor the reverse, on success).
//! Attaching and detaching edit the owner's configuration through the dialog's own save.

use crate::hypervisor::{HypervisorError, PoolInfo, VolumeInfo};
use crate::repository::{DiskRecord, NewDiskRow, PoolRow, StorageDomainRecord};
use crate::service::audit::{Object, Outcome};
use crate::service::grids::grid_search;
use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::{ConfigBackend, StorageBackend};
use vireo_app::domain::collections;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::naming::name_error;
use vireo_app::domain::storage::{
    format_bytes, pool_path_error, storage_domain_name_error, volume_name, DiskAttachment, DiskContent, DiskFormat,
    DiskStatus, StorageDomainStatus, MAX_DISK_BYTES, MIN_DISK_BYTES,
};
use vireo_app::domain::storage_xml::VolumeSpec;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{
    AttachedDisk, CurrentUser, DiskChangeOutcome, DiskView, GridPage, GridQuery, HostView, NewDiskRequest,
    NewStorageDomainRequest, SaveOutcome, StorageDomainView,
};

pub(super) fn host_error(e: HypervisorError) -> AppError {
    AppError::host(e.to_string())
}

pub(super) fn pool_rows(pools: &[PoolInfo]) -> Vec<PoolRow<'_>> {
    pools
        .iter()
        .map(|p| PoolRow {
            name: &p.name,
            pool_uuid: p.uuid,
            pool_type: &p.pool_type,
            path: &p.path,
            capacity: p.capacity,
            allocation: p.allocation,
            available: p.available,
            active: p.active,
        })
        .collect()
}

/// A new disk's size, checked.
pub(crate) fn disk_size_error(field: &str, size_bytes: u64) -> Option<FieldError> {
    (!(MIN_DISK_BYTES..=MAX_DISK_BYTES).contains(&size_bytes)).then(|| {
        FieldError::new(
            field,
            format!(
                "A disk is between {} and {}.",
                format_bytes(MIN_DISK_BYTES),
                format_bytes(MAX_DISK_BYTES)
            ),
        )
    })
}

/// The id an audit event names for what a storage (or network) write returns.
pub(super) trait Identified {
    fn object_id(&self) -> Option<Uuid>;
}

impl Identified for DiskView {
    fn object_id(&self) -> Option<Uuid> {
        Some(self.id)
    }
}

impl Identified for StorageDomainView {
    fn object_id(&self) -> Option<Uuid> {
        Some(self.id)
    }
}

impl Identified for () {
    fn object_id(&self) -> Option<Uuid> {
        None
    }
}

/// What `create_volume_for` makes: a fresh volume, a thin overlay on another disk's volume, or a
/// full copy of it.
pub(crate) enum VolumeSource<'a> {
    Empty { preallocate: bool },
    Overlay(&'a DiskRecord),
    Copy(&'a DiskRecord),
}

impl VireoService {
    /// Reads the host's pools from libvirt into `storage_domains`. A simulated host (libvirt's
    /// in-process test driver, which forgets its volumes when Vireo restarts) also gets back the
    /// volumes of Vireo's disks it no longer has.
    pub async fn sync_host_storage(&self, host: &HostView) -> Result<(), AppError> {
        let pools = match self.hypervisor.storage_pools(&host.uri).await {
            Ok(pools) => pools,
            Err(e) => {
                self.repo.mark_host_storage_unknown(host.id).await?;
                return Err(host_error(e));
            }
        };
        self.repo.sync_storage_domains(host.id, &pool_rows(&pools)).await?;
        if host.simulated_topology.is_some() {
            self.restore_simulated_volumes(host).await?;
        }
        self.sync_disk_sizes(host, &pools).await
    }

    /// Each disk's space taken as libvirt reports it now (it grows as the guest writes); a
    /// disk whose volume is gone from an active pool turns `illegal` (and back to `ok` should the
    /// volume return). Locked disks are left to the operation that holds them.
    async fn sync_disk_sizes(&self, host: &HostView, pools: &[PoolInfo]) -> Result<(), AppError> {
        for domain in self.repo.list_storage_domains(true).await? {
            if domain.host_id != host.id || domain.disk_count == 0 || !pools.iter().any(|p| p.name == domain.name) {
                continue;
            }
            let volumes = self
                .hypervisor
                .volumes(&host.uri, &domain.name)
                .await
                .map_err(host_error)?;
            for disk in self.repo.disks_in_domain(domain.id).await? {
                if disk.view.status == DiskStatus::Locked {
                    continue;
                }
                match volumes.iter().find(|v| v.name == disk.volume_name) {
                    Some(v) => {
                        let unchanged = disk.view.status == DiskStatus::Ok
                            && disk.view.actual_bytes == v.allocation as i64
                            && disk.view.provisioned_bytes == v.capacity as i64
                            && disk.view.path == v.path;
                        if !unchanged {
                            self.repo
                                .update_disk_volume(disk.view.id, &v.path, v.capacity, v.allocation, DiskStatus::Ok)
                                .await?;
                        }
                    }
                    None => self.repo.set_disk_status(disk.view.id, DiskStatus::Illegal).await?,
                }
            }
        }
        Ok(())
    }

    /// At start-up, before anything else touches disks: disks locked by an operation the last
    /// run did not finish become `illegal`, with an event saying so.
    pub async fn release_interrupted_disks(&self) {
        match self.repo.release_interrupted_disks().await {
            Ok(names) if !names.is_empty() => {
                let message = format!(
                    "Vireo stopped while these disks were being uploaded or grown; they are marked illegal (remove them, or upload again): {}.",
                    names.join(", ")
                );
                self.audit(
                    None,
                    "disk.interrupted",
                    Object::new("disk", None, ""),
                    Outcome::Failed(message),
                )
                .await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not release interrupted disks"),
        }
    }

    /// Every host's storage, as at start-up; a host that does not answer only marks its own
    /// domains unknown.
    pub async fn sync_all_storage(&self) {
        let Ok(hosts) = self.repo.list_hosts().await else {
            return;
        };
        for host in hosts {
            // A host the reconciler found not answering would only hold this loop for its call
            // deadline (20 s each, at every start-up and every 30 s): its domains are unknown.
            if host.status != vireo_app::models::HostStatus::Up {
                if let Err(e) = self.repo.mark_host_storage_unknown(host.id).await {
                    tracing::warn!(host = %host.name, error = %e, "could not mark the host's storage unknown");
                }
                continue;
            }
            if let Err(e) = self.sync_host_storage(&host).await {
                tracing::warn!(host = %host.name, error = %e, "could not read the host's storage pools");
            }
        }
    }

    async fn restore_simulated_volumes(&self, host: &HostView) -> Result<(), AppError> {
        for domain in self.repo.list_storage_domains(true).await? {
            if domain.host_id != host.id {
                continue;
            }
            // Bases first (the query orders them so), then their overlays.
            for disk in self.repo.disks_in_domain(domain.id).await? {
                let present = self
                    .hypervisor
                    .volume(&disk.host_uri, &disk.pool, &disk.volume_name)
                    .await
                    .map_err(host_error)?;
                if present.is_some() {
                    continue;
                }
                let backing = match disk.view.backing_disk_id {
                    Some(base) => self
                        .repo
                        .disk(base)
                        .await?
                        .map(|b| (b.view.path.clone(), b.view.format)),
                    None => None,
                };
                let spec = VolumeSpec {
                    name: disk.volume_name.clone(),
                    capacity_bytes: disk.view.provisioned_bytes.max(0) as u64,
                    format: disk.view.format,
                    preallocate: !disk.view.sparse,
                    backing,
                };
                self.hypervisor
                    .create_volume(&disk.host_uri, &disk.pool, spec)
                    .await
                    .map_err(host_error)?;
            }
        }
        Ok(())
    }

    pub(super) async fn storage_domain_record(&self, id: Uuid) -> Result<StorageDomainRecord, AppError> {
        self.repo
            .storage_domain(id)
            .await?
            .ok_or_else(|| AppError::not_found("storage domain"))
    }

    pub(crate) async fn disk_record(&self, id: Uuid) -> Result<DiskRecord, AppError> {
        self.repo.disk(id).await?.ok_or_else(|| AppError::not_found("disk"))
    }

    /// Creates disk `id`'s volume and its row. The row is written only after libvirt made the
    /// volume; if the row cannot be written, the volume is deleted again.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn create_volume_for(
        &self,
        actor: &Actor,
        id: Uuid,
        name: &str,
        description: &str,
        domain: &StorageDomainRecord,
        size_bytes: u64,
        format: DiskFormat,
        source: VolumeSource<'_>,
    ) -> Result<DiskRecord, AppError> {
        if domain.view.status != StorageDomainStatus::Active {
            return Err(AppError::validation(
                "storage_domain_id",
                format!("Storage domain {} is {}.", domain.view.name, domain.view.status.label()),
            ));
        }
        let volume = volume_name(id, format);
        let (preallocate, backing, copy_from) = match &source {
            VolumeSource::Empty { preallocate } => (*preallocate, None, None),
            VolumeSource::Overlay(base) => (false, Some((base.view.path.clone(), base.view.format)), None),
            VolumeSource::Copy(base) => (false, None, Some(base.volume_name.clone())),
        };
        let spec = VolumeSpec {
            name: volume.clone(),
            capacity_bytes: size_bytes,
            format,
            preallocate,
            backing,
        };
        let pool = &domain.view.name;
        let made: VolumeInfo = match copy_from {
            Some(source) => {
                self.hypervisor
                    .clone_volume(&domain.host_uri, pool, &source, spec)
                    .await
            }
            None => self.hypervisor.create_volume(&domain.host_uri, pool, spec).await,
        }
        .map_err(host_error)?;
        let row = NewDiskRow {
            id,
            name,
            description,
            storage_domain_id: domain.view.id,
            volume_name: &volume,
            path: &made.path,
            format,
            content: if format == DiskFormat::Iso {
                DiskContent::Iso
            } else {
                DiskContent::Data
            },
            provisioned_bytes: made.capacity.max(size_bytes),
            actual_bytes: made.allocation,
            sparse: !preallocate,
            backing_disk_id: match source {
                VolumeSource::Overlay(base) => Some(base.view.id),
                _ => None,
            },
            status: DiskStatus::Ok,
        };
        if let Err(e) = self.repo.insert_disk(actor, &row).await {
            let _ = self.hypervisor.delete_volume(&domain.host_uri, pool, &volume).await;
            return Err(e);
        }
        self.disk_record(id).await
    }

    /// Deletes a disk's volume, then its row (used to undo a half-made save as well).
    pub(crate) async fn delete_disk_and_volume(&self, actor: &Actor, disk: &DiskRecord) -> Result<(), AppError> {
        self.hypervisor
            .delete_volume(&disk.host_uri, &disk.pool, &disk.volume_name)
            .await
            .map_err(host_error)?;
        self.repo.delete_disk(actor, disk.view.id).await.map(|_| ())
    }

    /// One storage write: the role check (a refusal is audited there), then `work`, whose outcome
    /// is audited either way (`done` words a success). The event names the object the work made
    /// when there was none before (a new disk or storage domain).
    pub(super) async fn storage_write<T: Identified>(
        &self,
        user: &CurrentUser,
        permission: Permission,
        action: &str,
        (kind, id, name): (&str, Option<Uuid>, &str),
        work: impl AsyncFnOnce(&Actor) -> Result<T, AppError>,
        done: impl FnOnce(&T) -> String,
    ) -> Result<T, AppError> {
        let actor = self.authorize(user, permission, action, kind, id, name).await?;
        let result = work(&actor).await;
        let id = id.or_else(|| result.as_ref().ok().and_then(Identified::object_id));
        self.storage_audited(&actor, action, Object::new(kind, id, name), done, result)
            .await
    }

    /// Runs `work` as `action` on a disk or domain and writes its audit event.
    pub(super) async fn storage_audited<T>(
        &self,
        actor: &Actor,
        action: &str,
        object: Object<'_>,
        done: impl FnOnce(&T) -> String,
        result: Result<T, AppError>,
    ) -> Result<T, AppError> {
        let outcome = match &result {
            Ok(v) => Outcome::Done(done(v)),
            // The host failing is an error; a refused request a warning.
            Err(e @ AppError::Host { .. }) => Outcome::Failed(format!("{action} {} failed: {e}", object.name)),
            Err(e) => Outcome::Refused(format!("{action} {} refused: {e}", object.name)),
        };
        self.audit(actor.user(), action, object, outcome).await;
        result
    }

    async fn check_disk_request(&self, request: &NewDiskRequest) -> Result<StorageDomainRecord, AppError> {
        let mut errors = Vec::new();
        errors.extend(name_error("name", "disk", &request.name));
        if request.description.chars().count() > vireo_app::domain::draft::MAX_DESCRIPTION {
            errors.push(FieldError::new("description", "The description is too long."));
        }
        errors.extend(disk_size_error("size_bytes", request.size_bytes));
        if request.format == DiskFormat::Iso {
            errors.push(FieldError::new(
                "format",
                "ISO images are uploaded, not created empty: choose QCOW2 or Raw.",
            ));
        }
        let domain = match request.storage_domain_id {
            Some(id) => self.repo.storage_domain(id).await?,
            None => None,
        };
        if domain.is_none() {
            errors.push(FieldError::new("storage_domain_id", "Choose a storage domain."));
        }
        match domain {
            Some(domain) if errors.is_empty() => Ok(domain),
            _ => Err(AppError::Validation { errors }),
        }
    }

    /// Saves `kind` `id` with its attachments changed by `edit`, as the dialog's save would
    /// (validated, version-checked, audited; a running VM gets it at its next start).
    async fn edit_attachments(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        live: Option<(Uuid, bool)>,
        edit: impl FnOnce(&mut Vec<DiskAttachment>) -> Result<(), AppError>,
    ) -> Result<DiskChangeOutcome, AppError> {
        // The role first: a caller who may not change VMs learns nothing about their disks.
        self.authorize(
            user,
            Permission::ManageVms,
            "disk.attachment",
            kind.as_str(),
            Some(id),
            "",
        )
        .await?;
        let envelope = self.load_draft(kind, id).await?;
        let mut draft = envelope.draft;
        edit(&mut draft.config.disks)?;
        match self
            .save_device_edit(user, draft, vireo_app::domain::recommendations::RecommendationId::R6)
            .await?
        {
            SaveOutcome::Saved { pending_restart, .. } if !pending_restart.is_empty() => {
                let reason = match live {
                    Some((disk_id, attach)) if kind == ConfigKind::Vm => {
                        match self.plug_disk(id, disk_id, attach).await {
                            Ok(()) => return Ok(DiskChangeOutcome::Live),
                            Err(reason) => reason,
                        }
                    }
                    _ => "The VM is running; Vireo applies the change when it next starts.".into(),
                };
                Ok(DiskChangeOutcome::NextRun { reason })
            }
            _ => Ok(DiskChangeOutcome::Live),
        }
    }

    /// Plugs a disk into (or out of) the running VM, after the change was saved for its next
    /// start; on success the change is the VM's current configuration too. `Err`: why it waits
    /// for the next start instead.
    async fn plug_disk(&self, id: Uuid, disk_id: Uuid, attach: bool) -> Result<(), String> {
        let later = "it takes effect when the VM next starts";
        let rec = match self.repo.config_record(ConfigKind::Vm, id).await {
            Ok(Some(rec)) if rec.running() => rec,
            _ => return Err(format!("The VM is not running; {later}.")),
        };
        // Attaching: the disk is in the pending list; detaching: in the current one.
        let config = if attach {
            rec.next_run.clone().unwrap_or_else(|| rec.config.clone())
        } else {
            rec.config.clone()
        };
        let Some(attachment) = config.disks.iter().find(|a| a.disk_id == disk_id) else {
            return Err(format!("The disk is not in the VM's configuration; {later}."));
        };
        if attachment.interface != vireo_app::domain::storage::DiskInterface::Virtio {
            return Err(format!(
                "Only VirtIO disks plug into a running VM ({} does not); {later}.",
                attachment.interface.label()
            ));
        }
        let host = match rec.host_id {
            Some(h) => self.repo.host(h).await.ok().flatten(),
            None => None,
        };
        let Some(host) = host else {
            return Err(format!("Vireo does not know the VM's host; {later}."));
        };
        let xml = self
            .domain_xml_for(&rec, &config)
            .await
            .map_err(|e| format!("{e}; {later}."))?;
        let Some(element) = vireo_app::domain::domain_xml::disk_element(&xml, disk_id) else {
            return Err(format!("The disk is not in the VM's domain; {later}."));
        };
        match self.hypervisor.change_device(&host.uri, id, &element, attach).await {
            Ok(true) => self.repo.apply_pending_disks(id).await.map_err(|e| e.to_string()),
            Ok(false) => Err(format!(
                "Host {} cannot plug disks into a running VM; {later}.",
                host.name
            )),
            Err(e) => Err(format!(
                "Host {} refused to plug the disk live ({e}); {later}.",
                host.name
            )),
        }
    }
}

#[async_trait::async_trait]
impl StorageBackend for VireoService {
    async fn storage_domain_grid(&self, q: &GridQuery) -> Result<GridPage<StorageDomainView>, AppError> {
        let search = grid_search(q, &collections::STORAGE_DOMAINS)?;
        self.repo.storage_domain_grid(q, &search).await
    }

    async fn disk_grid(&self, q: &GridQuery) -> Result<GridPage<DiskView>, AppError> {
        let search = grid_search(q, &collections::DISKS)?;
        self.repo.disk_grid(q, &search).await
    }

    async fn storage_domain(&self, id: Uuid) -> Result<StorageDomainView, AppError> {
        Ok(self.storage_domain_record(id).await?.view)
    }

    async fn disk(&self, id: Uuid) -> Result<DiskView, AppError> {
        Ok(self.disk_record(id).await?.view)
    }

    async fn refresh_storage(&self, user: &CurrentUser, host_id: Option<Uuid>) -> Result<(), AppError> {
        // Reading is harmless, but it writes rows: anyone who may change VMs may ask for it.
        self.authorize(user, Permission::ManageVms, "storage.refresh", "host", host_id, "")
            .await?;
        let hosts = self.repo.list_hosts().await?;
        let mut failures = Vec::new();
        for host in hosts.iter().filter(|h| host_id.is_none_or(|id| h.id == id)) {
            // libvirt rescans each active pool first, then the host's pools are read as a whole:
            // `sync_storage_domains` takes a host's complete list (a pool it does not name goes).
            for domain in self.repo.list_storage_domains(true).await? {
                if domain.host_id == host.id {
                    let _ = self.hypervisor.refresh_pool(&host.uri, &domain.name).await;
                }
            }
            if let Err(e) = self.sync_host_storage(host).await {
                failures.push(format!("{}: {e}", host.name));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(AppError::host(format!(
                "Some hosts did not answer: {}",
                failures.join("; ")
            )))
        }
    }

    async fn add_storage_domain(
        &self,
        user: &CurrentUser,
        request: NewStorageDomainRequest,
    ) -> Result<StorageDomainView, AppError> {
        self.storage_write(
            user,
            Permission::ManageInfrastructure,
            "storage_domain.add",
            ("storage_domain", None, &request.name),
            async |_actor: &Actor| {
                let mut errors = Vec::new();
                errors.extend(storage_domain_name_error(&request.name).map(|m| FieldError::new("name", m)));
                errors.extend(pool_path_error(&request.path).map(|m| FieldError::new("path", m)));
                let host = match request.host_id {
                    Some(id) => self.repo.list_hosts().await?.into_iter().find(|h| h.id == id),
                    None => None,
                };
                match &host {
                    None => errors.push(FieldError::new("host_id", "Choose a host.")),
                    Some(h) if h.status != vireo_app::models::HostStatus::Up => errors.push(FieldError::new(
                        "host_id",
                        format!("Host {} is {}.", h.name, h.status.label()),
                    )),
                    Some(h) => {
                        let taken = self
                            .repo
                            .list_storage_domains(false)
                            .await?
                            .iter()
                            .any(|d| d.host_id == h.id && d.name == request.name);
                        if taken {
                            errors.push(FieldError::new(
                                "name",
                                format!("Host {} already has a storage domain named '{}'.", h.name, request.name),
                            ));
                        }
                    }
                }
                match host {
                    Some(host) if errors.is_empty() => {
                        let made = self
                            .hypervisor
                            .define_dir_pool(&host.uri, &request.name, &request.path)
                            .await
                            .map_err(host_error);
                        match made {
                            Ok(info) => {
                                // The host's whole list: syncing the new pool alone would drop the others.
                                self.sync_host_storage(&host).await?;
                                let all = self.repo.list_storage_domains(false).await?;
                                all.into_iter()
                                    .find(|d| d.host_id == host.id && d.name == info.name)
                                    .ok_or_else(|| AppError::not_found("storage domain"))
                            }
                            Err(e) => Err(e),
                        }
                    }
                    _ => Err(AppError::Validation { errors }),
                }
            },
            |d: &StorageDomainView| format!("Storage domain {} added on host {} at {}.", d.name, d.host_name, d.path),
        )
        .await
    }

    async fn remove_storage_domain(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let domain = self.storage_domain_record(id).await?;
        self.storage_write(
            user,
            Permission::ManageInfrastructure,
            "storage_domain.remove",
            ("storage_domain", Some(id), &domain.view.name),
            async |actor: &Actor| {
                if domain.view.disk_count > 0 {
                    return Err(AppError::conflict(format!(
                        "Storage domain {} holds {} disk(s); remove them first.",
                        domain.view.name, domain.view.disk_count
                    )));
                }
                self.hypervisor
                    .remove_pool(&domain.host_uri, &domain.view.name)
                    .await
                    .map_err(host_error)?;
                self.repo.delete_storage_domain(actor, id).await.map(|_| ())
            },
            |_| {
                format!(
                    "Storage domain {} removed (its files stay on the host).",
                    domain.view.name
                )
            },
        )
        .await
    }

    async fn create_disk(&self, user: &CurrentUser, request: NewDiskRequest) -> Result<DiskView, AppError> {
        self.storage_write(
            user,
            Permission::ManageVms,
            "disk.add",
            ("disk", None, &request.name),
            async |actor: &Actor| {
                let domain = self.check_disk_request(&request).await?;
                let id = Uuid::new_v4();
                self.create_volume_for(
                    actor,
                    id,
                    &request.name,
                    &request.description,
                    &domain,
                    request.size_bytes,
                    request.format,
                    VolumeSource::Empty {
                        preallocate: !request.sparse,
                    },
                )
                .await
                .map(|d| d.view)
            },
            |d: &DiskView| {
                format!(
                    "Disk {} ({}, {}) created on {}.",
                    d.name,
                    format_bytes(d.provisioned_bytes.max(0) as u64),
                    d.format.label(),
                    d.storage_domain_name
                )
            },
        )
        .await
    }

    async fn resize_disk(&self, user: &CurrentUser, id: Uuid, size_bytes: u64) -> Result<DiskView, AppError> {
        let disk = self.disk_record(id).await?;
        self.storage_write(
            user,
            Permission::ManageVms,
            "disk.resize",
            ("disk", Some(id), &disk.view.name),
            async |_actor: &Actor| {
                if let Some(e) = disk_size_error("size_bytes", size_bytes) {
                    return Err(AppError::Validation { errors: vec![e] });
                }
                if size_bytes <= disk.view.provisioned_bytes.max(0) as u64 {
                    return Err(AppError::validation(
                        "size_bytes",
                        format!(
                            "A disk only grows: give more than its {} (shrinking would cut off the guest's data).",
                            format_bytes(disk.view.provisioned_bytes.max(0) as u64)
                        ),
                    ));
                }
                if disk.view.content == DiskContent::Iso {
                    return Err(AppError::validation("size_bytes", "An ISO image cannot grow."));
                }
                let running = self.running_owners(&disk).await?;
                if let Some(vm) = running.first() {
                    return Err(AppError::conflict(format!(
                        "VM {vm} is running with this disk; shut it down to grow the disk."
                    )));
                }
                if !self.repo.lock_disk(id).await? {
                    return Err(AppError::conflict(format!(
                        "Disk {} is busy (locked by another operation).",
                        disk.view.name
                    )));
                }
                match self
                    .hypervisor
                    .resize_volume(&disk.host_uri, &disk.pool, &disk.volume_name, size_bytes)
                    .await
                {
                    Ok(info) => {
                        self.repo
                            .update_disk_volume(id, &info.path, info.capacity, info.allocation, DiskStatus::Ok)
                            .await?
                    }
                    Err(e) => {
                        self.repo.set_disk_status(id, DiskStatus::Ok).await?;
                        return Err(host_error(e));
                    }
                }
                Ok(self.disk_record(id).await?.view)
            },
            |d: &DiskView| {
                format!(
                    "Disk {} grown to {}.",
                    d.name,
                    format_bytes(d.provisioned_bytes.max(0) as u64)
                )
            },
        )
        .await
    }

    async fn update_disk(
        &self,
        user: &CurrentUser,
        id: Uuid,
        version: i32,
        name: String,
        description: String,
    ) -> Result<DiskView, AppError> {
        let disk = self.disk_record(id).await?;
        self.storage_write(
            user,
            Permission::ManageVms,
            "disk.update",
            ("disk", Some(id), &disk.view.name),
            async |actor: &Actor| {
                let mut errors = Vec::new();
                errors.extend(name_error("name", "disk", &name));
                if description.chars().count() > vireo_app::domain::draft::MAX_DESCRIPTION {
                    errors.push(FieldError::new("description", "The description is too long."));
                }
                if !errors.is_empty() {
                    return Err(AppError::Validation { errors });
                }
                if !self
                    .repo
                    .update_disk_identity(actor, id, version, &name, &description)
                    .await?
                {
                    return Err(AppError::conflict(format!(
                        "Disk {} was changed by someone else after you opened it; nothing was saved.",
                        disk.view.name
                    )));
                }
                Ok(self.disk_record(id).await?.view)
            },
            |d: &DiskView| format!("Disk {} saved.", d.name),
        )
        .await
    }

    async fn remove_disk(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let disk = self.disk_record(id).await?;
        self.storage_write(
            user,
            Permission::ManageVms,
            "disk.remove",
            ("disk", Some(id), &disk.view.name),
            async |actor: &Actor| {
                if let Some(owner) = disk.view.attached_to.first() {
                    return Err(AppError::conflict(format!(
                        "Disk {} is attached to {} {}; detach it first.",
                        disk.view.name,
                        owner.kind.label(),
                        owner.name
                    )));
                }
                if self.repo.overlays_of(id).await? > 0 {
                    return Err(AppError::conflict(format!(
                        "Disks of other VMs are thin copies of disk {}; remove them first.",
                        disk.view.name
                    )));
                }
                if disk.view.status == DiskStatus::Locked {
                    return Err(AppError::conflict(format!(
                        "Disk {} is busy (locked by another operation).",
                        disk.view.name
                    )));
                }
                self.delete_disk_and_volume(actor, &disk).await
            },
            |_| format!("Disk {} removed with its volume.", disk.view.name),
        )
        .await
    }

    async fn attached_disks(&self, kind: ConfigKind, id: Uuid) -> Result<Vec<AttachedDisk>, AppError> {
        let rec = self
            .repo
            .config_record(kind, id)
            .await?
            .ok_or_else(|| AppError::not_found(kind.label()))?;
        let shown = rec.next_run.as_ref().unwrap_or(&rec.config);
        let ids: Vec<Uuid> = shown.disks.iter().map(|a| a.disk_id).collect();
        let disks = self.repo.disks(&ids).await?;
        Ok(shown
            .disks
            .iter()
            .filter_map(|a| {
                let disk = disks.iter().find(|d| d.view.id == a.disk_id)?;
                Some(AttachedDisk {
                    attachment: a.clone(),
                    disk: disk.view.clone(),
                    pending: rec.next_run.is_some() && !rec.config.disks.contains(a),
                })
            })
            .collect())
    }

    async fn attach_disk(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        attachment: DiskAttachment,
    ) -> Result<DiskChangeOutcome, AppError> {
        let disk = self.repo.disk(attachment.disk_id).await?;
        let live = Some((attachment.disk_id, true));
        self.edit_attachments(user, kind, id, live, move |disks| {
            let Some(disk) = disk else {
                return Err(AppError::validation("disk_id", "That disk does not exist."));
            };
            if disk.view.content == DiskContent::Iso {
                return Err(AppError::validation(
                    "disk_id",
                    "An ISO image goes into the CD-ROM (Boot Options), not on a disk bus.",
                ));
            }
            if disks.iter().any(|a| a.disk_id == attachment.disk_id) {
                return Err(AppError::conflict(format!(
                    "Disk {} is already attached.",
                    disk.view.name
                )));
            }
            disks.push(attachment);
            Ok(())
        })
        .await
    }

    async fn update_attachment(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        attachment: DiskAttachment,
    ) -> Result<DiskChangeOutcome, AppError> {
        self.edit_attachments(user, kind, id, None, move |disks| {
            let slot = disks
                .iter_mut()
                .find(|a| a.disk_id == attachment.disk_id)
                .ok_or_else(|| AppError::not_found("disk attachment"))?;
            *slot = attachment;
            Ok(())
        })
        .await
    }

    async fn detach_disk(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        disk_id: Uuid,
    ) -> Result<DiskChangeOutcome, AppError> {
        self.edit_attachments(user, kind, id, Some((disk_id, false)), move |disks| {
            let before = disks.len();
            disks.retain(|a| a.disk_id != disk_id);
            if disks.len() == before {
                return Err(AppError::not_found("disk attachment"));
            }
            Ok(())
        })
        .await
    }
}

impl VireoService {
    /// Names of the running VMs that have this disk attached.
    async fn running_owners(&self, disk: &DiskRecord) -> Result<Vec<String>, AppError> {
        let vm_ids: Vec<Uuid> = disk
            .view
            .attached_to
            .iter()
            .filter(|a| a.kind == ConfigKind::Vm)
            .map(|a| a.id)
            .collect();
        Ok(self
            .repo
            .config_records(ConfigKind::Vm, &vm_ids)
            .await?
            .into_iter()
            .filter(|r| r.running())
            .map(|r| r.name)
            .collect())
    }
}
