//! Computes where a VM's vCPUs, emulator and IO threads go on a host. Deterministic (same inputs,
//! same plan) and never over-committing: CPUs claimed by other High Performance VMs are not used,
//! and host CPU 0 with its siblings is left to the host (it serves the host's own IO).
//!
//! Placement rules, in order:
//! 1. Each guest core gets its own host physical core, its guest threads on that core's sibling
//!    threads (so the guest's view of SMT is true). Only when whole cores run out are two guest
//!    cores packed onto one host core's threads.
//! 2. Each guest socket goes to one host NUMA cell when it fits there — the cell with the most
//!    free cores, lowest id on ties; otherwise it spills over cells in that same order.
//! 3. Within a cell, the lowest-numbered free cores first.

use super::cpu_set::CpuSet;
use super::host_topology::HostTopology;
use super::vm_config::{CpuTopology, VcpuPin, MAX_VCPUS_BOUND};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Core {
    cell: u32,
    /// Sibling threads, ascending.
    threads: Vec<u32>,
}

/// The host's physical cores that are free: not holding host CPU 0 and not touching `unavailable`.
fn free_cores(host: &HostTopology, unavailable: &CpuSet) -> Vec<Core> {
    let housekeeping = host_housekeeping(host);
    let mut cores: BTreeMap<(u32, u32, u32), Vec<u32>> = BTreeMap::new();
    for cell in &host.cells {
        for cpu in &cell.cpus {
            cores
                .entry((cell.id, cpu.socket_id, cpu.core_id))
                .or_default()
                .push(cpu.id);
        }
    }
    let mut out: Vec<Core> = cores
        .into_iter()
        .map(|((cell, _, _), mut threads)| {
            threads.sort_unstable();
            Core { cell, threads }
        })
        .filter(|core| {
            core.threads
                .iter()
                .all(|t| !housekeeping.contains(*t) && !unavailable.contains(*t))
        })
        .collect();
    out.sort_by_key(|c| (c.cell, c.threads.first().copied()));
    out
}

/// Host CPU 0 and its siblings: the host's own (IO, interrupts, housekeeping).
pub fn host_housekeeping(host: &HostTopology) -> CpuSet {
    let first = host.all_cpus().map(|c| c.id).min();
    match first.and_then(|id| host.cpu(id)) {
        Some(cpu) => cpu.siblings.union(&CpuSet::single(cpu.id)),
        None => CpuSet::new(),
    }
}

/// A guest topology with the same vCPU count that fits the host (threads per core no more than the
/// host's, cores per socket and sockets no more than the host's), or `None` when the count cannot fit.
pub fn fitted_topology(topo: CpuTopology, host: &HostTopology) -> Option<CpuTopology> {
    // No topology of 0 vCPUs or of more than any VM may have is planned (the loops below are sized
    // by these numbers).
    let total = topo.checked_vcpus().filter(|t| (1..=MAX_VCPUS_BOUND).contains(t))?;
    let fits = |t: &CpuTopology| {
        t.sockets <= host.sockets && t.cores <= host.cores_per_socket && t.threads <= host.threads_per_core
    };
    if fits(&topo) {
        return Some(topo);
    }
    // Try the guest's own thread count first, then fewer threads; spread over as few sockets as fit.
    let mut threads_options: Vec<u32> = (1..=topo.threads.min(host.threads_per_core)).rev().collect();
    if threads_options.is_empty() {
        threads_options.push(1);
    }
    for threads in threads_options {
        if !total.is_multiple_of(threads) {
            continue;
        }
        let cores_total = total / threads;
        // More sockets than cores cannot divide them: the loop is bounded by the vCPU count, not by
        // whatever the host reports.
        for sockets in 1..=host.sockets.clamp(1, cores_total.max(1)) {
            if !cores_total.is_multiple_of(sockets) {
                continue;
            }
            let candidate = CpuTopology {
                sockets,
                cores: cores_total / sockets,
                threads,
            };
            if fits(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The guest topology needs more threads per core than the host has.
    ThreadsPerCore {
        guest: u32,
        host: u32,
    },
    NotEnoughCpus {
        needed: u32,
        free: u32,
    },
    /// A topology with a zero, or more vCPUs than any VM may have: nothing to plan.
    BadTopology,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ThreadsPerCore { guest, host } => {
                write!(f, "the guest has {guest} threads per core but the host only {host}")
            }
            Self::NotEnoughCpus { needed, free } => write!(
                f,
                "the VM needs {needed} host CPUs but only {free} are free (CPU 0 is the host's, and other High Performance VMs hold theirs)"
            ),
            Self::BadTopology => write!(f, "the topology needs 1 to {MAX_VCPUS_BOUND} vCPUs"),
        }
    }
}

/// Pins every vCPU of `topo` to one host CPU. vCPU numbering follows QEMU: threads innermost, then
/// cores, then sockets (vCPU = (socket × cores + core) × threads + thread).
pub fn plan_vcpu_pins(topo: CpuTopology, host: &HostTopology, unavailable: &CpuSet) -> Result<Vec<VcpuPin>, PlanError> {
    // Checked before anything is sized by these numbers: threads = 0 made `chunks_exact(0)` panic
    // (pentest row 8), and a product that overflows or exceeds the bound is no VM.
    let vcpus = match topo.checked_vcpus() {
        Some(v) if topo.threads > 0 && (1..=MAX_VCPUS_BOUND).contains(&v) => v,
        _ => return Err(PlanError::BadTopology),
    };
    if topo.threads > host.threads_per_core.max(1) {
        return Err(PlanError::ThreadsPerCore {
            guest: topo.threads,
            host: host.threads_per_core,
        });
    }
    let cores = free_cores(host, unavailable);
    let free_threads = u32::try_from(cores.iter().map(|c| c.threads.len()).sum::<usize>()).unwrap_or(u32::MAX);
    // vcpus = guest_cores × threads fits a u32, so this does too.
    let guest_cores = topo.sockets.saturating_mul(topo.cores);
    let threads = topo.threads as usize;
    // Slots: (cell, threads for one guest core). Pass 1 gives each guest core a whole host core;
    // pass 2 packs guest cores onto the sibling threads of host cores when whole cores run out.
    // A host core with fewer threads than the guest's (an uneven host) offers no whole slot.
    let whole: Vec<(u32, Vec<u32>)> = cores
        .iter()
        .filter_map(|c| c.threads.get(..threads).map(|t| (c.cell, t.to_vec())))
        .collect();
    let slots: Vec<(u32, Vec<u32>)> = if whole.len() as u32 >= guest_cores {
        whole
    } else {
        cores
            .iter()
            .flat_map(|c| {
                c.threads
                    .chunks_exact(threads)
                    .map(move |chunk| (c.cell, chunk.to_vec()))
            })
            .collect()
    };
    if (slots.len() as u32) < guest_cores {
        return Err(PlanError::NotEnoughCpus {
            needed: vcpus,
            free: free_threads,
        });
    }

    // Free slots per cell, in order.
    let mut by_cell: BTreeMap<u32, std::collections::VecDeque<Vec<u32>>> = BTreeMap::new();
    for (cell, threads) in slots {
        by_cell.entry(cell).or_default().push_back(threads);
    }
    let mut pins = Vec::with_capacity(vcpus as usize);
    for socket in 0..topo.sockets {
        let mut needed = topo.cores as usize;
        let mut taken: Vec<Vec<u32>> = Vec::with_capacity(needed);
        // The cell with the most free slots that holds the whole socket; else spill in that order.
        let mut order: Vec<(u32, usize)> = by_cell.iter().map(|(cell, q)| (*cell, q.len())).collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let whole_cell = order.iter().find(|(_, free)| *free >= needed).map(|(cell, _)| *cell);
        let cells: Vec<u32> = match whole_cell {
            Some(cell) => vec![cell],
            None => order.iter().map(|(cell, _)| *cell).collect(),
        };
        for cell in cells {
            let Some(queue) = by_cell.get_mut(&cell) else {
                continue;
            };
            while needed > 0 {
                match queue.pop_front() {
                    Some(slot) => {
                        taken.push(slot);
                        needed -= 1;
                    }
                    None => break,
                }
            }
        }
        for (core, threads) in taken.into_iter().enumerate() {
            for (thread, cpu) in threads.into_iter().enumerate() {
                // Below `vcpus` (checked above): no overflow.
                let vcpu = (socket * topo.cores + core as u32) * topo.threads + thread as u32;
                pins.push(VcpuPin {
                    vcpu,
                    cpuset: CpuSet::single(cpu),
                });
            }
        }
    }
    pins.sort_by_key(|p| p.vcpu);
    Ok(pins)
}

/// Where the emulator and IO threads go: a free physical core (all its threads) in the cell that
/// holds most of the vCPUs, outside the vCPU set; else a free core in another cell; else the host's
/// own CPU 0 core (shared with the host — the recommendation says so).
pub fn plan_housekeeping(host: &HostTopology, vcpu_cpus: &CpuSet, unavailable: &CpuSet) -> (CpuSet, bool) {
    let mut per_cell: BTreeMap<u32, usize> = BTreeMap::new();
    for id in vcpu_cpus.ids() {
        if let Some(cell) = host.cell_of_cpu(id) {
            *per_cell.entry(cell).or_default() += 1;
        }
    }
    let main_cell = per_cell
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(cell, _)| *cell);
    let blocked = unavailable.union(vcpu_cpus);
    let cores = free_cores(host, &blocked);
    let pick = cores
        .iter()
        .find(|c| Some(c.cell) == main_cell)
        .or_else(|| cores.first());
    match pick {
        Some(core) => (CpuSet::from_ids(core.threads.iter().copied()), false),
        None => (host_housekeeping(host), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(sockets: u32, cores: u32, threads: u32) -> HostTopology {
        HostTopology::synthetic(sockets, cores, threads, 64 << 20, &[])
    }

    fn topo(sockets: u32, cores: u32, threads: u32) -> CpuTopology {
        CpuTopology {
            sockets,
            cores,
            threads,
        }
    }

    fn cpus(pins: &[VcpuPin]) -> Vec<u32> {
        pins.iter().map(|p| p.cpuset.first().unwrap()).collect()
    }

    #[test]
    fn guest_threads_land_on_host_siblings_and_cpu0_stays_with_the_host() {
        let h = host(2, 8, 2);
        let pins = plan_vcpu_pins(topo(1, 2, 2), &h, &CpuSet::new()).unwrap();
        // Cell 0 has 7 free cores (core 0 = CPUs 0,16 is the host's); cell 1 has 8, so the socket
        // goes to cell 1: cores 8 (8,24) and 9 (9,25).
        assert_eq!(cpus(&pins), vec![8, 24, 9, 25]);
        assert!(pins.iter().all(|p| !p.cpuset.contains(0) && !p.cpuset.contains(16)));
    }

    #[test]
    fn two_guest_sockets_go_to_two_cells() {
        let h = host(2, 8, 2);
        let pins = plan_vcpu_pins(topo(2, 4, 2), &h, &CpuSet::new()).unwrap();
        let c = cpus(&pins);
        assert_eq!(
            &c[..8],
            &[8, 24, 9, 25, 10, 26, 11, 27],
            "socket 0 → cell 1 (more free cores)"
        );
        assert_eq!(
            &c[8..],
            &[1, 17, 2, 18, 3, 19, 4, 20],
            "socket 1 → cell 0, skipping core 0"
        );
    }

    #[test]
    fn single_thread_guests_get_whole_cores_while_they_last_then_pack() {
        let h = host(1, 4, 2);
        // 3 free cores (1,5), (2,6), (3,7): three vCPUs each get a core's first thread.
        assert_eq!(
            cpus(&plan_vcpu_pins(topo(1, 3, 1), &h, &CpuSet::new()).unwrap()),
            vec![1, 2, 3]
        );
        // Five need packing onto sibling threads.
        assert_eq!(
            cpus(&plan_vcpu_pins(topo(1, 5, 1), &h, &CpuSet::new()).unwrap()),
            vec![1, 5, 2, 6, 3]
        );
    }

    #[test]
    fn claimed_cpus_are_never_reused() {
        let h = host(1, 4, 1);
        let pins = plan_vcpu_pins(topo(1, 2, 1), &h, &CpuSet::from_ids([1])).unwrap();
        assert_eq!(cpus(&pins), vec![2, 3]);
        let err = plan_vcpu_pins(topo(1, 2, 1), &h, &CpuSet::from_ids([1, 2])).unwrap_err();
        assert_eq!(err, PlanError::NotEnoughCpus { needed: 2, free: 1 });
        assert!(err.to_string().contains("only 1 are free"));
    }

    #[test]
    fn too_many_threads_per_core_is_reported() {
        let err = plan_vcpu_pins(topo(1, 1, 2), &host(1, 4, 1), &CpuSet::new()).unwrap_err();
        assert_eq!(err, PlanError::ThreadsPerCore { guest: 2, host: 1 });
    }

    #[test]
    fn a_socket_larger_than_any_cell_spills_over() {
        let h = host(2, 4, 1);
        let pins = plan_vcpu_pins(topo(1, 6, 1), &h, &CpuSet::new()).unwrap();
        // Cell 1 has 4 free (4-7), cell 0 has 3 (1-3): all of cell 1 first, then cell 0.
        assert_eq!(cpus(&pins), vec![4, 5, 6, 7, 1, 2]);
    }

    #[test]
    fn plans_are_deterministic() {
        let h = host(2, 32, 2);
        let a = plan_vcpu_pins(topo(2, 16, 2), &h, &CpuSet::new()).unwrap();
        let b = plan_vcpu_pins(topo(2, 16, 2), &h, &CpuSet::new()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        let all: CpuSet = CpuSet::from_ids(cpus(&a));
        assert_eq!(all.len(), 64, "no CPU used twice");
    }

    #[test]
    fn housekeeping_takes_a_free_core_in_the_main_cell() {
        let h = host(2, 8, 2);
        let pins = plan_vcpu_pins(topo(1, 2, 2), &h, &CpuSet::new()).unwrap();
        let used = CpuSet::from_ids(cpus(&pins));
        let (hk, shared) = plan_housekeeping(&h, &used, &CpuSet::new());
        assert_eq!(hk.to_string(), "10,26");
        assert!(!shared);
    }

    #[test]
    fn housekeeping_falls_back_to_the_hosts_core_when_nothing_is_free() {
        let h = host(1, 4, 1);
        let used = CpuSet::from_ids([1, 2, 3]);
        let (hk, shared) = plan_housekeeping(&h, &used, &CpuSet::new());
        assert_eq!(hk.to_string(), "0");
        assert!(shared);
    }

    #[test]
    fn topologies_are_reshaped_to_fit_when_they_must() {
        let h = host(1, 4, 1);
        assert_eq!(fitted_topology(topo(1, 2, 1), &h), Some(topo(1, 2, 1)));
        assert_eq!(
            fitted_topology(topo(2, 1, 1), &h),
            Some(topo(1, 2, 1)),
            "one socket on a one-socket host"
        );
        assert_eq!(
            fitted_topology(topo(1, 1, 2), &h),
            Some(topo(1, 2, 1)),
            "no SMT on the host"
        );
        assert_eq!(fitted_topology(topo(1, 8, 1), &h), None, "8 vCPUs cannot fit 4 cores");
        let big = host(2, 8, 2);
        assert_eq!(fitted_topology(topo(4, 2, 2), &big), Some(topo(1, 8, 2)));
    }

    #[test]
    fn housekeeping_set_is_cpu0_and_siblings() {
        assert_eq!(host_housekeeping(&host(2, 8, 2)).to_string(), "0,16");
        assert_eq!(host_housekeeping(&host(1, 4, 1)).to_string(), "0");
        assert!(host_housekeeping(&HostTopology::default()).is_empty());
    }
}
