//! Keeps the database's view of hosts and VMs true to libvirt: at start-up, then every few seconds
//! and on libvirt's lifecycle events. A pass reads each host URI once (one bulk call), reads the
//! VMs of all its hosts in one query, and writes only what changed. A host that stops answering is
//! marked non-responsive and its running VMs `unknown` (not down: they may well be running); when
//! it answers again the truth is restored. A VM with high availability that went down without
//! Vireo asking (a crash, or a `virsh destroy`) is started again on its host at once, with an
//! event.

use crate::hypervisor::{DomainState, HypervisorError};
use crate::repository::VmRuntime;
use crate::service::audit::{Object, Outcome};
use crate::service::VireoService;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::host_address::HostAddress;
use vireo_app::error::AppError;
use vireo_app::models::{HostStatus, HostView, VmAction, VmStatus};

/// How many hosts' libvirt reads one reconcile pass runs at once: enough that hundreds of hosts
/// are read in a fraction of the 2 s tick, few enough not to flood the blocking pool.
const PARALLEL_READS: usize = 16;

/// Each distinct URI among `uris` read once with `read`, [`PARALLEL_READS`] at a time (simulated
/// hosts share their driver's URI: hundreds of hosts can be one read).
pub(crate) async fn read_each_uri<'a, T, Fut>(
    uris: impl IntoIterator<Item = &'a str>,
    read: impl Fn(&'a str) -> Fut,
) -> std::collections::HashMap<String, T>
where
    Fut: std::future::Future<Output = T>,
{
    let uris: Vec<&str> = uris.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    let mut reads = std::collections::HashMap::with_capacity(uris.len());
    for chunk in uris.chunks(PARALLEL_READS) {
        let read = futures_util::future::join_all(chunk.iter().map(|uri| read(uri))).await;
        reads.extend(chunk.iter().map(|u| u.to_string()).zip(read));
    }
    reads
}

/// What one pass read from one host URI (several simulated hosts share the test driver's).
type Reads = HashMap<String, Result<HashMap<Uuid, DomainState>, HypervisorError>>;

impl VireoService {
    /// Every host that is not in maintenance, and every VM on them: the periodic tick.
    pub async fn reconcile_all(&self) {
        let Ok(hosts) = self.repo.list_hosts().await else {
            return;
        };
        let hosts: Vec<HostView> = hosts
            .into_iter()
            .filter(|h| h.status != HostStatus::Maintenance)
            .collect();
        self.reconcile_hosts(&hosts, None).await;
    }

    /// After lifecycle events: the hosts with these URIs, and only the VMs of the named domains
    /// (one simulated host's event must not re-read the other hundreds that share its URI's
    /// driver; the next tick looks at everything anyway).
    pub async fn reconcile_events(&self, events: &BTreeMap<String, BTreeSet<Uuid>>) {
        let Ok(hosts) = self.repo.list_hosts().await else {
            return;
        };
        let hosts: Vec<HostView> = hosts
            .into_iter()
            .filter(|h| h.status != HostStatus::Maintenance && events.contains_key(&h.uri))
            .collect();
        let domains: HashSet<Uuid> = events.values().flatten().copied().collect();
        self.reconcile_hosts(&hosts, Some(&domains)).await;
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

    /// One libvirt read per distinct URI (in parallel, bounded), then each host's status and each
    /// VM's (all of them, or only `only`'s) compared with what was read; rows are written only where
    /// they differ, so an idle pass over hundreds of hosts reads and writes nothing else.
    async fn reconcile_hosts(&self, hosts: &[HostView], only: Option<&HashSet<Uuid>>) {
        if hosts.is_empty() {
            return;
        }
        // Before libvirt is read: an operation (on any replica) that begins or ends after this
        // time owns its VM's status (`busy_since`). The database's clock, which every replica's
        // marks are written with.
        let Ok(read_at) = self.ops.now().await else {
            return;
        };
        let reads = self.read_domain_states(hosts).await;
        for host in hosts {
            if let Some(read) = reads.get(&host.uri) {
                self.reconcile_host_status(host, read).await;
            }
        }
        let host_ids: Vec<Uuid> = hosts.iter().map(|h| h.id).collect();
        let vms = match only {
            None => self.repo.vms_on_hosts(&host_ids).await,
            Some(ids) => {
                let ids: Vec<Uuid> = ids.iter().copied().collect();
                self.repo.vms_by_id_on_hosts(&ids, &host_ids).await
            }
        };
        let Ok(vms) = vms else {
            return;
        };
        let Ok(busy) = self.ops.busy_since(read_at).await else {
            return;
        };
        // VMs seen down whose expected-down marks have served, cleared in one statement.
        let mut seen_down = Vec::new();
        let by_id: HashMap<Uuid, &HostView> = hosts.iter().map(|h| (h.id, h)).collect();
        for vm in vms {
            let Some((host, read)) = vm
                .host_id
                .and_then(|id| by_id.get(&id).copied())
                .and_then(|h| Some((h, reads.get(&h.uri)?)))
            else {
                continue;
            };
            match read {
                Ok(states) => {
                    if busy.busy(vm.id) {
                        // An operation in flight owns this VM's status, and one that ran since
                        // libvirt was read has set it from newer facts than `states`.
                        continue;
                    }
                    let expected = busy.expected_down(vm.id);
                    let down = self
                        .reconcile_vm(host, &vm, states.get(&vm.id).copied(), expected)
                        .await;
                    if down && expected {
                        seen_down.push(vm.id);
                    }
                }
                Err(_) => self.host_lost(host, &vm).await,
            }
        }
        if let Err(e) = self.repo.clear_expected_down(&seen_down).await {
            tracing::warn!(error = %e, "could not clear expected-down marks (they expire)");
        }
    }

    /// Each distinct URI of `hosts` read once, [`PARALLEL_READS`] at a time.
    async fn read_domain_states(&self, hosts: &[HostView]) -> Reads {
        read_each_uri(hosts.iter().map(|h| h.uri.as_str()), |uri| self.read_uri(uri)).await
    }

    async fn read_uri(&self, uri: &str) -> Result<HashMap<Uuid, DomainState>, HypervisorError> {
        // Only URIs Vireo would build itself are ever opened; a stored row with any other (from an
        // older version or an edited database) is left alone and shown as not responding, with why.
        if let Err(refused) = HostAddress::parse_uri(uri) {
            return Err(HypervisorError::UriRefused(refused.0));
        }
        Ok(self.hypervisor.domain_states(uri).await?.into_iter().collect())
    }

    /// The host's status from whether its URI answered; written (with an event) only on a change.
    async fn reconcile_host_status(&self, host: &HostView, read: &Result<HashMap<Uuid, DomainState>, HypervisorError>) {
        let (status, error) = match read {
            Ok(_) => (HostStatus::Up, None),
            Err(e) => (HostStatus::NonResponsive, Some(e.to_string())),
        };
        if host.status == status && host.last_error == error {
            return;
        }
        if let Ok(Some(previous)) = self.repo.set_host_status(host.id, status, error.as_deref()).await {
            let message = match &error {
                Some(e) => format!("Host {} is not responding: {e}", host.name),
                None => format!("Host {} is responding again.", host.name),
            };
            tracing::warn!(host = %host.name, from = previous.as_str(), to = status.as_str(), "host status changed");
            self.system_event("host", host.id, &host.name, "host.status", error.is_none(), message)
                .await;
        }
    }

    /// A VM whose host did not answer: an active one becomes `unknown` (not down: it may well be
    /// running).
    async fn host_lost(&self, host: &HostView, vm: &VmRuntime) {
        if !vm.status.is_active() {
            return;
        }
        if let Ok(Some(_)) = self.repo.set_vm_status(vm.id, VmStatus::Unknown).await {
            let message = format!(
                "VM {}'s state is unknown: its host {} is not responding.",
                vm.name, host.name
            );
            self.system_event("vm", vm.id, &vm.name, "vm.status", false, message)
                .await;
        }
    }

    /// One VM against what its host said; `expected`: a replica is stopping it. Whether libvirt
    /// had it down.
    async fn reconcile_vm(&self, host: &HostView, vm: &VmRuntime, state: Option<DomainState>, expected: bool) -> bool {
        let (new, crashed) = match state {
            Some(DomainState::Running) => (VmStatus::Up, false),
            Some(DomainState::Paused) => (VmStatus::Paused, false),
            Some(DomainState::ShuttingDown) => (VmStatus::PoweringDown, false),
            Some(DomainState::Off { crashed }) => (VmStatus::Down, crashed),
            None => (VmStatus::Down, false),
        };
        // `Unknown` counts: it may well have been running while its host did not answer.
        let was_active = vm.status.is_active() || vm.status == VmStatus::Unknown;
        let down = new == VmStatus::Down;
        let unexpected = down && was_active && !expected;
        if vm.status == new {
            // Nothing to write: the row was read in this pass, after libvirt (a change since is
            // seen by the next pass).
            return down;
        }
        if unexpected && vm.high_availability && !self.leadership.confirm().await {
            // Not the leader any more: the crash (status, event and restart) is left whole to the
            // leader, which reads the same facts — writing the status here would make it see a
            // VM already down and never restart it.
            tracing::warn!(vm = %vm.name, "not the leader any more: the HA VM's crash is left to the leader");
            return down;
        }
        let Ok(Some(previous)) = self.repo.set_vm_status(vm.id, new).await else {
            return down;
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
                // Asked of PostgreSQL now, not remembered: a replica that lost its session may
                // already have a successor restarting the same VM.
                if self.leadership.confirm().await {
                    self.ha_restart(vm).await;
                } else {
                    tracing::warn!(vm = %vm.name, "not the leader any more: the HA restart is left to the leader");
                }
            }
        } else if previous == VmStatus::Unknown {
            let message = format!("VM {} is {new} (its host {} answers again).", vm.name, host.name);
            self.system_event("vm", vm.id, &vm.name, "vm.status", true, message)
                .await;
        }
        down
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
