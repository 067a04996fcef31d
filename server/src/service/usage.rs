//! Usage sampling: every sampling interval (`VIREO_SAMPLE_INTERVAL`, default 15 s) the host monitor
//! reads each Up host's CPU times and memory and its running domains' counters (one
//! `virConnectGetAllDomainStats` call per distinct host URI), turns the cumulative counters into CPU % by the
//! previous reading (the pure `domain::usage` rules), writes one row per running VM and Up host to
//! PostgreSQL (older rows deleted in the same pass) and keeps the latest readings in memory for
//! `/metrics`, which therefore never calls libvirt itself. Only Vireo's own VMs that it knows to be
//! running are sampled, so the number of per-VM series is bounded by the VMs Vireo runs.

use crate::hypervisor::{DomainStats, NodeUsage};
use crate::repository::NewUsageSample;
use crate::service::reconcile::read_each_uri;
use crate::service::VireoService;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;
use vireo_app::backend::UsageBackend;
use vireo_app::domain::usage::{
    node_cpu_percent, percent_of, vm_cpu_percent, NodeCpuTimes, UsageHistory, UsageKind, WINDOW_SECS,
};
use vireo_app::error::AppError;
use vireo_app::models::{HostStatus, HostView};

/// The sampling interval without `VIREO_SAMPLE_INTERVAL`: an hour is 240 samples.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

/// Samples are kept this much longer than the charts' hour, so the hour is always full.
const RETENTION_MARGIN_SECS: i64 = 600;

/// How many sampling intervals a VM's last CPU reading outlives passes that missed it.
const MISSED_PASSES_KEPT: u32 = 4;

/// A running VM's latest reading.
#[derive(Clone, Debug)]
pub struct VmUsage {
    pub id: Uuid,
    pub name: String,
    pub host: String,
    pub stats: DomainStats,
    pub cpu_percent: Option<f32>,
}

/// An Up host's latest reading.
#[derive(Clone, Debug)]
pub struct HostUsage {
    pub id: Uuid,
    pub name: String,
    pub usage: NodeUsage,
    pub cpu_percent: Option<f32>,
}

/// The latest pass's readings, as `/metrics` reports them.
#[derive(Clone, Debug, Default)]
pub struct UsageSnapshot {
    pub vms: Vec<VmUsage>,
    pub hosts: Vec<HostUsage>,
}

/// The sampler's memory between passes: the previous cumulative readings (for rates) and the
/// latest snapshot.
pub struct UsageSampler {
    pub interval: Duration,
    memory: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    vm_cpu: HashMap<Uuid, (u64, Instant)>,
    host_cpu: HashMap<Uuid, NodeCpuTimes>,
    latest: Arc<UsageSnapshot>,
}

impl UsageSampler {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            memory: Mutex::default(),
        }
    }

    /// The latest pass's readings.
    pub fn latest(&self) -> Arc<UsageSnapshot> {
        self.lock().latest.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // Each update is a few map writes: a panic cannot leave it half done.
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl VireoService {
    /// One sampling pass over every Up host (see the module's comment).
    pub async fn sample_usage(&self) {
        let Ok(hosts) = self.repo.list_hosts().await else {
            return;
        };
        let up: Vec<&HostView> = hosts.iter().filter(|h| h.status == HostStatus::Up).collect();
        let reads = self.read_usage(&up).await;
        let host_ids: Vec<Uuid> = up.iter().map(|h| h.id).collect();
        let Ok(vms) = self.repo.vms_on_hosts(&host_ids).await else {
            return;
        };
        // Domains Vireo does not run (defined by hand, another manager's) are not Vireo's to report.
        let mut running: HashMap<Uuid, Vec<(Uuid, &str)>> = HashMap::new();
        for vm in vms.iter().filter(|v| v.status.is_active()) {
            if let Some(host) = vm.host_id {
                running.entry(host).or_default().push((vm.id, vm.name.as_str()));
            }
        }
        // Vireo's VMs on these hosts that it does not know to run: their last readings are dropped below.
        let stopped: HashSet<Uuid> = vms.iter().filter(|v| !v.status.is_active()).map(|v| v.id).collect();
        let mut node_readings = Vec::new();
        let mut vm_readings = Vec::new();
        for host in up {
            let Some(read) = reads.get(host.uri.as_str()) else {
                continue;
            };
            if let Some(usage) = &read.node {
                node_readings.push((host, usage.clone()));
            }
            for (id, name) in running.get(&host.id).into_iter().flatten() {
                if let Some(stats) = read.domains.get(id) {
                    vm_readings.push(VmUsage {
                        id: *id,
                        name: name.to_string(),
                        host: host.name.clone(),
                        stats: stats.clone(),
                        cpu_percent: None,
                    });
                }
            }
        }
        let now = Instant::now();
        let mut rows = Vec::with_capacity(vm_readings.len() + node_readings.len());
        let snapshot = {
            let mut memory = self.usage.lock();
            let mut vm_cpu = HashMap::with_capacity(vm_readings.len());
            for vm in &mut vm_readings {
                if let Some(cpu_ns) = vm.stats.cpu_time_ns {
                    vm.cpu_percent = memory.vm_cpu.get(&vm.id).and_then(|(before, at)| {
                        let elapsed = u64::try_from(now.duration_since(*at).as_nanos()).unwrap_or(u64::MAX);
                        vm_cpu_percent(*before, cpu_ns, elapsed, vm.stats.vcpus.unwrap_or(0))
                    });
                    vm_cpu.insert(vm.id, (cpu_ns, now));
                }
                rows.push(NewUsageSample {
                    kind: UsageKind::Vm,
                    id: vm.id,
                    cpu_percent: vm.cpu_percent,
                    memory_bytes: vm.stats.memory_kib.map(|k| k.saturating_mul(1024)),
                    memory_percent: vm
                        .stats
                        .memory_kib
                        .zip(vm.stats.memory_max_kib)
                        .and_then(|(used, max)| percent_of(used, max)),
                });
            }
            // A VM missed by this pass (its host briefly not Up, a failed stats call) keeps its
            // reading for a few passes, so its next sample still has a rate (spanning the gap)
            // instead of starting over without one. VMs seen stopped are forgotten: a restart
            // begins a new rate (and a counter gone backwards gives none).
            let keep_for = self.usage.interval.saturating_mul(MISSED_PASSES_KEPT);
            for (id, (before, at)) in &memory.vm_cpu {
                if !vm_cpu.contains_key(id) && !stopped.contains(id) && now.duration_since(*at) <= keep_for {
                    vm_cpu.insert(*id, (*before, *at));
                }
            }
            memory.vm_cpu = vm_cpu;
            let mut host_cpu = HashMap::with_capacity(node_readings.len());
            let mut hosts_out = Vec::with_capacity(node_readings.len());
            for (host, usage) in node_readings {
                let cpu_percent = usage.cpu.and_then(|after| {
                    host_cpu.insert(host.id, after);
                    memory
                        .host_cpu
                        .get(&host.id)
                        .and_then(|before| node_cpu_percent(*before, after))
                });
                rows.push(NewUsageSample {
                    kind: UsageKind::Host,
                    id: host.id,
                    cpu_percent,
                    memory_bytes: usage.memory_used_kib.map(|k| k.saturating_mul(1024)),
                    memory_percent: usage
                        .memory_used_kib
                        .zip(usage.memory_total_kib)
                        .and_then(|(used, total)| percent_of(used, total)),
                });
                hosts_out.push(HostUsage {
                    id: host.id,
                    name: host.name.clone(),
                    usage,
                    cpu_percent,
                });
            }
            memory.host_cpu = host_cpu;
            let snapshot = Arc::new(UsageSnapshot {
                vms: vm_readings,
                hosts: hosts_out,
            });
            memory.latest = snapshot.clone();
            snapshot
        };
        tracing::trace!(vms = snapshot.vms.len(), hosts = snapshot.hosts.len(), "usage sampled");
        if let Err(e) = self.repo.record_usage(&rows, WINDOW_SECS + RETENTION_MARGIN_SECS).await {
            tracing::warn!(error = %e, "usage samples not written");
        }
    }
}

/// What one libvirt URI answered in a sampling pass.
#[derive(Default)]
struct UriUsage {
    node: Option<NodeUsage>,
    domains: HashMap<Uuid, DomainStats>,
}

impl VireoService {
    /// Each distinct URI of `hosts` read once (node usage and all domains' stats),
    /// a few at a time (`read_each_uri`). Why once: simulated hosts share their driver's URI, and 200 of
    /// them read one after another (200 × every domain's stats) kept the monitor busy for longer
    /// than the sampling interval: half a core idle, and libvirt's own status changes waited behind
    /// it (`make bench-scale`).
    async fn read_usage(&self, hosts: &[&HostView]) -> HashMap<String, UriUsage> {
        read_each_uri(hosts.iter().map(|h| h.uri.as_str()), |uri| async move {
            let node = self
                .hypervisor
                .node_usage(uri)
                .await
                .map_err(|e| tracing::debug!(uri, error = %e, "no node usage"))
                .ok();
            let domains = match self.hypervisor.domain_stats(uri).await {
                Ok(stats) => stats.into_iter().map(|s| (s.id, s)).collect(),
                Err(e) => {
                    tracing::debug!(uri, error = %e, "no domain stats");
                    HashMap::new()
                }
            };
            UriUsage { node, domains }
        })
        .await
    }
}

#[async_trait::async_trait]
impl UsageBackend for VireoService {
    async fn usage_history(&self, kind: UsageKind, id: Uuid) -> Result<UsageHistory, AppError> {
        let (samples, now) = self.repo.usage_history(kind, id).await?;
        Ok(UsageHistory {
            samples,
            now,
            interval_secs: u32::try_from(self.usage.interval.as_secs()).unwrap_or(u32::MAX),
        })
    }
}
