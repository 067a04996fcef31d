//! Hard errors: a configuration that fails any of these is never saved. Every error names the field
//! it belongs to, so the dialog marks the input and its tab and the API returns it as field data.

use super::cpu_set::CpuSet;
use super::gates::{huge_pages_blocked, profile_blocked, GateContext, PASSTHROUGH_NEEDS_PINNING};
use super::host_topology::page_size_label;
use super::network::{network_name_error, MAX_NICS};
use super::realtime::{realtime_errors, realtime_start_errors};
use super::rule_context::{HostFacts, RuleContext};
use super::storage::{DiskCache, DiskIo, MAX_DISKS};
use super::vm_config::{MigrationMode, VmConfig, MAX_MEMORY_BOUND_MIB, MAX_NUMA_NODES, MAX_VCPUS_BOUND};
use crate::error::FieldError;
use std::collections::BTreeSet;

pub const MAX_MEMORY_MIB: u64 = 4 * 1024 * 1024; // 4 TiB
/// QEMU's q35 machine type limit.
pub const MAX_VCPUS: u32 = 288;
/// oVirt's MaxIoThreadsPerVm.
pub const MAX_IO_THREADS: u32 = 127;
/// oVirt's highest HA priority (the engine's `VmPriorityMaxValue`).
pub const MAX_HA_PRIORITY: u32 = 100;

/// Most host NUMA cells one vNUMA node may name, and most placement hosts: far above any real host
/// or cluster, low enough that checking them is cheap.
pub const MAX_HOST_NODES: usize = 64;
pub const MAX_PLACEMENT_HOSTS: usize = 1000;
/// A boot sequence names each boot device at most once, and there are two (disk, CD-ROM).
pub const MAX_BOOT_DEVICES: usize = 2;

/// A configuration that passed `validate_config` against this context. Only `validate` makes one,
/// and the recommendations and their fixes take one: they assume validated bounds (vCPU counts,
/// memory sizes, page sizes) and are never computed for a configuration that failed.
#[derive(Clone, Copy, Debug)]
pub struct Validated<'a> {
    config: &'a VmConfig,
    ctx: &'a RuleContext,
}

impl<'a> Validated<'a> {
    pub fn config(&self) -> &'a VmConfig {
        self.config
    }

    pub fn ctx(&self) -> &'a RuleContext {
        self.ctx
    }
}

/// `validate_config`, as a proof the rules can build on.
pub fn validate<'a>(config: &'a VmConfig, ctx: &'a RuleContext) -> Result<Validated<'a>, Vec<FieldError>> {
    let errors = validate_config(config, ctx);
    if errors.is_empty() {
        Ok(Validated { config, ctx })
    } else {
        Err(errors)
    }
}

/// The checks whose failure makes the rest unsafe or expensive to run: every size and count a user
/// chooses, checked with plain comparisons and overflow-checked arithmetic before anything is built
/// from it. When any fails, validation stops there (pentest row 5: a preview with 200 M vCPUs built a
/// set of all their ids, 2 GB, before the vCPU limit refused it).
fn bound_errors(cfg: &VmConfig) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| errors.push(FieldError::new(field, message));
    if cfg.memory_mib == 0 || cfg.memory_mib > MAX_MEMORY_MIB {
        err(
            "memory_mib",
            format!("Memory Size must be between 1 MiB and {} MiB (4 TiB).", MAX_MEMORY_MIB),
        );
    }
    for (field, value, what) in [
        ("cpu.sockets", cfg.cpu.sockets, "Virtual sockets"),
        ("cpu.cores", cfg.cpu.cores, "Cores per virtual socket"),
        ("cpu.threads", cfg.cpu.threads, "Threads per core"),
    ] {
        if value == 0 {
            err(field, format!("{what} must be at least 1."));
        }
    }
    match cfg.cpu.checked_vcpus() {
        Some(vcpus) if vcpus <= MAX_VCPUS => {}
        vcpus => {
            let count = vcpus.map_or_else(|| format!("more than {}", u32::MAX), |v| v.to_string());
            err(
                "cpu",
                format!("A VM can have at most {MAX_VCPUS} vCPUs; this one has {count}."),
            );
        }
    }
    if cfg.ha_priority > MAX_HA_PRIORITY {
        err(
            "ha_priority",
            format!("The high availability priority is 0 to {MAX_HA_PRIORITY}."),
        );
    }
    if cfg.io_threads > MAX_IO_THREADS {
        err("io_threads", format!("At most {MAX_IO_THREADS} IO threads."));
    }
    if cfg.placement_hosts.len() > MAX_PLACEMENT_HOSTS {
        err(
            "placement_hosts",
            format!("At most {MAX_PLACEMENT_HOSTS} hosts can be listed."),
        );
    }
    if cfg.cpu_pinning.len() > MAX_VCPUS_BOUND as usize {
        err("cpu_pinning", format!("At most {MAX_VCPUS_BOUND} vCPUs can be pinned."));
    }
    if cfg.io_thread_pins.len() > MAX_IO_THREADS as usize {
        err(
            "io_thread_pins",
            format!("At most {MAX_IO_THREADS} IO threads can be pinned."),
        );
    }
    if cfg.numa_nodes.len() > MAX_NUMA_NODES {
        err("numa_nodes", format!("At most {MAX_NUMA_NODES} NUMA nodes."));
    }
    // Each node's memory on its own, then the sum without wrapping (pentest row 12: nodes of 2^63 and
    // 2^63 + 1024 MiB added up to 1024 and were saved, then started with memory="0").
    let mut total: Option<u64> = Some(0);
    for n in &cfg.numa_nodes {
        if n.memory_mib > MAX_MEMORY_MIB {
            err(
                "numa_nodes",
                format!(
                    "NUMA node {}'s memory ({} MiB) is above the VM limit of {MAX_MEMORY_MIB} MiB.",
                    n.index, n.memory_mib
                ),
            );
        }
        if n.host_nodes.len() > MAX_HOST_NODES {
            err(
                "numa_nodes",
                format!(
                    "NUMA node {} is pinned to more than {MAX_HOST_NODES} host cells.",
                    n.index
                ),
            );
        }
        total = total.and_then(|t| t.checked_add(n.memory_mib));
    }
    if !cfg.numa_nodes.is_empty() && total.is_none_or(|t| t > MAX_MEMORY_BOUND_MIB) {
        err(
            "numa_nodes",
            format!(
                "The NUMA nodes' memory adds up to more than the VM's {} MiB.",
                cfg.memory_mib
            ),
        );
    }
    // Disk lists are walked pairwise for duplicates below: bound them first.
    if cfg.disks.len() > MAX_DISKS {
        err("disks", format!("At most {MAX_DISKS} disks can be attached."));
    }
    // NIC lists are walked pairwise for duplicates below: bound them first.
    if cfg.nics.len() > MAX_NICS {
        err("nics", format!("A VM can have at most {MAX_NICS} network interfaces."));
    }
    if cfg.boot_devices.len() > MAX_BOOT_DEVICES {
        err(
            "boot_devices",
            format!("The boot sequence has at most {MAX_BOOT_DEVICES} devices."),
        );
    }
    if let Some(hp) = cfg.huge_pages {
        // Later checks divide by the size and multiply the count; bound both first.
        if hp.size_kib <= 4 || !hp.size_kib.is_power_of_two() || hp.size_kib > MAX_MEMORY_BOUND_MIB * 1024 {
            err("huge_pages", format!("{} KiB is not a huge page size.", hp.size_kib));
        }
    }
    errors
}

pub fn validate_config(cfg: &VmConfig, ctx: &RuleContext) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| errors.push(FieldError::new(field, message));
    let gate = GateContext {
        os_family: ctx.os_family,
        cluster_name: ctx.cluster.name.clone(),
        cluster_version: ctx.cluster.version,
    };

    if let Some(reason) = profile_blocked(cfg.optimized_for, &gate) {
        err("optimized_for", reason);
    }
    let bounds = bound_errors(cfg);
    if !bounds.is_empty() {
        errors.extend(bounds);
        return errors;
    }
    // From here on: 1 ≤ vCPUs ≤ MAX_VCPUS, 1 MiB ≤ memory ≤ 4 TiB, every node ≤ 4 TiB, ≤ 64 nodes,
    // a huge page size is a power of two above 4 KiB: the arithmetic below cannot overflow.
    let vcpus = cfg.vcpus();
    if cfg.cpu_passthrough && cfg.migration != MigrationMode::Pinned {
        err("cpu_passthrough", PASSTHROUGH_NEEDS_PINNING.to_string());
    }
    for e in realtime_errors(cfg) {
        err(&e.field, e.message);
    }

    // Placement: hosts of the VM's own cluster only.
    let mut seen_hosts = BTreeSet::new();
    for id in &cfg.placement_hosts {
        if !seen_hosts.insert(*id) {
            err("placement_hosts", "A host is listed twice.".into());
        } else if ctx.host(*id).is_none() {
            err(
                "placement_hosts",
                format!("The chosen host is not in cluster {}.", ctx.cluster.name),
            );
        }
    }
    let host = ctx.pinned_host(cfg);
    let host_name = host.map_or(String::new(), |h| h.name.clone());
    // The host's CPU ids once, as a set: a lookup per pinned id stays logarithmic (up to 512 pins of
    // up to 4,096 ids each would otherwise scan the host's CPU list two million times).
    let host_cpus = host.map(|h| h.topology.cpu_ids()).unwrap_or_default();
    let missing_cpus = |set: &CpuSet, _h: &HostFacts| -> Option<String> {
        let missing: Vec<u32> = set.ids().filter(|id| !host_cpus.contains(*id)).collect();
        (!missing.is_empty()).then(|| CpuSet::from_ids(missing).to_string())
    };

    // CPU pinning.
    if !cfg.cpu_pinning.is_empty() {
        if cfg.pinned_host().is_none() {
            err(
                "cpu_pinning",
                "CPU pinning needs the VM pinned to a specific host (Host tab: Start Running On).".into(),
            );
        }
        let mut seen = BTreeSet::new();
        for pin in &cfg.cpu_pinning {
            if pin.vcpu >= vcpus {
                err(
                    "cpu_pinning",
                    format!(
                        "vCPU {} is pinned but the VM has only {vcpus} vCPUs (0–{}).",
                        pin.vcpu,
                        vcpus.saturating_sub(1)
                    ),
                );
            }
            if !seen.insert(pin.vcpu) {
                err("cpu_pinning", format!("vCPU {} is pinned twice.", pin.vcpu));
            }
            if pin.cpuset.is_empty() {
                err("cpu_pinning", format!("vCPU {} is pinned to no CPU.", pin.vcpu));
            }
            if let Some(missing) = host.and_then(|h| missing_cpus(&pin.cpuset, h)) {
                err(
                    "cpu_pinning",
                    format!("Host {host_name} has no CPU {missing} (vCPU {}).", pin.vcpu),
                );
            }
        }
    }
    if let Some(emu) = &cfg.emulator_pin {
        if cfg.pinned_host().is_none() {
            err(
                "emulator_pin",
                "Emulator pinning needs the VM pinned to a specific host.".into(),
            );
        }
        if emu.is_empty() {
            err("emulator_pin", "The emulator threads are pinned to no CPU.".into());
        }
        if let Some(missing) = host.and_then(|h| missing_cpus(emu, h)) {
            err("emulator_pin", format!("Host {host_name} has no CPU {missing}."));
        }
    }
    let mut seen_io = BTreeSet::new();
    for pin in &cfg.io_thread_pins {
        if pin.iothread == 0 || pin.iothread > cfg.io_threads {
            err(
                "io_thread_pins",
                format!(
                    "IO thread {} is pinned but the VM has {} IO thread(s), numbered from 1.",
                    pin.iothread, cfg.io_threads
                ),
            );
        }
        if !seen_io.insert(pin.iothread) {
            err("io_thread_pins", format!("IO thread {} is pinned twice.", pin.iothread));
        }
        if cfg.pinned_host().is_none() {
            err(
                "io_thread_pins",
                "IO thread pinning needs the VM pinned to a specific host.".into(),
            );
        }
        if pin.cpuset.is_empty() {
            err(
                "io_thread_pins",
                format!("IO thread {} is pinned to no CPU.", pin.iothread),
            );
        }
        if let Some(missing) = host.and_then(|h| missing_cpus(&pin.cpuset, h)) {
            err("io_thread_pins", format!("Host {host_name} has no CPU {missing}."));
        }
    }

    // Huge pages.
    if let Some(hp) = cfg.huge_pages {
        // Memory is at most 4 TiB here (bound_errors), so this cannot overflow.
        let memory_kib = cfg.memory_mib.saturating_mul(1024);
        if let Some(reason) = huge_pages_blocked(&gate) {
            err("huge_pages", reason);
        } else if !memory_kib.is_multiple_of(hp.size_kib) {
            err(
                "huge_pages",
                format!(
                    "{} pages do not divide the memory ({} MiB).",
                    page_size_label(hp.size_kib),
                    cfg.memory_mib
                ),
            );
        } else if hp.count != memory_kib / hp.size_kib {
            err(
                "huge_pages",
                format!(
                    "The VM needs {} pages of {} for {} MiB, not {}.",
                    memory_kib / hp.size_kib,
                    page_size_label(hp.size_kib),
                    cfg.memory_mib,
                    hp.count
                ),
            );
        } else if let Some(h) = host {
            if !h.topology.huge_page_sizes().contains(&hp.size_kib) {
                err(
                    "huge_pages",
                    format!("Host {} offers no {} pages.", h.name, page_size_label(hp.size_kib)),
                );
            } else {
                let free = h.topology.free_pages(hp.size_kib, &[]);
                if hp.count > free {
                    err(
                        "huge_pages",
                        format!(
                            "Host {} has {free} free {} pages; this VM needs {}.",
                            h.name,
                            page_size_label(hp.size_kib),
                            hp.count
                        ),
                    );
                }
            }
        }
    }

    disk_errors(cfg, &mut err);
    nic_errors(cfg, &mut err);

    // Virtual NUMA.
    if !cfg.numa_nodes.is_empty() {
        let nodes = &cfg.numa_nodes;
        if let Some(message) = super::numa::too_many_nodes(nodes.len(), vcpus.max(1)) {
            err("numa_nodes", message);
        }
        let mut indexes: Vec<u32> = nodes.iter().map(|n| n.index).collect();
        indexes.sort_unstable();
        if indexes != (0..nodes.len() as u32).collect::<Vec<_>>() {
            err(
                "numa_nodes",
                "NUMA node numbers must run 0, 1, 2, … without gaps.".into(),
            );
        }
        let mut all = CpuSet::new();
        let mut overlap = false;
        for n in nodes {
            if n.cpus.intersects(&all) {
                overlap = true;
            }
            all.extend(&n.cpus);
            if n.memory_mib == 0 {
                err("numa_nodes", format!("NUMA node {} has no memory.", n.index));
            }
            if let Some(hp) = cfg.huge_pages {
                // The size is a power of two above 4 KiB here (bound_errors): never a remainder by
                // zero (pentest row 8: size 0 with vNUMA panicked).
                if n.memory_mib.saturating_mul(1024).checked_rem(hp.size_kib) != Some(0) {
                    err(
                        "numa_nodes",
                        format!(
                            "NUMA node {}'s memory ({} MiB) is not a multiple of the {} huge page size.",
                            n.index,
                            n.memory_mib,
                            page_size_label(hp.size_kib)
                        ),
                    );
                }
            }
            if !n.host_nodes.is_empty() && cfg.pinned_host().is_none() {
                err(
                    "numa_nodes",
                    "Pinning NUMA nodes needs the VM pinned to a specific host.".into(),
                );
            }
            if let Some(h) = host {
                for cell in &n.host_nodes {
                    if h.topology.cell(*cell).is_none() {
                        err(
                            "numa_nodes",
                            format!("Host {} has no NUMA cell {cell} (node {}).", h.name, n.index),
                        );
                    }
                }
            }
        }
        // The engine's NumaValidator on save: each vCPU in at most one node, no node past the last
        // vCPU, and no more memory than the VM's. Nodes that do not yet hold every vCPU and all the
        // memory are saved (oVirt clients add them one by one over REST); they must before the VM
        // starts (`start_errors`).
        if overlap {
            err("numa_nodes", "A vCPU can be in only one NUMA node.".into());
        }
        if all.ids().any(|c| c >= vcpus) {
            err(
                "numa_nodes",
                format!(
                    "The NUMA nodes hold vCPUs the VM does not have: it has vCPUs 0 to {}.",
                    vcpus.saturating_sub(1)
                ),
            );
        }
        // Each node is at most 4 TiB and there are at most 64 (bound_errors): no wrap.
        let total = numa_memory(cfg);
        if total > cfg.memory_mib {
            err(
                "numa_nodes",
                format!(
                    "The NUMA nodes' memory adds up to {total} MiB, more than the VM's {} MiB.",
                    cfg.memory_mib
                ),
            );
        }
    }
    errors.extend(super::cpu_policy::policy_errors(cfg));
    errors
}

fn numa_memory(cfg: &VmConfig) -> u64 {
    cfg.numa_nodes.iter().fold(0u64, |t, n| t.saturating_add(n.memory_mib))
}

/// What a saved, valid configuration must also meet to start: vNUMA nodes, when it has any, hold
/// each vCPU and all of the memory (QEMU refuses NUMA cells that do not add up to the guest). The
/// engine saves such nodes too and its VMs fail to start the same way.
pub fn start_errors(cfg: &VmConfig) -> Vec<FieldError> {
    let mut errors = realtime_start_errors(cfg);
    if cfg.numa_nodes.is_empty() {
        return errors;
    }
    // Counted, not compared with a set of 0..vcpus: this may run on a configuration that failed
    // validation, whose vCPU count is unbounded.
    let vcpus = cfg.vcpus();
    let mut all = CpuSet::new();
    let mut held = 0usize;
    for n in &cfg.numa_nodes {
        all.extend(&n.cpus);
        held = held.saturating_add(n.cpus.len());
    }
    let each_once = held == all.len() && all.len() == vcpus as usize && all.ids().all(|c| c < vcpus);
    if !each_once {
        errors.push(FieldError::new(
            "numa_nodes",
            format!("The NUMA nodes must together hold each of the {vcpus} vCPUs exactly once."),
        ));
    }
    let total = numa_memory(cfg);
    if total != cfg.memory_mib {
        errors.push(FieldError::new(
            "numa_nodes",
            format!(
                "The NUMA nodes' memory adds up to {total} MiB, not the VM's {} MiB.",
                cfg.memory_mib
            ),
        ));
    }
    errors
}

/// The disks, the CD and the boot sequence (at most `MAX_DISKS` disks here). Whether the disks
/// exist, are free to attach and hold an ISO for the CD is the service's question: it needs the
/// database.
fn disk_errors(cfg: &VmConfig, err: &mut impl FnMut(&str, String)) {
    let mut seen = BTreeSet::new();
    for (i, d) in cfg.disks.iter().enumerate() {
        let n = i + 1;
        if !seen.insert(d.disk_id) {
            err(
                &format!("disks[{i}]"),
                format!("Disk {n} is already attached to this VM."),
            );
        }
        if Some(d.disk_id) == cfg.cdrom {
            err(
                &format!("disks[{i}]"),
                format!("Disk {n} is also in the CD-ROM drive; an image is attached one way only."),
            );
        }
        if let Some(thread) = d.iothread {
            if !d.interface.is_paravirtual() {
                err(
                    &format!("disks[{i}].iothread"),
                    format!(
                        "Disk {n} is on {}: only VirtIO and VirtIO-SCSI disks can use an IO thread.",
                        d.interface.label()
                    ),
                );
            } else if thread == 0 || thread > cfg.io_threads {
                err(
                    &format!("disks[{i}].iothread"),
                    format!(
                        "Disk {n} is given IO thread {thread} but the VM has {} IO thread(s), numbered from 1.",
                        cfg.io_threads
                    ),
                );
            }
        }
        // QEMU refuses aio=native through the host page cache (it needs O_DIRECT).
        if d.io == DiskIo::Native && d.cache != DiskCache::None {
            err(
                &format!("disks[{i}].io"),
                format!(
                    "Disk {n}: native IO needs cache mode none (it is {}).",
                    d.cache.as_str()
                ),
            );
        }
    }
    // oVirt's rule: the firmware boots one disk, so only one may say it is the boot disk.
    if cfg.disks.iter().filter(|d| d.bootable).count() > 1 {
        err("disks", "Only one disk can be bootable.".into());
    }
    if cfg.boot_devices.is_empty() {
        err("boot_devices", "Choose at least one boot device.".into());
    }
    for (i, device) in cfg.boot_devices.iter().enumerate() {
        if cfg.boot_devices[..i].contains(device) {
            err(
                "boot_devices",
                format!("{} is in the boot sequence twice.", device.label()),
            );
        }
    }
}

/// The NICs (at most `MAX_NICS` here): names valid and unique, ids unique, MACs unicast, not all
/// zeros and unique within the VM. Whether a profile exists and a MAC is free across Vireo is the
/// service's question: it needs the database.
fn nic_errors(cfg: &VmConfig, err: &mut impl FnMut(&str, String)) {
    for (i, n) in cfg.nics.iter().enumerate() {
        let earlier = &cfg.nics[..i];
        if let Some(e) = network_name_error(&format!("nics[{i}].name"), "NIC", &n.name) {
            err(&e.field, e.message);
        } else if earlier.iter().any(|o| o.name == n.name) {
            err(
                &format!("nics[{i}].name"),
                format!("Another NIC of this VM is already named {}.", n.name),
            );
        }
        if earlier.iter().any(|o| o.id == n.id) {
            err(
                &format!("nics[{i}]"),
                format!("NIC {} is listed twice ({}).", i + 1, n.name),
            );
        }
        let Some(mac) = n.mac else { continue };
        let field = format!("nics[{i}].mac");
        if mac.is_multicast() {
            err(
                &field,
                format!(
                    "{}: {mac} is a multicast address; a NIC needs a unicast one (the first octet even).",
                    n.name
                ),
            );
        } else if mac.as_u64() == 0 {
            err(&field, format!("{}: {mac} is not a usable MAC address.", n.name));
        } else if let Some(other) = earlier.iter().find(|o| o.mac == Some(mac)) {
            err(
                &field,
                format!("{} has the same MAC address as {} ({mac}).", n.name, other.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::network::{MacAddress, Nic};
    use crate::domain::pinning::parse_vcpu_pins;
    use crate::domain::recommendations::{apply_fixes, RecommendationId};
    use crate::domain::storage::{high_performance_disks, BootDevice, DiskAttachment, DiskInterface};
    use crate::domain::test_hosts::*;
    use crate::domain::vm_config::*;
    use uuid::Uuid;

    /// `cfg`'s validation errors in the cluster with the HP host.
    fn errors(cfg: &VmConfig) -> Vec<FieldError> {
        validate_config(cfg, &hp_ctx())
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn pinned_hp() -> VmConfig {
        let cfg = VmConfig {
            optimized_for: OptimizedFor::HighPerformance,
            cpu: CpuTopology {
                sockets: 1,
                cores: 2,
                threads: 2,
            },
            memory_mib: 4096,
            io_threads: 1,
            cpu_passthrough: true,
            migration: MigrationMode::Pinned,
            ..VmConfig::default()
        };
        apply_fixes(&cfg, &hp_ctx(), &RecommendationId::ALL)
    }

    fn first_message(errors: &[FieldError]) -> &str {
        &errors[0].message
    }

    #[test]
    fn defaults_and_a_fully_fixed_hp_vm_are_valid() {
        assert_eq!(validate_config(&VmConfig::default(), &hp_ctx()), vec![]);
        assert_eq!(errors(&pinned_hp()), vec![]);
    }

    #[test]
    fn the_gates_are_field_errors() {
        let mut ctx = hp_ctx();
        ctx.os_family = Some(OsFamily::Windows);
        let e = validate_config(&pinned_hp(), &ctx);
        assert_eq!(fields(&e), vec!["optimized_for"]);
        assert!(first_message(&e).contains("Windows"));
        let mut old = hp_ctx();
        old.cluster.version = CompatVersion::new(4, 1);
        let e = validate_config(&pinned_hp(), &old);
        assert_eq!(fields(&e), vec!["optimized_for", "huge_pages"]);
    }

    #[test]
    fn memory_and_cpu_bounds() {
        let cfg = VmConfig {
            memory_mib: 0,
            cpu: CpuTopology {
                sockets: 0,
                cores: 1,
                threads: 1,
            },
            ..VmConfig::default()
        };
        assert_eq!(fields(&errors(&cfg)), vec!["memory_mib", "cpu.sockets"]);
        let big = VmConfig {
            memory_mib: MAX_MEMORY_MIB + 1,
            cpu: CpuTopology {
                sockets: 2,
                cores: 100,
                threads: 2,
            },
            ..VmConfig::default()
        };
        assert_eq!(fields(&errors(&big)), vec!["memory_mib", "cpu"]);
        let io = VmConfig {
            io_threads: 128,
            ..VmConfig::default()
        };
        assert_eq!(fields(&errors(&io)), vec!["io_threads"]);
    }

    #[test]
    fn pass_through_needs_migration_disabled() {
        let cfg = VmConfig {
            cpu_passthrough: true,
            migration: MigrationMode::Migratable,
            ..VmConfig::default()
        };
        let e = errors(&cfg);
        assert_eq!(fields(&e), vec!["cpu_passthrough"]);
        assert!(first_message(&e).contains("migration"));
    }

    #[test]
    fn pinning_to_a_cpu_the_host_lacks() {
        let mut cfg = pinned_hp();
        cfg.cpu_pinning = parse_vcpu_pins("0#8_1#24_2#9_3#40").unwrap();
        let e = errors(&cfg);
        assert_eq!(fields(&e), vec!["cpu_pinning"]);
        assert_eq!(first_message(&e), "Host hp1 has no CPU 40 (vCPU 3).");
    }

    #[test]
    fn more_vcpus_pinned_than_defined() {
        let mut cfg = pinned_hp();
        cfg.cpu_pinning.push(VcpuPin {
            vcpu: 4,
            cpuset: CpuSet::single(12),
        });
        let e = errors(&cfg);
        assert_eq!(first_message(&e), "vCPU 4 is pinned but the VM has only 4 vCPUs (0–3).");
        cfg.cpu_pinning.push(VcpuPin {
            vcpu: 0,
            cpuset: CpuSet::single(13),
        });
        assert!(errors(&cfg).iter().any(|e| e.message == "vCPU 0 is pinned twice."));
    }

    #[test]
    fn pins_without_a_pinned_host() {
        let mut cfg = pinned_hp();
        cfg.placement_hosts.clear();
        let f = fields(&errors(&cfg)).join(",");
        assert!(
            f.contains("cpu_pinning")
                && f.contains("emulator_pin")
                && f.contains("io_thread_pins")
                && f.contains("numa_nodes"),
            "{f}"
        );
    }

    #[test]
    fn a_pinned_host_outside_the_cluster() {
        let mut cfg = pinned_hp();
        cfg.placement_hosts = vec![SMALL_HOST];
        let e = errors(&cfg);
        assert_eq!(e[0].field, "placement_hosts");
        assert_eq!(e[0].message, "The chosen host is not in cluster Default.");
    }

    #[test]
    fn io_thread_pins_must_name_existing_threads_and_cpus() {
        let mut cfg = pinned_hp();
        cfg.io_thread_pins = vec![IoThreadPin {
            iothread: 2,
            cpuset: CpuSet::single(99),
        }];
        let e = errors(&cfg);
        assert_eq!(fields(&e), vec!["io_thread_pins", "io_thread_pins"]);
        cfg.emulator_pin = Some(CpuSet::single(64));
        assert!(errors(&cfg).iter().any(|e| e.field == "emulator_pin"));
    }

    #[test]
    fn pins_to_no_cpu_are_refused() {
        let mut cfg = pinned_hp();
        assert!(!cfg.io_thread_pins.is_empty() && !cfg.cpu_pinning.is_empty());
        cfg.io_thread_pins[0].cpuset = CpuSet::new();
        cfg.emulator_pin = Some(CpuSet::new());
        cfg.cpu_pinning[0].cpuset = CpuSet::new();
        let e = errors(&cfg);
        let messages: Vec<&str> = e.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.contains(&"IO thread 1 is pinned to no CPU."), "{e:?}");
        assert!(
            messages.contains(&"The emulator threads are pinned to no CPU."),
            "{e:?}"
        );
        assert!(messages.contains(&"vCPU 0 is pinned to no CPU."), "{e:?}");
    }

    #[test]
    fn huge_pages_that_do_not_divide_memory_or_exceed_free_pages() {
        let mut cfg = pinned_hp();
        cfg.memory_mib = 4097;
        cfg.numa_nodes[0].memory_mib = 4097;
        let e = errors(&cfg);
        assert!(
            e.iter()
                .any(|e| e.field == "huge_pages" && e.message.contains("do not divide the memory")),
            "{e:?}"
        );

        let mut cfg = pinned_hp();
        cfg.huge_pages = Some(HugePages {
            size_kib: 1_048_576,
            count: 5,
        });
        assert!(errors(&cfg)[0].message.contains("needs 4 pages of 1 GiB"));

        let mut cfg = pinned_hp();
        cfg.memory_mib = 64 * 1024;
        cfg.numa_nodes[0].memory_mib = 64 * 1024;
        cfg.huge_pages = Some(HugePages {
            size_kib: 1_048_576,
            count: 64,
        });
        let e = errors(&cfg);
        assert_eq!(first_message(&e), "Host hp1 has 32 free 1 GiB pages; this VM needs 64.");

        let mut small = pinned_hp();
        small.huge_pages = Some(HugePages {
            size_kib: 3000,
            count: 1,
        });
        assert!(errors(&small)[0].message.contains("not a huge page size"));
    }

    #[test]
    fn a_size_the_host_does_not_offer() {
        let cfg = VmConfig {
            placement_hosts: vec![SMALL_HOST],
            memory_mib: 2048,
            huge_pages: Some(HugePages {
                size_kib: 1_048_576,
                count: 2,
            }),
            ..VmConfig::default()
        };
        assert_eq!(
            first_message(&validate_config(&cfg, &small_ctx())),
            "Host small1 offers no 1 GiB pages."
        );
    }

    fn disk(n: u128, interface: DiskInterface) -> DiskAttachment {
        DiskAttachment {
            interface,
            ..DiskAttachment::new(Uuid::from_u128(n), false)
        }
    }

    #[test]
    fn well_formed_disks_a_cd_and_a_boot_sequence_are_valid() {
        let mut cfg = pinned_hp();
        cfg.disks = high_performance_disks(
            &[disk(1, DiskInterface::Virtio), disk(2, DiskInterface::VirtioScsi)],
            cfg.io_threads,
            true,
        );
        cfg.disks[0].bootable = true;
        cfg.cdrom = Some(Uuid::from_u128(9));
        cfg.boot_devices = vec![BootDevice::Cdrom, BootDevice::Hd];
        assert_eq!(errors(&cfg), vec![]);
        let mut plain = VmConfig {
            disks: vec![disk(1, DiskInterface::Sata)],
            ..VmConfig::default()
        };
        plain.disks[0].cache = DiskCache::Writethrough;
        plain.disks[0].io = DiskIo::Threads;
        assert_eq!(errors(&plain), vec![]);
    }

    #[test]
    fn too_many_disks_is_a_bound() {
        let cfg = VmConfig {
            disks: (0..=MAX_DISKS as u128)
                .map(|n| disk(n, DiskInterface::Virtio))
                .collect(),
            memory_mib: 0,
            ..VmConfig::default()
        };
        let e = errors(&cfg);
        assert_eq!(fields(&e), vec!["memory_mib", "disks"]);
        assert_eq!(e[1].message, "At most 16 disks can be attached.");
        let mut sixteen = cfg.clone();
        sixteen.memory_mib = 1024;
        sixteen.disks.pop();
        assert_eq!(errors(&sixteen), vec![]);
    }

    #[test]
    fn a_disk_attached_twice_or_also_in_the_cd_drive() {
        let cfg = VmConfig {
            disks: vec![
                disk(1, DiskInterface::Virtio),
                disk(2, DiskInterface::Sata),
                disk(1, DiskInterface::Sata),
            ],
            cdrom: Some(Uuid::from_u128(2)),
            ..VmConfig::default()
        };
        let e = errors(&cfg);
        assert_eq!(fields(&e), vec!["disks[1]", "disks[2]"]);
        assert!(e[0].message.contains("CD-ROM"), "{}", e[0].message);
        assert_eq!(e[1].message, "Disk 3 is already attached to this VM.");
    }

    #[test]
    fn io_threads_only_on_paravirtual_buses_and_only_ones_that_exist() {
        let mut cfg = VmConfig {
            io_threads: 2,
            disks: vec![
                disk(1, DiskInterface::Virtio),
                disk(2, DiskInterface::VirtioScsi),
                disk(3, DiskInterface::Sata),
                disk(4, DiskInterface::Virtio),
            ],
            ..VmConfig::default()
        };
        cfg.disks[0].iothread = Some(2);
        cfg.disks[1].iothread = Some(3);
        cfg.disks[2].iothread = Some(1);
        cfg.disks[3].iothread = Some(0);
        let e = errors(&cfg);
        assert_eq!(
            fields(&e),
            vec!["disks[1].iothread", "disks[2].iothread", "disks[3].iothread"]
        );
        assert_eq!(
            e[0].message,
            "Disk 2 is given IO thread 3 but the VM has 2 IO thread(s), numbered from 1."
        );
        assert_eq!(
            e[1].message,
            "Disk 3 is on SATA (emulated): only VirtIO and VirtIO-SCSI disks can use an IO thread."
        );
        assert!(e[2].message.contains("IO thread 0"));
        cfg.io_threads = 0;
        cfg.disks = vec![disk(1, DiskInterface::Virtio)];
        cfg.disks[0].iothread = Some(1);
        assert_eq!(fields(&errors(&cfg)), vec!["disks[0].iothread"]);
    }

    #[test]
    fn native_io_needs_cache_none() {
        let mut cfg = VmConfig {
            disks: vec![disk(1, DiskInterface::Virtio)],
            ..VmConfig::default()
        };
        cfg.disks[0].io = DiskIo::Native;
        for cache in [DiskCache::Default, DiskCache::Writeback, DiskCache::Writethrough] {
            cfg.disks[0].cache = cache;
            let e = errors(&cfg);
            assert_eq!(fields(&e), vec!["disks[0].io"], "{cache:?}");
            assert!(e[0].message.contains("cache mode none"));
        }
        cfg.disks[0].cache = DiskCache::None;
        assert_eq!(errors(&cfg), vec![]);
        cfg.disks[0].io = DiskIo::Threads;
        cfg.disks[0].cache = DiskCache::Writeback;
        assert_eq!(errors(&cfg), vec![], "threads works with any cache");
    }

    #[test]
    fn at_most_one_bootable_disk() {
        let mut cfg = VmConfig {
            disks: vec![disk(1, DiskInterface::Virtio), disk(2, DiskInterface::Virtio)],
            ..VmConfig::default()
        };
        cfg.disks[0].bootable = true;
        assert_eq!(errors(&cfg), vec![]);
        cfg.disks[1].bootable = true;
        let e = errors(&cfg);
        assert_eq!(fields(&e), vec!["disks"]);
        assert_eq!(e[0].message, "Only one disk can be bootable.");
    }

    fn nic(n: u128, name: &str, mac: Option<&str>) -> Nic {
        Nic {
            mac: mac.map(|m| MacAddress::parse(m).unwrap()),
            ..Nic::with_id(Uuid::from_u128(n), name, None)
        }
    }

    fn with_nics(nics: Vec<Nic>) -> VmConfig {
        VmConfig {
            nics,
            ..VmConfig::default()
        }
    }

    #[test]
    fn well_formed_nics_are_valid() {
        let cfg = with_nics(vec![
            nic(1, "nic1", Some("56:6f:00:00:00:01")),
            nic(2, "eth-1.backup_2", Some("02:00:00:00:00:01")),
            nic(3, "nic3", None),
        ]);
        assert_eq!(errors(&cfg), vec![]);
        let mut hp = pinned_hp();
        hp.nics = cfg.nics.clone();
        assert_eq!(errors(&hp), vec![]);
        // Unplugged and unlinked NICs are still the VM's: same rules, no others.
        let mut off = cfg.clone();
        for n in &mut off.nics {
            n.plugged = false;
            n.linked = false;
        }
        assert_eq!(errors(&off), vec![]);
    }

    #[test]
    fn at_most_sixteen_nics_is_a_bound() {
        let many = with_nics(
            (0..=MAX_NICS as u128)
                .map(|n| nic(n, &format!("nic{n}"), None))
                .collect(),
        );
        let e = errors(&many);
        assert_eq!(fields(&e), vec!["nics"], "refused by its length alone");
        assert_eq!(e[0].message, "A VM can have at most 16 network interfaces.");
        let mut sixteen = many.clone();
        sixteen.nics.pop();
        assert_eq!(errors(&sixteen), vec![]);
    }

    #[test]
    fn nic_names_are_valid_and_unique() {
        let cfg = with_nics(vec![
            nic(1, "nic1", None),
            nic(2, "", None),
            nic(3, "nic 3", None),
            nic(4, &"n".repeat(51), None),
            nic(5, "nic1", None),
        ]);
        let e = errors(&cfg);
        assert_eq!(
            fields(&e),
            vec!["nics[1].name", "nics[2].name", "nics[3].name", "nics[4].name"]
        );
        assert_eq!(e[0].message, "The NIC needs a name.");
        assert!(e[1].message.contains("not ' '"), "{}", e[1].message);
        assert!(e[2].message.contains("at most 50"), "{}", e[2].message);
        assert_eq!(e[3].message, "Another NIC of this VM is already named nic1.");
    }

    #[test]
    fn nic_ids_are_unique() {
        let cfg = with_nics(vec![nic(1, "nic1", None), nic(1, "nic2", None)]);
        let e = errors(&cfg);
        assert_eq!(fields(&e), vec!["nics[1]"]);
        assert_eq!(e[0].message, "NIC 2 is listed twice (nic2).");
    }

    #[test]
    fn macs_are_unicast_not_zero_and_unique_in_the_vm() {
        let cfg = with_nics(vec![
            nic(1, "nic1", Some("56:6f:00:00:00:01")),
            nic(2, "nic2", Some("01:00:5e:00:00:01")),
            nic(3, "nic3", Some("ff:ff:ff:ff:ff:ff")),
            nic(4, "nic4", Some("00:00:00:00:00:00")),
            nic(5, "nic5", Some("56:6F:00:00:00:01")),
            nic(6, "nic6", None),
            nic(7, "nic7", None),
        ]);
        let e = errors(&cfg);
        assert_eq!(
            fields(&e),
            vec!["nics[1].mac", "nics[2].mac", "nics[3].mac", "nics[4].mac"]
        );
        assert!(
            e[0].message
                .starts_with("nic2: 01:00:5e:00:00:01 is a multicast address"),
            "{}",
            e[0].message
        );
        assert!(e[1].message.contains("multicast"), "broadcast is multicast too");
        assert_eq!(e[2].message, "nic4: 00:00:00:00:00:00 is not a usable MAC address.");
        assert_eq!(
            e[3].message,
            "nic5 has the same MAC address as nic1 (56:6f:00:00:00:01)."
        );
        // The field errors land on the General tab, under "Network Interfaces".
        assert_eq!(
            crate::domain::fields::tab_of(&e[0].field),
            crate::domain::fields::DialogTab::General
        );
    }

    #[test]
    fn the_boot_sequence_is_short_and_has_no_repeats() {
        let with = |boot_devices: Vec<BootDevice>| VmConfig {
            boot_devices,
            ..VmConfig::default()
        };
        let e = errors(&with(vec![]));
        assert_eq!(
            (fields(&e), e[0].message.as_str()),
            (vec!["boot_devices"], "Choose at least one boot device.")
        );
        let e = errors(&with(vec![BootDevice::Hd, BootDevice::Hd]));
        assert_eq!(e[0].message, "Hard Disk is in the boot sequence twice.");
        let e = errors(&with(vec![BootDevice::Cdrom; 1000]));
        assert_eq!(
            fields(&e),
            vec!["boot_devices"],
            "a long list is refused by its length alone"
        );
        assert_eq!(e[0].message, "The boot sequence has at most 2 devices.");
        assert_eq!(errors(&with(vec![BootDevice::Cdrom])), vec![]);
    }

    /// `pinned_hp` with its vCPUs and memory split over two vNUMA nodes.
    fn two_nodes() -> VmConfig {
        let mut cfg = pinned_hp();
        cfg.numa_nodes = (0..2)
            .map(|i| VNumaNode {
                index: i,
                cpus: CpuSet::from_ids([2 * i, 2 * i + 1]),
                memory_mib: 2048,
                host_nodes: vec![1],
            })
            .collect();
        cfg
    }

    #[test]
    fn numa_nodes_must_add_up() {
        assert_eq!(start_errors(&pinned_hp()), vec![]);
        // Nodes short of the VM's memory or vCPUs save (as the engine's do: clients add them one
        // by one) but do not start.
        let mut cfg = two_nodes();
        cfg.numa_nodes[0].memory_mib = 1024;
        assert_eq!(errors(&cfg), vec![]);
        assert!(start_errors(&cfg)[0]
            .message
            .contains("adds up to 3072 MiB, not the VM's 4096 MiB"));
        let mut cfg = two_nodes();
        cfg.numa_nodes.truncate(1);
        assert_eq!(errors(&cfg), vec![]);
        let start = start_errors(&cfg);
        assert!(start[0].message.contains("each of the 4 vCPUs exactly once"));
        assert!(start[1].message.contains("not the VM's 4096 MiB"));
        // More memory than the VM's, a vCPU twice or one the VM lacks: refused on save.
        let mut cfg = two_nodes();
        cfg.numa_nodes[0].memory_mib = 4096;
        assert!(errors(&cfg)[0]
            .message
            .contains("adds up to 6144 MiB, more than the VM's 4096 MiB"));
        let mut cfg = two_nodes();
        cfg.numa_nodes[0].cpus = CpuSet::parse("0-2").unwrap();
        assert_eq!(first_message(&errors(&cfg)), "A vCPU can be in only one NUMA node.");
        let mut cfg = two_nodes();
        cfg.numa_nodes[0].cpus = CpuSet::parse("0,7").unwrap();
        assert!(errors(&cfg)[0].message.contains("vCPUs the VM does not have"));
        let mut cfg = pinned_hp();
        cfg.numa_nodes[0].index = 1;
        assert!(errors(&cfg)[0].message.contains("without gaps"));
        let mut cfg = pinned_hp();
        cfg.numa_nodes[0].host_nodes = vec![7];
        assert_eq!(first_message(&errors(&cfg)), "Host hp1 has no NUMA cell 7 (node 0).");
        let mut cfg = pinned_hp();
        cfg.numa_nodes = (0..5)
            .map(|i| VNumaNode {
                index: i,
                cpus: CpuSet::single(i.min(3)),
                memory_mib: 1,
                host_nodes: vec![],
            })
            .collect();
        assert!(errors(&cfg)
            .iter()
            .any(|e| e.message.contains("5 NUMA nodes for 4 vCPUs")));
        let mut cfg = pinned_hp();
        cfg.huge_pages = Some(HugePages {
            size_kib: 1_048_576,
            count: 4,
        });
        cfg.numa_nodes = vec![
            VNumaNode {
                index: 0,
                cpus: CpuSet::parse("0-1").unwrap(),
                memory_mib: 1536,
                host_nodes: vec![1],
            },
            VNumaNode {
                index: 1,
                cpus: CpuSet::parse("2-3").unwrap(),
                memory_mib: 2560,
                host_nodes: vec![1],
            },
        ];
        assert!(errors(&cfg)[0]
            .message
            .contains("not a multiple of the 1 GiB huge page size"));
    }
}
