//! A VM's vNUMA nodes when its memory or vCPU count changes while it has nodes: they are spread
//! again over the new memory and vCPUs, as oVirt does, or the change is refused when there would
//! be more nodes than vCPUs.
//!
//! What oVirt does (ovirt-engine, commit 0111fc63036bca662aa6275a8ad16282cccf86bf):
//! - Its Edit VM dialog spreads the nodes again on every save: `NumaUnitToVmBaseBuilder.build`
//!   (frontend `uicommonweb/builders/vm`) calls `NumaUtils.setNumaListConfiguration(nodes,
//!   memSize, hugepages, totalCpus, threadsPerCore, exclusive)` (`common/utils/NumaUtils.java`),
//!   keeping the nodes, and so their host pins, when their count is unchanged. `spread` below is
//!   that function.
//! - Its backend keeps the stored nodes when a request sends none (`UpdateVmCommand.initNuma`;
//!   over REST `BackendVmResource` sets `updateNuma = incoming.isSetNumaTuneMode()`) and checks
//!   them against the new memory and CPUs (`NumaValidator.checkVmNumaNodesIntegrity`): more nodes
//!   than CPUs, a node's CPU id at or above the count, or node memory above the VM's is refused;
//!   a VM that grew keeps nodes that hold only part of it.
//!
//! Vireo's nodes hold exactly the VM's memory and each of its vCPUs (SPEC §3 hard errors; libvirt
//! sizes a VM with NUMA cells by its cells), so nodes kept as they were never fit a VM whose size
//! changed. Vireo therefore does everywhere — dialog, save, REST — what oVirt's dialog does, and
//! refuses what both of oVirt's paths refuse: more nodes than vCPUs. A request that sets the nodes
//! itself (they differ from the stored ones) is taken as sent, as oVirt's `updateNuma` does.

use super::cpu_set::CpuSet;
use super::profile::Change;
use super::vm_config::{VNumaNode, VmConfig, MAX_MEMORY_BOUND_MIB, MAX_NUMA_NODES, MAX_VCPUS_BOUND};
use crate::error::FieldError;

/// What [`follow_resize`] did to the edited configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resize {
    /// Nothing to do: no nodes, the size did not change, or the edit set the nodes itself.
    Unchanged,
    /// The nodes were spread again over the new memory and vCPUs.
    Respread,
    /// The nodes were left as they were: the change cannot keep them (the message says why).
    Refused(FieldError),
}

/// The message for `nodes` vNUMA nodes on a VM with `vcpus` vCPUs, when that is too many (oVirt's
/// `VM_NUMA_NODE_MORE_NODES_THAN_CPUS`).
pub fn too_many_nodes(nodes: usize, vcpus: u32) -> Option<String> {
    (nodes as u64 > u64::from(vcpus)).then(|| {
        format!(
            "{nodes} NUMA nodes for {vcpus} vCPUs: each node needs at least one vCPU \
             (lower the NUMA Node Count or add vCPUs)."
        )
    })
}

/// Brings `after`'s vNUMA nodes along when its memory or vCPU count differs from `before`'s (the
/// configuration the edit started from) and the edit left the nodes as they were.
pub fn follow_resize(before: &VmConfig, after: &mut VmConfig) -> Resize {
    let resized = before.memory_mib != after.memory_mib || before.vcpus() != after.vcpus();
    if after.numa_nodes.is_empty() || !resized || after.numa_nodes != before.numa_nodes {
        return Resize::Unchanged;
    }
    // Out-of-bounds sizes are validation's to refuse; nothing here is sized by them.
    let Some(vcpus) = after.cpu.checked_vcpus() else {
        return Resize::Unchanged;
    };
    if vcpus > MAX_VCPUS_BOUND || after.memory_mib > MAX_MEMORY_BOUND_MIB || after.numa_nodes.len() > MAX_NUMA_NODES {
        return Resize::Unchanged;
    }
    if let Some(message) = too_many_nodes(after.numa_nodes.len(), vcpus) {
        return Resize::Refused(FieldError::new("numa_nodes", message));
    }
    let huge_page_kib = after.huge_pages.map(|h| h.size_kib);
    let (memory, threads) = (after.memory_mib, after.cpu.threads);
    spread(&mut after.numa_nodes, memory, huge_page_kib, vcpus, threads);
    Resize::Respread
}

/// The memory step of a node, in MiB: a whole number of huge pages (oVirt: the least common
/// multiple of the page size in KiB and 1024, over 1024); 1 MiB without huge pages.
fn granularity_mib(huge_page_kib: Option<u64>) -> u64 {
    match huge_page_kib {
        None | Some(0) => 1,
        Some(kib) => kib / gcd(kib, 1024),
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// oVirt's `NumaUtils.setNumaListConfiguration` (without its `exclusive` flag: Vireo stores no
/// dedicated/isolate-threads policy, it computes pins instead). In index order, each node takes the
/// next run of vCPUs — an even share of those left, rounded up to whole cores of
/// `threads_per_core` except for the last node — and its memory in whole granules (huge pages):
/// in proportion to its vCPUs when the granules divide evenly among the vCPUs, else an even share
/// with the remainder on the first nodes. Indexes and host pins stay.
pub fn spread(nodes: &mut [VNumaNode], memory_mib: u64, huge_page_kib: Option<u64>, vcpus: u32, threads_per_core: u32) {
    if nodes.is_empty() {
        return;
    }
    nodes.sort_by_key(|n| n.index);
    let granule = granularity_mib(huge_page_kib);
    let blocks = memory_mib / granule;
    let cpu_count = u64::from(vcpus);
    let per_cpu = blocks.checked_div(cpu_count).unwrap_or(0);
    let equal_split = cpu_count == 0 || !blocks.is_multiple_of(cpu_count);
    let node_count = nodes.len() as u64;
    let per_node = blocks / node_count;
    let mut extra = blocks % node_count;
    let threads = threads_per_core.max(1);
    let mut next = 0u32;
    let mut left = nodes.len() as u32;
    for node in nodes.iter_mut() {
        let share = (vcpus - next) / left;
        left -= 1;
        let short = share % threads;
        let mut take = share;
        if left != 0 && short != 0 {
            take += threads - short;
        }
        // oVirt never runs past the count (vCPUs are a multiple of the threads per core); the
        // bound keeps that true for any input.
        let take = take.min(vcpus - next);
        node.memory_mib = if equal_split {
            let granules = per_node + u64::from(extra > 0);
            extra = extra.saturating_sub(1);
            granules * granule
        } else {
            per_cpu * u64::from(take) * granule
        };
        node.cpus = CpuSet::from_ids(next..next + take);
        next += take;
    }
}

/// The nodes as one line, for the dialog's list of changes: `0: vCPUs 0-1, 2048 MiB; 1: …`.
pub fn describe(nodes: &[VNumaNode]) -> String {
    nodes
        .iter()
        .map(|n| format!("{}: vCPUs {}, {} MiB", n.index, n.cpus, n.memory_mib))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The dialog's entry for a re-spread: from the nodes `was` to `now`.
pub fn respread_change(was: &[VNumaNode], now: &[VNumaNode]) -> Change {
    Change::new(
        "numa_nodes",
        describe(was),
        describe(now),
        "Memory or vCPUs changed: the NUMA nodes were spread again over them (host pins kept)",
    )
}

#[cfg(test)]
#[path = "numa_tests.rs"]
mod tests;
