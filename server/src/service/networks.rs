//! Networks, vNIC profiles and NICs: `NetworkBackend`. Networks and profiles are infrastructure
//! (admins); NICs belong to the VM estate (operators too). What backs each network on each host
//! (libvirt networks, bridges) is read from libvirt at start-up, when a host is added, every 30 s
//! and on request, beside the storage pools; so are the addresses running guests report. NIC
//! edits go through the dialog's own save (validated, version-checked, audited) and are then
//! plugged into a running VM where its host can. MACs are handed out by the save
//! (`config_save.rs`, `Repository::allocate_macs`).

use crate::hypervisor::GuestInterface;
use crate::repository::{BackingRow, ConfigRecord, NicUser, ProfileFields, ProfileTarget};
use crate::service::grids::grid_search;
use crate::service::storage::{host_error, Identified};
use crate::service::VireoService;
use std::collections::HashSet;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::{ConfigBackend, NetworkBackend};
use vireo_app::domain::collections;
use vireo_app::domain::domain_xml::{interface_element, NicDevice, NicSource};
use vireo_app::domain::draft::{ConfigKind, VmDraft, MAX_DESCRIPTION};
use vireo_app::domain::network::{
    backing_name_error, network_filter_error, network_name_error, next_nic_name, vlan_error, NetworkBacking, Nic,
    MAX_NICS,
};
use vireo_app::domain::vm_config::VmConfig;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{
    AttachedNic, CurrentUser, GridPage, GridQuery, HostStatus, HostView, NetworkView, NewNetworkRequest,
    NicChangeOutcome, ReportedNic, SaveOutcome, VmStatus, VnicProfileRequest, VnicProfileView,
};

impl Identified for NetworkView {
    fn object_id(&self) -> Option<Uuid> {
        Some(self.id)
    }
}

impl Identified for VnicProfileView {
    fn object_id(&self) -> Option<Uuid> {
        Some(self.id)
    }
}

/// Running VMs whose guest addresses are read per host and pass (each is one libvirt call or two).
const MAX_POLLED_VMS: usize = 256;

/// "VM a, Template b (and 3 more)".
fn users_text(users: &[NicUser], total: i64) -> String {
    let mut text = users.iter().map(NicUser::label).collect::<Vec<_>>().join(", ");
    let more = total - users.len() as i64;
    if more > 0 {
        text.push_str(&format!(" (and {more} more)"));
    }
    text
}

/// How a NIC change reaches a running VM, if it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NicLive {
    /// Nothing to do live (a change only the next start can make).
    None,
    /// Plug the NIC (as in the pending configuration) in.
    Attach(Uuid),
    /// Unplug the NIC (as in the current configuration).
    Detach(Uuid),
    /// Change the NIC in place (its link state).
    Update(Uuid),
}

/// An address worth showing: not loopback, not link-local IPv6 noise without a MAC's NIC.
fn shown_address(addr: &str) -> bool {
    let ip = addr.split('/').next().unwrap_or_default();
    !(ip.starts_with("127.") || ip == "::1" || ip.is_empty())
}

/// What libvirt reported, as stored: NICs with a MAC (the agent's loopback has none), their
/// addresses without loopback.
fn reported(guest: Vec<GuestInterface>) -> Vec<ReportedNic> {
    let mut out: Vec<ReportedNic> = guest
        .into_iter()
        .filter(|g| !g.mac.is_empty() && g.mac != "00:00:00:00:00:00")
        .map(|g| ReportedNic {
            name: g.name,
            mac: g.mac,
            addresses: g.addresses.into_iter().filter(|a| shown_address(a)).collect(),
        })
        .collect();
    out.sort_by(|a, b| (&a.mac, &a.name).cmp(&(&b.mac, &b.name)));
    out.dedup_by(|a, b| a.mac == b.mac && a.name == b.name);
    out
}

impl VireoService {
    // --- Reading hosts

    /// Reads the host's libvirt networks and bridges into `host_network_backings`.
    pub async fn sync_host_networks(&self, host: &HostView) -> Result<(), AppError> {
        let found = self.hypervisor.network_backings(&host.uri).await.map_err(host_error)?;
        let rows: Vec<BackingRow<'_>> = found
            .iter()
            .map(|b| BackingRow {
                backing: b.backing,
                name: &b.name,
                active: b.active,
                bridge: &b.bridge,
            })
            .collect();
        self.repo.sync_host_backings(host.id, &rows).await
    }

    /// The addresses the host's running VMs' guests report, stored where they changed.
    pub async fn sync_guest_addresses(&self, host: &HostView) -> Result<(), AppError> {
        let vms = self.repo.vms_on_host(host.id).await?;
        for vm in vms
            .iter()
            .filter(|v| v.host_id == Some(host.id) && v.status.is_active())
            .take(MAX_POLLED_VMS)
        {
            match self.hypervisor.interface_addresses(&host.uri, vm.id).await {
                Ok(guest) => self.repo.set_reported_nics(vm.id, &reported(guest)).await?,
                // One guest failing to answer is that guest's business; the others are read.
                Err(e) => tracing::debug!(vm = %vm.name, error = %e, "could not read the guest's addresses"),
            }
        }
        Ok(())
    }

    /// Every Up host's networks and bridges, and its running guests' addresses (at start-up and
    /// every 30 s); hosts that are not Up are skipped, as the storage sync skips them.
    pub async fn sync_all_networks(&self) {
        if let Err(e) = self.repo.clear_reported_nics_of_stopped().await {
            tracing::warn!(error = %e, "could not clear the addresses of stopped VMs");
        }
        let Ok(hosts) = self.repo.list_hosts().await else {
            return;
        };
        for host in hosts.iter().filter(|h| h.status == HostStatus::Up) {
            if let Err(e) = self.sync_host_networks(host).await {
                tracing::warn!(host = %host.name, error = %e, "could not read the host's networks");
                continue;
            }
            if let Err(e) = self.sync_guest_addresses(host).await {
                tracing::warn!(host = %host.name, error = %e, "could not read the guests' addresses");
            }
        }
    }

    // --- Networks and profiles

    async fn network_record(&self, id: Uuid) -> Result<NetworkView, AppError> {
        self.repo
            .network(id)
            .await?
            .ok_or_else(|| AppError::not_found("network"))
    }

    async fn profile_record(&self, id: Uuid) -> Result<VnicProfileView, AppError> {
        self.repo
            .vnic_profile(id)
            .await?
            .ok_or_else(|| AppError::not_found("vNIC profile"))
    }

    /// The cluster asked for, or the default (first) cluster.
    async fn cluster_or_default(&self, id: Option<Uuid>) -> Result<Option<vireo_app::models::ClusterView>, AppError> {
        match id {
            Some(id) => self.repo.cluster(id).await,
            None => Ok(self.repo.list_clusters().await?.into_iter().next()),
        }
    }

    /// "Network X is used by the NICs of VM a, …; move them to another profile first." when
    /// anything uses these profiles.
    async fn in_use_message(&self, what: &str, profile_ids: &[Uuid]) -> Result<Option<String>, AppError> {
        if profile_ids.is_empty() {
            return Ok(None);
        }
        let (users, total) = self.repo.profile_users(profile_ids).await?;
        Ok((total > 0).then(|| {
            format!(
                "{what} is used by the NICs of {}; move those NICs to another profile (or remove them) first.",
                users_text(&users, total)
            )
        }))
    }

    fn profile_errors(&self, request: &VnicProfileRequest) -> Vec<FieldError> {
        let mut errors = Vec::new();
        errors.extend(network_name_error("name", "vNIC profile", &request.name));
        if request.description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new("description", "The description is too long."));
        }
        errors.extend(network_filter_error(
            "network_filter",
            request.network_filter.as_deref(),
        ));
        errors
    }

    // --- NICs

    /// The NICs of `config` as the domain needs them: each plugged NIC's profile resolved to its
    /// network's backing. With `host`, the VM is about to start there: a network whose backing the
    /// host lacks (or has inactive) refuses the start, naming it.
    pub(crate) async fn nic_devices(
        &self,
        vm_name: &str,
        config: &VmConfig,
        host: Option<&HostView>,
    ) -> Result<Vec<NicDevice>, AppError> {
        let ids: Vec<Uuid> = config.nics.iter().filter_map(|n| n.vnic_profile_id).collect();
        let targets = self.repo.profile_targets(&ids).await?;
        let mut devices = Vec::new();
        let mut used: Vec<&ProfileTarget> = Vec::new();
        for nic in config.nics.iter().filter(|n| n.plugged) {
            let target = match nic.vnic_profile_id {
                None => None,
                Some(id) => Some(targets.iter().find(|t| t.profile_id == id).ok_or_else(|| {
                    AppError::conflict(format!(
                        "NIC {} of VM {vm_name} names a vNIC profile that no longer exists; edit the NIC.",
                        nic.name
                    ))
                })?),
            };
            let (source, network_filter, multiqueue) = match target {
                None => (NicSource::Unconnected, None, false),
                Some(t) => {
                    used.push(t);
                    let source = match t.backing() {
                        NetworkBacking::LibvirtNetwork => NicSource::Network(t.backing_name.clone()),
                        NetworkBacking::Bridge => NicSource::Bridge(t.backing_name.clone()),
                    };
                    (source, t.network_filter.clone(), t.multiqueue)
                }
            };
            devices.push(NicDevice {
                nic: nic.clone(),
                source,
                network_filter,
                multiqueue,
            });
        }
        if let Some(host) = host {
            self.check_backings(vm_name, host, &used).await?;
        }
        Ok(devices)
    }

    /// Refuses a start on `host` when it lacks what backs one of the VM's networks.
    async fn check_backings(&self, vm_name: &str, host: &HostView, used: &[&ProfileTarget]) -> Result<(), AppError> {
        if used.is_empty() {
            return Ok(());
        }
        let mut backings = self.repo.host_backings(host.id).await?;
        if backings.is_empty() {
            // Never read (a host added while its libvirt was busy): read it now.
            self.sync_host_networks(host).await?;
            backings = self.repo.host_backings(host.id).await?;
        }
        let mut missing: Vec<String> = Vec::new();
        for t in used {
            let present = backings
                .iter()
                .any(|b| b.backing == t.backing && b.name == t.backing_name && b.active);
            let text = format!(
                "Network {} ({} {}) is not on host {}",
                t.network_name,
                t.backing().label(),
                t.backing_name,
                host.name
            );
            if !present && !missing.contains(&text) {
                missing.push(text);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(AppError::conflict(format!(
            "{}; VM {vm_name} cannot start there. Create or start it on the host (virsh net-start / a bridge of that name), or give the NIC another profile.",
            missing.join("; ")
        )))
    }

    /// Field errors for the draft's NICs that need the database (the pure checks — count, names,
    /// ids, MACs well formed and unique within the VM — are `validate_config`'s): each profile
    /// existing and on a network of the draft's cluster, no MAC another VM holds. A list past
    /// `MAX_NICS` is left to the validation's own error.
    pub(super) async fn nic_reference_errors(&self, draft: &VmDraft) -> Result<Vec<FieldError>, AppError> {
        let mut errors = Vec::new();
        let nics = &draft.config.nics;
        if nics.len() > MAX_NICS {
            return Ok(errors);
        }
        let profile_ids: Vec<Uuid> = nics.iter().filter_map(|n| n.vnic_profile_id).collect();
        let targets = self.repo.profile_targets(&profile_ids).await?;
        for (i, nic) in nics.iter().enumerate() {
            let Some(id) = nic.vnic_profile_id else { continue };
            let field = format!("nics[{i}].vnic_profile_id");
            match targets.iter().find(|t| t.profile_id == id) {
                None => errors.push(FieldError::new(
                    field,
                    format!("NIC {}: that vNIC profile does not exist.", nic.name),
                )),
                Some(t) if draft.cluster_id.is_some_and(|c| c != t.cluster_id) => errors.push(FieldError::new(
                    field,
                    format!(
                        "NIC {}: network {} (profile {}) is not in this cluster; choose one of the cluster's profiles.",
                        nic.name, t.network_name, t.profile_name
                    ),
                )),
                Some(_) => {}
            }
        }
        if draft.kind == ConfigKind::Vm {
            let texts: Vec<String> = nics
                .iter()
                .filter_map(|n| n.mac)
                .map(|m| m.to_string())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            for (mac, vm) in self.repo.mac_holders(&texts, draft.id).await? {
                errors.push(FieldError::new(
                    "nics",
                    format!("MAC address {mac} is already held by VM {vm}."),
                ));
            }
        }
        Ok(errors)
    }

    /// Saves `kind` `id` with its NICs changed by `edit`, as the dialog's save would (validated,
    /// version-checked, audited; a running VM gets it at its next start), then makes the change
    /// live where the VM runs and its host can.
    async fn edit_nics(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        edit: impl FnOnce(&mut Vec<Nic>) -> Result<NicLive, AppError>,
    ) -> Result<NicChangeOutcome, AppError> {
        // The role first: a caller who may not change VMs learns nothing about their NICs.
        self.authorize(user, Permission::ManageVms, "nic.change", kind.as_str(), Some(id), "")
            .await?;
        let envelope = self.load_draft(kind, id).await?;
        let mut draft = envelope.draft;
        let live = edit(&mut draft.config.nics)?;
        if kind != ConfigKind::Vm {
            // Templates and Pools carry no MACs: each VM made from them gets its own.
            for nic in &mut draft.config.nics {
                nic.mac = None;
            }
        }
        match self
            .save_device_edit(user, draft, vireo_app::domain::recommendations::RecommendationId::R7)
            .await?
        {
            SaveOutcome::Saved { pending_restart, .. } if !pending_restart.is_empty() => {
                let reason = match live {
                    NicLive::None => "Vireo applies this change when the VM next starts.".to_string(),
                    _ if kind != ConfigKind::Vm => "The change is saved.".to_string(),
                    live => match self.plug_nic(id, live).await {
                        Ok(()) => return Ok(NicChangeOutcome::Live),
                        Err(reason) => reason,
                    },
                };
                Ok(NicChangeOutcome::NextRun { reason })
            }
            _ => Ok(NicChangeOutcome::Live),
        }
    }

    /// Makes a saved NIC change live on the running VM; on success it is the VM's current
    /// configuration too. `Err`: why it waits for the next start instead.
    async fn plug_nic(&self, id: Uuid, live: NicLive) -> Result<(), String> {
        let later = "it takes effect when the VM next starts";
        let rec = match self.repo.config_record(ConfigKind::Vm, id).await {
            Ok(Some(rec)) if rec.running() => rec,
            _ => return Err(format!("The VM is not running; {later}.")),
        };
        let pending = rec.next_run.clone().unwrap_or_else(|| rec.config.clone());
        // Attaching and updating: the NIC as it will be; detaching: as it is now.
        let (config, nic_id) = match live {
            NicLive::None => return Err(format!("This change cannot be made live; {later}.")),
            NicLive::Attach(n) | NicLive::Update(n) => (&pending, n),
            NicLive::Detach(n) => (&rec.config, n),
        };
        let Some(mac) = config.nics.iter().find(|n| n.id == nic_id).and_then(|n| n.mac) else {
            return Err(format!("The NIC has no MAC address yet; {later}."));
        };
        let host = match rec.host_id {
            Some(h) => self.repo.host(h).await.ok().flatten(),
            None => None,
        };
        let Some(host) = host else {
            return Err(format!("Vireo does not know the VM's host; {later}."));
        };
        if matches!(live, NicLive::Attach(_)) {
            if let Err(e) = self.nic_devices(&rec.name, config, Some(&host)).await {
                return Err(format!("{e}; {later}."));
            }
        }
        let xml = self
            .domain_xml_for(&rec, config)
            .await
            .map_err(|e| format!("{e}; {later}."))?;
        let Some(element) = interface_element(&xml, mac) else {
            return Err(format!("The NIC is not in the VM's domain; {later}."));
        };
        let done = match live {
            NicLive::Update(_) => self.hypervisor.update_device(&host.uri, id, &element).await,
            NicLive::Attach(_) => self.hypervisor.change_device(&host.uri, id, &element, true).await,
            _ => self.hypervisor.change_device(&host.uri, id, &element, false).await,
        };
        match done {
            Ok(true) => self.repo.apply_pending_nic(id, nic_id).await.map_err(|e| e.to_string()),
            Ok(false) => Err(format!(
                "Host {} cannot change NICs of a running VM; {later}.",
                host.name
            )),
            Err(e) => Err(format!("Host {} refused the NIC change ({e}); {later}.", host.name)),
        }
    }

    async fn config_record_of(&self, kind: ConfigKind, id: Uuid) -> Result<ConfigRecord, AppError> {
        self.repo
            .config_record(kind, id)
            .await?
            .ok_or_else(|| AppError::not_found(kind.label()))
    }
}

#[async_trait::async_trait]
impl NetworkBackend for VireoService {
    async fn network_grid(&self, q: &GridQuery) -> Result<GridPage<NetworkView>, AppError> {
        let search = grid_search(q, &collections::NETWORKS)?;
        self.repo.network_grid(q, &search).await
    }

    async fn vnic_profile_grid(&self, q: &GridQuery) -> Result<GridPage<VnicProfileView>, AppError> {
        let search = grid_search(q, &collections::VNIC_PROFILES)?;
        self.repo.vnic_profile_grid(q, &search).await
    }

    async fn network(&self, id: Uuid) -> Result<NetworkView, AppError> {
        self.network_record(id).await
    }

    async fn vnic_profile(&self, id: Uuid) -> Result<VnicProfileView, AppError> {
        self.profile_record(id).await
    }

    async fn list_vnic_profiles(&self) -> Result<Vec<VnicProfileView>, AppError> {
        self.repo.list_vnic_profiles().await
    }

    async fn default_vnic_profile(&self, cluster_id: Option<Uuid>) -> Result<Option<Uuid>, AppError> {
        match self.cluster_or_default(cluster_id).await? {
            Some(cluster) => self.repo.default_vnic_profile(cluster.id).await,
            None => Ok(None),
        }
    }

    async fn add_network(&self, user: &CurrentUser, request: NewNetworkRequest) -> Result<NetworkView, AppError> {
        self.storage_write(
            user,
            Permission::ManageInfrastructure,
            "network.add",
            ("network", None, &request.name),
            async |actor: &Actor| {
                let backing_name = if request.backing_name.trim().is_empty() {
                    request.name.clone()
                } else {
                    request.backing_name.clone()
                };
                let mut errors = Vec::new();
                errors.extend(network_name_error("name", "network", &request.name));
                errors.extend(backing_name_error("backing_name", request.backing, &backing_name));
                errors.extend(vlan_error("vlan_id", request.vlan_id));
                if request.description.chars().count() > MAX_DESCRIPTION {
                    errors.push(FieldError::new("description", "The description is too long."));
                }
                let cluster = self.cluster_or_default(request.cluster_id).await?;
                match &cluster {
                    None => errors.push(FieldError::new("cluster_id", "Choose a cluster.")),
                    Some(c) if errors.is_empty() => {
                        if self.repo.network_named(c.id, &request.name).await?.is_some() {
                            errors.push(FieldError::new(
                                "name",
                                format!("Cluster {} already has a network named '{}'.", c.name, request.name),
                            ));
                        }
                    }
                    Some(_) => {}
                }
                let Some(cluster) = cluster.filter(|_| errors.is_empty()) else {
                    return Err(AppError::Validation { errors });
                };
                // A cluster without a default network (its default was removed) takes the new one
                // as its default: new VMs get their first NIC on it.
                let is_default = !self.repo.cluster_has_default_network(cluster.id).await?;
                let id = Uuid::new_v4();
                let row = crate::repository::NewNetworkRow {
                    id,
                    cluster_id: cluster.id,
                    name: &request.name,
                    description: &request.description,
                    backing: request.backing,
                    backing_name: &backing_name,
                    vlan_id: request.vlan_id.and_then(|v| i32::try_from(v).ok()),
                    is_default,
                    profile_id: Uuid::new_v4(),
                };
                self.repo.insert_network(actor, &row).await?;
                self.network_record(id).await
            },
            |n: &NetworkView| {
                let missing = if n.missing_on.is_empty() {
                    String::new()
                } else {
                    format!(" Missing on host(s): {}.", n.missing_on.join(", "))
                };
                format!(
                    "Network {} added to cluster {} on {} {}.{missing}",
                    n.name,
                    n.cluster_name,
                    n.backing.label(),
                    n.backing_name
                )
            },
        )
        .await
    }

    async fn remove_network(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let network = self.network_record(id).await?;
        self.storage_write(
            user,
            Permission::ManageInfrastructure,
            "network.remove",
            ("network", Some(id), &network.name),
            async |actor: &Actor| {
                let what = format!("Network {}", network.name);
                let profiles = self.repo.network_profile_ids(id).await?;
                if let Some(message) = self.in_use_message(&what, &profiles).await? {
                    return Err(AppError::conflict(message));
                }
                // The database refuses too (a NIC saved meanwhile): the same words.
                let backstop = format!("{what} is used by NICs; move them to another profile first.");
                self.repo.delete_network(actor, id, &backstop).await.map(|_| ())
            },
            |_| {
                if network.is_default {
                    format!(
                        "Network {} removed; cluster {} has no default network now.",
                        network.name, network.cluster_name
                    )
                } else {
                    format!("Network {} removed with its vNIC profiles.", network.name)
                }
            },
        )
        .await
    }

    async fn add_vnic_profile(
        &self,
        user: &CurrentUser,
        request: VnicProfileRequest,
    ) -> Result<VnicProfileView, AppError> {
        self.storage_write(
            user,
            Permission::ManageInfrastructure,
            "vnic_profile.add",
            ("vnic_profile", None, &request.name),
            async |actor: &Actor| {
                let mut errors = self.profile_errors(&request);
                if self.repo.network(request.network_id).await?.is_none() {
                    errors.push(FieldError::new("network_id", "Choose a network."));
                }
                if !errors.is_empty() {
                    return Err(AppError::Validation { errors });
                }
                let id = Uuid::new_v4();
                let fields = ProfileFields {
                    name: &request.name,
                    description: &request.description,
                    network_filter: request.network_filter.as_deref(),
                    multiqueue: request.multiqueue,
                };
                self.repo
                    .insert_vnic_profile(actor, id, request.network_id, &fields)
                    .await?;
                self.profile_record(id).await
            },
            |p: &VnicProfileView| format!("vNIC profile {} added to network {}.", p.name, p.network_name),
        )
        .await
    }

    async fn update_vnic_profile(
        &self,
        user: &CurrentUser,
        id: Uuid,
        version: i32,
        request: VnicProfileRequest,
    ) -> Result<VnicProfileView, AppError> {
        let profile = self.profile_record(id).await?;
        self.storage_write(
            user,
            Permission::ManageInfrastructure,
            "vnic_profile.update",
            ("vnic_profile", Some(id), &profile.name),
            async |actor: &Actor| {
                let mut errors = self.profile_errors(&request);
                if request.network_id != profile.network_id {
                    errors.push(FieldError::new(
                        "network_id",
                        "A profile's network cannot change; add a profile on the other network instead.",
                    ));
                }
                if !errors.is_empty() {
                    return Err(AppError::Validation { errors });
                }
                let fields = ProfileFields {
                    name: &request.name,
                    description: &request.description,
                    network_filter: request.network_filter.as_deref(),
                    multiqueue: request.multiqueue,
                };
                if !self.repo.update_vnic_profile(actor, id, version, &fields).await? {
                    return Err(AppError::conflict(format!(
                        "vNIC profile {} was changed by someone else after you opened it; nothing was saved.",
                        profile.name
                    )));
                }
                self.profile_record(id).await
            },
            |p: &VnicProfileView| format!("vNIC profile {} saved.", p.name),
        )
        .await
    }

    async fn remove_vnic_profile(&self, user: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        let profile = self.profile_record(id).await?;
        self.storage_write(
            user,
            Permission::ManageInfrastructure,
            "vnic_profile.remove",
            ("vnic_profile", Some(id), &profile.name),
            async |actor: &Actor| {
                let what = format!("vNIC profile {}", profile.name);
                if let Some(message) = self.in_use_message(&what, &[id]).await? {
                    return Err(AppError::conflict(message));
                }
                let backstop = format!("{what} is used by NICs; move them to another profile first.");
                self.repo.delete_vnic_profile(actor, id, &backstop).await.map(|_| ())
            },
            |_| format!("vNIC profile {} removed.", profile.name),
        )
        .await
    }

    async fn refresh_networks(&self, user: &CurrentUser, host_id: Option<Uuid>) -> Result<(), AppError> {
        // Reading is harmless, but it writes rows: anyone who may change VMs may ask for it (as
        // for storage).
        self.authorize(user, Permission::ManageVms, "network.refresh", "host", host_id, "")
            .await?;
        let hosts = self.repo.list_hosts().await?;
        let mut failures = Vec::new();
        for host in hosts.iter().filter(|h| host_id.is_none_or(|id| h.id == id)) {
            if let Err(e) = self.sync_host_networks(host).await {
                failures.push(format!("{}: {e}", host.name));
                continue;
            }
            if let Err(e) = self.sync_guest_addresses(host).await {
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

    async fn vm_nics(&self, kind: ConfigKind, id: Uuid) -> Result<Vec<AttachedNic>, AppError> {
        let rec = self.config_record_of(kind, id).await?;
        let shown = rec.next_run.as_ref().unwrap_or(&rec.config);
        let ids: Vec<Uuid> = shown.nics.iter().filter_map(|n| n.vnic_profile_id).collect();
        let targets = self.repo.profile_targets(&ids).await?;
        let reported = if kind == ConfigKind::Vm {
            self.repo.reported_nics(id).await?
        } else {
            Vec::new()
        };
        Ok(shown
            .nics
            .iter()
            .map(|nic| {
                let target = nic
                    .vnic_profile_id
                    .and_then(|p| targets.iter().find(|t| t.profile_id == p));
                let mac = nic.mac.map(|m| m.to_string());
                let addresses = reported
                    .iter()
                    .filter(|r| mac.as_deref().is_some_and(|m| r.mac.eq_ignore_ascii_case(m)))
                    .flat_map(|r| r.addresses.iter().cloned())
                    .collect();
                AttachedNic {
                    nic: nic.clone(),
                    profile_name: target.map(|t| t.profile_name.clone()),
                    network_name: target.map(|t| t.network_name.clone()),
                    pending: rec.next_run.is_some() && !rec.config.nics.contains(nic),
                    addresses,
                }
            })
            .collect())
    }

    async fn add_nic(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        nic: Nic,
    ) -> Result<NicChangeOutcome, AppError> {
        self.edit_nics(user, kind, id, move |nics| {
            if nics.len() >= MAX_NICS {
                return Err(AppError::validation(
                    "nics",
                    format!("A {} has at most {MAX_NICS} NICs.", kind.label()),
                ));
            }
            let mut nic = nic;
            if nic.id.is_nil() {
                nic.id = Uuid::new_v4();
            }
            if nic.name.trim().is_empty() {
                nic.name = next_nic_name(nics);
            }
            if nics.iter().any(|n| n.id == nic.id) {
                return Err(AppError::conflict("A NIC with this id already exists."));
            }
            if nics.iter().any(|n| n.name == nic.name) {
                return Err(AppError::validation(
                    "name",
                    format!("A NIC named {} already exists.", nic.name),
                ));
            }
            let live = if nic.plugged {
                NicLive::Attach(nic.id)
            } else {
                NicLive::None
            };
            nics.push(nic);
            Ok(live)
        })
        .await
    }

    async fn update_nic(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        nic: Nic,
    ) -> Result<NicChangeOutcome, AppError> {
        self.edit_nics(user, kind, id, move |nics| {
            if nics.iter().any(|n| n.id != nic.id && n.name == nic.name) {
                return Err(AppError::validation(
                    "name",
                    format!("A NIC named {} already exists.", nic.name),
                ));
            }
            let slot = nics
                .iter_mut()
                .find(|n| n.id == nic.id)
                .ok_or_else(|| AppError::not_found("NIC"))?;
            let mut nic = nic;
            if nic.mac.is_none() {
                // Not given: the NIC keeps its MAC (a VM's NIC never loses one by an edit).
                nic.mac = slot.mac;
            }
            let live = match (slot.plugged, nic.plugged) {
                (false, true) => NicLive::Attach(nic.id),
                (true, false) => NicLive::Detach(nic.id),
                (false, false) => NicLive::None,
                (true, true) => {
                    let only_link = Nic {
                        linked: slot.linked,
                        name: slot.name.clone(),
                        ..nic.clone()
                    } == *slot;
                    if only_link && slot.linked != nic.linked {
                        NicLive::Update(nic.id)
                    } else {
                        NicLive::None
                    }
                }
            };
            *slot = nic;
            Ok(live)
        })
        .await
    }

    async fn remove_nic(
        &self,
        user: &CurrentUser,
        kind: ConfigKind,
        id: Uuid,
        nic_id: Uuid,
    ) -> Result<NicChangeOutcome, AppError> {
        self.edit_nics(user, kind, id, move |nics| {
            let Some(i) = nics.iter().position(|n| n.id == nic_id) else {
                return Err(AppError::not_found("NIC"));
            };
            let removed = nics.remove(i);
            Ok(if removed.plugged {
                NicLive::Detach(nic_id)
            } else {
                NicLive::None
            })
        })
        .await
    }

    async fn reported_nics(&self, id: Uuid) -> Result<Vec<ReportedNic>, AppError> {
        let rec = self.config_record_of(ConfigKind::Vm, id).await?;
        if rec.status == VmStatus::Down {
            return Ok(Vec::new());
        }
        self.repo.reported_nics(id).await
    }
}
