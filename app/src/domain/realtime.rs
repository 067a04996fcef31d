//! Real-time vCPUs (issue 19; Nova's `hw:cpu_realtime` + `hw:cpu_realtime_mask`, KubeVirt's
//! `realtime`): the vCPUs in `VmConfig.realtime_vcpus` run `SCHED_FIFO` priority 1 on the host
//! (`<vcpusched>`), and the guest's memory is locked (`<memoryBacking><locked/>`).
//!
//! The rules, all pure:
//! - gates (`realtime_errors`, hard errors on save): High Performance VMs only; the mask names at
//!   least one vCPU, only vCPUs the VM has, and leaves at least one out for the guest's
//!   housekeeping (a guest whose every vCPU is FIFO cannot run its own kernel threads, timers and
//!   RCU callbacks reliably);
//! - prerequisites (`realtime_start_errors`, checked at start; recommendation R8 with its fix
//!   before): the vCPUs are pinned (manual pins or a start-time pinning policy), since a FIFO vCPU
//!   floating over shared host CPUs starves whatever else runs there, and the memory is backed by
//!   huge pages, so no vCPU stalls on a page fault.

use super::cpu_set::CpuSet;
use super::vm_config::{CpuPinningPolicy, OptimizedFor, VmConfig};
use crate::error::FieldError;

/// The field every real-time error names (the dialog's mask input).
pub const FIELD: &str = "realtime_vcpus";

/// Why the "Real-time" option is not offered for a VM of this profile, or `None` when it is.
pub fn realtime_blocked(optimized_for: OptimizedFor) -> Option<&'static str> {
    (optimized_for != OptimizedFor::HighPerformance)
        .then_some("Real-time vCPUs are for High Performance VMs: choose Optimized for High Performance first.")
}

/// The vCPUs get host CPUs of their own: manual pins, or a pinning policy that picks them at start.
pub fn pinned(cfg: &VmConfig) -> bool {
    cfg.cpu_pinning_policy != CpuPinningPolicy::None || !cfg.cpu_pinning.is_empty()
}

/// The mask "Real-time" proposes when it is ticked: every vCPU but vCPU 0, which stays for the
/// guest's housekeeping (`None` for a one-vCPU VM, which cannot have any).
pub fn default_mask(vcpus: u32) -> Option<CpuSet> {
    (vcpus >= 2).then(|| CpuSet::from_ids(1..vcpus))
}

/// The gates: what makes a real-time setting invalid whatever the host. Empty when real-time is off.
/// Expects a vCPU count that passed validation's bounds (it only compares with it).
pub fn realtime_errors(cfg: &VmConfig) -> Vec<FieldError> {
    let Some(mask) = &cfg.realtime_vcpus else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let mut err = |message: String| errors.push(FieldError::new(FIELD, message));
    if let Some(reason) = realtime_blocked(cfg.optimized_for) {
        err(reason.to_string());
    }
    let vcpus = cfg.vcpus();
    if vcpus < 2 {
        err(format!(
            "A VM with {vcpus} vCPU cannot have real-time vCPUs: at least one vCPU must stay out of the mask for the guest's housekeeping. Give it 2 or more vCPUs."
        ));
        return errors;
    }
    if mask.is_empty() {
        err(format!(
            "Name the vCPUs that run in real time, e.g. 1-{} (vCPU 0 stays for housekeeping).",
            vcpus - 1
        ));
        return errors;
    }
    let outside: Vec<u32> = mask.ids().filter(|v| *v >= vcpus).collect();
    if !outside.is_empty() {
        err(format!(
            "The VM has vCPUs 0-{}; the real-time mask also names {}.",
            vcpus - 1,
            CpuSet::from_ids(outside)
        ));
    }
    if (0..vcpus).all(|v| mask.contains(v)) {
        err(format!(
            "Leave at least one vCPU out of the real-time mask for the guest's housekeeping, e.g. 1-{} (keeping vCPU 0).",
            vcpus - 1
        ));
    }
    errors
}

/// What a real-time VM must also have to start (the save lets it through with recommendation R8,
/// whose fix provides both).
pub fn realtime_start_errors(cfg: &VmConfig) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if cfg.realtime_vcpus.is_none() {
        return errors;
    }
    if !pinned(cfg) {
        errors.push(FieldError::new(
            FIELD,
            "Real-time vCPUs need host CPUs of their own: pin the vCPUs (CPU Pinning Topology) or choose a CPU pinning policy.",
        ));
    }
    if cfg.huge_pages.is_none() {
        errors.push(FieldError::new(
            FIELD,
            "Real-time vCPUs need the memory backed by huge pages, so no vCPU waits on a page fault: set Huge Pages.",
        ));
    }
    errors
}

/// What is missing for real-time, in words (for R8's message); empty when nothing is.
pub fn missing_prerequisites(cfg: &VmConfig) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if cfg.realtime_vcpus.is_some() {
        if !pinned(cfg) {
            missing.push("pinned vCPUs");
        }
        if cfg.huge_pages.is_none() {
            missing.push("huge pages");
        }
    }
    missing
}

/// What to do about a host's refusal to start a VM, from libvirt's message (appended to it): the
/// host limits real-time VMs (locked memory, SCHED_FIFO) and huge pages meet, which libvirt's own
/// words do not explain.
pub fn host_refusal_hint(libvirt_error: &str) -> Option<&'static str> {
    if libvirt_error.contains("hugetlbfs filesystem is not mounted") || libvirt_error.contains("usable hugetlbfs mount")
    {
        Some(
            "The VM's memory is backed by huge pages, and this host's libvirtd knows no hugetlbfs mount: mount hugetlbfs (e.g. on /dev/hugepages) and restart libvirtd.",
        )
    } else if libvirt_error.contains("cannot limit locked memory") {
        Some(
            "Real-time VMs lock their memory: this host's libvirtd may not raise the QEMU process's locked-memory limit (RLIMIT_MEMLOCK). Give libvirtd an unlimited memlock limit (LimitMEMLOCK=infinity) or CAP_SYS_RESOURCE.",
        )
    } else if libvirt_error.contains("Cannot set scheduler parameters") {
        Some(
            "The host refused SCHED_FIFO for the real-time vCPUs: under the kernel's real-time group scheduling, libvirt's per-vCPU cgroups get no real-time runtime. Leave \"cpu\" out of cgroup_controllers in /etc/libvirt/qemu.conf, or run a kernel without CONFIG_RT_GROUP_SCHED.",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vm_config::{CpuTopology, HugePages, VcpuPin};

    fn hp(vcpus: u32, mask: &[u32]) -> VmConfig {
        VmConfig {
            optimized_for: OptimizedFor::HighPerformance,
            cpu: CpuTopology {
                sockets: 1,
                cores: vcpus,
                threads: 1,
            },
            realtime_vcpus: Some(CpuSet::from_ids(mask.iter().copied())),
            ..VmConfig::default()
        }
    }

    fn messages(errors: &[FieldError]) -> Vec<&str> {
        assert!(errors.iter().all(|e| e.field == FIELD), "{errors:?}");
        errors.iter().map(|e| e.message.as_str()).collect()
    }

    #[test]
    fn off_is_never_an_error() {
        let mut cfg = hp(1, &[]);
        cfg.realtime_vcpus = None;
        cfg.optimized_for = OptimizedFor::Server;
        assert!(realtime_errors(&cfg).is_empty());
        assert!(realtime_start_errors(&cfg).is_empty());
        assert!(missing_prerequisites(&cfg).is_empty());
    }

    #[test]
    fn a_good_mask_on_a_high_performance_vm_passes_the_gates() {
        assert!(realtime_errors(&hp(4, &[1, 2, 3])).is_empty());
        assert!(realtime_errors(&hp(4, &[2])).is_empty());
        // Housekeeping need not be vCPU 0.
        assert!(realtime_errors(&hp(2, &[0])).is_empty());
    }

    #[test]
    fn only_high_performance_vms_are_real_time() {
        for p in [OptimizedFor::Server, OptimizedFor::Desktop] {
            let mut cfg = hp(4, &[1]);
            cfg.optimized_for = p;
            let errors = realtime_errors(&cfg);
            assert_eq!(messages(&errors), vec![realtime_blocked(p).unwrap()]);
            assert!(errors[0].message.contains("High Performance"));
        }
        assert_eq!(realtime_blocked(OptimizedFor::HighPerformance), None);
    }

    #[test]
    fn one_vcpu_must_stay_for_housekeeping() {
        let all = realtime_errors(&hp(4, &[0, 1, 2, 3]));
        assert_eq!(all.len(), 1);
        assert!(all[0].message.contains("at least one vCPU out") && all[0].message.contains("1-3"));
        let single = realtime_errors(&hp(1, &[0]));
        assert_eq!(single.len(), 1);
        assert!(single[0].message.contains("2 or more vCPUs"), "{single:?}");
    }

    #[test]
    fn the_mask_names_only_the_vms_vcpus() {
        let errors = realtime_errors(&hp(4, &[1, 4, 7]));
        assert_eq!(
            messages(&errors),
            vec!["The VM has vCPUs 0-3; the real-time mask also names 4,7."]
        );
        // Out of range and nothing left over: both said.
        assert_eq!(realtime_errors(&hp(2, &[0, 1, 5])).len(), 2);
    }

    #[test]
    fn an_empty_mask_asks_for_vcpus() {
        let errors = realtime_errors(&hp(4, &[]));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("e.g. 1-3"), "{errors:?}");
    }

    #[test]
    fn starting_needs_pinning_and_huge_pages() {
        let bare = hp(4, &[1, 2, 3]);
        assert_eq!(realtime_start_errors(&bare).len(), 2);
        assert_eq!(missing_prerequisites(&bare), vec!["pinned vCPUs", "huge pages"]);
        let mut pinned_manually = bare.clone();
        pinned_manually.cpu_pinning = vec![VcpuPin {
            vcpu: 0,
            cpuset: CpuSet::single(2),
        }];
        pinned_manually.huge_pages = Some(HugePages {
            size_kib: 2048,
            count: 512,
        });
        assert!(realtime_start_errors(&pinned_manually).is_empty());
        // Any start-time policy counts as pinned.
        for policy in [
            CpuPinningPolicy::Manual,
            CpuPinningPolicy::Dedicated,
            CpuPinningPolicy::IsolateThreads,
            CpuPinningPolicy::ResizeAndPinNuma,
        ] {
            let mut cfg = bare.clone();
            cfg.cpu_pinning_policy = policy;
            assert!(pinned(&cfg), "{policy:?}");
            let errors = realtime_start_errors(&cfg);
            assert_eq!(errors.len(), 1, "{policy:?}");
            assert!(errors[0].message.contains("huge pages"));
        }
        assert!(!pinned(&bare));
    }

    #[test]
    fn validation_and_the_start_check_apply_the_rules() {
        use crate::domain::test_hosts::hp_ctx;
        use crate::domain::validation::{start_errors, validate_config};
        let mut server = hp(4, &[1]);
        server.optimized_for = OptimizedFor::Server;
        let errors = validate_config(&server, &hp_ctx());
        assert!(
            errors
                .iter()
                .any(|e| e.field == FIELD && e.message.contains("High Performance")),
            "{errors:?}"
        );
        let all = hp(4, &[0, 1, 2, 3]);
        assert!(validate_config(&all, &hp_ctx()).iter().any(|e| e.field == FIELD));
        // Saved without pins or huge pages (R8 said so): the start refuses it, naming the field.
        let bare = hp(4, &[1, 2, 3]);
        assert!(validate_config(&bare, &hp_ctx()).iter().all(|e| e.field != FIELD));
        assert_eq!(start_errors(&bare).iter().filter(|e| e.field == FIELD).count(), 2);
    }

    #[test]
    fn the_hosts_real_time_refusals_say_what_to_change() {
        let memlock = host_refusal_hint(
            "internal error: Process exited prior to exec: libvirt:  error : cannot limit locked memory of process 9891 to 9007199254740991: Operation not permitted",
        )
        .unwrap();
        assert!(memlock.contains("RLIMIT_MEMLOCK"));
        let fifo = host_refusal_hint("Cannot set scheduler parameters for pid 10520: Operation not permitted").unwrap();
        assert!(fifo.contains("cgroup_controllers"));
        let huge = host_refusal_hint(
            "internal error: hugetlbfs filesystem is not mounted or disabled by administrator config",
        )
        .unwrap();
        assert!(huge.contains("mount hugetlbfs"));
        assert_eq!(host_refusal_hint("unsupported configuration: something else"), None);
    }

    #[test]
    fn the_proposed_mask_keeps_vcpu_0() {
        assert_eq!(default_mask(1), None);
        assert_eq!(default_mask(2), Some(CpuSet::single(1)));
        assert_eq!(default_mask(4).unwrap().to_string(), "1-3");
        assert!(realtime_errors(&hp(4, &default_mask(4).unwrap().ids().collect::<Vec<_>>())).is_empty());
    }
}
