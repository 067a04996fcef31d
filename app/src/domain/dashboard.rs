//! The Dashboard's numbers, aggregated from a handful of rows: hosts (status, cluster, topology),
//! VM tallies grouped by (cluster, status, type) with their vCPUs and memory, and the count of High
//! Performance VMs the recommendations find lacking (computed by the service in one rule pass).
//! Pure, so the sums are unit-tested here and the service only gathers rows.

use super::host_topology::HostTopology;
use super::vm_config::OptimizedFor;
use crate::models::{HostStatus, VmStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the Dashboard shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Every host status, in the declared order, with its count (zeros included: a 0 is news too).
    pub hosts_by_status: Vec<(HostStatus, u64)>,
    /// Every VM status, in the declared order, with its count.
    pub vms_by_status: Vec<(VmStatus, u64)>,
    /// Every "Optimized for" type with its count.
    pub vms_by_type: Vec<(OptimizedFor, u64)>,
    /// One entry per cluster, by name.
    pub clusters: Vec<ClusterLoad>,
    /// One entry per host with huge pages, by name.
    pub huge_pages: Vec<HostHugePages>,
    /// High Performance VMs with at least one unmet recommendation.
    pub hp_missing: u64,
}

/// A cluster's vCPUs and memory allocated against what its Up hosts offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterLoad {
    pub id: Uuid,
    pub name: String,
    pub up_hosts: u64,
    /// Host CPUs (threads) of the Up hosts, from their topologies.
    pub cpus: u64,
    /// Memory of the Up hosts' NUMA cells, from their topologies.
    pub memory_mib: u64,
    /// What running VMs (`VmStatus::is_active`) were given.
    pub running: Allocation,
    /// What every VM defined in the cluster was given.
    pub defined: Allocation,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub vms: u64,
    pub vcpus: u64,
    pub memory_mib: u64,
}

/// Huge pages of one size on one host, summed over its NUMA cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageFree {
    pub size_kib: u64,
    pub free: u64,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostHugePages {
    pub id: Uuid,
    pub name: String,
    pub status: HostStatus,
    /// Per page size (2 MiB, 1 GiB, …), ascending.
    pub pages: Vec<PageFree>,
}

/// A host as the Dashboard needs it.
pub struct HostFact<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub cluster_id: Uuid,
    pub status: HostStatus,
    pub topology: &'a HostTopology,
}

/// One row of the VM tally: the VMs of one (cluster, status, type), their count, vCPUs and memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmTally {
    pub cluster_id: Uuid,
    pub status: VmStatus,
    pub optimized_for: OptimizedFor,
    pub count: u64,
    pub vcpus: u64,
    pub memory_mib: u64,
}

/// Sums hosts and VM tallies into the Dashboard; `clusters` are (id, name) in display order.
pub fn summarize(clusters: &[(Uuid, String)], hosts: &[HostFact<'_>], vms: &[VmTally], hp_missing: u64) -> Dashboard {
    let count_hosts = |s: HostStatus| hosts.iter().filter(|h| h.status == s).count() as u64;
    let count_vms = |keep: &dyn Fn(&VmTally) -> bool| vms.iter().filter(|t| keep(t)).map(|t| t.count).sum::<u64>();
    let clusters = clusters
        .iter()
        .map(|(id, name)| {
            let up: Vec<&HostFact<'_>> = hosts
                .iter()
                .filter(|h| h.cluster_id == *id && h.status == HostStatus::Up)
                .collect();
            let mut load = ClusterLoad {
                id: *id,
                name: name.clone(),
                up_hosts: up.len() as u64,
                cpus: up.iter().map(|h| h.topology.total_cpus() as u64).sum(),
                memory_mib: up.iter().map(|h| h.topology.memory_kib() / 1024).sum(),
                ..ClusterLoad::default()
            };
            for t in vms.iter().filter(|t| t.cluster_id == *id) {
                load.defined.add(t);
                if t.status.is_active() {
                    load.running.add(t);
                }
            }
            load
        })
        .collect();
    let huge_pages = hosts
        .iter()
        .filter_map(|h| {
            let pages: Vec<PageFree> = h
                .topology
                .huge_page_sizes()
                .into_iter()
                .map(|size_kib| PageFree {
                    size_kib,
                    free: h.topology.free_pages(size_kib, &[]),
                    total: h.topology.total_pages(size_kib),
                })
                .collect();
            (!pages.is_empty()).then(|| HostHugePages {
                id: h.id,
                name: h.name.to_string(),
                status: h.status,
                pages,
            })
        })
        .collect();
    Dashboard {
        hosts_by_status: HostStatus::ALL.iter().map(|s| (*s, count_hosts(*s))).collect(),
        vms_by_status: VmStatus::ALL
            .iter()
            .map(|s| (*s, count_vms(&|t| t.status == *s)))
            .collect(),
        vms_by_type: OptimizedFor::ALL
            .iter()
            .map(|o| (*o, count_vms(&|t| t.optimized_for == *o)))
            .collect(),
        clusters,
        huge_pages,
        hp_missing,
    }
}

impl Allocation {
    fn add(&mut self, t: &VmTally) {
        self.vms += t.count;
        self.vcpus += t.vcpus;
        self.memory_mib += t.memory_mib;
    }
}

/// `part` of `whole` as a whole percentage for a bar: 0 when there is no capacity, and capped at 100
/// (an overcommitted cluster fills its bar; the numbers beside it say by how much).
pub fn bar_percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    (part.saturating_mul(100) / whole).min(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(cluster_id: Uuid, status: VmStatus, optimized_for: OptimizedFor, count: u64, vcpus: u64) -> VmTally {
        VmTally {
            cluster_id,
            status,
            optimized_for,
            count,
            vcpus,
            memory_mib: vcpus * 1024,
        }
    }

    #[test]
    fn counts_capacity_and_allocation_per_cluster() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        // 2 sockets × 4 cores × 2 threads = 16 CPUs, 2 cells of 8 GiB with 1024 free 2 MiB pages.
        let big = HostTopology::synthetic(2, 4, 2, 8 * 1024 * 1024, &[(2048, 1024)]);
        let small = HostTopology::synthetic(1, 2, 1, 4 * 1024 * 1024, &[]);
        let hosts = [
            HostFact {
                id: Uuid::from_u128(10),
                name: "h1",
                cluster_id: a,
                status: HostStatus::Up,
                topology: &big,
            },
            HostFact {
                id: Uuid::from_u128(11),
                name: "h2",
                cluster_id: a,
                status: HostStatus::Maintenance,
                topology: &big,
            },
            HostFact {
                id: Uuid::from_u128(12),
                name: "h3",
                cluster_id: b,
                status: HostStatus::Up,
                topology: &small,
            },
        ];
        let vms = [
            tally(a, VmStatus::Up, OptimizedFor::HighPerformance, 1, 4),
            tally(a, VmStatus::Paused, OptimizedFor::Server, 2, 4),
            tally(a, VmStatus::Down, OptimizedFor::Server, 3, 6),
            tally(b, VmStatus::Unknown, OptimizedFor::Desktop, 1, 2),
        ];
        let d = summarize(&[(a, "A".into()), (b, "B".into())], &hosts, &vms, 1);
        assert_eq!(
            d.hosts_by_status,
            vec![
                (HostStatus::Up, 2),
                (HostStatus::NonResponsive, 0),
                (HostStatus::Maintenance, 1)
            ]
        );
        let by_status = |s: VmStatus| d.vms_by_status.iter().find(|(x, _)| *x == s).map(|(_, n)| *n);
        assert_eq!(by_status(VmStatus::Up), Some(1));
        assert_eq!(by_status(VmStatus::Down), Some(3));
        assert_eq!(by_status(VmStatus::Rebooting), Some(0), "every status is listed");
        assert_eq!(
            d.vms_by_type,
            vec![
                (OptimizedFor::Server, 5),
                (OptimizedFor::Desktop, 1),
                (OptimizedFor::HighPerformance, 1)
            ]
        );
        let ca = &d.clusters[0];
        // Only the Up host counts toward capacity.
        assert_eq!((ca.up_hosts, ca.cpus, ca.memory_mib), (1, 16, 16 * 1024));
        // Up and Paused run (1 + 2 VMs); Down does not.
        assert_eq!(
            ca.running,
            Allocation {
                vms: 3,
                vcpus: 8,
                memory_mib: 8 * 1024
            }
        );
        assert_eq!(ca.defined.vms, 6);
        assert_eq!(ca.defined.vcpus, 14);
        let cb = &d.clusters[1];
        assert_eq!((cb.cpus, cb.memory_mib), (2, 4 * 1024));
        assert_eq!(cb.running, Allocation::default(), "Unknown is not known to run");
        assert_eq!(cb.defined.vms, 1);
        // Huge pages: only hosts that have any, summed over cells.
        assert_eq!(d.huge_pages.len(), 2);
        assert_eq!(d.huge_pages[0].name, "h1");
        assert_eq!(
            d.huge_pages[0].pages,
            vec![PageFree {
                size_kib: 2048,
                free: 2048,
                total: 2048
            }]
        );
        assert_eq!(d.hp_missing, 1);
    }

    #[test]
    fn an_empty_installation_has_zero_everywhere() {
        let d = summarize(&[], &[], &[], 0);
        assert!(d.hosts_by_status.iter().all(|(_, n)| *n == 0));
        assert!(d.vms_by_status.iter().all(|(_, n)| *n == 0));
        assert_eq!(d.vms_by_type.len(), 3);
        assert!(d.clusters.is_empty() && d.huge_pages.is_empty());
    }

    #[test]
    fn bars_are_bounded() {
        assert_eq!(bar_percent(5, 0), 0);
        assert_eq!(bar_percent(1, 4), 25);
        assert_eq!(bar_percent(9, 4), 100);
        assert_eq!(bar_percent(u64::MAX, 3), 100);
    }
}
