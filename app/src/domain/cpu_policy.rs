//! CPU pinning policies at start time (issue 19): given a host's topology, the CPUs VMs already
//! running there hold, and a VM's configuration, which host CPUs the VM's vCPUs, emulator and IO
//! threads get for this start. Pure and deterministic; the server reads the holders under a lock per
//! host, calls [`start_pins`], stores the result with the running VM and releases it at stop.
//!
//! Rules (oVirt 4.5's policies, Nova's `hw:cpu_thread_policy` / `hw:emulator_threads_policy`):
//! - The host's housekeeping CPUs (CPU 0 and its siblings, as the recommendations treat them) never
//!   get a vCPU of a start-time policy, and are never *held*: emulators that `share` run there.
//! - `dedicated`: each guest core gets free sibling threads of one host core (whole free cores first,
//!   then free threads of cores another VM uses part of). All vCPUs in one NUMA cell when one has
//!   the memory (for a VM on huge pages: the free pages of its size, else the cell's memory) and
//!   whole cores for them (the fullest such cell, so big holes stay for big VMs),
//!   else one where packing fits; else over the fewest cells, most free first, with a vNUMA node
//!   per cell bound to it (`numatune`).
//! - `isolate_threads`: each vCPU gets a whole free core (its first thread); the sibling threads are
//!   left idle and count as held, so no other VM runs on them.
//! - `resize_and_pin_numa`: the vCPU count is kept; the topology becomes one guest socket per host
//!   cell used, with the host's threads per core where they divide, and one vNUMA node per socket
//!   bound to its cell; then pinned as `dedicated`, socket by socket.
//! - `manual`: the saved pins, refused when another running VM holds any of them.
//! - Emulator `share`: the housekeeping CPUs; `isolate`: one more free host CPU of its own (in the
//!   cell with most of the vCPUs). IO threads are pinned beside the emulator.

use super::cpu_set::CpuSet;
use super::host_topology::HostTopology;
use super::pinning_plan::host_housekeeping;
use super::rule_context::RuleContext;
use super::vm_config::{
    CpuPinningPolicy, CpuTopology, EmulatorThreadPolicy, IoThreadPin, VNumaNode, VcpuPin, VmConfig, MAX_VCPUS_BOUND,
};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The host CPUs one running VM holds on a host (for a start-time policy: what [`StartPins::held`]
/// said at its start).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub vm_id: Uuid,
    pub vm_name: String,
    pub cpus: CpuSet,
}

/// What a start gets: the pins (and, for `resize_and_pin_numa`, the topology) written into the
/// Domain XML for this run, and the CPUs it holds until it stops.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartPins {
    pub policy: CpuPinningPolicy,
    pub cpu: CpuTopology,
    pub vcpu_pins: Vec<VcpuPin>,
    pub emulator_pin: Option<CpuSet>,
    pub io_thread_pins: Vec<IoThreadPin>,
    /// The vNUMA nodes for this run (bound to the host cells the vCPUs landed in); empty keeps none.
    pub numa_nodes: Vec<VNumaNode>,
    /// Host CPUs no other VM may use while this one runs: vCPU pins, an isolated emulator, and for
    /// `isolate_threads` the idle siblings. Never the housekeeping CPUs.
    pub held: CpuSet,
}

impl StartPins {
    /// The configuration the Domain XML is written from for this start.
    pub fn apply(&self, cfg: &VmConfig) -> VmConfig {
        let mut out = cfg.clone();
        out.cpu = self.cpu;
        out.cpu_pinning = self.vcpu_pins.clone();
        out.emulator_pin = self.emulator_pin.clone();
        out.io_thread_pins = self.io_thread_pins.clone();
        if !self.numa_nodes.is_empty() {
            out.numa_nodes = self.numa_nodes.clone();
        }
        out
    }

    /// Every host CPU a vCPU of this run is pinned to.
    pub fn vcpu_cpus(&self) -> CpuSet {
        let mut set = CpuSet::new();
        for p in &self.vcpu_pins {
            set.extend(&p.cpuset);
        }
        set
    }
}

/// Why a start cannot get its CPUs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StartPinError {
    #[error("the CPU pinning policy is manual but no vCPU is pinned")]
    ManualWithoutPins,
    #[error("the topology needs 1 to {MAX_VCPUS_BOUND} vCPUs")]
    BadTopology,
    #[error("the guest has {guest} threads per core but the host only {host} (use resize_and_pin_numa to fit it)")]
    ThreadsPerCore { guest: u32, host: u32 },
    #[error(
        "the VM needs {needed} host CPUs of its own but only {free} are free on this host{}",
        held_by(holders, housekeeping)
    )]
    NotEnoughCpus {
        needed: u32,
        free: u32,
        holders: Vec<Holder>,
        housekeeping: CpuSet,
    },
    #[error("the saved pins use host CPUs other running VMs hold{}", held_by(holders, &CpuSet::new()))]
    Taken { holders: Vec<Holder> },
    #[error("the saved pins use host CPUs {0} this host does not have")]
    NotOnHost(CpuSet),
}

/// `: web-1 holds 2-5, web-2 holds 6-9; 0,16 are the host's` — what the message names.
fn held_by(holders: &[Holder], housekeeping: &CpuSet) -> String {
    let mut parts: Vec<String> = holders
        .iter()
        .filter(|h| !h.cpus.is_empty())
        .map(|h| format!("{} holds {}", h.vm_name, h.cpus))
        .collect();
    if !housekeeping.is_empty() {
        parts.push(format!("{housekeeping} are the host's"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(", "))
    }
}

fn difference(a: &CpuSet, b: &CpuSet) -> CpuSet {
    CpuSet::from_ids(a.ids().filter(|id| !b.contains(*id)))
}

/// A host core: its NUMA cell and sibling threads (ascending).
#[derive(Clone, Debug)]
struct Core {
    cell: u32,
    threads: Vec<u32>,
}

fn cores(host: &HostTopology) -> Vec<Core> {
    let mut map: BTreeMap<(u32, u32, u32), Vec<u32>> = BTreeMap::new();
    for cell in &host.cells {
        for cpu in &cell.cpus {
            map.entry((cell.id, cpu.socket_id, cpu.core_id))
                .or_default()
                .push(cpu.id);
        }
    }
    let mut out: Vec<Core> = map
        .into_iter()
        .map(|((cell, _, _), mut threads)| {
            threads.sort_unstable();
            Core { cell, threads }
        })
        .collect();
    out.sort_by_key(|c| (c.cell, c.threads.first().copied()));
    out
}

/// One guest core's worth of host threads in one cell.
type Slot = (u32, Vec<u32>);

/// Slots of `threads` free host threads on one core: whole free cores first (each gives its first
/// `threads` threads), then — unless `whole_only` — the free threads of cores partly in use, chunked.
/// For `isolate` every slot is a whole free core, all its threads held.
fn slots(cores: &[Core], blocked: &CpuSet, threads: usize, whole_only: bool) -> Vec<Slot> {
    let mut whole = Vec::new();
    let mut rest = Vec::new();
    for core in cores {
        let free: Vec<u32> = core.threads.iter().copied().filter(|t| !blocked.contains(*t)).collect();
        if free.len() == core.threads.len() {
            if let Some(t) = free.get(..threads) {
                whole.push((core.cell, t.to_vec()));
                if !whole_only {
                    // The rest of a whole core is usable only by packing.
                    rest.extend(free[threads..].chunks_exact(threads).map(|c| (core.cell, c.to_vec())));
                }
            }
        } else if !whole_only {
            rest.extend(free.chunks_exact(threads).map(|c| (core.cell, c.to_vec())));
        }
    }
    whole.extend(rest);
    whole
}

/// Per cell, the slots in order (whole cores before packed threads).
fn by_cell(slots: Vec<Slot>) -> BTreeMap<u32, Vec<Vec<u32>>> {
    let mut map: BTreeMap<u32, Vec<Vec<u32>>> = BTreeMap::new();
    for (cell, threads) in slots {
        map.entry(cell).or_default().push(threads);
    }
    map
}

fn cell_memory_mib(host: &HostTopology, cell: u32) -> u64 {
    host.cell(cell).map(|c| c.memory_kib / 1024).unwrap_or(0)
}

/// Per cell, how many whole free cores offer `threads` threads (the first slots `slots` lists).
fn whole_per_cell(cores: &[Core], blocked: &CpuSet, threads: usize) -> BTreeMap<u32, usize> {
    let mut out = BTreeMap::new();
    for core in cores {
        if core.threads.len() >= threads && core.threads.iter().all(|t| !blocked.contains(*t)) {
            *out.entry(core.cell).or_default() += 1;
        }
    }
    out
}

/// The one cell for all `needed` guest cores among those whose memory `fits`: by whole free cores
/// (best fit), else by packing onto free sibling threads.
fn one_cell(
    free: &BTreeMap<u32, Vec<Vec<u32>>>,
    whole: &BTreeMap<u32, usize>,
    needed: usize,
    fits: impl Fn(u32) -> bool,
) -> Option<Vec<(u32, usize)>> {
    let whole_of = |cell: u32| whole.get(&cell).copied().unwrap_or(0);
    let by_whole = free
        .keys()
        .filter(|cell| whole_of(**cell) >= needed && fits(**cell))
        .min_by_key(|cell| (whole_of(**cell), **cell));
    let packed = || {
        free.iter()
            .filter(|(cell, s)| s.len() >= needed && fits(**cell))
            .min_by_key(|(cell, s)| (s.len(), **cell))
            .map(|(cell, _)| cell)
    };
    by_whole.or_else(packed).map(|cell| vec![(*cell, needed)])
}

/// Which cells the VM's `needed` guest cores go to, and how many in each. One cell when one has the
/// memory and whole free cores for all (the one with fewest such cores that still fits: best fit,
/// so big holes stay for big VMs); else one cell where packing onto free sibling threads fits
/// (NUMA locality before SMT exclusivity, as the policy is not isolate_threads); else the fewest
/// cells, most whole cores first.
fn choose_cells(
    host: &HostTopology,
    free: &BTreeMap<u32, Vec<Vec<u32>>>,
    whole: &BTreeMap<u32, usize>,
    needed: usize,
    cfg: &VmConfig,
) -> Option<Vec<(u32, usize)>> {
    // A VM backed by huge pages goes, first of all, to a cell whose free pages hold all its memory:
    // its vCPUs then sit beside their memory. Only when no such cell has the cores does it fall back
    // to the cells' memory size (the start then takes pages from other cells, or the host refuses).
    if let Some(hp) = cfg.huge_pages {
        let pages_fit = |cell: u32| {
            host.cell(cell)
                .is_some_and(|c| c.free_pages(hp.size_kib).saturating_mul(hp.size_kib) / 1024 >= cfg.memory_mib)
        };
        if let Some(one) = one_cell(free, whole, needed, pages_fit) {
            return Some(one);
        }
    }
    let memory_fits = |cell: u32| cell_memory_mib(host, cell) >= cfg.memory_mib;
    if let Some(one) = one_cell(free, whole, needed, memory_fits) {
        return Some(one);
    }
    let whole_of = |cell: u32| whole.get(&cell).copied().unwrap_or(0);
    let mut order: Vec<(u32, usize, usize)> = free.iter().map(|(c, s)| (*c, whole_of(*c), s.len())).collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let mut left = needed;
    let mut out = Vec::new();
    for (cell, _, n) in order {
        if left == 0 {
            break;
        }
        let take = n.min(left);
        if take > 0 {
            out.push((cell, take));
            left -= take;
        }
    }
    (left == 0).then_some(out)
}

/// Splits `total` MiB over nodes in proportion to `weights`, the remainder on the first nodes.
fn split(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u64 = weights.iter().sum();
    if sum == 0 {
        return weights.iter().map(|_| 0).collect();
    }
    let mut out: Vec<u64> = weights.iter().map(|w| total * w / sum).collect();
    let mut rest = total - out.iter().sum::<u64>();
    for v in out.iter_mut() {
        if rest == 0 {
            break;
        }
        *v += 1;
        rest -= 1;
    }
    out
}

/// The vNUMA nodes for vCPUs placed in `cells` (in vCPU order): the saved nodes, each bound to the
/// cells its vCPUs landed in; or, without saved nodes, one node per cell used.
fn numa_for(cfg: &VmConfig, host: &HostTopology, pins: &[VcpuPin], fresh_per_cell: bool) -> Vec<VNumaNode> {
    let cell_of = |vcpu: u32| {
        pins.iter()
            .find(|p| p.vcpu == vcpu)
            .and_then(|p| p.cpuset.first())
            .and_then(|cpu| host.cell_of_cpu(cpu))
    };
    if !cfg.numa_nodes.is_empty() && !fresh_per_cell {
        return cfg
            .numa_nodes
            .iter()
            .map(|n| {
                let cells: BTreeSet<u32> = n.cpus.ids().filter_map(cell_of).collect();
                VNumaNode {
                    host_nodes: cells.into_iter().collect(),
                    ..n.clone()
                }
            })
            .collect();
    }
    let mut per_cell: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut order: Vec<u32> = Vec::new();
    for p in pins {
        if let Some(cell) = cell_of(p.vcpu) {
            if !per_cell.contains_key(&cell) {
                order.push(cell);
            }
            per_cell.entry(cell).or_default().push(p.vcpu);
        }
    }
    let weights: Vec<u64> = order.iter().map(|c| per_cell[c].len() as u64).collect();
    let memory = split(cfg.memory_mib, &weights);
    order
        .iter()
        .zip(memory)
        .enumerate()
        .map(|(index, (cell, memory_mib))| VNumaNode {
            index: index as u32,
            cpus: CpuSet::from_ids(per_cell[cell].iter().copied()),
            memory_mib,
            host_nodes: vec![*cell],
        })
        .collect()
}

/// The pins for starting `cfg` on `host` while `holders` run there, or `None` for the `none`
/// policy (the Domain XML is written from the saved configuration as it is).
pub fn start_pins(host: &HostTopology, holders: &[Holder], cfg: &VmConfig) -> Result<Option<StartPins>, StartPinError> {
    let policy = cfg.cpu_pinning_policy;
    if policy == CpuPinningPolicy::None {
        return Ok(None);
    }
    let housekeeping = host_housekeeping(host);
    let mut taken = CpuSet::new();
    for h in holders {
        taken.extend(&h.cpus);
    }
    if policy == CpuPinningPolicy::Manual {
        return manual(host, holders, cfg, &housekeeping).map(Some);
    }
    let vcpus = match cfg.cpu.checked_vcpus() {
        Some(v) if cfg.cpu.threads > 0 && (1..=MAX_VCPUS_BOUND).contains(&v) => v,
        _ => return Err(StartPinError::BadTopology),
    };
    let all_cores = cores(host);
    let blocked = taken.union(&housekeeping);
    let not_enough = |needed: u32, free_slots: usize, threads: usize| StartPinError::NotEnoughCpus {
        needed,
        free: u32::try_from(free_slots * threads).unwrap_or(u32::MAX),
        holders: holders.iter().filter(|h| !h.cpus.is_empty()).cloned().collect(),
        housekeeping: housekeeping.clone(),
    };
    // An isolated emulator needs one more CPU: counted up front so the message states the need.
    let emulator_extra = u32::from(cfg.emulator_thread_policy == EmulatorThreadPolicy::Isolate);
    let (topo, pins, mut held, numa) = match policy {
        CpuPinningPolicy::Dedicated => {
            let threads = cfg.cpu.threads;
            if threads > host.threads_per_core.max(1) {
                return Err(StartPinError::ThreadsPerCore {
                    guest: threads,
                    host: host.threads_per_core,
                });
            }
            let guest_cores = (vcpus / threads) as usize;
            let free = by_cell(slots(&all_cores, &blocked, threads as usize, false));
            let total: usize = free.values().map(Vec::len).sum();
            let whole = whole_per_cell(&all_cores, &blocked, threads as usize);
            let cells = choose_cells(host, &free, &whole, guest_cores, cfg)
                .ok_or_else(|| not_enough(vcpus + emulator_extra, total, threads as usize))?;
            let mut pins = Vec::with_capacity(vcpus as usize);
            let mut vcpu = 0u32;
            for (cell, n) in &cells {
                for slot in free.get(cell).into_iter().flatten().take(*n) {
                    for cpu in slot {
                        pins.push(VcpuPin {
                            vcpu,
                            cpuset: CpuSet::single(*cpu),
                        });
                        vcpu += 1;
                    }
                }
            }
            let held = CpuSet::from_ids(pins.iter().filter_map(|p| p.cpuset.first()));
            // Saved nodes are bound to their vCPUs' cells; without any, one node per cell used
            // (one cell: memory follows the vCPUs there).
            let numa = numa_for(cfg, host, &pins, false);
            (cfg.cpu, pins, held, numa)
        }
        CpuPinningPolicy::IsolateThreads => {
            let free = by_cell(slots(&all_cores, &blocked, 1, true));
            let total: usize = free.values().map(Vec::len).sum();
            let whole = whole_per_cell(&all_cores, &blocked, 1);
            let cells = choose_cells(host, &free, &whole, vcpus as usize, cfg)
                .ok_or_else(|| not_enough(vcpus + emulator_extra, total, 1))?;
            let mut pins = Vec::with_capacity(vcpus as usize);
            let mut held = CpuSet::new();
            let mut vcpu = 0u32;
            for (cell, n) in &cells {
                for slot in free.get(cell).into_iter().flatten().take(*n) {
                    let Some(first) = slot.first() else { continue };
                    pins.push(VcpuPin {
                        vcpu,
                        cpuset: CpuSet::single(*first),
                    });
                    if let Some(cpu) = host.cpu(*first) {
                        held.extend(&cpu.siblings);
                    }
                    held.insert(*first);
                    vcpu += 1;
                }
            }
            let numa = numa_for(cfg, host, &pins, false);
            (cfg.cpu, pins, held, numa)
        }
        CpuPinningPolicy::ResizeAndPinNuma => {
            let (topo, pins) = resize(host, &all_cores, &blocked, vcpus, cfg.memory_mib).ok_or_else(|| {
                let free = slots(&all_cores, &blocked, 1, false).len();
                not_enough(vcpus + emulator_extra, free, 1)
            })?;
            let held = CpuSet::from_ids(pins.iter().filter_map(|p| p.cpuset.first()));
            let numa = numa_for(cfg, host, &pins, true);
            (topo, pins, held, numa)
        }
        CpuPinningPolicy::None | CpuPinningPolicy::Manual => return Ok(None),
    };
    let emulator_pin = match cfg.emulator_thread_policy {
        EmulatorThreadPolicy::Share => housekeeping.clone(),
        EmulatorThreadPolicy::Isolate => {
            let whole_core = policy == CpuPinningPolicy::IsolateThreads;
            let cpu =
                isolated_emulator(host, &all_cores, &blocked.union(&held), &pins, whole_core).ok_or_else(|| {
                    let free = slots(&all_cores, &blocked, 1, false).len();
                    not_enough(vcpus + 1, free, 1)
                })?;
            held.insert(cpu);
            if policy == CpuPinningPolicy::IsolateThreads {
                if let Some(c) = host.cpu(cpu) {
                    held.extend(&c.siblings);
                }
            }
            CpuSet::single(cpu)
        }
    };
    let io_thread_pins = (1..=cfg.io_threads.min(MAX_VCPUS_BOUND))
        .map(|iothread| IoThreadPin {
            iothread,
            cpuset: emulator_pin.clone(),
        })
        .collect();
    Ok(Some(StartPins {
        policy,
        cpu: topo,
        vcpu_pins: pins,
        emulator_pin: Some(emulator_pin),
        io_thread_pins,
        numa_nodes: numa,
        held: difference(&held, &housekeeping),
    }))
}

fn manual(
    host: &HostTopology,
    holders: &[Holder],
    cfg: &VmConfig,
    housekeeping: &CpuSet,
) -> Result<StartPins, StartPinError> {
    if cfg.cpu_pinning.is_empty() {
        return Err(StartPinError::ManualWithoutPins);
    }
    let claimed = cfg.claimed_cpus();
    let missing = difference(&claimed, &host.cpu_ids());
    if !missing.is_empty() {
        return Err(StartPinError::NotOnHost(missing));
    }
    // Housekeeping CPUs are shared (emulators run there); every other pinned CPU is this VM's.
    let held = difference(&claimed, housekeeping);
    let clashing: Vec<Holder> = holders
        .iter()
        .filter(|h| h.cpus.intersects(&held))
        .map(|h| Holder {
            cpus: CpuSet::from_ids(h.cpus.ids().filter(|id| held.contains(*id))),
            ..h.clone()
        })
        .collect();
    if !clashing.is_empty() {
        return Err(StartPinError::Taken { holders: clashing });
    }
    Ok(StartPins {
        policy: CpuPinningPolicy::Manual,
        cpu: cfg.cpu,
        vcpu_pins: cfg.cpu_pinning.clone(),
        emulator_pin: cfg.emulator_pin.clone(),
        io_thread_pins: cfg.io_thread_pins.clone(),
        numa_nodes: cfg.numa_nodes.clone(),
        held,
    })
}

/// `resize_and_pin_numa`: for 1, 2, … cells (most free whole cores first) and the host's threads per
/// core down to 1, the first shape where each guest socket's cores fit in its own cell.
fn resize(
    host: &HostTopology,
    all_cores: &[Core],
    blocked: &CpuSet,
    vcpus: u32,
    memory_mib: u64,
) -> Option<(CpuTopology, Vec<VcpuPin>)> {
    let cell_count = host.cells.len().max(1) as u32;
    for sockets in 1..=cell_count.min(vcpus) {
        for threads in (1..=host.threads_per_core.max(1)).rev() {
            if !vcpus.is_multiple_of(sockets * threads) {
                continue;
            }
            let cores_per_socket = (vcpus / (sockets * threads)) as usize;
            let free = by_cell(slots(all_cores, blocked, threads as usize, false));
            let mut order: Vec<(u32, usize)> = free.iter().map(|(c, s)| (*c, s.len())).collect();
            order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let chosen: Vec<u32> = order
                .iter()
                .filter(|(_, n)| *n >= cores_per_socket)
                .take(sockets as usize)
                .map(|(c, _)| *c)
                .collect();
            if chosen.len() < sockets as usize {
                continue;
            }
            let per_socket_mib = memory_mib.div_ceil(u64::from(sockets));
            if sockets == 1 && cell_memory_mib(host, chosen[0]) < per_socket_mib && cell_count > 1 {
                // Memory does not fit one cell: spread over more.
                continue;
            }
            let mut pins = Vec::with_capacity(vcpus as usize);
            let mut vcpu = 0u32;
            for cell in &chosen {
                for slot in free.get(cell).into_iter().flatten().take(cores_per_socket) {
                    for cpu in slot {
                        pins.push(VcpuPin {
                            vcpu,
                            cpuset: CpuSet::single(*cpu),
                        });
                        vcpu += 1;
                    }
                }
            }
            return Some((
                CpuTopology {
                    sockets,
                    cores: cores_per_socket as u32,
                    threads,
                },
                pins,
            ));
        }
    }
    None
}

/// A free host CPU for an isolated emulator: in the cell with most of the vCPUs, a thread of a core
/// already partly in use before a whole free core (so whole cores stay for vCPUs); lowest id first.
/// With `whole_core` (isolate_threads) only a whole free core's first thread: its siblings are held.
fn isolated_emulator(
    host: &HostTopology,
    all_cores: &[Core],
    blocked: &CpuSet,
    pins: &[VcpuPin],
    whole_core: bool,
) -> Option<u32> {
    let mut per_cell: BTreeMap<u32, usize> = BTreeMap::new();
    for p in pins {
        if let Some(cell) = p.cpuset.first().and_then(|c| host.cell_of_cpu(c)) {
            *per_cell.entry(cell).or_default() += 1;
        }
    }
    let main = per_cell
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(c, _)| *c);
    let mut candidates: Vec<(bool, bool, u32)> = Vec::new();
    for core in all_cores {
        let partly = core.threads.iter().any(|t| blocked.contains(*t));
        if whole_core && partly {
            continue;
        }
        for t in core.threads.iter().filter(|t| !blocked.contains(**t)) {
            candidates.push((Some(core.cell) != main, !partly, *t));
        }
    }
    candidates.sort_unstable();
    candidates.first().map(|(_, _, t)| *t)
}

/// What a VM running without a reservation holds on `host`: its saved pins (vCPU, emulator, IO
/// threads) less the housekeeping CPUs, which are shared. For VMs started before policies existed
/// or running with the `none` policy and pins.
pub fn saved_pins_held(host: &HostTopology, cfg: &VmConfig) -> CpuSet {
    difference(&cfg.claimed_cpus(), &host_housekeeping(host))
}

/// How many more VMs of `cfg` start on `host` while `holders` run there (an HP pool's capacity per
/// host): starts simulated one after another until one cannot get its CPUs. `None` for policies
/// that hold no CPUs (`none`), and for `manual`, whose fixed pins fit once at most.
pub fn how_many_fit(host: &HostTopology, holders: &[Holder], cfg: &VmConfig) -> Option<u32> {
    if matches!(cfg.cpu_pinning_policy, CpuPinningPolicy::None) {
        return None;
    }
    let mut running = holders.to_vec();
    let bound = u32::try_from(host.total_cpus())
        .unwrap_or(u32::MAX)
        .min(MAX_VCPUS_BOUND);
    let mut n = 0;
    while n < bound {
        match start_pins(host, &running, cfg) {
            Ok(Some(pins)) if !pins.held.is_empty() => {
                running.push(Holder {
                    vm_id: Uuid::from_u128(u128::from(n) + 1),
                    vm_name: format!("#{n}"),
                    cpus: pins.held,
                });
                n += 1;
            }
            // A start that holds nothing (manual pins all on housekeeping CPUs) fits any number.
            Ok(_) => return None,
            Err(_) => break,
        }
    }
    Some(n)
}

/// What a CPU pinning policy refuses in a configuration (field errors for the dialog and REST):
/// `manual` needs pins; the start-time policies choose the vCPU, emulator and IO-thread pins
/// themselves, so saved ones would be ignored and are refused; the emulator thread policy means
/// something only under a start-time policy.
pub fn policy_errors(cfg: &VmConfig) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let policy = cfg.cpu_pinning_policy;
    match policy {
        CpuPinningPolicy::None => {}
        CpuPinningPolicy::Manual => {
            if cfg.cpu_pinning.is_empty() {
                errors.push(FieldError::new(
                    "cpu_pinning",
                    "The CPU pinning policy Manual needs a CPU Pinning Topology (or choose Dedicated to have \
                     host CPUs picked at each start).",
                ));
            }
        }
        _ => {
            let why = format!(
                "The CPU pinning policy {} picks host CPUs at each start: clear this, or choose Manual to keep fixed pins.",
                policy.label()
            );
            if !cfg.cpu_pinning.is_empty() {
                errors.push(FieldError::new("cpu_pinning", format!("CPU Pinning Topology: {why}")));
            }
            if cfg.emulator_pin.is_some() {
                errors.push(FieldError::new(
                    "emulator_pin",
                    format!("Emulator Thread Pinning: {why}"),
                ));
            }
            if !cfg.io_thread_pins.is_empty() {
                errors.push(FieldError::new("io_thread_pins", format!("IO Thread Pinning: {why}")));
            }
            if cfg.numa_nodes.iter().any(|n| !n.host_nodes.is_empty()) {
                errors.push(FieldError::new(
                    "numa_nodes",
                    format!(
                        "The CPU pinning policy {} binds the NUMA nodes to the host cells its CPUs are in at each start: \
                         leave the nodes' host cells empty.",
                        policy.label()
                    ),
                ));
            }
        }
    }
    if cfg.emulator_thread_policy == EmulatorThreadPolicy::Isolate && !is_start_time(policy) {
        errors.push(FieldError::new(
            "emulator_thread_policy",
            "Isolating the emulator thread needs a start-time CPU pinning policy (Dedicated, Isolate Threads or \
             Resize and Pin NUMA); with Manual, pin it with Emulator Thread Pinning.",
        ));
    }
    errors
}

/// Policies whose pins are chosen at each start.
pub fn is_start_time(policy: CpuPinningPolicy) -> bool {
    matches!(
        policy,
        CpuPinningPolicy::Dedicated | CpuPinningPolicy::IsolateThreads | CpuPinningPolicy::ResizeAndPinNuma
    )
}

/// How many VMs of a pool's configuration fit on one host of its cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostCapacity {
    pub host_id: Uuid,
    pub host_name: String,
    /// `None`: the policy holds no CPUs, so pinning sets no limit.
    pub fits: Option<u32>,
}

/// Per host the configuration may run on (its placement hosts, else every host of the cluster),
/// how many VMs of it start beside the VMs running there now.
pub fn pool_capacity(cfg: &VmConfig, ctx: &RuleContext) -> Vec<HostCapacity> {
    ctx.hosts
        .iter()
        .filter(|h| cfg.placement_hosts.is_empty() || cfg.placement_hosts.contains(&h.id))
        .map(|h| {
            let holders: Vec<Holder> = h
                .running
                .iter()
                .map(|c| Holder {
                    vm_id: Uuid::nil(),
                    vm_name: c.vm_name.clone(),
                    cpus: c.cpus.clone(),
                })
                .collect();
            HostCapacity {
                host_id: h.id,
                host_name: h.name.clone(),
                fits: how_many_fit(&h.topology, &holders, cfg),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "cpu_policy_tests.rs"]
mod tests;
