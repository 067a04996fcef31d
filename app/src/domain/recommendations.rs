//! The High Performance recommendations R1–R7, evaluated when a High Performance configuration is saved.
//! Every unmet one comes with a message and, where Vireo can compute one from the host topology, a
//! fix: a patch of configuration fields (and, for huge pages, possibly a host action). Fixes are
//! computed in order on the configuration as it would be after the earlier fixes, so applying all of
//! them gives a consistent result; each patch only touches its own fields.

use super::cpu_policy::is_start_time;
use super::cpu_set::CpuSet;
use super::fields::{self, DialogTab};
use super::host_topology::page_size_label;
use super::network::{nic_names, nic_queues, virtio_nics, Nic};
use super::pinning::{format_io_thread_pins, format_vcpu_pins};
use super::pinning_plan::{fitted_topology, plan_housekeeping, plan_vcpu_pins};
use super::profile::{io_threads_text, on_off, Change};
use super::realtime::{missing_prerequisites, pinned};
use super::rule_context::{HostFacts, RuleContext};
use super::storage::{disk_tuning_text, high_performance_disks, iothread_text, DiskAttachment, DiskCache, DiskIo};
use super::string_enum::string_enum;
use super::validation::{validate, Validated};
use super::vm_config::{
    CpuPinningPolicy, CpuTopology, HugePages, IoThreadPin, MigrationMode, NumaTuneMode, OptimizedFor, VNumaNode,
    VcpuPin, VmConfig,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

string_enum! {
    /// The High Performance recommendations, by their seed numbers.
    #[derive(PartialOrd, Ord)]
    pub enum RecommendationId {
        R1 = "R1" => "R1",
        R2 = "R2" => "R2",
        R3 = "R3" => "R3",
        R4 = "R4" => "R4",
        R5 = "R5" => "R5",
        R6 = "R6" => "R6",
        R7 = "R7" => "R7",
        /// Real-time vCPUs' prerequisites (issue 19): pinned vCPUs and huge pages.
        R8 = "R8" => "R8",
    }
}

/// Fields a fix sets. `None` = untouched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPatch {
    pub placement_hosts: Option<Vec<Uuid>>,
    pub migration: Option<MigrationMode>,
    pub cpu: Option<CpuTopology>,
    pub cpu_pinning: Option<Vec<VcpuPin>>,
    pub emulator_pin: Option<CpuSet>,
    pub io_threads: Option<u32>,
    pub io_thread_pins: Option<Vec<IoThreadPin>>,
    pub numa_nodes: Option<Vec<VNumaNode>>,
    pub numa_tune_mode: Option<NumaTuneMode>,
    pub ksm_disabled: Option<bool>,
    pub huge_pages: Option<HugePages>,
    pub disks: Option<Vec<DiskAttachment>>,
    pub nics: Option<Vec<Nic>>,
    pub multi_queues_enabled: Option<bool>,
    pub cpu_pinning_policy: Option<CpuPinningPolicy>,
    /// Clears what binds the vCPUs, emulator, IO threads and vNUMA nodes to host CPUs and cells (a
    /// start-time pinning policy chooses them at each start instead).
    #[serde(default)]
    pub clear_host_pins: bool,
}

impl ConfigPatch {
    pub fn apply(&self, cfg: &mut VmConfig) {
        /// The patch's value, where it has one.
        fn set<T: Clone>(field: &mut T, patch: &Option<T>) {
            if let Some(v) = patch {
                *field = v.clone();
            }
        }
        /// The same for a field that is itself optional: a patch sets it, never clears it.
        fn set_some<T: Clone>(field: &mut Option<T>, patch: &Option<T>) {
            if patch.is_some() {
                field.clone_from(patch);
            }
        }
        set(&mut cfg.placement_hosts, &self.placement_hosts);
        set(&mut cfg.migration, &self.migration);
        set(&mut cfg.cpu, &self.cpu);
        set(&mut cfg.cpu_pinning, &self.cpu_pinning);
        set_some(&mut cfg.emulator_pin, &self.emulator_pin);
        set(&mut cfg.io_threads, &self.io_threads);
        set(&mut cfg.io_thread_pins, &self.io_thread_pins);
        set(&mut cfg.numa_nodes, &self.numa_nodes);
        set(&mut cfg.numa_tune_mode, &self.numa_tune_mode);
        set(&mut cfg.ksm_disabled, &self.ksm_disabled);
        set_some(&mut cfg.huge_pages, &self.huge_pages);
        set(&mut cfg.disks, &self.disks);
        set(&mut cfg.nics, &self.nics);
        set(&mut cfg.multi_queues_enabled, &self.multi_queues_enabled);
        set(&mut cfg.cpu_pinning_policy, &self.cpu_pinning_policy);
        if self.clear_host_pins {
            cfg.cpu_pinning.clear();
            cfg.emulator_pin = None;
            cfg.io_thread_pins.clear();
            for node in &mut cfg.numa_nodes {
                node.host_nodes.clear();
            }
        }
    }
}

/// A change on the host itself that a fix needs (kept in Vireo for simulated hosts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostAction {
    /// Reserve more huge pages on the host (`virNodeAllocPages`), per NUMA cell.
    AllocateHugePages {
        host_id: Uuid,
        host_name: String,
        size_kib: u64,
        /// (cell, pages to add)
        per_cell: Vec<(u32, u64)>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// One line for the button's neighbourhood: what applying it does.
    pub summary: String,
    pub patch: ConfigPatch,
    pub host_action: Option<HostAction>,
    /// The field changes the patch makes, old → new, for the dialog.
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub id: RecommendationId,
    pub title: String,
    pub message: String,
    pub tab: DialogTab,
    pub fix: Option<Fix>,
    /// A second way to meet it, offered beside `fix` (R1: dedicated CPUs at each start instead of
    /// pinning now). `apply_fixes` and the review's first button apply `fix`.
    #[serde(default)]
    pub alternative: Option<Fix>,
}

/// Every unmet recommendation for `cfg` (empty unless it is High Performance). A configuration that
/// fails validation gets none: its errors come first, and the fixes are only computed from
/// validated numbers (pentest row 8: fixes for a 0-thread or 0-KiB-page configuration panicked).
pub fn recommendations(cfg: &VmConfig, ctx: &RuleContext) -> Vec<Recommendation> {
    match validate(cfg, ctx) {
        Ok(valid) => recommendations_for(valid),
        Err(_) => Vec::new(),
    }
}

/// Every unmet recommendation for a validated configuration.
pub fn recommendations_for(valid: Validated<'_>) -> Vec<Recommendation> {
    let (cfg, ctx) = (valid.config(), valid.ctx());
    if cfg.optimized_for != OptimizedFor::HighPerformance {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut projected = cfg.clone();
    for check in [
        r1_cpu_pinning,
        r2_io_thread_pinning,
        r3_numa,
        r4_ksm,
        r5_huge_pages,
        r6_disks,
        r7_nics,
    ] {
        if let Some(rec) = check(&projected, ctx) {
            if let Some(fix) = &rec.fix {
                fix.patch.apply(&mut projected);
            }
            out.push(rec);
        }
    }
    if let Some(rec) = r8_realtime(cfg, &out) {
        out.push(rec);
    }
    out
}

/// Applies the fixes of the given recommendations (in R order), as the dialog's "Apply fix" does. A
/// configuration that fails validation has no recommendations, so it comes back unchanged (and its
/// save then reports the errors).
pub fn apply_fixes(cfg: &VmConfig, ctx: &RuleContext, which: &[RecommendationId]) -> VmConfig {
    let mut out = cfg.clone();
    for rec in recommendations(cfg, ctx) {
        if which.contains(&rec.id) {
            if let Some(fix) = rec.fix {
                fix.patch.apply(&mut out);
            }
        }
    }
    out
}

impl ConfigPatch {
    /// This patch with `other`'s fields laid over it (the fixes R8 combines touch different fields).
    fn merged(mut self, other: &ConfigPatch) -> Self {
        fn take<T: Clone>(field: &mut Option<T>, other: &Option<T>) {
            if other.is_some() {
                field.clone_from(other);
            }
        }
        take(&mut self.placement_hosts, &other.placement_hosts);
        take(&mut self.migration, &other.migration);
        take(&mut self.cpu, &other.cpu);
        take(&mut self.cpu_pinning, &other.cpu_pinning);
        take(&mut self.emulator_pin, &other.emulator_pin);
        take(&mut self.io_threads, &other.io_threads);
        take(&mut self.io_thread_pins, &other.io_thread_pins);
        take(&mut self.numa_nodes, &other.numa_nodes);
        take(&mut self.numa_tune_mode, &other.numa_tune_mode);
        take(&mut self.ksm_disabled, &other.ksm_disabled);
        take(&mut self.huge_pages, &other.huge_pages);
        take(&mut self.disks, &other.disks);
        take(&mut self.nics, &other.nics);
        take(&mut self.multi_queues_enabled, &other.multi_queues_enabled);
        self
    }
}

/// R8: real-time vCPUs start only pinned and on huge pages (`realtime::realtime_start_errors`).
/// Its fix is the fixes of R1 (pinning) and R5 (huge pages) this configuration got, for what
/// real-time lacks, in one click; without them, it says what to set by hand.
fn r8_realtime(cfg: &VmConfig, earlier: &[Recommendation]) -> Option<Recommendation> {
    let missing = missing_prerequisites(cfg);
    if missing.is_empty() {
        return None;
    }
    let mask = cfg.realtime_vcpus.as_ref().map(|m| m.to_string()).unwrap_or_default();
    let fix_of = |id: RecommendationId| earlier.iter().find(|r| r.id == id).and_then(|r| r.fix.clone());
    let mut parts: Vec<Fix> = Vec::new();
    let mut unfixed = Vec::new();
    if !pinned(cfg) {
        match fix_of(RecommendationId::R1) {
            Some(fix) => parts.push(fix),
            None => unfixed.push("pin the vCPUs (CPU Pinning Topology) or choose a CPU pinning policy"),
        }
    }
    if cfg.huge_pages.is_none() {
        match fix_of(RecommendationId::R5) {
            Some(fix) => parts.push(fix),
            None => unfixed.push("set Huge Pages to a size the host has free"),
        }
    }
    let message = format!(
        "Real-time vCPUs {mask} need {}: a SCHED_FIFO vCPU on shared host CPUs starves what else runs there, and one waiting on a page fault is no longer real time.",
        missing.join(" and ")
    );
    let fix = (unfixed.is_empty() && !parts.is_empty()).then(|| Fix {
        summary: parts.iter().map(|f| f.summary.as_str()).collect::<Vec<_>>().join("; "),
        patch: parts
            .iter()
            .fold(ConfigPatch::default(), |patch, f| patch.merged(&f.patch)),
        host_action: parts.iter().find_map(|f| f.host_action.clone()),
        changes: parts.iter().flat_map(|f| f.changes.clone()).collect(),
    });
    let message = if unfixed.is_empty() {
        message
    } else {
        format!("{message} Vireo cannot compute it here: {}.", unfixed.join("; "))
    };
    Some(Recommendation::new(
        RecommendationId::R8,
        "Real-time vCPUs",
        DialogTab::ResourceAllocation,
        message,
        fix,
    ))
}

fn topo_text(t: CpuTopology) -> String {
    format!("{} × {} × {}", t.sockets, t.cores, t.threads)
}

/// A formatted value for a change's "old" side: "—" when there is none.
fn or_dash(text: String) -> String {
    if text.is_empty() {
        "—".into()
    } else {
        text
    }
}

/// Said after a fix's summary when the housekeeping CPUs share a core with the host.
fn shared_note(shared: bool) -> &'static str {
    if shared {
        " (shared with the host: no free core is left)"
    } else {
        ""
    }
}

fn huge_pages_text(huge_pages: Option<HugePages>) -> String {
    huge_pages.map_or("off".into(), |h| {
        format!("{} × {}", h.count, page_size_label(h.size_kib))
    })
}

impl Fix {
    /// A fix that changes the configuration only (no host action).
    fn config(summary: String, patch: ConfigPatch, changes: Vec<Change>) -> Self {
        Self {
            summary,
            patch,
            host_action: None,
            changes,
        }
    }
}

impl Recommendation {
    fn new(id: RecommendationId, title: &str, tab: DialogTab, message: String, fix: Option<Fix>) -> Self {
        Self {
            id,
            title: title.into(),
            message,
            tab,
            fix,
            alternative: None,
        }
    }
}

/// The message, with what to do first when there is no fix.
fn unless_fixed(message: String, fix: &Option<Fix>, do_first: &str) -> String {
    match fix {
        Some(_) => message,
        None => format!("{message} {do_first}"),
    }
}

/// Hosts with the most free CPUs first (ties by name): where R1 pins a VM that has no host yet.
fn best_host<'a>(cfg: &VmConfig, ctx: &'a RuleContext) -> Option<(&'a HostFacts, CpuTopology, Vec<VcpuPin>)> {
    let mut candidates: Vec<(&HostFacts, CpuTopology, Vec<VcpuPin>, usize)> = ctx
        .hosts
        .iter()
        .filter_map(|h| {
            let topo = fitted_topology(cfg.cpu, &h.topology)?;
            let pins = plan_vcpu_pins(topo, &h.topology, &h.claimed_cores()).ok()?;
            // Claims can name CPUs the topology lacks (it may have changed since): never underflow.
            let free = h.topology.total_cpus().saturating_sub(h.claimed_cores().len());
            Some((h, topo, pins, free))
        })
        .collect();
    candidates.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.name.cmp(&b.0.name)));
    candidates.into_iter().next().map(|(h, t, p, _)| (h, t, p))
}

fn r1_cpu_pinning(cfg: &VmConfig, ctx: &RuleContext) -> Option<Recommendation> {
    // A start-time policy pins the vCPUs and the emulator on whichever host the VM starts.
    if is_start_time(cfg.cpu_pinning_policy) {
        return None;
    }
    let vcpus = cfg.vcpus();
    let rec = |message: String, fix: Option<Fix>| Recommendation {
        alternative: dedicated_fix(cfg),
        ..Recommendation::new(
            RecommendationId::R1,
            "CPU pinning",
            DialogTab::ResourceAllocation,
            message,
            fix,
        )
    };

    let Some(host) = ctx.pinned_host(cfg) else {
        // No host yet: pick the one with the most room and pin there.
        let message =
            "The VM is not pinned to a specific host, so its vCPUs cannot be pinned to host CPUs.".to_string();
        return Some(match best_host(cfg, ctx) {
            Some((host, topo, pins)) => rec(message, Some(pinning_fix(cfg, host, topo, pins))),
            None => rec(
                format!(
                    "{message} No host in cluster {} has {vcpus} free CPUs for it; free some, or lower the vCPU count.",
                    ctx.cluster.name
                ),
                None,
            ),
        });
    };

    let t = &host.topology;
    let fits =
        cfg.cpu.sockets <= t.sockets && cfg.cpu.cores <= t.cores_per_socket && cfg.cpu.threads <= t.threads_per_core;
    let pinned: Vec<u32> = cfg.cpu_pinning.iter().map(|p| p.vcpu).collect();
    let complete = (0..vcpus).all(|v| pinned.contains(&v)) && cfg.cpu_pinning.iter().all(|p| p.vcpu < vcpus);
    let holders = host.holders_of(&cfg.pinned_cpus());
    let mut problems = Vec::new();
    if !fits {
        problems.push(format!(
            "the guest topology ({} sockets × cores × threads) does not fit host {} ({})",
            topo_text(cfg.cpu),
            host.name,
            topo_text(CpuTopology {
                sockets: t.sockets,
                cores: t.cores_per_socket,
                threads: t.threads_per_core
            })
        ));
    }
    if !complete {
        problems.push(if cfg.cpu_pinning.is_empty() {
            "no CPU pinning topology is set".to_string()
        } else {
            format!("the CPU pinning does not pin each of the {vcpus} vCPUs exactly once")
        });
    }
    if !holders.is_empty() {
        problems.push(format!("its pinned CPUs are also held by {}", holders.join(", ")));
    }
    if problems.is_empty() {
        if cfg.emulator_pin.is_some() {
            return None;
        }
        // Pinning is complete: only the emulator threads are missing.
        let (hk, shared) = plan_housekeeping(t, &cfg.pinned_cpus(), &host.claimed_cores());
        let patch = ConfigPatch {
            emulator_pin: Some(hk.clone()),
            ..ConfigPatch::default()
        };
        let changes = vec![Change::new(
            "emulator_pin",
            "—".into(),
            hk.to_string(),
            "Emulator threads off the vCPUs",
        )];
        return Some(rec(
            "The vCPUs are pinned but the emulator threads are not (emulatorpin).".into(),
            Some(Fix::config(
                format!("Pin the emulator threads to host CPUs {hk}{}", shared_note(shared)),
                patch,
                changes,
            )),
        ));
    }
    let message = format!("On host {}: {}.", host.name, problems.join("; "));
    let fix = fitted_topology(cfg.cpu, t)
        .and_then(|topo| {
            // Re-plan from scratch, keeping clear of other VMs (not of this VM's own old pins).
            plan_vcpu_pins(topo, t, &host.claimed_cores())
                .ok()
                .map(|pins| (topo, pins))
        })
        .map(|(topo, pins)| pinning_fix(cfg, host, topo, pins));
    let message = match &fix {
        Some(_) => message,
        None => format!("{message} Vireo cannot fit {vcpus} vCPUs on {}'s free CPUs.", host.name),
    };
    Some(rec(message, fix))
}

/// R1's other way: no fixed pins, but host CPUs of its own picked at each start (the `dedicated`
/// policy), on whichever host of the cluster it starts.
fn dedicated_fix(cfg: &VmConfig) -> Option<Fix> {
    if cfg.cpu_pinning_policy == CpuPinningPolicy::Dedicated {
        return None;
    }
    let mut changes = vec![Change::new(
        "cpu_pinning_policy",
        cfg.cpu_pinning_policy.label().into(),
        CpuPinningPolicy::Dedicated.label().into(),
        "Free host CPUs picked at each start and released at stop; no host needs pinning",
    )];
    if !cfg.cpu_pinning.is_empty() {
        changes.push(Change::new(
            "cpu_pinning",
            format_vcpu_pins(&cfg.cpu_pinning),
            "—".into(),
            "Chosen at each start instead",
        ));
    }
    if let Some(e) = &cfg.emulator_pin {
        changes.push(Change::new(
            "emulator_pin",
            e.to_string(),
            "—".into(),
            "With the host's housekeeping CPUs at each start",
        ));
    }
    if !cfg.io_thread_pins.is_empty() {
        changes.push(Change::new(
            "io_thread_pins",
            format_io_thread_pins(&cfg.io_thread_pins),
            "—".into(),
            "Beside the emulator at each start",
        ));
    }
    Some(Fix::config(
        "Dedicated CPUs at each start: Vireo picks free host CPUs when the VM starts and releases them at stop".into(),
        ConfigPatch {
            cpu_pinning_policy: Some(CpuPinningPolicy::Dedicated),
            clear_host_pins: true,
            ..ConfigPatch::default()
        },
        changes,
    ))
}

fn pinning_fix(cfg: &VmConfig, host: &HostFacts, topo: CpuTopology, pins: Vec<VcpuPin>) -> Fix {
    let vcpu_cpus = CpuSet::from_ids(pins.iter().flat_map(|p| p.cpuset.ids().collect::<Vec<_>>()));
    let (hk, shared) = plan_housekeeping(&host.topology, &vcpu_cpus, &host.claimed_cores());
    let mut patch = ConfigPatch {
        cpu_pinning: Some(pins.clone()),
        emulator_pin: Some(hk.clone()),
        ..ConfigPatch::default()
    };
    let mut changes = Vec::new();
    if cfg.cpu_pinning_policy != CpuPinningPolicy::Manual {
        patch.cpu_pinning_policy = Some(CpuPinningPolicy::Manual);
        changes.push(Change::new(
            "cpu_pinning_policy",
            cfg.cpu_pinning_policy.label().into(),
            CpuPinningPolicy::Manual.label().into(),
            "Fixed pins, saved with the VM",
        ));
    }
    if cfg.pinned_host() != Some(host.id) {
        patch.placement_hosts = Some(vec![host.id]);
        changes.push(Change::new(
            "placement_hosts",
            if cfg.placement_hosts.is_empty() {
                "Any host in cluster".into()
            } else {
                "other host".into()
            },
            format!("Specific host: {}", host.name),
            "Pinning needs one specific host",
        ));
    }
    if cfg.migration != MigrationMode::Pinned {
        patch.migration = Some(MigrationMode::Pinned);
        changes.push(Change::new(
            "migration",
            cfg.migration.label().into(),
            MigrationMode::Pinned.label().into(),
            "A pinned VM stays on its host",
        ));
    }
    if topo != cfg.cpu {
        patch.cpu = Some(topo);
        changes.push(Change::new(
            "cpu",
            topo_text(cfg.cpu),
            topo_text(topo),
            "Same vCPU count, shaped to fit the host's sockets, cores and threads",
        ));
    }
    changes.push(Change::new(
        "cpu_pinning",
        or_dash(format_vcpu_pins(&cfg.cpu_pinning)),
        format_vcpu_pins(&pins),
        "Every vCPU on its own host CPU, guest threads on host sibling threads",
    ));
    changes.push(Change::new(
        "emulator_pin",
        cfg.emulator_pin.as_ref().map_or("—".into(), |e| e.to_string()),
        hk.to_string(),
        "Emulator threads off the vCPUs",
    ));
    Fix::config(
        format!(
            "Pin {} vCPUs to host {} CPUs {} and the emulator threads to {}{}",
            pins.len(),
            host.name,
            vcpu_cpus,
            hk,
            shared_note(shared)
        ),
        patch,
        changes,
    )
}

fn r2_io_thread_pinning(cfg: &VmConfig, ctx: &RuleContext) -> Option<Recommendation> {
    // A start-time policy pins the IO threads beside the emulator at each start.
    if is_start_time(cfg.cpu_pinning_policy) && cfg.io_threads > 0 {
        return None;
    }
    let threads = cfg.io_threads.max(1);
    let all_pinned =
        cfg.io_threads > 0 && (1..=cfg.io_threads).all(|i| cfg.io_thread_pins.iter().any(|p| p.iothread == i));
    let host = ctx.pinned_host(cfg);
    let outside = host.is_none_or(|_| {
        cfg.io_thread_pins
            .iter()
            .all(|p| !p.cpuset.intersects(&cfg.pinned_cpus()))
    });
    if all_pinned && outside {
        return None;
    }
    let message = if cfg.io_threads == 0 {
        "IO threads are off; High Performance VMs run disk IO in a pinned IO thread.".to_string()
    } else if !all_pinned {
        "The IO threads are not pinned to host CPUs (iothreadpin).".to_string()
    } else {
        "The IO threads are pinned onto the vCPUs' own CPUs.".to_string()
    };
    let fix = host.filter(|_| !cfg.cpu_pinning.is_empty()).map(|host| {
        let (hk, shared) = plan_housekeeping(&host.topology, &cfg.pinned_cpus(), &host.claimed_cores());
        let pins: Vec<IoThreadPin> = (1..=threads)
            .map(|iothread| IoThreadPin {
                iothread,
                cpuset: hk.clone(),
            })
            .collect();
        let mut changes = Vec::new();
        let mut patch = ConfigPatch {
            io_thread_pins: Some(pins.clone()),
            ..ConfigPatch::default()
        };
        if cfg.io_threads == 0 {
            patch.io_threads = Some(1);
            changes.push(Change::new("io_threads", "off".into(), "1".into(), "One IO thread"));
        }
        changes.push(Change::new(
            "io_thread_pins",
            or_dash(format_io_thread_pins(&cfg.io_thread_pins)),
            format_io_thread_pins(&pins),
            "Outside the vCPU set, in the vCPUs' NUMA cell",
        ));
        Fix::config(
            format!(
                "Pin {} IO thread{} to host CPUs {hk}{}",
                threads,
                if threads == 1 { "" } else { "s" },
                shared_note(shared)
            ),
            patch,
            changes,
        )
    });
    let message = unless_fixed(message, &fix, "Pin the vCPUs to a host first (CPU pinning).");
    Some(Recommendation::new(
        RecommendationId::R2,
        "IO thread pinning",
        DialogTab::ResourceAllocation,
        message,
        fix,
    ))
}

/// Splits `total` MiB over nodes in proportion to their vCPU counts, in whole GiB when that works
/// (so 1 GiB pages can back every node), else in 2 MiB steps.
pub fn split_memory(total_mib: u64, weights: &[u64]) -> Vec<u64> {
    let sum = weights.iter().fold(0u64, |a, w| a.saturating_add(*w));
    if weights.is_empty() || sum == 0 {
        return Vec::new();
    }
    let unit = if total_mib.is_multiple_of(1024) && total_mib / 1024 >= weights.len() as u64 {
        1024
    } else if total_mib.is_multiple_of(2) && total_mib / 2 >= weights.len() as u64 {
        2
    } else {
        1
    };
    let units = total_mib / unit;
    // In u128: units × weight cannot overflow, and each share is at most `units` (weight ≤ sum).
    let mut out: Vec<u64> = weights
        .iter()
        .map(|w| {
            let share = (u128::from(units) * u128::from(*w) / u128::from(sum)) as u64;
            share.max(1).saturating_mul(unit)
        })
        .collect();
    // The last node takes what rounding left over (or gave too much).
    if let Some((last, rest)) = out.split_last_mut() {
        let assigned = rest.iter().fold(0u64, |a, n| a.saturating_add(*n));
        *last = total_mib.saturating_sub(assigned);
    }
    out
}

fn r3_numa(cfg: &VmConfig, ctx: &RuleContext) -> Option<Recommendation> {
    // A start-time policy binds vNUMA to the host cells its CPUs land in, at each start.
    if is_start_time(cfg.cpu_pinning_policy) {
        return None;
    }
    let host = ctx.pinned_host(cfg);
    let pinned_nodes = !cfg.numa_nodes.is_empty() && cfg.numa_nodes.iter().all(|n| !n.host_nodes.is_empty());
    let fits = host.is_some_and(|h| {
        cfg.numa_nodes.iter().all(|n| {
            let cells_kib = n
                .host_nodes
                .iter()
                .filter_map(|c| h.topology.cell(*c))
                .fold(0u64, |a, c| a.saturating_add(c.memory_kib));
            let cells_exist = n.host_nodes.iter().all(|c| h.topology.cell(*c).is_some());
            // The node's vCPUs run on CPUs of its host cells.
            let cpus_local = n.cpus.ids().all(|v| {
                cfg.cpu_pinning.iter().find(|p| p.vcpu == v).is_none_or(|p| {
                    p.cpuset
                        .ids()
                        .all(|cpu| h.topology.cell_of_cpu(cpu).is_some_and(|c| n.host_nodes.contains(&c)))
                })
            });
            cells_exist && n.memory_mib.saturating_mul(1024) <= cells_kib && cpus_local
        })
    });
    if pinned_nodes && fits {
        return None;
    }
    let message = if cfg.numa_nodes.is_empty() {
        "Virtual NUMA is not configured; the guest cannot see which memory is local to its vCPUs.".to_string()
    } else if !pinned_nodes {
        "The virtual NUMA nodes are not pinned to host NUMA cells.".to_string()
    } else {
        "The virtual NUMA nodes do not match the host cells their vCPUs run on.".to_string()
    };
    let fix = host.filter(|_| !cfg.cpu_pinning.is_empty()).and_then(|host| {
        // One node per host cell the vCPUs use, in vCPU order.
        let mut by_cell: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for pin in &cfg.cpu_pinning {
            let cell = pin.cpuset.first().and_then(|cpu| host.topology.cell_of_cpu(cpu))?;
            by_cell.entry(cell).or_default().push(pin.vcpu);
        }
        let mut groups: Vec<(u32, Vec<u32>)> = by_cell.into_iter().collect();
        groups.sort_by_key(|(_, vcpus)| vcpus.iter().min().copied());
        let weights: Vec<u64> = groups.iter().map(|(_, v)| v.len() as u64).collect();
        let memory = split_memory(cfg.memory_mib, &weights);
        let nodes: Vec<VNumaNode> = groups
            .iter()
            .zip(memory)
            .enumerate()
            .map(|(index, ((cell, vcpus), memory_mib))| VNumaNode {
                index: index as u32,
                cpus: CpuSet::from_ids(vcpus.iter().copied()),
                memory_mib,
                host_nodes: vec![*cell],
            })
            .collect();
        let node_count = nodes.len();
        let describe = nodes
            .iter()
            .map(|n| {
                format!(
                    "node {} (vCPUs {}, {} MiB) → cell {}",
                    n.index, n.cpus, n.memory_mib, n.host_nodes[0]
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        Some(Fix::config(
            format!("Mirror the host cells the vCPUs use: {describe}; memory strictly local"),
            ConfigPatch {
                numa_nodes: Some(nodes),
                numa_tune_mode: Some(NumaTuneMode::Strict),
                ..ConfigPatch::default()
            },
            vec![
                Change::new(
                    "numa_nodes",
                    format!("{} nodes", cfg.numa_nodes.len()),
                    format!("{node_count} nodes: {describe}"),
                    "vNUMA mirrors the host cells",
                ),
                Change::new(
                    "numa_tune_mode",
                    cfg.numa_tune_mode.as_str().into(),
                    "strict".into(),
                    "Memory only from the pinned cells",
                ),
            ],
        ))
    });
    let message = unless_fixed(message, &fix, "Pin the vCPUs to a host first (CPU pinning).");
    Some(Recommendation::new(
        RecommendationId::R3,
        "Virtual NUMA",
        DialogTab::Host,
        message,
        fix,
    ))
}

fn r4_ksm(cfg: &VmConfig, ctx: &RuleContext) -> Option<Recommendation> {
    let host_off = ctx.pinned_host(cfg).is_some_and(|h| h.ksm_running == Some(false));
    if cfg.ksm_disabled || !ctx.cluster.ksm_enabled || host_off {
        return None;
    }
    Some(Recommendation {
        id: RecommendationId::R4,
        title: "Kernel same-page merging (KSM)".into(),
        message: format!(
            "KSM is enabled for cluster {}: the host may merge this VM's memory pages with others', which costs latency. \
             Disable it for this VM, for the cluster (Optimization tab) or on the host.",
            ctx.cluster.name
        ),
        tab: DialogTab::ResourceAllocation,
        alternative: None,
        fix: Some(Fix::config(
            "Disable KSM for this VM (nosharepages)".into(),
            ConfigPatch { ksm_disabled: Some(true), ..ConfigPatch::default() },
            vec![Change::new("ksm_disabled", on_off(false), on_off(true), "This VM's pages are never merged")],
        )),
    })
}

/// Pages of `size` needed per host cell: per vNUMA node when the nodes are pinned, else the whole
/// memory from any cell (`None` key = anywhere).
fn page_demand(cfg: &VmConfig, size_kib: u64) -> Option<BTreeMap<Option<u32>, u64>> {
    let memory_kib = cfg.memory_mib.checked_mul(1024)?;
    // A size of 0 divides nothing (and `%` by it would panic).
    if memory_kib == 0 || size_kib == 0 || !memory_kib.is_multiple_of(size_kib) {
        return None;
    }
    let mut demand = BTreeMap::new();
    let pinned = !cfg.numa_nodes.is_empty() && cfg.numa_nodes.iter().all(|n| n.host_nodes.len() == 1);
    if pinned {
        for n in &cfg.numa_nodes {
            let kib = n.memory_mib.checked_mul(1024)?;
            if !kib.is_multiple_of(size_kib) {
                return None;
            }
            let pages = demand.entry(n.host_nodes.first().copied()).or_insert(0u64);
            *pages = pages.saturating_add(kib / size_kib);
        }
    } else {
        demand.insert(None, memory_kib / size_kib);
    }
    Some(demand)
}

fn total_pages(demand: &BTreeMap<Option<u32>, u64>) -> u64 {
    demand.values().fold(0u64, |a, n| a.saturating_add(*n))
}

fn covered(host: &HostFacts, size_kib: u64, demand: &BTreeMap<Option<u32>, u64>) -> bool {
    demand.iter().all(|(cell, pages)| match cell {
        Some(c) => host
            .topology
            .cell(*c)
            .is_some_and(|cell| cell.free_pages(size_kib) >= *pages),
        None => host.topology.free_pages(size_kib, &[]) >= *pages,
    })
}

/// R5 for a VM under a start-time pinning policy with no host pinned: it may start on any host of
/// the cluster, so its pages are checked against each (whole-VM free pages; the cells are chosen at
/// start). Met when some host has them free; else the largest size every host's free pages cover.
fn r5_any_host(
    cfg: &VmConfig,
    ctx: &RuleContext,
    rec: impl Fn(String, Option<Fix>) -> Recommendation,
) -> Option<Recommendation> {
    let memory_kib = cfg.memory_mib.saturating_mul(1024);
    let pages = |size: u64| (size > 0 && memory_kib.is_multiple_of(size)).then(|| memory_kib / size);
    let fits = |h: &HostFacts, size: u64| pages(size).is_some_and(|n| h.topology.free_pages(size, &[]) >= n);
    if let Some(hp) = cfg.huge_pages {
        if pages(hp.size_kib) == Some(hp.count) && ctx.hosts.iter().any(|h| fits(h, hp.size_kib)) {
            return None;
        }
    }
    let mut sizes: Vec<u64> = ctx.hosts.iter().flat_map(|h| h.topology.huge_page_sizes()).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    let size = sizes
        .into_iter()
        .find(|s| !ctx.hosts.is_empty() && ctx.hosts.iter().all(|h| fits(h, *s)));
    let message = match cfg.huge_pages {
        None => "The VM's memory is not backed by huge pages; every TLB miss costs a longer page walk.".to_string(),
        Some(hp) => format!(
            "No host of cluster {} has {} free pages of {} for the VM.",
            ctx.cluster.name,
            hp.count,
            page_size_label(hp.size_kib)
        ),
    };
    let Some(size_kib) = size else {
        return Some(rec(
            format!(
                "{message} No page size is free for all of it on every host of cluster {}: reserve huge pages on the hosts, or pin the VM to one.",
                ctx.cluster.name
            ),
            None,
        ));
    };
    let count = memory_kib / size_kib;
    let hp = HugePages { size_kib, count };
    Some(rec(
        message,
        Some(Fix::config(
            format!(
                "Back the memory with {count} × {} pages (free on every host of cluster {})",
                page_size_label(size_kib),
                ctx.cluster.name
            ),
            ConfigPatch {
                huge_pages: Some(hp),
                ..ConfigPatch::default()
            },
            vec![Change::new(
                "huge_pages",
                huge_pages_text(cfg.huge_pages),
                huge_pages_text(Some(hp)),
                "The largest page size every host's free pages cover",
            )],
        )),
    ))
}

fn r5_huge_pages(cfg: &VmConfig, ctx: &RuleContext) -> Option<Recommendation> {
    let host = ctx.pinned_host(cfg);
    let rec = |message: String, fix: Option<Fix>| {
        Recommendation::new(
            RecommendationId::R5,
            "Huge pages",
            DialogTab::ResourceAllocation,
            message,
            fix,
        )
    };
    if let (Some(hp), Some(h)) = (cfg.huge_pages, host) {
        let ok = h.topology.huge_page_sizes().contains(&hp.size_kib)
            && page_demand(cfg, hp.size_kib)
                .is_some_and(|d| total_pages(&d) == hp.count && covered(h, hp.size_kib, &d));
        if ok {
            return None;
        }
    }
    let message = match (cfg.huge_pages, host) {
        (None, _) => "The VM's memory is not backed by huge pages; every TLB miss costs a longer page walk.".to_string(),
        (Some(hp), Some(h)) => format!(
            "{} huge pages do not fit host {}: it needs {} pages of {} but the host does not offer that many free (or that size).",
            page_size_label(hp.size_kib),
            h.name,
            hp.count,
            page_size_label(hp.size_kib)
        ),
        (Some(_), None) => "Huge pages are set but the VM is not pinned to a host whose free pages could be checked.".to_string(),
    };
    let Some(host) = host else {
        if is_start_time(cfg.cpu_pinning_policy) {
            return r5_any_host(cfg, ctx, rec);
        }
        return Some(rec(
            format!("{message} Pin the VM to a host first (CPU pinning)."),
            None,
        ));
    };
    let mut sizes = host.topology.huge_page_sizes();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    // The largest size whose free pages cover the memory.
    let from_free = sizes.iter().find_map(|size| {
        let demand = page_demand(cfg, *size)?;
        covered(host, *size, &demand).then(|| (*size, total_pages(&demand)))
    });
    let fix = match from_free {
        Some((size_kib, count)) => Some(Fix::config(
            format!(
                "Back the memory with {count} × {} pages (free on host {})",
                page_size_label(size_kib),
                host.name
            ),
            ConfigPatch {
                huge_pages: Some(HugePages { size_kib, count }),
                ..ConfigPatch::default()
            },
            vec![Change::new(
                "huge_pages",
                huge_pages_text(cfg.huge_pages),
                huge_pages_text(Some(HugePages { size_kib, count })),
                "The largest page size the host's free pages cover",
            )],
        )),
        None => {
            // Not enough free pages of any size: offer to allocate the smallest size that fits the
            // memory layout on the pinned host.
            sizes.iter().rev().find_map(|size| {
                let demand = page_demand(cfg, *size)?;
                let mut per_cell = Vec::new();
                for (cell, pages) in &demand {
                    let cells: Vec<u32> = match cell {
                        Some(c) => vec![*c],
                        None => host.topology.cells.iter().map(|c| c.id).collect(),
                    };
                    let free = cells
                        .iter()
                        .filter_map(|c| host.topology.cell(*c))
                        .fold(0u64, |a, c| a.saturating_add(c.free_pages(*size)));
                    if *pages > free {
                        // Unpinned memory: ask the first cell for the shortfall. A host without
                        // cells cannot allocate pages anywhere: no fix of this size.
                        per_cell.push((*cells.first()?, pages - free));
                    }
                }
                let count = total_pages(&demand);
                let missing = per_cell.iter().fold(0u64, |a, (_, n)| a.saturating_add(*n));
                Some(Fix {
                    summary: format!(
                        "Allocate {missing} more {} pages on host {}{}, then back the memory with {count} of them",
                        page_size_label(*size),
                        host.name,
                        if host.simulated {
                            " (simulated: recorded in Vireo)"
                        } else {
                            ""
                        }
                    ),
                    patch: ConfigPatch {
                        huge_pages: Some(HugePages { size_kib: *size, count }),
                        ..ConfigPatch::default()
                    },
                    host_action: Some(HostAction::AllocateHugePages {
                        host_id: host.id,
                        host_name: host.name.clone(),
                        size_kib: *size,
                        per_cell,
                    }),
                    changes: vec![Change::new(
                        "huge_pages",
                        huge_pages_text(cfg.huge_pages),
                        huge_pages_text(Some(HugePages { size_kib: *size, count })),
                        "After allocating the missing pages on the host",
                    )],
                })
            })
        }
    };
    let unfixable = format!(
        "The memory size is not a multiple of any page size host {} offers.",
        host.name
    );
    Some(rec(unless_fixed(message, &fix, &unfixable), fix))
}

/// R6: every disk on a paravirtual bus, served by an IO thread, without the host page cache and
/// with native AIO. The CD-ROM is not covered: it is read once, at install time. The fix needs no
/// host, so it is always offered.
fn r6_disks(cfg: &VmConfig, _ctx: &RuleContext) -> Option<Recommendation> {
    let emulated: Vec<usize> = positions(&cfg.disks, |d| !d.interface.is_paravirtual());
    let threadless: Vec<usize> = positions(&cfg.disks, |d| d.interface.is_paravirtual() && d.iothread.is_none());
    let cached: Vec<usize> = positions(&cfg.disks, |d| d.cache != DiskCache::None || d.io != DiskIo::Native);
    if emulated.is_empty() && threadless.is_empty() && cached.is_empty() {
        return None;
    }
    let mut problems = Vec::new();
    if !emulated.is_empty() {
        problems.push(format!(
            "{} on an emulated bus (every request goes through QEMU's SATA model)",
            disks_are(&emulated)
        ));
    }
    if !threadless.is_empty() {
        problems.push(format!(
            "{} without an IO thread (their IO competes with QEMU's main loop)",
            disks_are(&threadless)
        ));
    }
    if !cached.is_empty() {
        problems.push(format!(
            "{} through the host page cache or without native AIO",
            disks_are(&cached)
        ));
    }
    let message = format!("{}.", capitalise(&problems.join("; ")));

    let io_threads = cfg.io_threads.max(1);
    let disks = high_performance_disks(&cfg.disks, io_threads, true);
    let mut changes = Vec::new();
    // The count is always part of the patch: `cfg` is projected past R2's fix, which may have
    // raised it from 0, and this patch applied on its own must not leave the disks on an IO thread
    // the VM lacks.
    let patch = ConfigPatch {
        disks: Some(disks.clone()),
        io_threads: Some(io_threads),
        ..ConfigPatch::default()
    };
    if cfg.io_threads == 0 {
        changes.push(Change::new(
            "io_threads",
            io_threads_text(0),
            io_threads_text(io_threads),
            "One IO thread for the disks",
        ));
    }
    for (i, (old, new)) in cfg.disks.iter().zip(&disks).enumerate() {
        if old.interface != new.interface {
            changes.push(Change::new(
                &format!("disks[{i}].interface"),
                old.interface.label().into(),
                new.interface.label().into(),
                format!("Disk {}: paravirtual instead of emulated", i + 1),
            ));
        }
        if (old.cache, old.io) != (new.cache, new.io) {
            changes.push(Change::new(
                &format!("disks[{i}].cache"),
                disk_tuning_text(old),
                disk_tuning_text(new),
                format!("Disk {}: no host page cache, native AIO", i + 1),
            ));
        }
        if old.iothread != new.iothread {
            changes.push(Change::new(
                &format!("disks[{i}].iothread"),
                iothread_text(old.iothread),
                iothread_text(new.iothread),
                format!("Disk {}: round robin over the IO threads", i + 1),
            ));
        }
    }
    let moved = if emulated.is_empty() {
        String::new()
    } else {
        format!("move {} to VirtIO, ", disk_list(&emulated))
    };
    let fix = Fix::config(
        format!(
            "Tune {} disk{}: {moved}cache none, io native, spread over {io_threads} IO thread{}",
            cfg.disks.len(),
            if cfg.disks.len() == 1 { "" } else { "s" },
            if io_threads == 1 { "" } else { "s" },
        ),
        patch,
        changes,
    );
    Some(Recommendation::new(
        RecommendationId::R6,
        "Disk performance",
        fields::tab_of("disks"),
        message,
        Some(fix),
    ))
}

/// R7: every plugged NIC on virtio (the emulated models cost a VM exit per packet), and with more
/// than one vCPU, multiqueue on (one queue pair per vCPU). Unplugged NICs are no device of
/// the running VM; the fix moves them to virtio too, so they need nothing when plugged. Whether a
/// NIC's vNIC profile allows multiqueue is the profile's setting, not the VM's. Needs no host, so
/// the fix is always offered.
fn r7_nics(cfg: &VmConfig, _ctx: &RuleContext) -> Option<Recommendation> {
    let plugged = || cfg.nics.iter().filter(|n| n.plugged);
    let emulated: Vec<&str> = plugged()
        .filter(|n| !n.model.is_paravirtual())
        .map(|n| n.name.as_str())
        .collect();
    // After the fix every plugged NIC is virtio: multiqueue matters as soon as there is one.
    let single_queue = !cfg.multi_queues_enabled && plugged().next().is_some() && nic_queues(cfg.vcpus()).is_some();
    if emulated.is_empty() && !single_queue {
        return None;
    }
    // Sentences of their own: a NIC's name is never capitalised.
    let mut problems = Vec::new();
    if !emulated.is_empty() {
        problems.push(format!(
            "{} {} emulated model{} (every packet costs a VM exit).",
            nic_names(&emulated),
            if emulated.len() == 1 { "uses an" } else { "use" },
            if emulated.len() == 1 { "" } else { "s" },
        ));
    }
    let queues = nic_queues(cfg.vcpus()).unwrap_or(1);
    if single_queue {
        problems.push(format!(
            "Multiqueue is off: every NIC has one queue pair for the VM's {} vCPUs.",
            cfg.vcpus()
        ));
    }
    let message = problems.join(" ");

    let nics = virtio_nics(&cfg.nics);
    let mut changes = Vec::new();
    let mut patch = ConfigPatch::default();
    for (i, (old, new)) in cfg.nics.iter().zip(&nics).enumerate() {
        if old.model != new.model {
            changes.push(Change::new(
                &format!("nics[{i}].model"),
                old.model.label().into(),
                new.model.label().into(),
                format!("{}: paravirtual instead of emulated", old.name),
            ));
        }
    }
    if !changes.is_empty() {
        patch.nics = Some(nics);
    }
    if single_queue {
        patch.multi_queues_enabled = Some(true);
        changes.push(Change::new(
            "multi_queues_enabled",
            on_off(false),
            on_off(true),
            "One queue pair per vCPU (max 16)",
        ));
    }
    let mut steps = Vec::new();
    if !emulated.is_empty() {
        steps.push(format!("move {} to VirtIO", nic_names(&emulated)));
    }
    if single_queue {
        steps.push(format!(
            "enable multiqueue ({queues} queue pairs per NIC whose vNIC profile allows it)"
        ));
    }
    let fix = Fix::config(capitalise(&steps.join(" and ")), patch, changes);
    Some(Recommendation::new(
        RecommendationId::R7,
        "Network performance",
        fields::tab_of("nics"),
        message,
        Some(fix),
    ))
}

/// The indexes of the disks matching `pred`.
fn positions(disks: &[DiskAttachment], pred: impl Fn(&DiskAttachment) -> bool) -> Vec<usize> {
    disks
        .iter()
        .enumerate()
        .filter(|(_, d)| pred(d))
        .map(|(i, _)| i)
        .collect()
}

/// "disk 2" or "disks 1, 3" (1-based, as the dialog numbers them).
fn disk_list(indexes: &[usize]) -> String {
    let numbers: Vec<String> = indexes.iter().map(|i| (i + 1).to_string()).collect();
    match numbers.as_slice() {
        [one] => format!("disk {one}"),
        many => format!("disks {}", many.join(", ")),
    }
}

/// "disk 2 is" or "disks 1, 3 are".
fn disks_are(indexes: &[usize]) -> String {
    let verb = if indexes.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", disk_list(indexes))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests;
