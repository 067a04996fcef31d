//! What the rules know about the world around a configuration: its cluster and the hosts it may run
//! on, with what other High Performance VMs already hold there. The server fills this from the
//! database (and libvirt); the rules never do I/O.

use super::cpu_set::CpuSet;
use super::host_topology::HostTopology;
use super::vm_config::{CompatVersion, OsFamily, VmConfig};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterFacts {
    pub id: Uuid,
    pub name: String,
    pub version: CompatVersion,
    pub ksm_enabled: bool,
    pub ballooning_enabled: bool,
}

/// Host CPUs one other VM holds on a host (its vCPU, emulator and IO-thread pins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuClaim {
    pub vm_name: String,
    pub cpus: CpuSet,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    pub id: Uuid,
    pub name: String,
    pub cluster_id: Uuid,
    /// Free page counts here are already net of the pages other VMs pinned to this host claim.
    pub topology: HostTopology,
    pub ksm_running: Option<bool>,
    /// CPUs other High Performance VMs pinned to this host use; fixes never reuse them.
    pub claims: Vec<CpuClaim>,
    /// CPUs the VMs running on this host hold for this run (pins chosen at their start by a CPU
    /// pinning policy, or the saved pins of VMs running without one): what a start-time policy
    /// cannot take, and what an HP pool's per-host capacity is computed against.
    #[serde(default)]
    pub running: Vec<CpuClaim>,
    /// A test-driver host with a simulated topology: host-level settings live in Vireo only.
    pub simulated: bool,
}

impl HostFacts {
    /// CPUs a fix must not pin to, widened to whole physical cores (a core that serves one VM's vCPU
    /// is not shared with another VM's vCPU through its sibling thread): the saved pins of other HP
    /// VMs, and what the VMs running here hold now — pins a start-time policy chose are not saved
    /// anywhere else, and pinning onto them would make this VM's start fail while they run.
    pub fn claimed_cores(&self) -> CpuSet {
        let mut out = CpuSet::new();
        for claim in self.claims.iter().chain(&self.running) {
            for id in claim.cpus.ids() {
                match self.topology.cpu(id) {
                    Some(cpu) => out.extend(&cpu.siblings),
                    None => out.insert(id),
                }
            }
        }
        out
    }

    /// Which other VMs hold any of `cpus`.
    pub fn holders_of(&self, cpus: &CpuSet) -> Vec<String> {
        self.claims
            .iter()
            .filter(|c| c.cpus.intersects(cpus))
            .map(|c| c.vm_name.clone())
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleContext {
    pub cluster: ClusterFacts,
    pub os_family: Option<OsFamily>,
    /// The hosts of the configuration's cluster.
    pub hosts: Vec<HostFacts>,
}

impl RuleContext {
    pub fn host(&self, id: Uuid) -> Option<&HostFacts> {
        self.hosts.iter().find(|h| h.id == id)
    }

    /// The host the configuration is pinned to, when it is one of the cluster's.
    pub fn pinned_host(&self, cfg: &VmConfig) -> Option<&HostFacts> {
        cfg.pinned_host().and_then(|id| self.host(id))
    }

    /// invtsc can be required when every host the VM may run on has it.
    pub fn invtsc_available(&self, cfg: &VmConfig) -> bool {
        let candidates: Vec<&HostFacts> = if cfg.placement_hosts.is_empty() {
            self.hosts.iter().collect()
        } else {
            cfg.placement_hosts.iter().filter_map(|id| self.host(*id)).collect()
        };
        !candidates.is_empty() && candidates.iter().all(|h| h.topology.has_invtsc())
    }
}
