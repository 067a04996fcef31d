use super::*;
use crate::domain::network::NicModel;
use crate::domain::profile::profiled;
use crate::domain::rule_context::CpuClaim;
use crate::domain::storage::{DiskCache, DiskInterface, DiskIo};
use crate::domain::test_hosts::*;
use crate::domain::validation::validate_config;
use crate::domain::vm_config::{CpuPinningPolicy, CpuTopology};

fn ids(recs: &[Recommendation]) -> Vec<RecommendationId> {
    recs.iter().map(|r| r.id).collect()
}

fn fix(recs: &[Recommendation], id: RecommendationId) -> &Fix {
    recs.iter()
        .find(|r| r.id == id)
        .and_then(|r| r.fix.as_ref())
        .expect("fix")
}

#[test]
fn only_high_performance_gets_recommendations() {
    let server = VmConfig::default();
    assert!(recommendations(&server, &hp_ctx()).is_empty());
}

/// The five host-side recommendations: what a VM without disks can get.
const HOST_SIDE: [RecommendationId; 5] = [
    RecommendationId::R1,
    RecommendationId::R2,
    RecommendationId::R3,
    RecommendationId::R4,
    RecommendationId::R5,
];

/// `cfg` with disks on these buses (disk ids 1, 2, ...; the first bootable) as attached before
/// the profile was chosen: hypervisor defaults, no IO thread.
fn with_disks(cfg: VmConfig, interfaces: &[DiskInterface]) -> VmConfig {
    VmConfig {
        disks: interfaces
            .iter()
            .enumerate()
            .map(|(i, interface)| DiskAttachment {
                interface: *interface,
                ..DiskAttachment::new(Uuid::from_u128(i as u128 + 1), i == 0)
            })
            .collect(),
        ..cfg
    }
}

#[test]
fn a_fresh_hp_vm_on_the_hp_host_gets_the_five_host_side_ones_with_fixes() {
    let ctx = hp_ctx();
    let cfg = hp_vm(1, 2, 2, 8192);
    let recs = recommendations(&cfg, &ctx);
    assert_eq!(ids(&recs), HOST_SIDE, "no disks: nothing for R6 to say");
    assert!(recs.iter().all(|r| r.fix.is_some() && !r.message.is_empty()));

    // R1: pinned to the host; cell 1 has the most free cores (cell 0 gives core 0 to the host).
    let r1 = fix(&recs, RecommendationId::R1);
    assert_eq!(r1.patch.placement_hosts, Some(vec![HP_HOST]));
    assert_eq!(
        format_vcpu_pins(r1.patch.cpu_pinning.as_ref().unwrap()),
        "0#8_1#24_2#9_3#25"
    );
    assert_eq!(r1.patch.emulator_pin.as_ref().unwrap().to_string(), "10,26");
    assert_eq!(r1.patch.cpu, None, "1×2×2 fits the host as it is");
    assert!(r1.summary.contains("Pin 4 vCPUs to host hp1"), "{}", r1.summary);
    // R2: IO thread next to the emulator, same cell, outside the vCPUs.
    let r2 = fix(&recs, RecommendationId::R2);
    assert_eq!(
        format_io_thread_pins(r2.patch.io_thread_pins.as_ref().unwrap()),
        "1#10,26"
    );
    // R3: one node on cell 1 with all the memory, strict.
    let r3 = fix(&recs, RecommendationId::R3);
    let nodes = r3.patch.numa_nodes.as_ref().unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(
        (
            nodes[0].cpus.to_string(),
            nodes[0].memory_mib,
            nodes[0].host_nodes.clone()
        ),
        ("0-3".into(), 8192, vec![1])
    );
    assert_eq!(r3.patch.numa_tune_mode, Some(NumaTuneMode::Strict));
    // R4: KSM is on in the cluster.
    assert_eq!(fix(&recs, RecommendationId::R4).patch.ksm_disabled, Some(true));
    // R5: the largest size the free pages cover: 8 × 1 GiB from cell 1's 16.
    let r5 = fix(&recs, RecommendationId::R5);
    assert_eq!(
        r5.patch.huge_pages,
        Some(HugePages {
            size_kib: 1_048_576,
            count: 8
        })
    );
    assert!(r5.host_action.is_none());

    // Every fix applied: nothing left to recommend.
    let fixed = apply_fixes(&cfg, &ctx, &RecommendationId::ALL);
    assert!(
        recommendations(&fixed, &ctx).is_empty(),
        "{:#?}",
        recommendations(&fixed, &ctx)
    );
}

#[test]
fn two_guest_sockets_mirror_two_host_cells() {
    let ctx = hp_ctx();
    let cfg = hp_vm(2, 4, 2, 16384);
    let fixed = apply_fixes(&cfg, &ctx, &RecommendationId::ALL);
    let nodes = &fixed.numa_nodes;
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        (
            nodes[0].cpus.to_string(),
            nodes[0].host_nodes.clone(),
            nodes[0].memory_mib
        ),
        ("0-7".into(), vec![1], 8192)
    );
    assert_eq!(
        (
            nodes[1].cpus.to_string(),
            nodes[1].host_nodes.clone(),
            nodes[1].memory_mib
        ),
        ("8-15".into(), vec![0], 8192)
    );
    // 8 GiB per cell in 1 GiB pages: 8 of each cell's 16.
    assert_eq!(
        fixed.huge_pages,
        Some(HugePages {
            size_kib: 1_048_576,
            count: 16
        })
    );
    assert!(recommendations(&fixed, &ctx).is_empty());
}

#[test]
fn the_small_host_gets_its_own_fixes() {
    let ctx = small_ctx();
    let cfg = hp_vm(1, 2, 1, 2048);
    let recs = recommendations(&cfg, &ctx);
    assert_eq!(ids(&recs), HOST_SIDE);
    let r1 = fix(&recs, RecommendationId::R1);
    assert_eq!(format_vcpu_pins(r1.patch.cpu_pinning.as_ref().unwrap()), "0#1_1#2");
    assert_eq!(r1.patch.emulator_pin.as_ref().unwrap().to_string(), "3");
    assert_eq!(
        format_io_thread_pins(fix(&recs, RecommendationId::R2).patch.io_thread_pins.as_ref().unwrap()),
        "1#3"
    );
    let nodes = fix(&recs, RecommendationId::R3).patch.numa_nodes.clone().unwrap();
    assert_eq!(nodes[0].host_nodes, vec![0]);
    // No 1 GiB pages on this host: 2 MiB ones.
    assert_eq!(
        fix(&recs, RecommendationId::R5).patch.huge_pages,
        Some(HugePages {
            size_kib: 2048,
            count: 1024
        })
    );
    let fixed = apply_fixes(&cfg, &ctx, &RecommendationId::ALL);
    assert!(recommendations(&fixed, &ctx).is_empty());
}

#[test]
fn a_guest_topology_that_does_not_fit_is_reshaped_by_the_fix() {
    let ctx = small_ctx();
    let mut cfg = hp_vm(1, 1, 2, 1024);
    cfg.placement_hosts = vec![SMALL_HOST];
    let recs = recommendations(&cfg, &ctx);
    let r1 = &recs[0];
    assert!(r1.message.contains("does not fit host small1"), "{}", r1.message);
    let f = r1.fix.as_ref().unwrap();
    assert_eq!(
        f.patch.cpu,
        Some(CpuTopology {
            sockets: 1,
            cores: 2,
            threads: 1
        })
    );
    assert!(f.changes.iter().any(|c| c.field == "cpu" && c.new == "1 × 2 × 1"));
}

#[test]
fn when_the_vcpus_cannot_fit_there_is_no_fix_and_the_message_says_why() {
    let ctx = small_ctx();
    let mut cfg = hp_vm(1, 4, 1, 1024);
    cfg.placement_hosts = vec![SMALL_HOST];
    let recs = recommendations(&cfg, &ctx);
    assert!(recs[0].fix.is_none());
    assert!(recs[0].message.contains("cannot fit 4 vCPUs"), "{}", recs[0].message);
    // With no pinning to build on, R2 and R3 cannot be computed either.
    let r2 = recs.iter().find(|r| r.id == RecommendationId::R2).unwrap();
    assert!(r2.fix.is_none() && r2.message.contains("Pin the vCPUs"));
    // Unpinned and no host with room: R1 says so.
    let unpinned = hp_vm(1, 4, 1, 1024);
    let r1 = &recommendations(&unpinned, &ctx)[0];
    assert!(r1.fix.is_none());
    assert!(
        r1.message.contains("No host in cluster Default has 4 free CPUs"),
        "{}",
        r1.message
    );
}

/// The HP host with `cpus` held by another VM, "db1".
fn hp_ctx_held_by_db1(cpus: &str) -> RuleContext {
    let mut ctx = hp_ctx();
    ctx.hosts[0].claims.push(CpuClaim {
        vm_name: "db1".into(),
        cpus: CpuSet::parse(cpus).unwrap(),
    });
    ctx
}

#[test]
fn fixes_never_reuse_cpus_other_hp_vms_hold() {
    // Another VM holds cell 1's cores 8-11 (and their siblings through whole-core claims).
    let ctx = hp_ctx_held_by_db1("8-11");
    let fixed = apply_fixes(&hp_vm(1, 2, 2, 4096), &ctx, &RecommendationId::ALL);
    let used = fixed.claimed_cpus();
    assert!(!used.intersects(&CpuSet::parse("8-11,24-27").unwrap()), "used {used}");
    // Cell 0 now has more free cores (7 vs 4).
    assert_eq!(format_vcpu_pins(&fixed.cpu_pinning), "0#1_1#17_2#2_3#18");
    assert!(recommendations(&fixed, &ctx).is_empty());
}

#[test]
fn pin_now_avoids_cpus_running_dedicated_vms_hold() {
    // A VM under the dedicated policy runs on cell 1's cores 8-11: its pins exist only for this
    // run (no saved claim), yet pinning onto them would make this VM's start fail while it runs.
    let mut ctx = hp_ctx();
    ctx.hosts[0].running.push(CpuClaim {
        vm_name: "batch-7".into(),
        cpus: CpuSet::parse("8-11").unwrap(),
    });
    let fixed = apply_fixes(&hp_vm(1, 2, 2, 4096), &ctx, &RecommendationId::ALL);
    let used = fixed.claimed_cpus();
    assert!(!used.intersects(&CpuSet::parse("8-11,24-27").unwrap()), "used {used}");
    // The same choice as when those CPUs are a saved claim: cell 0 has more free cores.
    assert_eq!(format_vcpu_pins(&fixed.cpu_pinning), "0#1_1#17_2#2_3#18");
}

#[test]
fn manual_pins_on_someone_elses_cpus_are_flagged() {
    let ctx = hp_ctx_held_by_db1("2");
    let mut cfg = apply_fixes(&hp_vm(1, 1, 1, 1024), &hp_ctx(), &RecommendationId::ALL);
    cfg.cpu_pinning = vec![VcpuPin {
        vcpu: 0,
        cpuset: CpuSet::single(2),
    }];
    let recs = recommendations(&cfg, &ctx);
    assert_eq!(recs[0].id, RecommendationId::R1);
    assert!(recs[0].message.contains("also held by db1"), "{}", recs[0].message);
    assert!(!recs[0].fix.as_ref().unwrap().patch.cpu_pinning.as_ref().unwrap()[0]
        .cpuset
        .contains(2));
}

#[test]
fn complete_pinning_without_emulator_pin_only_adds_the_emulator_pin() {
    let ctx = hp_ctx();
    let mut cfg = apply_fixes(&hp_vm(1, 2, 2, 4096), &ctx, &RecommendationId::ALL);
    cfg.emulator_pin = None;
    let recs = recommendations(&cfg, &ctx);
    assert_eq!(ids(&recs), vec![RecommendationId::R1]);
    let f = recs[0].fix.as_ref().unwrap();
    assert_eq!(
        f.patch,
        ConfigPatch {
            emulator_pin: Some(CpuSet::parse("10,26").unwrap()),
            ..ConfigPatch::default()
        }
    );
}

#[test]
fn r2_turns_io_threads_on_when_they_are_off() {
    let ctx = hp_ctx();
    let mut cfg = apply_fixes(&hp_vm(1, 2, 2, 4096), &ctx, &RecommendationId::ALL);
    cfg.io_threads = 0;
    cfg.io_thread_pins.clear();
    let recs = recommendations(&cfg, &ctx);
    assert_eq!(ids(&recs), vec![RecommendationId::R2]);
    assert!(recs[0].message.contains("IO threads are off"));
    assert_eq!(recs[0].fix.as_ref().unwrap().patch.io_threads, Some(1));
    // IO threads pinned onto the vCPUs' CPUs are flagged too.
    let mut onto = apply_fixes(&hp_vm(1, 2, 2, 4096), &ctx, &RecommendationId::ALL);
    onto.io_thread_pins = vec![IoThreadPin {
        iothread: 1,
        cpuset: CpuSet::single(8),
    }];
    assert!(recommendations(&onto, &ctx)[0].message.contains("onto the vCPUs"));
}

#[test]
fn r3_flags_nodes_that_do_not_match_the_pinning() {
    let ctx = hp_ctx();
    let mut cfg = apply_fixes(&hp_vm(1, 2, 2, 4096), &ctx, &RecommendationId::ALL);
    cfg.numa_nodes[0].host_nodes = vec![0]; // vCPUs run on cell 1
    let recs = recommendations(&cfg, &ctx);
    // R5 is judged as if R3's fix were applied, so only R3 remains.
    assert_eq!(ids(&recs), vec![RecommendationId::R3]);
    assert!(recs[0].message.contains("do not match"));
    cfg.numa_nodes[0].host_nodes.clear();
    assert!(recommendations(&cfg, &ctx)[0].message.contains("not pinned"));
}

#[test]
fn r4_is_met_by_the_vm_the_cluster_or_the_host() {
    let cfg = apply_fixes(&hp_vm(1, 2, 2, 4096), &hp_ctx(), &[RecommendationId::R1]);
    let has_r4 = |ctx: &RuleContext, cfg: &VmConfig| ids(&recommendations(cfg, ctx)).contains(&RecommendationId::R4);
    assert!(has_r4(&hp_ctx(), &cfg));
    let mut cluster_off = hp_ctx();
    cluster_off.cluster.ksm_enabled = false;
    assert!(!has_r4(&cluster_off, &cfg));
    let mut host_off = hp_ctx();
    host_off.hosts[0].ksm_running = Some(false);
    assert!(!has_r4(&host_off, &cfg));
    let vm_off = VmConfig {
        ksm_disabled: true,
        ..cfg.clone()
    };
    assert!(!has_r4(&hp_ctx(), &vm_off));
    assert!(recommendations(&cfg, &hp_ctx())
        .iter()
        .find(|r| r.id == RecommendationId::R4)
        .unwrap()
        .message
        .contains("cluster Default"));
}

#[test]
fn r5_rejects_a_size_the_host_lacks_and_offers_one_it_has() {
    let ctx = small_ctx();
    let mut cfg = apply_fixes(&hp_vm(1, 2, 1, 2048), &ctx, &RecommendationId::ALL);
    // A size the host lacks is a validation error, and a configuration that fails validation gets
    // no recommendations (its fixes would be computed from unchecked numbers).
    let mut lacking = cfg.clone();
    lacking.huge_pages = Some(HugePages {
        size_kib: 1_048_576,
        count: 2,
    });
    let errors = crate::domain::validation::validate_config(&lacking, &ctx);
    assert_eq!(errors[0].message, "Host small1 offers no 1 GiB pages.");
    assert!(recommendations(&lacking, &ctx).is_empty());
    assert_eq!(apply_fixes(&lacking, &ctx, &RecommendationId::ALL), lacking);
    // Without huge pages, R5 offers the size the host has.
    cfg.huge_pages = None;
    let recs = recommendations(&cfg, &ctx);
    assert_eq!(ids(&recs), vec![RecommendationId::R5]);
    assert!(
        recs[0].message.contains("not backed by huge pages"),
        "{}",
        recs[0].message
    );
    assert_eq!(
        recs[0].fix.as_ref().unwrap().patch.huge_pages,
        Some(HugePages {
            size_kib: 2048,
            count: 1024
        })
    );
}

#[test]
fn r5_offers_to_allocate_pages_when_free_ones_do_not_cover() {
    let ctx = small_ctx();
    // 6 GiB needs 3072 × 2 MiB; the small host has 2048 free.
    let cfg = hp_vm(1, 2, 1, 6144);
    let recs = recommendations(&cfg, &ctx);
    let f = fix(&recs, RecommendationId::R5);
    assert_eq!(
        f.patch.huge_pages,
        Some(HugePages {
            size_kib: 2048,
            count: 3072
        })
    );
    assert_eq!(
        f.host_action,
        Some(HostAction::AllocateHugePages {
            host_id: SMALL_HOST,
            host_name: "small1".into(),
            size_kib: 2048,
            per_cell: vec![(0, 1024)]
        })
    );
    assert!(
        f.summary
            .contains("Allocate 1024 more 2 MiB pages on host small1 (simulated"),
        "{}",
        f.summary
    );
}

#[test]
fn r5_without_a_host_has_no_fix() {
    let mut ctx = small_ctx();
    ctx.hosts.clear();
    let recs = recommendations(&hp_vm(1, 1, 1, 1024), &ctx);
    let r5 = recs.iter().find(|r| r.id == RecommendationId::R5).unwrap();
    assert!(r5.fix.is_none());
    assert!(r5.message.contains("Pin the VM to a host first"));
}

#[test]
fn odd_memory_sizes_have_no_huge_page_fix() {
    let ctx = hp_ctx();
    let cfg = apply_fixes(
        &hp_vm(1, 1, 1, 1025),
        &ctx,
        &[RecommendationId::R1, RecommendationId::R2, RecommendationId::R3],
    );
    let r5 = recommendations(&cfg, &ctx)
        .into_iter()
        .find(|r| r.id == RecommendationId::R5)
        .unwrap();
    assert!(r5.fix.is_none());
    assert!(r5.message.contains("not a multiple of any page size"), "{}", r5.message);
}

#[test]
fn recommendations_are_deterministic_and_fixes_compose() {
    let ctx = hp_ctx();
    let mut cfg = hp_vm(2, 3, 2, 12288);
    cfg.disks = with_disks(VmConfig::default(), &[DiskInterface::Sata, DiskInterface::Virtio]).disks;
    cfg.nics = with_nics(VmConfig::default(), &[NicModel::E1000e]).nics;
    cfg.multi_queues_enabled = false;
    // Real-time vCPUs without pins or huge pages: R8 too.
    cfg.realtime_vcpus = crate::domain::realtime::default_mask(cfg.vcpus());
    assert_eq!(ids(&recommendations(&cfg, &ctx)), RecommendationId::ALL);
    assert_eq!(recommendations(&cfg, &ctx), recommendations(&cfg, &ctx));
    // Applying one fix at a time in order ends where applying all at once does.
    let mut stepwise = cfg.clone();
    for id in RecommendationId::ALL {
        stepwise = apply_fixes(&stepwise, &ctx, &[id]);
    }
    assert_eq!(stepwise, apply_fixes(&cfg, &ctx, &RecommendationId::ALL));
}

#[test]
fn memory_splits_in_whole_gib_when_possible() {
    assert_eq!(split_memory(16384, &[8, 8]), vec![8192, 8192]);
    assert_eq!(split_memory(12288, &[2, 1]), vec![8192, 4096]);
    assert_eq!(
        split_memory(3072, &[1, 1]),
        vec![1024, 2048],
        "the last node takes the remainder"
    );
    assert_eq!(split_memory(1000, &[1, 1]), vec![500, 500], "2 MiB steps");
    assert_eq!(split_memory(3, &[1, 1]), vec![1, 2]);
    assert_eq!(split_memory(1024, &[]), Vec::<u64>::new());
}

#[test]
fn recommendation_ids_round_trip() {
    for id in RecommendationId::ALL {
        assert_eq!(RecommendationId::parse(id.as_str()), Some(id));
    }
    assert_eq!(RecommendationId::parse("R9"), None);
}

#[test]
fn r6_a_profiled_vm_with_paravirtual_disks_is_already_tuned() {
    let ctx = hp_ctx();
    // Disks attached first, then High Performance chosen: A12 and A13 did R6's work.
    let cfg = profiled(
        &with_disks(
            hp_vm(1, 2, 2, 8192),
            &[DiskInterface::Virtio, DiskInterface::VirtioScsi],
        ),
        OptimizedFor::HighPerformance,
    );
    // Pinned at save time (the profile's `dedicated` default would leave R1–R3 to the start).
    let cfg = VmConfig {
        cpu_pinning_policy: CpuPinningPolicy::None,
        ..cfg
    };
    assert!(!ids(&recommendations(&cfg, &ctx)).contains(&RecommendationId::R6));
    let fixed = apply_fixes(&cfg, &ctx, &RecommendationId::ALL);
    assert!(recommendations(&fixed, &ctx).is_empty());
    assert_eq!(fixed.disks, cfg.disks, "other fixes leave the disks alone");
}

#[test]
fn r6_an_emulated_disk_moves_to_virtio_onto_an_io_thread() {
    let ctx = hp_ctx();
    let cfg = profiled(
        &with_disks(hp_vm(1, 2, 2, 8192), &[DiskInterface::Virtio, DiskInterface::Sata]),
        OptimizedFor::HighPerformance,
    );
    assert_eq!(cfg.disks[1].iothread, None, "the profile cannot give SATA an IO thread");
    let recs = recommendations(&cfg, &ctx);
    let r6 = recs.iter().find(|r| r.id == RecommendationId::R6).expect("R6");
    assert_eq!(r6.title, "Disk performance");
    assert_eq!(r6.tab, DialogTab::General);
    assert_eq!(
        r6.message,
        "Disk 2 is on an emulated bus (every request goes through QEMU's SATA model)."
    );
    let f = fix(&recs, RecommendationId::R6);
    assert_eq!(
        f.summary,
        "Tune 2 disks: move disk 2 to VirtIO, cache none, io native, spread over 1 IO thread"
    );
    let disks = f.patch.disks.as_ref().unwrap();
    assert_eq!(disks[1].interface, DiskInterface::Virtio);
    assert_eq!(disks[1].iothread, Some(1));
    assert_eq!(f.patch.io_threads, Some(1), "the VM's own count, kept");
    let fields: Vec<&str> = f.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["disks[1].interface", "disks[1].iothread"]);
    assert_eq!(
        (f.changes[0].old.as_str(), f.changes[0].new.as_str()),
        ("SATA (emulated)", "VirtIO")
    );
    let fixed = apply_fixes(&cfg, &ctx, &[RecommendationId::R6]);
    assert!(!ids(&recommendations(&fixed, &ctx)).contains(&RecommendationId::R6));
    assert!(validate_config(&fixed, &ctx).is_empty());
}

#[test]
fn r6_cached_and_threadless_disks_with_no_io_threads_at_all() {
    // No host: R2 has no fix that would add the IO thread first, so R6's fix adds it.
    let mut ctx = hp_ctx();
    ctx.hosts.clear();
    let mut cfg = with_disks(
        hp_vm(1, 2, 2, 8192),
        &[DiskInterface::Virtio, DiskInterface::VirtioScsi, DiskInterface::Sata],
    );
    // The user turned the IO threads off after choosing High Performance; the disks kept the
    // hypervisor's modes.
    cfg.io_threads = 0;
    cfg.disks[2].cache = DiskCache::Writeback;
    cfg.disks[2].io = DiskIo::Threads;
    assert!(validate_config(&cfg, &ctx).is_empty());
    let recs = recommendations(&cfg, &ctx);
    let r6 = recs.iter().find(|r| r.id == RecommendationId::R6).expect("R6");
    assert_eq!(
        r6.message,
        "Disk 3 is on an emulated bus (every request goes through QEMU's SATA model); \
         disks 1, 2 are without an IO thread (their IO competes with QEMU's main loop); \
         disks 1, 2, 3 are through the host page cache or without native AIO."
    );
    let f = fix(&recs, RecommendationId::R6);
    assert_eq!(f.patch.io_threads, Some(1));
    assert_eq!(f.changes[0].field, "io_threads");
    assert_eq!((f.changes[0].old.as_str(), f.changes[0].new.as_str()), ("off", "1"));
    let cache = f.changes.iter().find(|c| c.field == "disks[2].cache").unwrap();
    assert_eq!(
        (cache.old.as_str(), cache.new.as_str()),
        ("cache writeback, io threads", "cache none, io native")
    );
    assert!(f.changes.iter().all(|c| !c.reason.is_empty()));
    let disks = f.patch.disks.as_ref().unwrap();
    assert!(disks
        .iter()
        .all(|d| d.cache == DiskCache::None && d.io == DiskIo::Native && d.iothread == Some(1)));
    assert_eq!(disks[1].interface, DiskInterface::VirtioScsi, "virtio-scsi stays");

    let fixed = apply_fixes(&cfg, &ctx, &[RecommendationId::R6]);
    assert!(validate_config(&fixed, &ctx).is_empty());
    assert!(!ids(&recommendations(&fixed, &ctx)).contains(&RecommendationId::R6));

    // On the HP host R2's fix adds the IO thread first; R6's patch still carries the count, so
    // applied alone it leaves no disk on a thread the VM lacks.
    let ctx = hp_ctx();
    let recs = recommendations(&cfg, &ctx);
    let f = fix(&recs, RecommendationId::R6);
    assert_eq!(f.patch.io_threads, Some(1));
    assert!(f.changes.iter().all(|c| c.field != "io_threads"), "R2 lists it");
    for which in [&[RecommendationId::R6][..], &RecommendationId::ALL[..]] {
        let fixed = apply_fixes(&cfg, &ctx, which);
        assert!(validate_config(&fixed, &ctx).is_empty(), "{which:?}");
        assert!(!ids(&recommendations(&fixed, &ctx)).contains(&RecommendationId::R6));
    }
    let all = apply_fixes(&cfg, &ctx, &RecommendationId::ALL);
    assert!(
        recommendations(&all, &ctx).is_empty(),
        "{:#?}",
        recommendations(&all, &ctx)
    );
}

#[test]
fn r6_spreads_disks_round_robin_over_the_io_threads() {
    let ctx = hp_ctx();
    let mut cfg = with_disks(hp_vm(1, 2, 2, 8192), &[DiskInterface::Virtio; 5]);
    cfg.io_threads = 2;
    let f = fix(&recommendations(&cfg, &ctx), RecommendationId::R6).clone();
    let threads: Vec<_> = f.patch.disks.unwrap().iter().map(|d| d.iothread).collect();
    assert_eq!(threads, vec![Some(1), Some(2), Some(1), Some(2), Some(1)]);
    assert!(f.summary.ends_with("spread over 2 IO threads"), "{}", f.summary);
}

#[test]
fn r6_is_for_high_performance_only_and_never_for_the_cd() {
    let ctx = hp_ctx();
    let server = with_disks(VmConfig::default(), &[DiskInterface::Sata]);
    assert!(recommendations(&server, &ctx).is_empty());
    let mut cfg = hp_vm(1, 2, 2, 8192);
    cfg.cdrom = Some(Uuid::from_u128(7));
    assert!(!ids(&recommendations(&cfg, &ctx)).contains(&RecommendationId::R6));
    // An invalid disk list (an IO thread the VM lacks) gets no recommendation at all.
    let mut bad = with_disks(hp_vm(1, 2, 2, 8192), &[DiskInterface::Virtio]);
    bad.disks[0].iothread = Some(9);
    assert!(recommendations(&bad, &ctx).is_empty());
    assert_eq!(apply_fixes(&bad, &ctx, &RecommendationId::ALL), bad);
}

/// `cfg` with plugged NICs of these models (ids 1, 2, ...; named nic1, nic2, ...).
fn with_nics(cfg: VmConfig, models: &[NicModel]) -> VmConfig {
    VmConfig {
        nics: models
            .iter()
            .enumerate()
            .map(|(i, model)| Nic {
                model: *model,
                ..Nic::with_id(Uuid::from_u128(i as u128 + 1), format!("nic{}", i + 1), None)
            })
            .collect(),
        ..cfg
    }
}

#[test]
fn r7_emulated_nics_move_to_virtio() {
    use NicModel::*;
    let ctx = hp_ctx();
    let cfg = with_nics(hp_vm(1, 2, 2, 8192), &[Virtio, E1000e, Rtl8139]);
    assert!(cfg.multi_queues_enabled, "A14 turned it on");
    assert!(validate_config(&cfg, &ctx).is_empty());
    let recs = recommendations(&cfg, &ctx);
    let r7 = recs.iter().find(|r| r.id == RecommendationId::R7).expect("R7");
    assert_eq!(r7.title, "Network performance");
    assert_eq!(r7.tab, DialogTab::General);
    assert_eq!(
        r7.message,
        "nic2 and nic3 use emulated models (every packet costs a VM exit)."
    );
    let f = fix(&recs, RecommendationId::R7);
    assert_eq!(f.summary, "Move nic2 and nic3 to VirtIO");
    assert!(f.host_action.is_none());
    assert_eq!(f.patch.multi_queues_enabled, None, "already on");
    let nics = f.patch.nics.as_ref().unwrap();
    assert!(nics.iter().all(|n| n.model == Virtio));
    assert_eq!(
        nics.iter().map(|n| (n.id, n.name.as_str())).collect::<Vec<_>>(),
        cfg.nics.iter().map(|n| (n.id, n.name.as_str())).collect::<Vec<_>>(),
        "the same NICs, in order"
    );
    let fields: Vec<&str> = f.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["nics[1].model", "nics[2].model"]);
    assert_eq!(
        (
            f.changes[1].old.as_str(),
            f.changes[1].new.as_str(),
            f.changes[1].label.as_str()
        ),
        ("rtl8139 (emulated)", "VirtIO", "Network Interfaces")
    );
    assert!(f.changes.iter().all(|c| !c.reason.is_empty()));
    // The patch touches nothing but the NICs.
    assert_eq!(
        ConfigPatch {
            nics: None,
            ..f.patch.clone()
        },
        ConfigPatch::default()
    );
    let fixed = apply_fixes(&cfg, &ctx, &[RecommendationId::R7]);
    assert!(validate_config(&fixed, &ctx).is_empty());
    assert!(!ids(&recommendations(&fixed, &ctx)).contains(&RecommendationId::R7));
    // One NIC: the message says so in the singular.
    let one = with_nics(hp_vm(1, 2, 2, 8192), &[E1000e]);
    let recs = recommendations(&one, &ctx);
    assert_eq!(
        recs.iter().find(|r| r.id == RecommendationId::R7).unwrap().message,
        "nic1 uses an emulated model (every packet costs a VM exit)."
    );
}

#[test]
fn r7_multiqueue_off_with_nics_is_turned_on() {
    let ctx = hp_ctx();
    let mut cfg = with_nics(hp_vm(1, 2, 2, 8192), &[NicModel::Virtio]);
    cfg.multi_queues_enabled = false;
    let recs = recommendations(&cfg, &ctx);
    let r7 = recs.iter().find(|r| r.id == RecommendationId::R7).expect("R7");
    assert_eq!(
        r7.message,
        "Multiqueue is off: every NIC has one queue pair for the VM's 4 vCPUs."
    );
    let f = fix(&recs, RecommendationId::R7);
    assert_eq!(
        f.patch,
        ConfigPatch {
            multi_queues_enabled: Some(true),
            ..ConfigPatch::default()
        }
    );
    assert_eq!(
        f.summary,
        "Enable multiqueue (4 queue pairs per NIC whose vNIC profile allows it)"
    );
    let change = &f.changes[0];
    assert_eq!(
        (
            change.field.as_str(),
            change.old.as_str(),
            change.new.as_str(),
            change.tab
        ),
        ("multi_queues_enabled", "off", "on", DialogTab::ResourceAllocation)
    );
    let fixed = apply_fixes(&cfg, &ctx, &RecommendationId::ALL);
    assert!(fixed.multi_queues_enabled);
    assert!(
        recommendations(&fixed, &ctx).is_empty(),
        "{:#?}",
        recommendations(&fixed, &ctx)
    );
    // 64 vCPUs: the queues are capped at 16.
    let mut wide = with_nics(hp_vm(2, 16, 2, 8192), &[NicModel::Virtio]);
    wide.multi_queues_enabled = false;
    let mut no_hosts = hp_ctx();
    no_hosts.hosts.clear();
    let recs = recommendations(&wide, &no_hosts);
    assert!(fix(&recs, RecommendationId::R7).summary.contains("16 queue pairs"));
}

#[test]
fn r7_both_problems_in_one_fix() {
    let ctx = hp_ctx();
    let mut cfg = with_nics(hp_vm(1, 2, 2, 8192), &[NicModel::Rtl8139, NicModel::Virtio]);
    cfg.multi_queues_enabled = false;
    let recs = recommendations(&cfg, &ctx);
    let r7 = recs.iter().find(|r| r.id == RecommendationId::R7).expect("R7");
    assert_eq!(
        r7.message,
        "nic1 uses an emulated model (every packet costs a VM exit). \
         Multiqueue is off: every NIC has one queue pair for the VM's 4 vCPUs."
    );
    let f = fix(&recs, RecommendationId::R7);
    assert_eq!(
        f.summary,
        "Move nic1 to VirtIO and enable multiqueue (4 queue pairs per NIC whose vNIC profile allows it)"
    );
    let fields: Vec<&str> = f.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["nics[0].model", "multi_queues_enabled"]);
    let fixed = apply_fixes(&cfg, &ctx, &[RecommendationId::R7]);
    assert!(fixed.multi_queues_enabled && fixed.nics.iter().all(|n| n.model == NicModel::Virtio));
    assert!(validate_config(&fixed, &ctx).is_empty());
    assert!(!ids(&recommendations(&fixed, &ctx)).contains(&RecommendationId::R7));
}

#[test]
fn r7_leaves_alone_what_does_not_carry_traffic() {
    let ctx = hp_ctx();
    let has_r7 = |cfg: &VmConfig| ids(&recommendations(cfg, &ctx)).contains(&RecommendationId::R7);
    // No NICs: multiqueue off means nothing yet.
    let mut bare = hp_vm(1, 2, 2, 8192);
    bare.multi_queues_enabled = false;
    assert!(!has_r7(&bare));
    // An unplugged emulated NIC is no device of the VM.
    let mut unplugged = with_nics(hp_vm(1, 2, 2, 8192), &[NicModel::E1000e]);
    unplugged.nics[0].plugged = false;
    assert!(!has_r7(&unplugged));
    unplugged.multi_queues_enabled = false;
    assert!(!has_r7(&unplugged));
    // One vCPU: one queue pair is all multiqueue would give.
    let mut single = with_nics(hp_vm(1, 1, 1, 8192), &[NicModel::Virtio]);
    single.multi_queues_enabled = false;
    assert!(!has_r7(&single));
    // ...but an emulated model is still flagged, and the fix leaves multiqueue alone.
    single.nics[0].model = NicModel::E1000e;
    let recs = recommendations(&single, &ctx);
    let f = fix(&recs, RecommendationId::R7);
    assert_eq!(f.patch.multi_queues_enabled, None);
    assert_eq!(f.summary, "Move nic1 to VirtIO");
    // Server and Desktop VMs get no recommendations at all.
    for p in [OptimizedFor::Server, OptimizedFor::Desktop] {
        let vm = with_nics(
            crate::domain::test_hosts::profiled_vm(p, 1, 2, 2, 4096),
            &[NicModel::Rtl8139],
        );
        assert!(recommendations(&vm, &ctx).is_empty());
    }
}

#[test]
fn a_patch_without_the_nic_fields_still_reads() {
    // Patches stored or sent before NICs existed lack the NIC fields: they patch nothing there.
    let patch: ConfigPatch = serde_json::from_str(r#"{"ksm_disabled": true}"#).unwrap();
    assert_eq!(
        patch,
        ConfigPatch {
            ksm_disabled: Some(true),
            ..ConfigPatch::default()
        }
    );
    let mut cfg = with_nics(VmConfig::default(), &[NicModel::E1000e]);
    let before = cfg.nics.clone();
    patch.apply(&mut cfg);
    assert_eq!(cfg.nics, before);
    assert!(!cfg.multi_queues_enabled);
}

#[test]
fn r1_offers_pinning_now_or_dedicated_cpus_at_start() {
    let ctx = hp_ctx();
    let cfg = hp_vm(1, 2, 2, 4096);
    let r1 = recommendations(&cfg, &ctx)
        .into_iter()
        .find(|r| r.id == RecommendationId::R1)
        .expect("R1 for an unpinned VM");
    let now = r1.fix.clone().expect("pin now");
    let mut pinned = cfg.clone();
    now.patch.apply(&mut pinned);
    assert_eq!(
        pinned.cpu_pinning_policy,
        CpuPinningPolicy::Manual,
        "pinning now is manual pinning"
    );
    assert!(!pinned.cpu_pinning.is_empty());
    assert!(now.changes.iter().any(|c| c.field == "cpu_pinning_policy"));

    let later = r1.alternative.clone().expect("dedicated at start");
    assert!(
        later.summary.contains("Dedicated CPUs at each start"),
        "{}",
        later.summary
    );
    let mut dedicated = pinned.clone();
    later.patch.apply(&mut dedicated);
    assert_eq!(dedicated.cpu_pinning_policy, CpuPinningPolicy::Dedicated);
    assert!(dedicated.cpu_pinning.is_empty() && dedicated.emulator_pin.is_none());
    assert!(dedicated.io_thread_pins.is_empty());
    assert!(dedicated.numa_nodes.iter().all(|n| n.host_nodes.is_empty()));
    assert!(
        validate_config(&dedicated, &ctx).is_empty(),
        "{:?}",
        validate_config(&dedicated, &ctx)
    );
    // Under a start-time policy R1–R3 are met: the start pins the vCPUs, IO threads and vNUMA.
    let left = ids(&recommendations(&dedicated, &ctx));
    for id in [RecommendationId::R1, RecommendationId::R2, RecommendationId::R3] {
        assert!(!left.contains(&id), "{id:?} in {left:?}");
    }
}

#[test]
fn r8_offers_pinning_and_huge_pages_for_real_time_in_one_click() {
    let ctx = hp_ctx();
    let mut cfg = hp_vm(1, 2, 2, 4096);
    cfg.realtime_vcpus = crate::domain::realtime::default_mask(cfg.vcpus());
    let recs = recommendations(&cfg, &ctx);
    let r8 = recs.iter().find(|r| r.id == RecommendationId::R8).expect("R8");
    assert_eq!(r8.tab, DialogTab::ResourceAllocation);
    assert!(
        r8.message.contains("1-3") && r8.message.contains("pinned vCPUs and huge pages"),
        "{}",
        r8.message
    );
    let fix = r8.fix.as_ref().expect("R1 and R5 have fixes here, so R8 has one");
    let (r1, r5) = (
        recs.iter()
            .find(|r| r.id == RecommendationId::R1)
            .unwrap()
            .fix
            .clone()
            .unwrap(),
        recs.iter()
            .find(|r| r.id == RecommendationId::R5)
            .unwrap()
            .fix
            .clone()
            .unwrap(),
    );
    assert_eq!(fix.patch.cpu_pinning, r1.patch.cpu_pinning);
    assert_eq!(fix.patch.huge_pages, r5.patch.huge_pages);
    assert!(fix.summary.contains(&r1.summary) && fix.summary.contains(&r5.summary));
    // One click: R8's fix alone makes the VM start-ready, and R8 goes away.
    let fixed = apply_fixes(&cfg, &ctx, &[RecommendationId::R8]);
    assert!(crate::domain::realtime::realtime_start_errors(&fixed).is_empty());
    assert!(validate_config(&fixed, &ctx).is_empty());
    assert!(!ids(&recommendations(&fixed, &ctx)).contains(&RecommendationId::R8));
}

#[test]
fn r8_asks_only_for_what_is_missing_and_is_quiet_without_real_time() {
    let ctx = hp_ctx();
    let cfg = apply_fixes(&hp_vm(1, 2, 2, 4096), &ctx, &[RecommendationId::R1]);
    assert!(
        !ids(&recommendations(&cfg, &ctx)).contains(&RecommendationId::R8),
        "real-time off"
    );
    let mut rt = cfg.clone();
    rt.realtime_vcpus = crate::domain::realtime::default_mask(rt.vcpus());
    let r8 = recommendations(&rt, &ctx)
        .into_iter()
        .find(|r| r.id == RecommendationId::R8)
        .unwrap();
    assert!(r8.message.contains("need huge pages"), "{}", r8.message);
    let fix = r8.fix.unwrap();
    assert_eq!(fix.patch.cpu_pinning, None, "already pinned");
    assert!(fix.patch.huge_pages.is_some());
    assert_eq!(
        fix.changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
        vec!["huge_pages"]
    );
    // A start-time pinning policy counts as pinned too.
    let mut policy = hp_vm(1, 2, 2, 4096);
    policy.cpu_pinning_policy = crate::domain::vm_config::CpuPinningPolicy::Dedicated;
    policy.realtime_vcpus = crate::domain::realtime::default_mask(4);
    if let Some(r8) = recommendations(&policy, &ctx)
        .into_iter()
        .find(|r| r.id == RecommendationId::R8)
    {
        assert!(!r8.message.contains("pinned vCPUs"), "{}", r8.message);
    }
}

#[test]
fn r5_for_a_dedicated_vm_with_no_host_checks_every_host_of_the_cluster() {
    let ctx = hp_ctx();
    let cfg = VmConfig {
        cpu_pinning_policy: CpuPinningPolicy::Dedicated,
        ..hp_vm(1, 2, 2, 4096)
    };
    let r5 = recommendations(&cfg, &ctx)
        .into_iter()
        .find(|r| r.id == RecommendationId::R5)
        .expect("no huge pages yet");
    let fix = r5.fix.expect("a size the host's free pages cover");
    let mut fixed = cfg.clone();
    fix.patch.apply(&mut fixed);
    let hp = fixed.huge_pages.expect("huge pages");
    assert_eq!(hp.count * hp.size_kib, 4096 * 1024);
    assert!(!ids(&recommendations(&fixed, &ctx)).contains(&RecommendationId::R5));
}

#[test]
fn r8_without_a_computable_fix_says_what_to_set() {
    // 4 GiB + 1 MiB: no page size divides it, so R5 (and with it R8) has no fix.
    let ctx = hp_ctx();
    let mut cfg = apply_fixes(&hp_vm(1, 2, 2, 4097), &ctx, &[RecommendationId::R1]);
    cfg.realtime_vcpus = crate::domain::realtime::default_mask(cfg.vcpus());
    let r8 = recommendations(&cfg, &ctx)
        .into_iter()
        .find(|r| r.id == RecommendationId::R8)
        .unwrap();
    assert!(r8.fix.is_none());
    assert!(r8.message.contains("set Huge Pages"), "{}", r8.message);
}
