//! Capabilities files shipped with Vireo for libvirt test-driver hosts. The test driver reports a
//! fixed toy topology (2 cells × 8 CPUs, i686, no free huge pages), so a test-driver host takes a
//! realistic one from here and the UI labels it "simulated topology".

use vireo_app::domain::capabilities::{self, CapabilitiesError};
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::models::TopologyFile;

pub struct ShippedTopology {
    pub id: &'static str,
    pub label: &'static str,
    pub xml: &'static str,
}

/// The first entry is the default for new test-driver hosts.
pub const SHIPPED: &[ShippedTopology] = &[
    ShippedTopology {
        id: "hp-2s8c2t",
        label: "High-performance host: 2 sockets × 8 cores × 2 threads, 2 NUMA cells, 2 MiB + 1 GiB pages",
        xml: include_str!("../../topologies/hp-2s8c2t.xml"),
    },
    ShippedTopology {
        id: "small-1s4c",
        label: "Small host: 1 socket × 4 cores, no SMT, 1 NUMA cell, 2 MiB pages only",
        xml: include_str!("../../topologies/small-1s4c.xml"),
    },
];

pub const DEFAULT_ID: &str = "hp-2s8c2t";

pub fn list() -> Vec<TopologyFile> {
    SHIPPED
        .iter()
        .map(|t| TopologyFile {
            id: t.id.into(),
            label: t.label.into(),
        })
        .collect()
}

/// The shipped ids, the default first: what a simulated host may name (`host_address`).
pub fn ids() -> Vec<&'static str> {
    SHIPPED.iter().map(|t| t.id).collect()
}

pub fn find(id: &str) -> Option<&'static ShippedTopology> {
    SHIPPED.iter().find(|t| t.id == id)
}

pub fn load(id: &str) -> Option<Result<HostTopology, CapabilitiesError>> {
    find(id).map(|t| capabilities::parse(t.xml))
}

/// Whether the URI runs libvirt's test driver: only the two URIs Vireo accepts for it
/// (`test:///default` in-process, `test+unix:///default` through libvirtd).
pub fn is_test_driver(uri: &str) -> bool {
    vireo_app::domain::host_address::HostAddress::parse_uri(uri).is_ok_and(|a| a.is_simulated())
}
