//! The CPU map: a host's topology (sockets → NUMA cells → cores → sibling threads) with, on every
//! host CPU, the VMs pinned there and how (`vcpu 3 → cpu 18`, `emulator → cpu 2`, `iothread 1 →
//! cpu 4`), the CPUs left to the host, and conflicts (two VMs on one CPU, or on sibling threads of
//! one core — what an admin checks before trusting two High Performance VMs side by side). Pure, so
//! the host page, the VM's General sub-tab and the recommendations dialog draw the same facts.

use super::cpu_set::CpuSet;
use super::host_topology::HostTopology;
use super::pinning_plan::host_housekeeping;
use super::vm_config::{IoThreadPin, VcpuPin, VmConfig};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// How many colours the map's palette has (the component holds the colours themselves).
pub const PALETTE_LEN: usize = 10;
/// Most VMs one map draws; a host with more pinned VMs than this is not one Vireo manages, and the
/// bound keeps the map's size (and the work to build it) fixed.
pub const MAX_MAP_VMS: usize = 256;

/// One VM's pins, as the map reads them from its configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmPins {
    pub id: Uuid,
    pub name: String,
    pub vcpus: Vec<VcpuPin>,
    pub emulator: Option<CpuSet>,
    pub io_threads: Vec<IoThreadPin>,
    /// CPUs known only as a set (another VM's claim as the rules see it, without its roles).
    /// Empty for every VM read from its configuration, and an empty `CpuSet` serializes as `""`,
    /// which its `Deserialize` refuses (no CPU set is empty in libvirt's syntax): left out when
    /// empty, so `host_cpu_map` and `vm_details` results reach the browser.
    #[serde(default, skip_serializing_if = "CpuSet::is_empty")]
    pub claimed: CpuSet,
}

impl VmPins {
    pub fn of(id: Uuid, name: &str, cfg: &VmConfig) -> Self {
        Self {
            id,
            name: name.to_string(),
            vcpus: cfg.cpu_pinning.clone(),
            emulator: cfg.emulator_pin.clone(),
            io_threads: cfg.io_thread_pins.clone(),
            claimed: CpuSet::new(),
        }
    }

    /// Another VM known only by the CPUs it holds (`RuleContext`'s claims).
    pub fn claim(name: &str, cpus: CpuSet) -> Self {
        Self {
            id: Uuid::nil(),
            name: name.to_string(),
            vcpus: Vec::new(),
            emulator: None,
            io_threads: Vec::new(),
            claimed: cpus,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.vcpus.is_empty() && self.emulator.is_none() && self.io_threads.is_empty() && self.claimed.is_empty()
    }

    /// Every (host CPU, role) this VM's pins name.
    fn uses(&self) -> Vec<(u32, PinRole)> {
        let mut out = Vec::new();
        for pin in &self.vcpus {
            out.extend(pin.cpuset.ids().map(|c| (c, PinRole::Vcpu(pin.vcpu))));
        }
        if let Some(e) = &self.emulator {
            out.extend(e.ids().map(|c| (c, PinRole::Emulator)));
        }
        for pin in &self.io_threads {
            out.extend(pin.cpuset.ids().map(|c| (c, PinRole::IoThread(pin.iothread))));
        }
        out.extend(self.claimed.ids().map(|c| (c, PinRole::Pinned)));
        out
    }
}

/// What a VM runs on a host CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PinRole {
    Vcpu(u32),
    Emulator,
    IoThread(u32),
    /// Held, role unknown (another VM's claim).
    Pinned,
}

impl PinRole {
    pub fn label(self, cpu: u32) -> String {
        match self {
            PinRole::Vcpu(v) => format!("vcpu {v} → cpu {cpu}"),
            PinRole::Emulator => format!("emulator → cpu {cpu}"),
            PinRole::IoThread(t) => format!("iothread {t} → cpu {cpu}"),
            PinRole::Pinned => format!("pinned → cpu {cpu}"),
        }
    }
}

/// One use of a CPU: the VM (index into `CpuMap::vms`) and its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuUse {
    pub vm: usize,
    pub role: PinRole,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapCpu {
    pub id: u32,
    pub uses: Vec<CpuUse>,
    /// Left to the host: no VM of the map pins it (on a map cut to one VM: host CPU 0 and its
    /// siblings, which the High Performance fixes keep for the host).
    pub host: bool,
    /// Two VMs on this CPU or on its core's sibling threads.
    pub conflict: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapCore {
    pub id: u32,
    /// Sibling threads, ascending by CPU id.
    pub cpus: Vec<MapCpu>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreePages {
    pub size_kib: u64,
    pub free: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapCell {
    pub id: u32,
    pub cores: Vec<MapCore>,
    /// Free huge pages (sizes above 4 KiB) of the cell.
    pub huge_pages: Vec<FreePages>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSocket {
    pub id: u32,
    pub cells: Vec<MapCell>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapVm {
    pub id: Uuid,
    pub name: String,
    /// Index into the palette; the same VM keeps its colour on every map where it is not crowded out.
    pub colour: usize,
}

/// Two or more VMs on one CPU (`cpus` = that CPU) or on one core's sibling threads (the core's CPUs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub cpus: CpuSet,
    pub vms: Vec<String>,
    pub same_cpu: bool,
}

impl Conflict {
    pub fn message(&self) -> String {
        let what = if self.same_cpu {
            "share CPU"
        } else {
            "share the core of CPUs"
        };
        format!("{} {what} {}", self.vms.join(" and "), self.cpus)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MapScope {
    /// Every VM pinned on the host: unpinned CPUs are the host's.
    Host,
    /// One VM's pins: only the host's own core (CPU 0 and its siblings) is marked as the host's.
    Vm,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuMap {
    pub sockets: Vec<MapSocket>,
    pub vms: Vec<MapVm>,
    pub conflicts: Vec<Conflict>,
    /// Pins naming CPUs the host does not have, as `vm: vcpu 3 → cpu 99`.
    pub outside: Vec<String>,
}

impl CpuMap {
    pub fn cpus(&self) -> impl Iterator<Item = &MapCpu> {
        self.sockets
            .iter()
            .flat_map(|s| s.cells.iter())
            .flat_map(|c| c.cores.iter())
            .flat_map(|c| c.cpus.iter())
    }

    pub fn cpu(&self, id: u32) -> Option<&MapCpu> {
        self.cpus().find(|c| c.id == id)
    }

    /// `vm1: vcpu 3 → cpu 18` for each use of the CPU.
    pub fn labels(&self, cpu: &MapCpu) -> Vec<String> {
        cpu.uses
            .iter()
            .map(|u| format!("{}: {}", self.vm_name(u.vm), u.role.label(cpu.id)))
            .collect()
    }

    /// The distinct VM names on the CPU, in map order.
    pub fn vm_names(&self, cpu: &MapCpu) -> Vec<String> {
        let idx: BTreeSet<usize> = cpu.uses.iter().map(|u| u.vm).collect();
        idx.into_iter().map(|i| self.vm_name(i).to_string()).collect()
    }

    pub fn vm_name(&self, index: usize) -> &str {
        self.vms.get(index).map_or("?", |v| v.name.as_str())
    }

    pub fn total_cpus(&self) -> usize {
        self.cpus().count()
    }
}

/// A palette slot from the VM id alone, so the VM's own map and the host's agree.
fn preferred_colour(id: Uuid) -> usize {
    (id.as_u128() % PALETTE_LEN as u128) as usize
}

/// Colours for the VMs (in the order given): each VM's preferred slot, or the next free one when a
/// VM earlier in the order took it; when more VMs than colours, slots repeat.
fn colours(vms: &[VmPins]) -> Vec<usize> {
    let mut taken = [false; PALETTE_LEN];
    vms.iter()
        .enumerate()
        .map(|(i, vm)| {
            if i >= PALETTE_LEN {
                return preferred_colour(vm.id);
            }
            let start = preferred_colour(vm.id);
            let slot = (0..PALETTE_LEN)
                .map(|k| (start + k) % PALETTE_LEN)
                .find(|s| !taken[*s])
                .unwrap_or(start);
            taken[slot] = true;
            slot
        })
        .collect()
}

/// Builds the map of `host` with the pins of `vms` (at most `MAX_MAP_VMS`; VMs without pins are
/// left out). VMs are ordered by name, then id, so colours and legends are stable.
pub fn build(host: &HostTopology, vms: &[VmPins], scope: MapScope) -> CpuMap {
    let mut vms: Vec<&VmPins> = vms.iter().filter(|v| !v.is_empty()).collect();
    vms.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    vms.truncate(MAX_MAP_VMS);
    let owned: Vec<VmPins> = vms.iter().map(|v| (*v).clone()).collect();
    let colour = colours(&owned);
    let map_vms: Vec<MapVm> = owned
        .iter()
        .zip(colour)
        .map(|(v, c)| MapVm {
            id: v.id,
            name: v.name.clone(),
            colour: c,
        })
        .collect();

    let known = host.cpu_ids();
    let mut uses: BTreeMap<u32, Vec<CpuUse>> = BTreeMap::new();
    let mut outside = Vec::new();
    for (i, vm) in owned.iter().enumerate() {
        for (cpu, role) in vm.uses() {
            if known.contains(cpu) {
                uses.entry(cpu).or_default().push(CpuUse { vm: i, role });
            } else {
                outside.push(format!("{}: {}", vm.name, role.label(cpu)));
            }
        }
    }
    for list in uses.values_mut() {
        list.sort_by_key(|u| (u.vm, u.role));
        list.dedup();
    }
    let vms_on = |cpu: u32| -> BTreeSet<usize> {
        uses.get(&cpu)
            .map_or_else(BTreeSet::new, |l| l.iter().map(|u| u.vm).collect())
    };
    let housekeeping = host_housekeeping(host);

    // Cores: (socket, cell, core) → threads; the same core id recurs per socket.
    let mut conflicts = Vec::new();
    let mut conflict_cpus = CpuSet::new();
    let mut sockets: BTreeMap<u32, BTreeMap<u32, BTreeMap<u32, Vec<u32>>>> = BTreeMap::new();
    for cell in &host.cells {
        for cpu in &cell.cpus {
            sockets
                .entry(cpu.socket_id)
                .or_default()
                .entry(cell.id)
                .or_default()
                .entry(cpu.core_id)
                .or_default()
                .push(cpu.id);
        }
    }
    for cells in sockets.values_mut() {
        for cores in cells.values_mut() {
            for threads in cores.values_mut() {
                threads.sort_unstable();
                let per_cpu: Vec<BTreeSet<usize>> = threads.iter().map(|t| vms_on(*t)).collect();
                for (t, on) in threads.iter().zip(&per_cpu) {
                    if on.len() > 1 {
                        conflict_cpus.insert(*t);
                        conflicts.push(Conflict {
                            cpus: CpuSet::single(*t),
                            vms: on.iter().map(|i| map_vms[*i].name.clone()).collect(),
                            same_cpu: true,
                        });
                    }
                }
                // Different VMs on different sibling threads of this core.
                let siblings_shared = per_cpu.iter().enumerate().any(|(i, a)| {
                    per_cpu
                        .iter()
                        .enumerate()
                        .any(|(j, b)| i != j && a.iter().any(|x| b.iter().any(|y| x != y)))
                });
                if siblings_shared {
                    let on_core: BTreeSet<usize> = per_cpu.iter().flatten().copied().collect();
                    for t in threads.iter() {
                        conflict_cpus.insert(*t);
                    }
                    conflicts.push(Conflict {
                        cpus: CpuSet::from_ids(threads.iter().copied()),
                        vms: on_core.iter().map(|i| map_vms[*i].name.clone()).collect(),
                        same_cpu: false,
                    });
                }
            }
        }
    }

    let sockets = sockets
        .into_iter()
        .map(|(socket, cells)| MapSocket {
            id: socket,
            cells: cells
                .into_iter()
                .map(|(cell_id, cores)| MapCell {
                    id: cell_id,
                    huge_pages: host
                        .cell(cell_id)
                        .map(|c| {
                            c.pages
                                .iter()
                                .filter(|p| p.size_kib > 4)
                                .map(|p| FreePages {
                                    size_kib: p.size_kib,
                                    free: p.free,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    cores: cores
                        .into_iter()
                        .map(|(core, threads)| MapCore {
                            id: core,
                            cpus: threads
                                .into_iter()
                                .map(|id| {
                                    let cpu_uses = uses.get(&id).cloned().unwrap_or_default();
                                    let host_cpu =
                                        cpu_uses.is_empty() && (scope == MapScope::Host || housekeeping.contains(id));
                                    MapCpu {
                                        id,
                                        uses: cpu_uses,
                                        host: host_cpu,
                                        conflict: conflict_cpus.contains(id),
                                    }
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    CpuMap {
        sockets,
        vms: map_vms,
        conflicts,
        outside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pinning::{parse_io_thread_pins, parse_vcpu_pins};
    use crate::domain::recommendations::{apply_fixes, RecommendationId};
    use crate::domain::rule_context::CpuClaim;
    use crate::domain::test_hosts::{hp_ctx, hp_topology, hp_vm, small_topology, HP_HOST};

    fn pins(id: u128, name: &str, vcpus: &str, emulator: Option<&str>, io: &str) -> VmPins {
        VmPins {
            id: Uuid::from_u128(id),
            name: name.into(),
            vcpus: parse_vcpu_pins(vcpus).unwrap_or_default(),
            emulator: emulator.and_then(|e| CpuSet::parse(e).ok()),
            io_threads: if io.is_empty() {
                Vec::new()
            } else {
                parse_io_thread_pins(io).unwrap_or_default()
            },
            claimed: CpuSet::new(),
        }
    }

    #[test]
    fn the_hp_host_map_has_sockets_cells_cores_and_sibling_threads() {
        let map = build(&hp_topology(), &[], MapScope::Host);
        assert_eq!(map.sockets.len(), 2);
        assert_eq!(map.total_cpus(), 32);
        let cell0 = &map.sockets[0].cells[0];
        assert_eq!(cell0.id, 0);
        assert_eq!(cell0.cores.len(), 8);
        let ids: Vec<u32> = cell0.cores[0].cpus.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![0, 16], "CPU 0 beside its sibling");
        assert_eq!(
            cell0.huge_pages.iter().map(|p| p.size_kib).collect::<Vec<_>>(),
            vec![2048, 1_048_576]
        );
        assert!(map.cpus().all(|c| c.host), "nothing pinned: every CPU is the host's");
        assert!(map.conflicts.is_empty());
    }

    #[test]
    fn uses_are_labelled_by_role_and_unpinned_cpus_left_to_the_host() {
        let vm = pins(1, "vm1", "0#2_1#18_3#3", Some("4"), "1#5");
        let map = build(&hp_topology(), &[vm], MapScope::Host);
        let cpu18 = map.cpu(18).expect("cpu 18");
        assert_eq!(map.labels(cpu18), vec!["vm1: vcpu 1 → cpu 18"]);
        assert_eq!(map.labels(map.cpu(4).expect("cpu")), vec!["vm1: emulator → cpu 4"]);
        assert_eq!(map.labels(map.cpu(5).expect("cpu")), vec!["vm1: iothread 1 → cpu 5"]);
        assert!(!cpu18.host);
        assert!(map.cpu(0).is_some_and(|c| c.host) && map.cpu(16).is_some_and(|c| c.host));
        assert!(
            map.conflicts.is_empty(),
            "one VM on both threads of a core is no conflict"
        );
    }

    #[test]
    fn two_vms_on_one_cpu_or_on_siblings_conflict() {
        let a = pins(1, "a", "0#2", None, "");
        let b = pins(2, "b", "0#2", None, "");
        let map = build(&hp_topology(), &[a.clone(), b], MapScope::Host);
        assert_eq!(map.conflicts.len(), 1);
        assert!(map.conflicts[0].same_cpu);
        assert_eq!(map.conflicts[0].message(), "a and b share CPU 2");
        assert!(map.cpu(2).is_some_and(|c| c.conflict));
        assert_eq!(map.vm_names(map.cpu(2).expect("cpu")), vec!["a", "b"]);

        let sibling = pins(3, "c", "0#18", None, "");
        let map = build(&hp_topology(), &[a, sibling], MapScope::Host);
        assert_eq!(map.conflicts.len(), 1);
        assert!(!map.conflicts[0].same_cpu);
        assert_eq!(map.conflicts[0].cpus.to_string(), "2,18");
        assert!(map.cpu(2).is_some_and(|c| c.conflict) && map.cpu(18).is_some_and(|c| c.conflict));
        assert!(map.cpu(3).is_some_and(|c| !c.conflict));
    }

    #[test]
    fn colours_are_stable_per_vm_and_distinct_on_one_map() {
        let a = pins(1, "a", "0#2", None, "");
        let b = pins(11, "b", "0#3", None, "");
        let alone = build(&hp_topology(), std::slice::from_ref(&a), MapScope::Vm);
        let both = build(&hp_topology(), &[b, a], MapScope::Host);
        assert_eq!(alone.vms[0].colour, both.vms[0].colour, "a keeps its colour");
        assert_ne!(both.vms[0].colour, both.vms[1].colour, "same preferred slot, moved on");
        let many: Vec<VmPins> = (0..30)
            .map(|i| pins(i, &format!("vm{i:02}"), "0#2", None, ""))
            .collect();
        let map = build(&hp_topology(), &many, MapScope::Host);
        assert!(map.vms.iter().all(|v| v.colour < PALETTE_LEN));
    }

    #[test]
    fn a_vm_map_marks_only_the_hosts_own_core() {
        let map = build(&hp_topology(), &[pins(1, "a", "0#2", None, "")], MapScope::Vm);
        let host: Vec<u32> = map.cpus().filter(|c| c.host).map(|c| c.id).collect();
        assert_eq!(host, vec![0, 16]);
    }

    #[test]
    fn pins_outside_the_host_are_listed_not_drawn() {
        let map = build(&small_topology(), &[pins(1, "a", "0#1_1#99", None, "")], MapScope::Host);
        assert_eq!(map.outside, vec!["a: vcpu 1 → cpu 99"]);
        assert_eq!(map.total_cpus(), small_topology().total_cpus());
    }

    #[test]
    fn claims_draw_as_pinned_and_vms_without_pins_are_left_out() {
        let claim = CpuClaim {
            vm_name: "other".into(),
            cpus: CpuSet::from_ids([6, 22]),
        };
        let empty = pins(9, "empty", "", None, "");
        let map = build(
            &hp_topology(),
            &[VmPins::claim(&claim.vm_name, claim.cpus), empty],
            MapScope::Host,
        );
        assert_eq!(map.vms.len(), 1);
        assert_eq!(map.labels(map.cpu(22).expect("cpu")), vec!["other: pinned → cpu 22"]);
    }

    #[test]
    fn the_computed_fixes_leave_cpu_0_and_its_sibling_to_the_host() {
        let ctx = hp_ctx();
        let vm = hp_vm(1, 4, 2, 4096);
        let fixed = apply_fixes(
            &vm,
            &ctx,
            &[RecommendationId::R1, RecommendationId::R2, RecommendationId::R3],
        );
        assert_eq!(fixed.pinned_host(), Some(HP_HOST));
        let map = build(
            &hp_topology(),
            &[VmPins::of(Uuid::from_u128(5), "hp", &fixed)],
            MapScope::Host,
        );
        assert!(map.cpu(0).is_some_and(|c| c.host && c.uses.is_empty()));
        assert!(map.cpu(16).is_some_and(|c| c.host && c.uses.is_empty()));
        let used = map.cpus().filter(|c| !c.uses.is_empty()).count();
        assert_eq!(used, fixed.claimed_cpus().len());
        assert!(map.conflicts.is_empty());
        assert!(map.outside.is_empty());
    }

    /// What the server functions send (`vm_details`, `host_cpu_map`) must read back in the
    /// browser: a VM's own pins (no claimed set), another VM's claim, and no pins at all.
    #[test]
    fn map_data_survives_the_json_round_trip() {
        let data = crate::models::CpuMapData {
            host_id: Uuid::from_u128(7),
            host_name: "hp-host".into(),
            topology: hp_topology(),
            vms: vec![
                pins(1, "own", "0#2_1#18", Some("4"), "1#5"),
                VmPins::claim("other", CpuSet::from_ids([6, 22])),
                pins(2, "unpinned", "", None, ""),
            ],
        };
        let json = serde_json::to_string(&data).expect("serializes");
        let back: crate::models::CpuMapData = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, data);
        let own = serde_json::to_value(&data.vms[0]).expect("serializes");
        assert!(own.get("claimed").is_none(), "an empty claim is left out: {own}");
    }

    #[test]
    fn many_vms_are_bounded() {
        let many: Vec<VmPins> = (0..(MAX_MAP_VMS as u128 + 50))
            .map(|i| pins(i, &format!("vm{i:04}"), "0#2", None, ""))
            .collect();
        let map = build(&hp_topology(), &many, MapScope::Host);
        assert_eq!(map.vms.len(), MAX_MAP_VMS);
    }
}
