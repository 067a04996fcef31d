//! Keeps the database's view of hosts and VMs true to libvirt: at start-up and then every few
//! seconds. A host that stops answering is marked non-responsive and its running VMs `unknown` (not
//! down: they may well be running); when it answers again the truth is restored. A VM with high
//! availability that went down without Vireo asking (a crash, or a `virsh destroy`) is started
//! again on its host at once, with an event.

use crate::hypervisor::{DomainState, HypervisorError};
use crate::repository::VmRuntime;
use crate::service::audit::{Object, Outcome};
use crate::service::VireoService;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::host_address::HostAddress;
use vireo_app::error::AppError;
use vireo_app::models::{HostStatus, HostView, VmAction, VmStatus};

impl VireoService {
    pub async fn reconcile_all(&self) {
        let Ok(hosts) = self.repo.list_hosts().await else {
            return;
        };
        for host in hosts.into_iter().filter(|h| h.status != HostStatus::Maintenance) {
            self.reconcile_host(&host).await;
        }
    }

    /// Reconciles the hosts with these libvirt URIs (after lifecycle events there).
    pub async fn reconcile_uris(&self, uris: &std::collections::BTreeSet<String>) {
        let Ok(hosts) = self.repo.list_hosts().await else {
            return;
        };
        for host in hosts
            .iter()
            .filter(|h| h.status != HostStatus::Maintenance && uris.contains(&h.uri))
        {
            self.reconcile_host(host).await;
        }
    }

    async fn system_event(&self, kind: &str, id: uuid::Uuid, name: &str, action: &str, ok: bool, message: String) {
        self.audit(
            None,
            action,
            Object::new(kind, Some(id), name),
            Outcome::or_failed(ok, message),
        )
        .await;
    }

    pub async fn reconcile_host(&self, host: &HostView) {
        // Only URIs Vireo would build itself are ever opened; a stored row with any other (from an
        // older version or an edited database) is left alone and shown as not responding, with why.
        let read_at = self.ops.now();
        let states = match HostAddress::parse_uri(&host.uri) {
            Ok(_) => self.hypervisor.domain_states(&host.uri).await,
            Err(refused) => Err(HypervisorError::UriRefused(refused.0)),
        };
        let (status, error) = match &states {
            Ok(_) => (HostStatus::Up, None),
            Err(e) => (HostStatus::NonResponsive, Some(e.to_string())),
        };
        if let Ok(Some(previous)) = self.repo.set_host_status(host.id, status, error.as_deref()).await {
            let message = match &error {
                Some(e) => format!("Host {} is not responding: {e}", host.name),
                None => format!("Host {} is responding again.", host.name),
            };
            tracing::warn!(host = %host.name, from = previous.as_str(), to = status.as_str(), "host status changed");
            self.system_event("host", host.id, &host.name, "host.status", error.is_none(), message)
                .await;
        }
        let Ok(vms) = self.repo.vms_on_host(host.id).await else {
            return;
        };
        let states = match states {
            Ok(s) => s,
            Err(_) => {
                for vm in vms.iter().filter(|v| v.status.is_active()) {
                    if let Ok(Some(_)) = self.repo.set_vm_status(vm.id, VmStatus::Unknown).await {
                        let message = format!(
                            "VM {}'s state is unknown: its host {} is not responding.",
                            vm.name, host.name
                        );
                        self.system_event("vm", vm.id, &vm.name, "vm.status", false, message)
                            .await;
                    }
                }
                return;
            }
        };
        for vm in vms {
            if self.ops.busy_since(vm.id, read_at) {
                // An operation in flight owns this VM's status, and one that ran since libvirt
                // was read has set it from newer facts than `states`.
                continue;
            }
            let state = states.iter().find(|(id, _)| *id == vm.id).map(|(_, s)| *s);
            self.reconcile_vm(host, &vm, state).await;
        }
    }

    async fn reconcile_vm(&self, host: &HostView, vm: &VmRuntime, state: Option<DomainState>) {
        let (new, crashed) = match state {
            Some(DomainState::Running) => (VmStatus::Up, false),
            Some(DomainState::Paused) => (VmStatus::Paused, false),
            Some(DomainState::ShuttingDown) => (VmStatus::PoweringDown, false),
            Some(DomainState::Off { crashed }) => (VmStatus::Down, crashed),
            None => (VmStatus::Down, false),
        };
        // `Unknown` counts: it may well have been running while its host did not answer.
        let was_active = vm.status.is_active() || vm.status == VmStatus::Unknown;
        let unexpected = new == VmStatus::Down && was_active && !self.ops.is_expected_down(vm.id);
        if new == VmStatus::Down {
            self.ops.expect_down(vm.id, false);
        }
        let Ok(Some(previous)) = self.repo.set_vm_status(vm.id, new).await else {
            return;
        };
        // A stateless VM that stopped loses what it wrote: its per-start overlays go.
        if new == VmStatus::Down && previous != VmStatus::Down {
            self.drop_stateless_overlays(vm.id).await;
        }
        if unexpected {
            let how = if crashed { "crashed" } else { "went down outside Vireo" };
            let message = format!("VM {} {how} on host {} (was {previous}).", vm.name, host.name);
            self.system_event("vm", vm.id, &vm.name, "vm.status", false, message)
                .await;
            if vm.high_availability {
                self.ha_restart(vm).await;
            }
        } else if previous == VmStatus::Unknown {
            let message = format!("VM {} is {new} (its host {} answers again).", vm.name, host.name);
            self.system_event("vm", vm.id, &vm.name, "vm.status", true, message)
                .await;
        }
    }

    async fn ha_restart(&self, vm: &VmRuntime) {
        let result = match self.repo.config_record(ConfigKind::Vm, vm.id).await {
            Ok(Some(record)) => {
                self.vm_action_checked(&vireo_app::authz::Actor::vireo(), record, VmAction::Run)
                    .await
            }
            Ok(None) => Err(AppError::not_found("VM")),
            Err(e) => Err(e),
        };
        let (ok, message) = match &result {
            Ok(()) => (true, format!("High availability restarted VM {}.", vm.name)),
            Err(e) => (
                false,
                format!("High availability could not restart VM {}: {e}", vm.name),
            ),
        };
        tracing::warn!(vm = %vm.name, ok, "high availability restart");
        self.system_event("vm", vm.id, &vm.name, "vm.ha_restart", ok, message)
            .await;
    }
}
