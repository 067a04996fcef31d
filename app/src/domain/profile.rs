//! "Optimized for": Server, Desktop and High Performance as sets of defaults over `VmConfig`.
//! Choosing one returns the new configuration and the list of every field it changed (old → new,
//! with the reason), which the dialog shows and the API returns. High Performance sets the
//! automatic settings A1–A14 (A12, A13: every disk's cache/IO modes and IO thread; A14: multiqueue
//! on and every NIC on virtio); switching back restores the other profile's defaults for the same
//! fields, again as a list. The manual settings (pinning, vNUMA, huge pages, KSM) are left
//! alone: they are recommendations, and a user who set them keeps them.

use super::cpu_policy::is_start_time;
use super::fields::{self, DialogTab};
use super::network::virtio_nics;
use super::storage::{default_tuned_disks, disk_tuning_text, high_performance_disks, iothread_text};
use super::vm_config::{CpuPinningPolicy, MachineType, MigrationMode, OptimizedFor, VmConfig};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub label: String,
    pub tab: DialogTab,
    pub old: String,
    pub new: String,
    pub reason: String,
}

impl Change {
    pub fn new(field: &str, old: String, new: String, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            label: fields::label(field).to_string(),
            tab: fields::tab_of(field),
            old,
            new,
            reason: reason.into(),
        }
    }
}

/// What the profile needs to know beyond the configuration itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProfileContext {
    /// The CPU of the host(s) the VM will run on has the invariant TSC flag (A7 sets invtsc only
    /// then: requiring a flag the host lacks would stop the VM from starting).
    pub invtsc_available: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileOutcome {
    pub config: VmConfig,
    pub changes: Vec<Change>,
}

pub fn on_off(v: bool) -> String {
    if v { "on" } else { "off" }.to_string()
}

pub fn io_threads_text(n: u32) -> String {
    if n == 0 {
        "off".into()
    } else {
        n.to_string()
    }
}

/// `config` with `target`'s defaults, on a host CPU with every feature they ask for (invtsc): the
/// ready configuration seeded VMs, tests and benchmarks start from.
pub fn profiled(config: &VmConfig, target: OptimizedFor) -> VmConfig {
    apply_profile(config, target, &ProfileContext { invtsc_available: true }).config
}

/// Applies `target`'s defaults to `config`. Fields already at the target value are not listed.
pub fn apply_profile(config: &VmConfig, target: OptimizedFor, ctx: &ProfileContext) -> ProfileOutcome {
    let mut next = config.clone();
    next.optimized_for = target;
    let mut changes = Vec::new();
    let hp = target == OptimizedFor::HighPerformance;
    let who = target.label();

    let mut set_bool = |field: &str, slot: fn(&mut VmConfig) -> &mut bool, value: bool, reason: String| {
        let place = slot(&mut next);
        if *place != value {
            changes.push(Change::new(field, on_off(*place), on_off(value), reason));
            *place = value;
        }
    };

    // A1–A4: console devices.
    set_bool(
        "headless",
        |c| &mut c.headless,
        hp,
        if hp {
            "A1: High Performance runs headless — no graphics or video device to emulate.".into()
        } else {
            format!("{who} VMs get a graphical console.")
        },
    );
    set_bool(
        "serial_console",
        |c| &mut c.serial_console,
        hp,
        if hp {
            "A2: a headless VM is reached through its serial console, which also shows the firmware's boot output."
                .into()
        } else {
            format!("{who} VMs use the graphical console.")
        },
    );
    set_bool(
        "usb_enabled",
        |c| &mut c.usb_enabled,
        !hp,
        if hp {
            "A3: no USB controller (model none): one device less to emulate.".into()
        } else {
            format!("{who} VMs get a USB controller (tablet input).")
        },
    );
    let sound = target == OptimizedFor::Desktop;
    set_bool(
        "soundcard_enabled",
        |c| &mut c.soundcard_enabled,
        sound,
        match target {
            OptimizedFor::HighPerformance => "A4: no sound card.".into(),
            OptimizedFor::Desktop => "Desktop VMs get a sound card.".into(),
            OptimizedFor::Server => "Server VMs have no sound card.".into(),
        },
    );
    // A5/A6: pass-through needs migration disabled, so they move together.
    set_bool(
        "cpu_passthrough",
        |c| &mut c.cpu_passthrough,
        hp,
        if hp {
            "A5: the guest sees the host CPU as it is (host-passthrough).".into()
        } else {
            format!("{who} VMs use the cluster CPU model so they can migrate.")
        },
    );
    let migration = if hp {
        MigrationMode::Pinned
    } else {
        MigrationMode::Migratable
    };
    if next.migration != migration {
        changes.push(Change::new(
            "migration",
            next.migration.label().into(),
            migration.label().into(),
            if hp {
                "A6: a High Performance VM stays on its pinned host (pass-through requires it)."
            } else {
                "Migration is allowed again."
            },
        ));
        next.migration = migration;
    }
    // Issue 19: a High Performance VM with no host pinned and no pins of its own gets dedicated
    // CPUs at each start (so HP pool VMs never share a CPU); leaving High Performance drops a
    // start-time policy again. Manual pins are the user's and stay.
    let policy = if hp && next.placement_hosts.is_empty() && next.cpu_pinning.is_empty() {
        match next.cpu_pinning_policy {
            CpuPinningPolicy::None => CpuPinningPolicy::Dedicated,
            other => other,
        }
    } else if !hp && is_start_time(next.cpu_pinning_policy) {
        CpuPinningPolicy::None
    } else {
        next.cpu_pinning_policy
    };
    if next.cpu_pinning_policy != policy {
        changes.push(Change::new(
            "cpu_pinning_policy",
            next.cpu_pinning_policy.label().into(),
            policy.label().into(),
            if hp {
                "No host is pinned: the VM gets free host CPUs of its own at each start (dedicated), released at stop."
            } else {
                "Start-time CPU pinning is a High Performance setting."
            },
        ));
        next.cpu_pinning_policy = policy;
    }
    // A7: only where the host CPU has it.
    let invtsc = hp && ctx.invtsc_available;
    let invtsc_reason = match (hp, ctx.invtsc_available) {
        (true, true) => "A7: the host CPU has an invariant TSC; the guest may rely on it.",
        (true, false) => "A7: not set — the host CPU does not report invtsc.",
        (false, _) => "invtsc pins a VM to hosts with the flag; only High Performance sets it.",
    };
    let mut set_invtsc = |c: &mut VmConfig| {
        if c.invtsc != invtsc {
            changes.push(Change::new("invtsc", on_off(c.invtsc), on_off(invtsc), invtsc_reason));
            c.invtsc = invtsc;
        }
    };
    set_invtsc(&mut next);
    // A8: at least one IO thread (a count the user raised is kept).
    let io_threads = if hp { next.io_threads.max(1) } else { 0 };
    if next.io_threads != io_threads {
        changes.push(Change::new(
            "io_threads",
            io_threads_text(next.io_threads),
            io_threads_text(io_threads),
            if hp {
                "A8: disk IO runs in its own thread, off the vCPUs."
            } else {
                "IO threads are a High Performance setting."
            },
        ));
        next.io_threads = io_threads;
    }
    let mut set_bool = |field: &str, slot: fn(&mut VmConfig) -> &mut bool, value: bool, reason: String| {
        let place = slot(&mut next);
        if *place != value {
            changes.push(Change::new(field, on_off(*place), on_off(value), reason));
            *place = value;
        }
    };
    // A9: no balloon.
    set_bool(
        "memory_balloon",
        |c| &mut c.memory_balloon,
        !hp,
        if hp {
            "A9: no memory balloon — the guest's memory is never taken back.".into()
        } else {
            format!("{who} VMs let the host reclaim memory through the balloon.")
        },
    );
    // A10, A11.
    set_bool(
        "high_availability",
        |c| &mut c.high_availability,
        hp,
        if hp {
            "A10: restarted on its pinned host if it crashes.".into()
        } else {
            format!("{who} VMs are not highly available by default.")
        },
    );
    set_bool(
        "watchdog",
        |c| &mut c.watchdog,
        false,
        if hp {
            "A11: no watchdog device.".into()
        } else {
            format!("{who} VMs have no watchdog by default.")
        },
    );

    // A12, A13: the disks, after A8 so the IO threads they are dealt onto exist.
    let disks = if hp {
        high_performance_disks(&next.disks, next.io_threads, false)
    } else {
        default_tuned_disks(&next.disks)
    };
    for (i, (old, new)) in next.disks.iter().zip(&disks).enumerate() {
        let n = i + 1;
        if (old.cache, old.io) != (new.cache, new.io) {
            changes.push(Change::new(
                &format!("disks[{i}].cache"),
                disk_tuning_text(old),
                disk_tuning_text(new),
                if hp {
                    format!("A12: disk {n} bypasses the host page cache and uses native AIO: no double caching, fewer copies.")
                } else {
                    format!("{who} VMs leave disk {n}'s cache and IO modes to the hypervisor.")
                },
            ));
        }
        if old.iothread != new.iothread {
            changes.push(Change::new(
                &format!("disks[{i}].iothread"),
                iothread_text(old.iothread),
                iothread_text(new.iothread),
                if hp {
                    format!("A13: disk {n}'s IO runs in an IO thread (round robin over the VM's IO threads).")
                } else {
                    format!("{who} VMs have no IO threads; disk {n}'s IO runs in QEMU's main loop.")
                },
            ));
        }
    }
    next.disks = disks;

    // A14: multiqueue virtio NICs. Leaving High Performance turns multiqueue off again (as the
    // disks' tuning goes back to the hypervisor's); the NICs stay on virtio, every guest's best.
    if next.multi_queues_enabled != hp {
        changes.push(Change::new(
            "multi_queues_enabled",
            on_off(next.multi_queues_enabled),
            on_off(hp),
            if hp {
                "A14: one queue pair per vCPU (max 16): each vCPU sends and receives on a queue of its own.".into()
            } else {
                format!("{who} VMs leave each NIC on one queue pair, QEMU's default.")
            },
        ));
        next.multi_queues_enabled = hp;
    }
    if hp {
        let nics = virtio_nics(&next.nics);
        for (i, (old, new)) in next.nics.iter().zip(&nics).enumerate() {
            if old.model != new.model {
                changes.push(Change::new(
                    &format!("nics[{i}].model"),
                    old.model.label().into(),
                    new.model.label().into(),
                    format!(
                        "A14: {} moves to VirtIO: emulated NIC models cost a VM exit per packet.",
                        old.name
                    ),
                ));
            }
        }
        next.nics = nics;
    }

    // A modern machine, as `virt-install` writes for a current guest: q35 (PCIe root ports, so disks
    // and NICs hot-plug), the guest agent's channel and a virtio-rng device. Only High Performance
    // sets them; leaving it keeps them (they suit every guest, and a chipset change is a change of
    // hardware the user did not ask for).
    if hp {
        if next.machine != MachineType::Q35 {
            changes.push(Change::new(
                "machine",
                next.machine.label().into(),
                MachineType::Q35.label().into(),
                "A modern PCIe machine: free root ports let disks and NICs be hot-plugged, and no legacy IDE/ISA devices are emulated.",
            ));
            next.machine = MachineType::Q35;
        }
        if !next.guest_agent {
            changes.push(Change::new(
                "guest_agent",
                on_off(false),
                on_off(true),
                "The QEMU guest agent's channel: Vireo learns the guest's addresses and can quiesce it.",
            ));
            next.guest_agent = true;
        }
        if !next.virtio_rng {
            changes.push(Change::new(
                "virtio_rng",
                on_off(false),
                on_off(true),
                "A virtio-rng device fed from the host's /dev/urandom: the guest never waits for entropy at boot.",
            ));
            next.virtio_rng = true;
        }
    }

    // Real-time vCPUs are a High Performance setting: leaving the profile switches them off.
    if !hp {
        if let Some(mask) = next.realtime_vcpus.take() {
            changes.push(Change::new(
                "realtime_vcpus",
                mask.to_string(),
                "off".into(),
                format!("{who} VMs have no real-time vCPUs (High Performance only)."),
            ));
        }
    }

    ProfileOutcome { config: next, changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::network::{Nic, NicModel};
    use crate::domain::storage::{DiskAttachment, DiskCache, DiskInterface, DiskIo};
    use uuid::Uuid;

    fn hp_ctx() -> ProfileContext {
        ProfileContext { invtsc_available: true }
    }

    fn field_set(changes: &[Change]) -> Vec<&str> {
        changes.iter().map(|c| c.field.as_str()).collect()
    }

    #[test]
    fn high_performance_applies_every_automatic_setting() {
        let out = apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx());
        let c = &out.config;
        assert_eq!(c.optimized_for, OptimizedFor::HighPerformance);
        assert!(c.headless, "A1");
        assert!(c.serial_console, "A2");
        assert!(!c.usb_enabled, "A3");
        assert!(
            !c.soundcard_enabled,
            "A4 (Blank has no sound card: unchanged, not listed)"
        );
        assert!(c.cpu_passthrough, "A5");
        assert_eq!(c.migration, MigrationMode::Pinned, "A6");
        assert!(c.invtsc, "A7");
        assert_eq!(c.io_threads, 1, "A8");
        assert!(!c.memory_balloon, "A9");
        assert!(c.high_availability, "A10");
        assert!(!c.watchdog, "A11");
        assert!(c.multi_queues_enabled, "A14 (even before the VM has a NIC)");
        assert_eq!(
            field_set(&out.changes),
            vec![
                "headless",
                "serial_console",
                "usb_enabled",
                "cpu_passthrough",
                "migration",
                "cpu_pinning_policy",
                "invtsc",
                "io_threads",
                "memory_balloon",
                "high_availability",
                "multi_queues_enabled"
            ]
        );
    }

    #[test]
    fn every_change_says_old_new_why_and_where() {
        let out = apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx());
        let headless = &out.changes[0];
        assert_eq!(headless.label, "Headless Mode");
        assert_eq!(headless.tab, DialogTab::Console);
        assert_eq!((headless.old.as_str(), headless.new.as_str()), ("off", "on"));
        assert!(headless.reason.starts_with("A1"));
        let migration = out.changes.iter().find(|c| c.field == "migration").unwrap();
        assert_eq!(migration.new, "Do not allow migration");
        assert_eq!(migration.tab, DialogTab::Host);
        let io = out.changes.iter().find(|c| c.field == "io_threads").unwrap();
        assert_eq!(
            (io.old.as_str(), io.new.as_str(), io.tab),
            ("off", "1", DialogTab::ResourceAllocation)
        );
        assert!(out.changes.iter().all(|c| !c.reason.is_empty()));
    }

    #[test]
    fn high_performance_gives_a_stored_legacy_vm_the_modern_machine_and_lists_it() {
        // A configuration stored before the fields existed: i440fx, no RNG, the agent's channel.
        let stored: VmConfig = serde_json::from_str(r#"{"memory_mib": 4096}"#).unwrap();
        let out = apply_profile(&stored, OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(out.config.machine, MachineType::Q35);
        assert!(out.config.virtio_rng && out.config.guest_agent);
        let machine = out.changes.iter().find(|c| c.field == "machine").unwrap();
        assert_eq!(
            (machine.old.as_str(), machine.new.as_str()),
            ("i440fx (legacy PC)", "Q35 (PCIe)")
        );
        assert_eq!(machine.tab, DialogTab::General);
        let rng = out.changes.iter().find(|c| c.field == "virtio_rng").unwrap();
        assert_eq!(
            (rng.old.as_str(), rng.new.as_str(), rng.tab),
            ("off", "on", DialogTab::Console)
        );
        assert!(
            !field_set(&out.changes).contains(&"guest_agent"),
            "already on: not listed"
        );
        // An agent switched off is switched on again, and listed.
        let mut quiet = stored.clone();
        quiet.guest_agent = false;
        let out = apply_profile(&quiet, OptimizedFor::HighPerformance, &hp_ctx());
        assert!(out.config.guest_agent && field_set(&out.changes).contains(&"guest_agent"));
        // Leaving High Performance keeps the machine and the devices.
        let back = apply_profile(&out.config, OptimizedFor::Server, &hp_ctx()).config;
        assert_eq!(back.machine, MachineType::Q35);
        assert!(back.guest_agent && back.virtio_rng);
        // Server and Desktop leave a legacy VM's machine alone.
        let server = apply_profile(&stored, OptimizedFor::Desktop, &hp_ctx());
        assert_eq!(server.config.machine, MachineType::I440fx);
        assert!(!field_set(&server.changes).contains(&"machine"));
    }

    #[test]
    fn a4_and_a11_switch_off_what_a_desktop_had() {
        let desktop = apply_profile(&VmConfig::default(), OptimizedFor::Desktop, &hp_ctx()).config;
        assert!(desktop.soundcard_enabled);
        let mut with_watchdog = desktop.clone();
        with_watchdog.watchdog = true;
        let out = apply_profile(&with_watchdog, OptimizedFor::HighPerformance, &hp_ctx());
        assert!(!out.config.soundcard_enabled && !out.config.watchdog);
        let fields = field_set(&out.changes);
        assert!(fields.contains(&"soundcard_enabled") && fields.contains(&"watchdog"));
        assert!(out
            .changes
            .iter()
            .find(|c| c.field == "watchdog")
            .unwrap()
            .reason
            .starts_with("A11"));
    }

    #[test]
    fn a7_needs_a_host_cpu_with_invtsc() {
        let out = apply_profile(
            &VmConfig::default(),
            OptimizedFor::HighPerformance,
            &ProfileContext::default(),
        );
        assert!(!out.config.invtsc);
        assert!(
            !field_set(&out.changes).contains(&"invtsc"),
            "unchanged fields are not listed"
        );
    }

    #[test]
    fn a8_keeps_a_higher_io_thread_count() {
        let cfg = VmConfig {
            io_threads: 4,
            ..VmConfig::default()
        };
        let out = apply_profile(&cfg, OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(out.config.io_threads, 4);
        assert!(!field_set(&out.changes).contains(&"io_threads"));
    }

    #[test]
    fn high_performance_defaults_to_dedicated_cpus_only_when_no_host_or_pins_are_set() {
        use crate::domain::vm_config::{CpuPinningPolicy, VcpuPin};
        let free = apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(free.config.cpu_pinning_policy, CpuPinningPolicy::Dedicated);
        let change = free.changes.iter().find(|c| c.field == "cpu_pinning_policy").unwrap();
        assert_eq!((change.old.as_str(), change.new.as_str()), ("None", "Dedicated"));
        let on_host = VmConfig {
            placement_hosts: vec![uuid::Uuid::from_u128(1)],
            ..VmConfig::default()
        };
        let out = apply_profile(&on_host, OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(
            out.config.cpu_pinning_policy,
            CpuPinningPolicy::None,
            "a pinned host: R1 pins now"
        );
        let pinned = VmConfig {
            cpu_pinning: vec![VcpuPin {
                vcpu: 0,
                cpuset: crate::domain::cpu_set::CpuSet::single(2),
            }],
            cpu_pinning_policy: CpuPinningPolicy::Manual,
            ..VmConfig::default()
        };
        let out = apply_profile(&pinned, OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(
            out.config.cpu_pinning_policy,
            CpuPinningPolicy::Manual,
            "manual pins stay"
        );
        let isolate = VmConfig {
            cpu_pinning_policy: CpuPinningPolicy::IsolateThreads,
            ..VmConfig::default()
        };
        let out = apply_profile(&isolate, OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(
            out.config.cpu_pinning_policy,
            CpuPinningPolicy::IsolateThreads,
            "a chosen policy stays"
        );
        let back = apply_profile(&out.config, OptimizedFor::Desktop, &hp_ctx());
        assert_eq!(back.config.cpu_pinning_policy, CpuPinningPolicy::None);
    }

    #[test]
    fn switching_back_restores_the_other_profiles_defaults_and_lists_them() {
        let hp = apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx()).config;
        let back = apply_profile(&hp, OptimizedFor::Server, &hp_ctx());
        let expected = VmConfig {
            optimized_for: OptimizedFor::Server,
            ..VmConfig::default()
        };
        assert_eq!(back.config, expected, "Server defaults are the Blank template's");
        assert_eq!(back.changes.len(), 11, "the dedicated policy goes too");
        assert!(back.changes.iter().all(|c| c.reason.len() > 10));

        let desktop = apply_profile(&hp, OptimizedFor::Desktop, &hp_ctx());
        assert!(desktop.config.soundcard_enabled && desktop.config.usb_enabled && !desktop.config.headless);
        assert!(field_set(&desktop.changes).contains(&"soundcard_enabled"));
    }

    #[test]
    fn manual_settings_survive_a_profile_switch() {
        use crate::domain::cpu_set::CpuSet;
        use crate::domain::vm_config::{HugePages, VcpuPin};
        let mut cfg = apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx()).config;
        cfg.cpu_pinning = vec![VcpuPin {
            vcpu: 0,
            cpuset: CpuSet::single(2),
        }];
        cfg.huge_pages = Some(HugePages {
            size_kib: 2048,
            count: 512,
        });
        cfg.ksm_disabled = true;
        let back = apply_profile(&cfg, OptimizedFor::Server, &hp_ctx()).config;
        assert_eq!(back.cpu_pinning, cfg.cpu_pinning);
        assert_eq!(back.huge_pages, cfg.huge_pages);
        assert!(back.ksm_disabled);
    }

    #[test]
    fn leaving_high_performance_switches_real_time_off_and_lists_it() {
        use crate::domain::cpu_set::CpuSet;
        let mut cfg = apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx()).config;
        cfg.realtime_vcpus = Some(CpuSet::from_ids([1, 2, 3]));
        // Staying High Performance (re-applied) keeps it.
        let again = apply_profile(&cfg, OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(again.config.realtime_vcpus, cfg.realtime_vcpus);
        for p in [OptimizedFor::Server, OptimizedFor::Desktop] {
            let out = apply_profile(&cfg, p, &hp_ctx());
            assert_eq!(out.config.realtime_vcpus, None);
            let change = out.changes.iter().find(|c| c.field == "realtime_vcpus").unwrap();
            assert_eq!((change.old.as_str(), change.new.as_str()), ("1-3", "off"));
            assert_eq!(change.tab, DialogTab::ResourceAllocation);
        }
    }

    fn with_disks(interfaces: &[DiskInterface]) -> VmConfig {
        VmConfig {
            disks: interfaces
                .iter()
                .enumerate()
                .map(|(i, interface)| DiskAttachment {
                    interface: *interface,
                    ..DiskAttachment::new(Uuid::from_u128(i as u128 + 1), i == 0)
                })
                .collect(),
            ..VmConfig::default()
        }
    }

    #[test]
    fn a12_a13_tune_every_disk_after_a8_set_the_io_threads() {
        use DiskInterface::*;
        let cfg = VmConfig {
            io_threads: 2,
            ..with_disks(&[Virtio, Sata, VirtioScsi, Virtio])
        };
        let out = apply_profile(&cfg, OptimizedFor::HighPerformance, &hp_ctx());
        let disks = &out.config.disks;
        assert!(
            disks
                .iter()
                .all(|d| d.cache == DiskCache::None && d.io == DiskIo::Native),
            "A12"
        );
        let threads: Vec<_> = disks.iter().map(|d| d.iothread).collect();
        assert_eq!(
            threads,
            vec![Some(1), None, Some(2), Some(1)],
            "A13: round robin, SATA left out"
        );
        assert_eq!(disks[1].interface, Sata, "the bus is R6's business, not the profile's");
        let fields = field_set(&out.changes);
        let disk_fields: Vec<_> = fields.iter().filter(|f| f.starts_with("disks")).collect();
        assert_eq!(
            disk_fields,
            vec![
                &"disks[0].cache",
                &"disks[0].iothread",
                &"disks[1].cache",
                &"disks[2].cache",
                &"disks[2].iothread",
                &"disks[3].cache",
                &"disks[3].iothread"
            ]
        );
        let a12 = out.changes.iter().find(|c| c.field == "disks[1].cache").unwrap();
        assert_eq!(
            (a12.old.as_str(), a12.new.as_str(), a12.label.as_str(), a12.tab),
            (
                "cache default, io default",
                "cache none, io native",
                "Disks",
                DialogTab::General
            )
        );
        assert!(a12.reason.starts_with("A12: disk 2"), "{}", a12.reason);
        let a13 = out.changes.iter().find(|c| c.field == "disks[2].iothread").unwrap();
        assert_eq!((a13.old.as_str(), a13.new.as_str()), ("none", "2"));
        assert!(a13.reason.starts_with("A13: disk 3"), "{}", a13.reason);

        // A8 raised the count from 0 first: the disks land on IO thread 1, never on a thread that
        // does not exist.
        let fresh = apply_profile(&with_disks(&[Virtio, Virtio]), OptimizedFor::HighPerformance, &hp_ctx());
        assert_eq!(fresh.config.io_threads, 1);
        assert!(fresh.config.disks.iter().all(|d| d.iothread == Some(1)));
        let order = field_set(&fresh.changes);
        let a8 = order.iter().position(|f| *f == "io_threads").unwrap();
        assert!(order.iter().position(|f| f.starts_with("disks")).unwrap() > a8);
    }

    #[test]
    fn leaving_high_performance_restores_the_disk_defaults() {
        use DiskInterface::*;
        let plain = with_disks(&[Virtio, VirtioScsi, Sata]);
        let hp = apply_profile(&plain, OptimizedFor::HighPerformance, &hp_ctx()).config;
        let back = apply_profile(&hp, OptimizedFor::Server, &hp_ctx());
        assert_eq!(back.config.disks, plain.disks);
        let fields = field_set(&back.changes);
        for f in [
            "disks[0].cache",
            "disks[0].iothread",
            "disks[1].cache",
            "disks[1].iothread",
            "disks[2].cache",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert!(!fields.contains(&"disks[2].iothread"), "SATA never had one");
        let iothread = back.changes.iter().find(|c| c.field == "disks[0].iothread").unwrap();
        assert_eq!((iothread.old.as_str(), iothread.new.as_str()), ("1", "none"));
        assert!(back.changes.iter().all(|c| !c.reason.is_empty()));
        // A VM without disks lists no disk changes either way.
        assert!(
            !field_set(&apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx()).changes)
                .iter()
                .any(|f| f.starts_with("disks"))
        );
        // Again: nothing more to change.
        let again = apply_profile(&hp, OptimizedFor::HighPerformance, &hp_ctx());
        assert!(again.changes.is_empty());
    }

    fn with_nics(models: &[NicModel]) -> VmConfig {
        VmConfig {
            nics: models
                .iter()
                .enumerate()
                .map(|(i, model)| Nic {
                    model: *model,
                    // The third NIC is unplugged: A14 moves it too, so it is virtio when plugged.
                    plugged: i != 2,
                    ..Nic::with_id(Uuid::from_u128(i as u128 + 1), format!("nic{}", i + 1), None)
                })
                .collect(),
            ..VmConfig::default()
        }
    }

    #[test]
    fn a14_turns_multiqueue_on_and_moves_every_nic_to_virtio() {
        use NicModel::*;
        let cfg = with_nics(&[Virtio, E1000e, Rtl8139]);
        let out = apply_profile(&cfg, OptimizedFor::HighPerformance, &hp_ctx());
        assert!(out.config.multi_queues_enabled);
        assert!(out.config.nics.iter().all(|n| n.model == Virtio));
        // Only the model changed: ids, names, link and plug states are the NICs' own.
        for (old, new) in cfg.nics.iter().zip(&out.config.nics) {
            assert_eq!(
                Nic {
                    model: old.model,
                    ..new.clone()
                },
                *old
            );
        }
        let fields = field_set(&out.changes);
        let tail: Vec<&str> = fields[fields.len() - 3..].to_vec();
        assert_eq!(tail, vec!["multi_queues_enabled", "nics[1].model", "nics[2].model"]);
        let mq = out.changes.iter().find(|c| c.field == "multi_queues_enabled").unwrap();
        assert_eq!(
            (mq.old.as_str(), mq.new.as_str(), mq.label.as_str(), mq.tab),
            ("off", "on", "Multi Queues Enabled", DialogTab::ResourceAllocation)
        );
        assert!(
            mq.reason.starts_with("A14: one queue pair per vCPU (max 16)"),
            "{}",
            mq.reason
        );
        let e1000e = out.changes.iter().find(|c| c.field == "nics[1].model").unwrap();
        assert_eq!(
            (
                e1000e.old.as_str(),
                e1000e.new.as_str(),
                e1000e.label.as_str(),
                e1000e.tab
            ),
            ("e1000e (emulated)", "VirtIO", "Network Interfaces", DialogTab::General)
        );
        assert!(
            e1000e.reason.starts_with("A14: nic2 moves to VirtIO"),
            "{}",
            e1000e.reason
        );
        assert!(e1000e.reason.contains("emulated NIC models cost a VM exit per packet"));
        let rtl = out.changes.iter().find(|c| c.field == "nics[2].model").unwrap();
        assert_eq!(rtl.old, "rtl8139 (emulated)");
        // Again: nothing more to change.
        assert!(apply_profile(&out.config, OptimizedFor::HighPerformance, &hp_ctx())
            .changes
            .is_empty());
    }

    #[test]
    fn leaving_high_performance_turns_multiqueue_off_and_keeps_virtio() {
        use NicModel::*;
        let hp = apply_profile(&with_nics(&[E1000e]), OptimizedFor::HighPerformance, &hp_ctx()).config;
        for target in [OptimizedFor::Server, OptimizedFor::Desktop] {
            let back = apply_profile(&hp, target, &hp_ctx());
            assert!(!back.config.multi_queues_enabled);
            assert_eq!(back.config.nics, hp.nics, "virtio suits every profile");
            let mq = back.changes.iter().find(|c| c.field == "multi_queues_enabled").unwrap();
            assert_eq!((mq.old.as_str(), mq.new.as_str()), ("on", "off"));
            assert!(mq.reason.contains(target.label()), "{}", mq.reason);
            assert!(!field_set(&back.changes).iter().any(|f| f.starts_with("nics")));
        }
        // A Server VM keeps its emulated NIC: only High Performance moves models.
        let server = apply_profile(&with_nics(&[Rtl8139]), OptimizedFor::Desktop, &hp_ctx());
        assert_eq!(server.config.nics[0].model, Rtl8139);
        assert!(!field_set(&server.changes).iter().any(|f| f.starts_with("nics")));
    }

    #[test]
    fn choosing_the_current_profile_changes_nothing() {
        let hp = apply_profile(&VmConfig::default(), OptimizedFor::HighPerformance, &hp_ctx()).config;
        let again = apply_profile(&hp, OptimizedFor::HighPerformance, &hp_ctx());
        assert!(again.changes.is_empty());
        assert_eq!(again.config, hp);
        assert!(apply_profile(&VmConfig::default(), OptimizedFor::Server, &hp_ctx())
            .changes
            .is_empty());
    }
}
