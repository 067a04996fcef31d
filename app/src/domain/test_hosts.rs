//! Test fixtures: the two host topologies Vireo ships (parsed from the very files the server uses)
//! and rule contexts around them.

use super::capabilities;
use super::host_topology::HostTopology;
use super::rule_context::{ClusterFacts, HostFacts, RuleContext};
use super::vm_config::{CompatVersion, OsFamily};
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
