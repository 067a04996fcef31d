//! Running VMs: Run (define + start on the VM's host, applying its next-run configuration), Shutdown
//! (ACPI, with a timeout), Power off, Restart, Remove. libvirt refusing leaves the VM as it was in
//! the database and reports libvirt's own message; every attempt writes an event. One operation
//! per VM at a time: a second caller gets "operation in progress".

use crate::repository::{ConfigRecord, CpuHolderRow, HostChoice};
use crate::service::audit::Object;
use crate::service::VireoService;
use std::time::Duration;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::{ConfigBackend, LifecycleBackend};
use vireo_app::domain::cpu_policy::{saved_pins_held, start_pins, Holder, StartPins};
use vireo_app::domain::domain_xml::{domain_xml, DomainSpec};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::domain::realtime::host_refusal_hint;
use vireo_app::domain::validation::{start_errors, validate_config};
use vireo_app::domain::vm_config::CpuPinningPolicy;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, HostStatus, HostView, VmAction, VmStatus};

/// What the VMs on a host hold, for [`start_pins`]: a reservation's held CPUs, or for a VM running
/// without one its saved pins.
pub(crate) fn holders_on(topology: &HostTopology, rows: &[CpuHolderRow]) -> Vec<Holder> {
    rows.iter()
        .map(|r| Holder {
            vm_id: r.id,
            vm_name: r.name.clone(),
            cpus: match &r.runtime_pins {
                Some(p) => p.pins.held.clone(),
                None => saved_pins_held(topology, &r.config),
            },
        })
        .filter(|h| !h.cpus.is_empty())
        .collect()
}

/// The host as a start there sees it: a simulated host knows its huge pages only through Vireo, so
/// the pages of the VMs running there are taken out of its free counts (a real host's counts, read
/// from libvirt, already reflect them).
pub(crate) fn start_topology(host: &HostView, rows: &[CpuHolderRow]) -> HostTopology {
    let mut topology = host.topology.clone();
    if host.simulated_topology.is_some() {
        for r in rows {
            let running = match &r.runtime_pins {
                Some(p) => p.pins.apply(&r.config),
                None => r.config.clone(),
            };
            super::configs::hold_pages(&mut topology, &running);
        }
    }
    topology
}

/// The libvirt error that nested-KVM hosts give for host-passthrough guests, and the feature whose
/// removal fixes it (seen on this project's CI machines).
const MSR_QUIRK: (&str, &str) = ("MSR 0x10a", "arch-capabilities");

impl VireoService {
    async fn vm_record(&self, id: Uuid) -> Result<ConfigRecord, AppError> {
        self.repo
            .config_record(ConfigKind::Vm, id)
            .await?
            .ok_or_else(|| AppError::not_found("VM"))
    }

    pub(crate) async fn vm_event(&self, actor: &Actor, vm: &ConfigRecord, action: &str, ok: bool, message: String) {
        let object = Object::new("vm", Some(vm.id), &vm.name);
        self.operation_event(actor, action, object, ok, message).await;
    }

    /// The host a VM runs on when started: its pinned host, else the up host of its cluster with
    /// the fewest VMs.
    async fn host_for(
        &self,
        vm: &ConfigRecord,
        config: &vireo_app::domain::vm_config::VmConfig,
        disks_host: Option<Uuid>,
    ) -> Result<HostView, AppError> {
        let hosts = self.repo.host_choices().await?;
        let in_cluster = |h: &&HostChoice| Some(h.cluster_id) == vm.cluster_id;
        // A VM runs where its disks are; a pinned VM's disks must be on its host.
        let required = match (config.pinned_host(), disks_host) {
            (Some(pinned), Some(disks)) if pinned != disks => {
                let name = |id: Uuid| hosts.iter().find(|h| h.id == id).map_or("?", |h| h.name.as_str());
                return Err(AppError::conflict(format!(
                    "VM {} is pinned to host {} but its disks are on host {}.",
                    vm.name,
                    name(pinned),
                    name(disks)
                )));
            }
            (pinned, disks) => pinned.or(disks),
        };
        let chosen = match required {
            Some(id) => hosts.iter().find(|h| h.id == id),
            None => hosts
                .iter()
                .filter(in_cluster)
                .filter(|h| h.status == HostStatus::Up)
                .min_by_key(|h| h.vm_count),
        };
        let chosen =
            chosen.ok_or_else(|| AppError::host(format!("VM {} has no host to run on in its cluster.", vm.name)))?;
        // The chosen one in full (its topology, URI), read again: it may have changed meanwhile.
        let host = self
            .repo
            .host(chosen.id)
            .await?
            .ok_or_else(|| AppError::host(format!("VM {} has no host to run on in its cluster.", vm.name)))?;
        if host.status != HostStatus::Up {
            return Err(AppError::host(format!(
                "Host {} is {}; VM {} cannot start there.",
                host.name,
                host.status.label(),
                vm.name
            )));
        }
        Ok(host)
    }

    /// Runs a lifecycle action for a checked actor (`Actor::vireo()` for high-availability restarts).
    pub(crate) async fn vm_action_checked(
        &self,
        actor: &Actor,
        vm: ConfigRecord,
        action: VmAction,
    ) -> Result<(), AppError> {
        let id = vm.id;
        let guard = self.ops.begin(id, &vm.name).await?;
        let result = match action {
            VmAction::Run => self.run(&vm).await,
            VmAction::Shutdown => self.shutdown(&vm).await,
            VmAction::PowerOff => self.power_off(&vm).await,
            VmAction::Restart => self.restart(&vm).await,
            VmAction::Reset => self.reset(&vm).await,
        };
        // Freed before the answer: the caller's next operation on the VM finds it free.
        guard.release().await;
        let verb = action.label();
        match &result {
            Ok(message) => {
                self.vm_event(actor, &vm, &format!("vm.{}", action.as_str()), true, message.clone())
                    .await
            }
            Err(e) => {
                self.vm_event(
                    actor,
                    &vm,
                    &format!("vm.{}", action.as_str()),
                    false,
                    format!("{verb} VM {} failed: {e}", vm.name),
                )
                .await
            }
        }
        result.map(|_| ())
    }

    async fn run(&self, vm: &ConfigRecord) -> Result<String, AppError> {
        if vm.running() {
            return Err(AppError::conflict(format!(
                "VM {} is already {}.",
                vm.name,
                vm.status.label()
            )));
        }
        // NICs saved without a MAC (rows written before MACs were handed out, or by hand) get one
        // now, from the range, before anything reads the configuration: a NIC never runs without.
        let reread;
        let vm = if self.repo.assign_missing_macs(vm.id, self.mac_range).await? {
            reread = self.vm_record(vm.id).await?;
            &reread
        } else {
            vm
        };
        // The pending next-run configuration becomes the one it runs with.
        let config = vm.next_run.clone().unwrap_or_else(|| vm.config.clone());
        let mut disks = self.vm_disks(&vm.name, &config).await?;
        let host = self.host_for(vm, &config, disks.host_id).await?;
        // Each NIC's network must be on that host (a libvirt network or bridge of its name).
        let nics = self.nic_devices(&vm.name, &config, Some(&host)).await?;
        let ctx = self.rule_context(vm.cluster_id, &config.os_type, Some(vm.id)).await?;
        let mut errors = validate_config(&config, &ctx);
        errors.extend(start_errors(&config));
        if !errors.is_empty() {
            return Err(AppError::Validation { errors });
        }
        if config.stateless {
            self.stateless_overlays(vm.id, &mut disks).await?;
        }
        // Start-time pins: chosen and reserved under the host's lock before libvirt sees the VM,
        // released again when the start fails.
        let pins = self.reserve_pins(vm, &config, &host).await?;
        let started = self
            .start_domain(vm, &config, pins.as_ref(), &host, &disks, &nics)
            .await;
        if started.is_err() {
            if config.stateless {
                self.drop_overlays_of(vm).await;
            }
            if pins.is_some() {
                if let Err(e) = self.repo.release_start(vm.id, vm.host_id).await {
                    tracing::warn!(vm = %vm.name, error = %e, "could not release the start's CPUs");
                }
            }
        }
        started
    }

    /// The host CPUs `config`'s pinning policy gets on `host` for this start, reserved with the VM
    /// (`None` for the `none` policy). Fails, naming the holders, when the CPUs are not there.
    async fn reserve_pins(
        &self,
        vm: &ConfigRecord,
        config: &vireo_app::domain::vm_config::VmConfig,
        host: &HostView,
    ) -> Result<Option<StartPins>, AppError> {
        if config.cpu_pinning_policy == CpuPinningPolicy::None {
            return Ok(None);
        }
        let (vm_name, host_name) = (vm.name.clone(), host.name.clone());
        self.repo
            .reserve_runtime_pins(vm.id, host.id, move |rows| {
                let topology = start_topology(host, rows);
                let holders = holders_on(&topology, rows);
                start_pins(&topology, &holders, config).map_err(|e| {
                    AppError::conflict(format!("VM {vm_name} cannot get its CPUs on host {host_name}: {e}."))
                })
            })
            .await
    }

    async fn start_domain(
        &self,
        vm: &ConfigRecord,
        config: &vireo_app::domain::vm_config::VmConfig,
        pins: Option<&StartPins>,
        host: &HostView,
        disks: &super::vm_disks::VmDisks,
        nics: &[vireo_app::domain::domain_xml::NicDevice],
    ) -> Result<String, AppError> {
        let domain_type = self
            .hypervisor
            .domain_type(&host.uri)
            .await
            .map_err(|e| AppError::host(e.to_string()))?;
        let mut quirks = self.repo.host_cpu_quirks(host.id).await?;
        // The Domain XML gets this start's pins; the saved configuration stays as it was.
        let pinned = pins.map(|p| p.apply(config));
        let xml_config = pinned.as_ref().unwrap_or(config);
        let build = |quirks: &[String]| {
            domain_xml(&DomainSpec {
                uuid: vm.id,
                name: &vm.name,
                description: &vm.description,
                config: xml_config,
                domain_type: &domain_type,
                arch: &host.topology.arch,
                disabled_cpu_features: quirks,
                disks: &disks.devices,
                cdrom_path: disks.cdrom_path.as_deref(),
                nics,
            })
        };
        let mut started = self.hypervisor.define_and_start(&host.uri, &build(&quirks)).await;
        if let Err(e) = &started {
            let (symptom, feature) = MSR_QUIRK;
            if config.cpu_passthrough && e.to_string().contains(symptom) && !quirks.iter().any(|q| q == feature) {
                // Learn the host's quirk and try once more without that feature.
                self.repo.add_host_cpu_quirk(host.id, feature).await?;
                quirks.push(feature.to_string());
                started = self.hypervisor.define_and_start(&host.uri, &build(&quirks)).await;
            }
        }
        started.map_err(|e| {
            let text = e.to_string();
            // Host limits that real-time and huge-page VMs meet: say which, and what to change.
            let hint = host_refusal_hint(&text).map(|h| format!(" {h}")).unwrap_or_default();
            AppError::host(format!(
                "Host {} refused to start VM {}: {text}{hint}",
                host.name, vm.name
            ))
        })?;
        self.ops.no_longer_expect_down(vm.id).await;
        // Version-checked against the record read above: a save that landed while the domain
        // was being started is kept (as next-run where the running VM lacks it), not overwritten.
        let recorded = self.repo.mark_vm_started(vm.id, host.id, config, vm.version).await?;
        let applied = if vm.next_run.is_some() {
            " with its next-run configuration"
        } else {
            ""
        };
        let meanwhile = if recorded.pending.is_empty() {
            String::new()
        } else {
            format!(
                "; changes saved while it was starting apply after its next start: {}",
                recorded.pending.join(", ")
            )
        };
        Ok(format!(
            "VM {} started on host {}{applied}{meanwhile}.",
            vm.name, host.name
        ))
    }

    async fn running_host(&self, vm: &ConfigRecord) -> Result<HostView, AppError> {
        if !vm.running() {
            return Err(AppError::conflict(format!("VM {} is not running.", vm.name)));
        }
        let id = vm
            .host_id
            .ok_or_else(|| AppError::host(format!("Vireo does not know which host runs VM {}.", vm.name)))?;
        self.repo.host(id).await?.ok_or_else(|| AppError::not_found("Host"))
    }

    /// Asks the running VM's host to stop it — an ACPI shutdown when `graceful`, else a power off —
    /// with the reconciler told to expect it down. When the host refuses, the VM is no longer
    /// expected down, so should it go down later the reconciler sees an unexpected stop.
    async fn stop(&self, vm: &ConfigRecord, graceful: bool) -> Result<HostView, AppError> {
        let host = self.running_host(vm).await?;
        self.ops.expect_down(vm.id, true).await?;
        let asked = if graceful {
            self.hypervisor.shutdown(&host.uri, vm.id).await
        } else {
            self.hypervisor.destroy(&host.uri, vm.id).await
        };
        if let Err(e) = asked {
            self.ops.no_longer_expect_down(vm.id).await;
            let what = if graceful {
                format!("shut VM {} down", vm.name)
            } else {
                format!("power VM {} off", vm.name)
            };
            return Err(AppError::host(format!("Host {} refused to {what}: {e}", host.name)));
        }
        Ok(host)
    }

    async fn shutdown(&self, vm: &ConfigRecord) -> Result<String, AppError> {
        let host = self.stop(vm, true).await?;
        self.repo.set_vm_status(vm.id, VmStatus::PoweringDown).await?;
        // Wait for the guest (ACPI is a request). The reconciler also sees it go down; this wait is
        // what turns "never went down" into a clear message.
        let deadline = tokio::time::Instant::now() + self.ops.shutdown_timeout;
        loop {
            let states = self
                .hypervisor
                .domain_states(&host.uri)
                .await
                .map_err(|e| AppError::host(e.to_string()))?;
            let state = states.iter().find(|(id, _)| *id == vm.id).map(|(_, s)| *s);
            if matches!(state, None | Some(crate::hypervisor::DomainState::Off { .. })) {
                self.repo.set_vm_status(vm.id, VmStatus::Down).await?;
                self.drop_overlays_of(vm).await;
                return Ok(format!("VM {} shut down.", vm.name));
            }
            if tokio::time::Instant::now() >= deadline {
                self.ops.no_longer_expect_down(vm.id).await;
                self.repo.set_vm_status(vm.id, VmStatus::Up).await?;
                return Err(AppError::host(format!(
                    "VM {} did not shut down within {} seconds (the guest may ignore ACPI). It is still running; use Power Off to stop it now.",
                    vm.name,
                    self.ops.shutdown_timeout.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn power_off(&self, vm: &ConfigRecord) -> Result<String, AppError> {
        self.stop(vm, false).await?;
        self.repo.set_vm_status(vm.id, VmStatus::Down).await?;
        self.drop_overlays_of(vm).await;
        Ok(format!("VM {} powered off.", vm.name))
    }

    async fn restart(&self, vm: &ConfigRecord) -> Result<String, AppError> {
        let host = self.running_host(vm).await?;
        self.hypervisor
            .reboot(&host.uri, vm.id)
            .await
            .map_err(|e| AppError::host(format!("Host {} refused to restart VM {}: {e}", host.name, vm.name)))?;
        Ok(format!("VM {} restarted.", vm.name))
    }

    async fn reset(&self, vm: &ConfigRecord) -> Result<String, AppError> {
        let host = self.running_host(vm).await?;
        self.hypervisor
            .reset(&host.uri, vm.id)
            .await
            .map_err(|e| AppError::host(format!("Host {} refused to reset VM {}: {e}", host.name, vm.name)))?;
        Ok(format!("VM {} was reset.", vm.name))
    }

    /// Removes the VM (powering it off first when `force`); with `remove_disks` also the disks
    /// only it used (not a template's disks, not ISO images, not disks attached elsewhere too).
    pub(crate) async fn remove_vm_checked(
        &self,
        actor: &Actor,
        id: Uuid,
        force: bool,
        remove_disks: bool,
    ) -> Result<(), AppError> {
        let vm = self.vm_record(id).await?;
        let guard = self.ops.begin(id, &vm.name).await?;
        if vm.running() && !force {
            guard.release().await;
            return Err(AppError::conflict(format!(
                "VM {} is running. Confirm to power it off and remove it, or shut it down first.",
                vm.name
            )));
        }
        let result = async {
            if let Some(host) = match vm.host_id {
                Some(h) => self.repo.host(h).await?,
                None => None,
            } {
                self.ops.expect_down(vm.id, true).await?;
                self.hypervisor
                    .remove_domain(&host.uri, vm.id)
                    .await
                    .map_err(|e| AppError::host(format!("Host {} refused to remove VM {}: {e}", host.name, vm.name)))?;
            }
            self.drop_overlays_of(&vm).await;
            self.repo.delete_vm(vm.id).await?;
            Ok(if remove_disks {
                self.remove_disks_of(actor, &vm).await
            } else {
                String::new()
            })
        }
        .await;
        guard.release().await;
        match &result {
            Ok(disks) => {
                self.vm_event(actor, &vm, "vm.remove", true, format!("VM {} removed.{disks}", vm.name))
                    .await
            }
            Err(e) => {
                self.ops.no_longer_expect_down(vm.id).await;
                self.vm_event(
                    actor,
                    &vm,
                    "vm.remove",
                    false,
                    format!("Removing VM {} failed: {e}", vm.name),
                )
                .await
            }
        }
        result.map(|_| ())
    }

    /// Deletes the data disks the removed VM had that nothing else uses; says what it did for
    /// the event (" Disks removed: a, b." / which could not be).
    async fn remove_disks_of(&self, actor: &Actor, vm: &ConfigRecord) -> String {
        let mut ids: Vec<Uuid> = vm.config.disks.iter().map(|a| a.disk_id).collect();
        if let Some(next) = &vm.next_run {
            ids.extend(next.disks.iter().map(|a| a.disk_id));
        }
        ids.sort_unstable();
        ids.dedup();
        let (mut removed, mut kept) = (Vec::new(), Vec::new());
        for disk in self.repo.disks(&ids).await.unwrap_or_default() {
            // Still attached elsewhere (a template's base, a shared disk): not this VM's to delete.
            if !disk.view.attached_to.is_empty() || disk.view.content == vireo_app::domain::storage::DiskContent::Iso {
                continue;
            }
            match self.delete_disk_and_volume(actor, &disk).await {
                Ok(()) => removed.push(disk.view.name.clone()),
                Err(e) => kept.push(format!("{} ({e})", disk.view.name)),
            }
        }
        let mut text = String::new();
        if !removed.is_empty() {
            text.push_str(&format!(" Disks removed: {}.", removed.join(", ")));
        }
        if !kept.is_empty() {
            text.push_str(&format!(" Disks kept: {}.", kept.join("; ")));
        }
        text
    }
}

#[async_trait::async_trait]
impl LifecycleBackend for VireoService {
    async fn vm_action(&self, user: &CurrentUser, id: Uuid, action: VmAction) -> Result<(), AppError> {
        let vm = self.vm_record(id).await?;
        let actor = self
            .authorize(
                user,
                Permission::ManageVms,
                &format!("vm.{}", action.as_str()),
                "vm",
                Some(vm.id),
                &vm.name,
            )
            .await?;
        self.vm_action_checked(&actor, vm, action).await
    }

    /// Removes the VM: a running one only with `force` (the UI asks first), which powers it off.
    async fn remove_vm(&self, user: &CurrentUser, id: Uuid, force: bool, remove_disks: bool) -> Result<(), AppError> {
        let vm = self.vm_record(id).await?;
        let actor = self
            .authorize(user, Permission::ManageVms, "vm.remove", "vm", Some(vm.id), &vm.name)
            .await?;
        self.remove_vm_checked(&actor, id, force, remove_disks).await
    }

    /// The exact domain XML the VM gets at its next start (its pending configuration if any), on
    /// the host it would start on.
    async fn domain_xml(&self, id: Uuid) -> Result<String, AppError> {
        let vm = self.vm_record(id).await?;
        // A running VM that got pins at start shows what it runs with (until an edit is pending).
        if vm.running() && vm.runtime_pins.is_some() && vm.next_run.is_none() {
            return self.domain_xml_for(&vm, &vm.effective_config()).await;
        }
        let config = vm.next_run.clone().unwrap_or_else(|| vm.config.clone());
        self.domain_xml_for(&vm, &config).await
    }
}

impl VireoService {
    /// The domain XML `vm` gets with `config`, on the host it would start on.
    pub(crate) async fn domain_xml_for(
        &self,
        vm: &ConfigRecord,
        config: &vireo_app::domain::vm_config::VmConfig,
    ) -> Result<String, AppError> {
        let vm = vm.clone();
        let disks = self.vm_disks(&vm.name, config).await?;
        // Resolved without a host check: the XML names the backing whatever host has it.
        let nics = self.nic_devices(&vm.name, config, None).await?;
        let mut preview = None;
        let (arch, domain_type, quirks) = match self.host_for(&vm, config, disks.host_id).await {
            Ok(host) => {
                // A start-time policy: the pins a start there would get now (a preview — the start
                // itself chooses again under the host's lock).
                // For a running VM (whose pending configuration is shown), what its next start
                // would get: its own CPUs count as free then, as it will have stopped.
                if config.cpu_pinning_policy != CpuPinningPolicy::None {
                    let rows = self.repo.cpu_holders(host.id, vm.id).await?;
                    let topology = start_topology(&host, &rows);
                    if let Ok(Some(pins)) = start_pins(&topology, &holders_on(&topology, &rows), config) {
                        preview = Some(pins.apply(config));
                    }
                }
                let domain_type = self
                    .hypervisor
                    .domain_type(&host.uri)
                    .await
                    .unwrap_or_else(|_| "kvm".into());
                (
                    host.topology.arch.clone(),
                    domain_type,
                    self.repo.host_cpu_quirks(host.id).await?,
                )
            }
            Err(_) => ("x86_64".to_string(), "kvm".to_string(), Vec::new()),
        };
        let config = preview.as_ref().unwrap_or(config);
        Ok(domain_xml(&DomainSpec {
            uuid: vm.id,
            name: &vm.name,
            description: &vm.description,
            config,
            domain_type: &domain_type,
            arch: &arch,
            disabled_cpu_features: &quirks,
            disks: &disks.devices,
            cdrom_path: disks.cdrom_path.as_deref(),
            nics: &nics,
        }))
    }
}
