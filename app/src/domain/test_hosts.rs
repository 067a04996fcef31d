//! Test fixtures: the two host topologies Vireo ships (parsed from the very files the server uses),
//! rule contexts around them, and profiled VMs.

use super::capabilities;
use super::host_topology::HostTopology;
use super::profile::profiled;
use super::rule_context::{ClusterFacts, HostFacts, RuleContext};
use super::vm_config::{CompatVersion, CpuTopology, OptimizedFor, OsFamily, VmConfig};
use uuid::Uuid;

pub const HP_HOST: Uuid = Uuid::from_u128(0x1111);
pub const SMALL_HOST: Uuid = Uuid::from_u128(0x2222);
pub const CLUSTER: Uuid = Uuid::from_u128(0x3333);

pub fn hp_topology() -> HostTopology {
    capabilities::parse(include_str!("../../../server/topologies/hp-2s8c2t.xml")).expect("shipped file parses")
}

pub fn small_topology() -> HostTopology {
    capabilities::parse(include_str!("../../../server/topologies/small-1s4c.xml")).expect("shipped file parses")
}

pub fn facts(id: Uuid, name: &str, topology: HostTopology) -> HostFacts {
    HostFacts {
        id,
        name: name.into(),
        cluster_id: CLUSTER,
        topology,
        ksm_running: None,
        claims: vec![],
        running: vec![],
        simulated: true,
    }
}

pub fn cluster(ksm_enabled: bool) -> ClusterFacts {
    ClusterFacts {
        id: CLUSTER,
        name: "Default".into(),
        version: CompatVersion::LATEST,
        ksm_enabled,
        ballooning_enabled: true,
    }
}

/// A cluster with just the 2-socket HP host.
pub fn hp_ctx() -> RuleContext {
    RuleContext {
        cluster: cluster(true),
        os_family: Some(OsFamily::Linux),
        hosts: vec![facts(HP_HOST, "hp1", hp_topology())],
    }
}

/// A cluster with just the small host.
pub fn small_ctx() -> RuleContext {
    RuleContext {
        cluster: cluster(true),
        os_family: Some(OsFamily::Linux),
        hosts: vec![facts(SMALL_HOST, "small1", small_topology())],
    }
}

/// A VM of `sockets × cores × threads` vCPUs and `memory_mib`, with `profile`'s defaults.
pub fn profiled_vm(profile: OptimizedFor, sockets: u32, cores: u32, threads: u32, memory_mib: u64) -> VmConfig {
    let base = VmConfig {
        cpu: CpuTopology {
            sockets,
            cores,
            threads,
        },
        memory_mib,
        ..VmConfig::default()
    };
    let mut cfg = profiled(&base, profile);
    // The recommendation tests exercise save-time pinning (R1–R3 pin now), so the fixture keeps
    // the policy the profile had before issue 19; the HP profile's `dedicated` default is tested in
    // profile.rs and the start-time policies in cpu_policy_tests.rs.
    cfg.cpu_pinning_policy = super::vm_config::CpuPinningPolicy::None;
    cfg
}

/// A High Performance VM (see [`profiled_vm`]).
pub fn hp_vm(sockets: u32, cores: u32, threads: u32, memory_mib: u64) -> VmConfig {
    profiled_vm(OptimizedFor::HighPerformance, sockets, cores, threads, memory_mib)
}
