//! Hostile and arbitrary input through the rules (pentest rows 5, 8 and 12): regression tests for the
//! cases the pentest found, and property tests that run the service's pure sequence — the one
//! `server/src/service/configs.rs`'s `preview`/`save_checked` and the REST API's computed pinning run — over
//! arbitrary configurations and host topologies. They must never panic; their work is bounded by
//! the input bounds checked first (not by a timer here: the suite finishing is the evidence).

use super::cpu_set::CpuSet;
use super::dialog::refresh;
use super::domain_xml::{domain_xml, DiskDevice, DomainSpec, NicDevice, NicSource};
use super::draft::{from_pairs, ConfigKind, VmDraft};
use super::host_topology::{HostTopology, HUGE_PAGE_1G_KIB, HUGE_PAGE_2M_KIB};
use super::network::{MacAddress, Nic, NicModel, MAX_NICS, NETWORK_FILTERS};
use super::next_run::{defer_entire_edit, split_running_edit};
use super::pinning::{parse_io_thread_pins, parse_vcpu_pins};
use super::pinning_plan::{fitted_topology, plan_housekeeping, plan_vcpu_pins, PlanError};
use super::profile::{apply_profile, ProfileContext};
use super::recommendations::{apply_fixes, recommendations, recommendations_for, split_memory, RecommendationId};
use super::rule_context::{CpuClaim, RuleContext};
use super::storage::{BootDevice, DiskAttachment, DiskCache, DiskFormat, DiskInterface, DiskIo, MAX_DISKS};
use super::test_hosts::*;
use super::validation::{start_errors, validate, validate_config};
use super::vm_config::*;
use crate::error::FieldError;
use proptest::prelude::*;
use uuid::Uuid;

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

fn hp(cpu: CpuTopology, memory_mib: u64) -> VmConfig {
    VmConfig {
        optimized_for: OptimizedFor::HighPerformance,
        cpu,
        memory_mib,
        headless: true,
        serial_console: true,
        usb_enabled: false,
        cpu_passthrough: true,
        migration: MigrationMode::Pinned,
        memory_balloon: false,
        io_threads: 1,
        ..VmConfig::default()
    }
}

fn topo(sockets: u32, cores: u32, threads: u32) -> CpuTopology {
    CpuTopology {
        sockets,
        cores,
        threads,
    }
}

/// Row 5: 200 M vCPUs with a vNUMA node built a set of all their ids (2.6 s, 2 GB) before the vCPU
/// limit refused them; 65,536 × 65,536 wrapped (saturated) and would have built 4 G. Now the bound
/// is the only error and nothing of that size is built.
#[test]
fn huge_vcpu_counts_are_refused_before_anything_is_built() {
    let mut cfg = hp(topo(1, 200_000_000, 1), 4096);
    cfg.placement_hosts = vec![HP_HOST];
    cfg.numa_nodes = vec![VNumaNode {
        index: 0,
        cpus: CpuSet::single(0),
        memory_mib: 4096,
        host_nodes: vec![0],
    }];
    cfg.cpu_pinning = parse_vcpu_pins("0#1_1#2").unwrap();
    let e = validate_config(&cfg, &hp_ctx());
    assert_eq!(fields(&e), vec!["cpu"]);
    assert_eq!(e[0].message, "A VM can have at most 288 vCPUs; this one has 200000000.");
    assert!(recommendations(&cfg, &hp_ctx()).is_empty());

    cfg.cpu = topo(65_536, 65_536, 1);
    let e = validate_config(&cfg, &hp_ctx());
    assert_eq!(fields(&e), vec!["cpu"]);
    assert!(
        e[0].message.ends_with("this one has more than 4294967295."),
        "{}",
        e[0].message
    );
}

/// Row 5: list sizes are bounds too — 100,000 pins are refused by their count, before each pin's
/// CPUs are looked up on the host.
#[test]
fn oversized_lists_are_refused_by_their_length() {
    let mut cfg = hp(topo(1, 4, 1), 4096);
    cfg.placement_hosts = vec![HP_HOST];
    cfg.cpu_pinning = (0..100_000)
        .map(|vcpu| VcpuPin {
            vcpu,
            cpuset: CpuSet::single(1),
        })
        .collect();
    cfg.numa_nodes = (0..65)
        .map(|index| VNumaNode {
            index,
            cpus: CpuSet::single(0),
            memory_mib: 1,
            host_nodes: vec![0; 100],
        })
        .collect();
    let e = validate_config(&cfg, &hp_ctx());
    let f = fields(&e);
    assert!(f.contains(&"cpu_pinning") && f.contains(&"numa_nodes"), "{f:?}");
    assert!(e.iter().any(|e| e.message == "At most 512 vCPUs can be pinned."));
    assert!(e.iter().any(|e| e.message == "At most 64 NUMA nodes."));
    assert!(e.iter().any(|e| e.message.contains("more than 64 host cells")));
}

/// Row 12: nodes of 2^63 and 2^63 + 1024 MiB wrapped to 1024 MiB, were saved and started with
/// memory="0". Each node is held to the VM limit and the sum is checked.
#[test]
fn vnuma_memory_cannot_wrap() {
    let mut cfg = hp(topo(1, 2, 1), 1024);
    let node = |index, memory_mib| VNumaNode {
        index,
        cpus: CpuSet::single(index),
        memory_mib,
        host_nodes: vec![],
    };
    cfg.numa_nodes = vec![node(0, 1 << 63), node(1, (1 << 63) + 1024)];
    let e = validate_config(&cfg, &hp_ctx());
    assert_eq!(fields(&e), vec!["numa_nodes", "numa_nodes", "numa_nodes"]);
    assert!(e[0].message.contains("above the VM limit"), "{}", e[0].message);
    assert!(e[2].message.contains("adds up to more than"), "{}", e[2].message);
    // Just under the limit each, but together above it: still no wrap, a plain sum error.
    cfg.memory_mib = 4096;
    cfg.numa_nodes = vec![node(0, 2048), node(1, u64::MAX - 1024)];
    assert!(!validate_config(&cfg, &hp_ctx()).is_empty());
    cfg.numa_nodes = vec![node(0, 2048), node(1, 2048)];
    assert_eq!(validate_config(&cfg, &hp_ctx()), vec![]);
}

/// Row 8: a huge page size of 0 with vNUMA was a remainder by zero inside validation.
#[test]
fn a_zero_huge_page_size_with_vnuma_is_an_error_not_a_panic() {
    let mut cfg = hp(topo(1, 2, 1), 4096);
    cfg.huge_pages = Some(HugePages { size_kib: 0, count: 0 });
    cfg.numa_nodes = vec![VNumaNode {
        index: 0,
        cpus: CpuSet::parse("0-1").unwrap(),
        memory_mib: 4096,
        host_nodes: vec![],
    }];
    let e = validate_config(&cfg, &hp_ctx());
    assert_eq!(fields(&e), vec!["huge_pages"]);
    assert_eq!(e[0].message, "0 KiB is not a huge page size.");
    assert!(recommendations(&cfg, &hp_ctx()).is_empty());
    assert_eq!(apply_fixes(&cfg, &hp_ctx(), &RecommendationId::ALL), cfg);
}

/// Row 8: threads = 0 with 16 guest cores on the HP host (15 free cores) reached `chunks_exact(0)`
/// when R1's fix was computed (the REST API's `auto_pinning_policy` computes it before saving).
/// An invalid configuration has no recommendations and its fixes change nothing; the planner itself
/// refuses such a topology.
#[test]
fn zero_threads_never_reach_the_pinning_planner() {
    let cfg = hp(topo(2, 8, 0), 4096);
    assert_eq!(fields(&validate_config(&cfg, &hp_ctx())), vec!["cpu.threads"]);
    assert!(recommendations(&cfg, &hp_ctx()).is_empty());
    assert_eq!(
        apply_fixes(
            &cfg,
            &hp_ctx(),
            &[RecommendationId::R1, RecommendationId::R2, RecommendationId::R3]
        ),
        cfg
    );
    assert!(validate(&cfg, &hp_ctx()).is_err());
    let host = hp_topology();
    assert_eq!(
        plan_vcpu_pins(topo(2, 8, 0), &host, &CpuSet::new()),
        Err(PlanError::BadTopology)
    );
    assert_eq!(
        plan_vcpu_pins(topo(65_536, 65_536, 1), &host, &CpuSet::new()),
        Err(PlanError::BadTopology)
    );
    assert_eq!(fitted_topology(topo(2, 8, 0), &host), None);
    // A host reporting 2 threads per core whose cores have only one: no out-of-bounds slice.
    let mut uneven = HostTopology::synthetic(1, 4, 1, 1 << 20, &[]);
    uneven.threads_per_core = 2;
    assert!(plan_vcpu_pins(topo(1, 2, 2), &uneven, &CpuSet::new()).is_err());
}

/// NIC lists are bounds too: 100,000 NICs (all named alike, all one MAC) are refused by their
/// count alone, before the pairwise duplicate checks would walk them.
#[test]
fn oversized_nic_lists_are_refused_by_their_length() {
    let mut cfg = hp(topo(1, 4, 1), 4096);
    let mac = MacAddress::from_u64(0x56_6f_00_00_00_01);
    cfg.nics = (0..100_000u128)
        .map(|n| Nic {
            mac,
            ..Nic::with_id(Uuid::from_u128(n % 7), "nic1", None)
        })
        .collect();
    let e = validate_config(&cfg, &hp_ctx());
    assert_eq!(fields(&e), vec!["nics"]);
    assert_eq!(e[0].message, "A VM can have at most 16 network interfaces.");
    assert!(recommendations(&cfg, &hp_ctx()).is_empty());
    // A form post with that many rows keeps the first sixteen and says so.
    let pairs: Vec<(String, String)> = (0..100_000)
        .map(|i| (format!("nic.{i}.name"), "nic1".to_string()))
        .collect();
    let (draft, errors) = from_pairs(&pairs);
    assert_eq!(draft.config.nics.len(), MAX_NICS);
    assert!(errors.iter().any(|e| e.field == "nics"));
}

/// A valid configuration's recommendations come through the validated entry point unchanged.
#[test]
fn the_validated_entry_point_gives_the_same_recommendations() {
    let cfg = hp(topo(1, 2, 2), 8192);
    let ctx = hp_ctx();
    let valid = validate(&cfg, &ctx).expect("valid");
    let recs = recommendations_for(valid);
    assert_eq!(recs.len(), 5, "R1–R5: the VM has no disks for R6");
    assert_eq!(recs, recommendations(&cfg, &ctx));
}

#[test]
fn split_memory_never_overflows() {
    assert_eq!(split_memory(u64::MAX, &[u64::MAX, u64::MAX]).len(), 2);
    assert_eq!(split_memory(4096, &[1, 1]), vec![2048, 2048]);
    assert!(split_memory(10, &[]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Property tests.

/// Numbers as an attacker picks them: 0, small, the limits and just past them, and anything.
fn count() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 0u32..=4,
        1 => Just(0u32),
        1 => Just(u32::MAX),
        1 => 250u32..=600,
        1 => any::<u32>(),
    ]
}

fn mebibytes() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => prop::sample::select(vec![1u64, 1024, 2048, 4096, 8192]),
        1 => Just(0u64),
        1 => Just(1u64 << 63),
        1 => Just((1u64 << 63) + 1024),
        1 => Just(4 * 1024 * 1024u64),
        1 => Just(4 * 1024 * 1024u64 + 1),
        1 => any::<u64>(),
    ]
}

fn page_size() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(4u64),
        Just(3000u64),
        Just(HUGE_PAGE_2M_KIB),
        Just(HUGE_PAGE_1G_KIB),
        Just(1u64 << 63),
        any::<u64>(),
    ]
}

/// CPU set text, well formed or not.
fn cpu_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,2}(-[0-9]{1,2})?(,\\^?[0-9]{1,2})?",
        "[0-9]{1,4}-[0-9]{1,4}",
        "[0-9,^ -]{0,12}",
        Just("0-4095".to_string()),
    ]
}

/// Pin strings in oVirt's syntax, well formed or not.
fn pin_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(("[0-9]{1,3}", cpu_text()), 0..6).prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(v, c)| format!("{v}#{c}"))
                .collect::<Vec<_>>()
                .join("_")
        }),
        "[0-9#_,^ -]{0,40}",
    ]
}

fn numa_node() -> impl Strategy<Value = VNumaNode> {
    (
        prop_oneof![3 => 0u32..4, 1 => any::<u32>()],
        cpu_text(),
        mebibytes(),
        prop::collection::vec(prop_oneof![0u32..3, any::<u32>()], 0..3),
    )
        .prop_map(|(index, cpus, memory_mib, host_nodes)| VNumaNode {
            index,
            cpus: CpuSet::parse(&cpus).unwrap_or_default(),
            memory_mib,
            host_nodes,
        })
}

/// A host: the shipped ones, or synthetic ones including degenerate shapes (no sockets, no threads,
/// fewer threads per core than reported, cells missing) — topology comes from capabilities XML,
/// which the rules must survive whatever it says.
fn host_topology() -> impl Strategy<Value = HostTopology> {
    prop_oneof![
        Just(hp_topology()),
        Just(small_topology()),
        (
            0u32..=3,
            0u32..=8,
            0u32..=2,
            0u32..=3,
            prop::collection::vec((page_size(), 0u64..64), 0..3),
            0usize..=3,
        )
            .prop_map(|(sockets, cores, threads, reported_threads, pages, keep_cells)| {
                let pages: Vec<(u64, u64)> = pages.into_iter().map(|(s, n)| (s % (1 << 40), n)).collect();
                let mut t = HostTopology::synthetic(sockets, cores, threads, 64 << 20, &pages);
                t.threads_per_core = reported_threads;
                t.cells.truncate(keep_cells);
                t
            }),
    ]
}

fn rule_context() -> impl Strategy<Value = RuleContext> {
    (
        host_topology(),
        host_topology(),
        prop::collection::vec(cpu_text(), 0..3),
        any::<bool>(),
        prop::option::of(any::<bool>()),
        prop::sample::select(CompatVersion::SUPPORTED.to_vec()),
        prop::sample::select(vec![Some(OsFamily::Linux), Some(OsFamily::Windows), None]),
    )
        .prop_map(|(a, b, claims, ksm, ksm_running, version, os_family)| {
            let mut first = facts(HP_HOST, "h1", a);
            first.ksm_running = ksm_running;
            first.claims = claims
                .iter()
                .filter_map(|c| CpuSet::parse(c).ok())
                .map(|cpus| CpuClaim {
                    vm_name: "other".into(),
                    cpus,
                })
                .collect();
            let mut ctx = RuleContext {
                cluster: cluster(ksm),
                os_family,
                hosts: vec![first, facts(SMALL_HOST, "h2", b)],
            };
            ctx.cluster.version = version;
            ctx
        })
}

/// A disk attachment as a hostile API request may send it: any bus and modes, IO threads that
/// exist or not, ids from a small set so that duplicates (and the CD's id) come up.
fn disk_attachment() -> impl Strategy<Value = DiskAttachment> {
    (
        0u128..6,
        prop::sample::select(DiskInterface::ALL.to_vec()),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(DiskCache::ALL.to_vec()),
        prop::sample::select(DiskIo::ALL.to_vec()),
        prop::option::of(prop_oneof![0u32..4, any::<u32>()]),
    )
        .prop_map(
            |(id, interface, bootable, read_only, cache, io, iothread)| DiskAttachment {
                disk_id: Uuid::from_u128(id),
                interface,
                bootable,
                read_only,
                cache,
                io,
                iothread,
            },
        )
}

fn disks_and_boot() -> impl Strategy<Value = (Vec<DiskAttachment>, Option<Uuid>, Vec<BootDevice>)> {
    (
        prop_oneof![
            4 => prop::collection::vec(disk_attachment(), 0..5),
            1 => prop::collection::vec(disk_attachment(), 15..20),
        ],
        prop::option::of((0u128..8).prop_map(Uuid::from_u128)),
        prop::collection::vec(prop::sample::select(BootDevice::ALL.to_vec()), 0..4),
    )
}

/// A NIC as a hostile API request may send it: any model, names valid or not, ids and MACs from
/// small sets so that duplicates come up, multicast and all-zero MACs among them.
fn nic() -> impl Strategy<Value = Nic> {
    (
        0u128..6,
        prop::sample::select(vec!["nic1", "nic2", "", "nic 3", "eth0", "ünï"]),
        prop::sample::select(NicModel::ALL.to_vec()),
        prop::option::of(prop_oneof![
            3 => (0u64..4).prop_map(|n| 0x56_6f_00_00_00_00 + n),
            1 => Just(0u64),
            1 => Just(0x01_00_5e_00_00_01u64),
            1 => Just(MacAddress::MAX),
            1 => 0u64..=MacAddress::MAX,
        ]),
        prop::option::of((0u128..3).prop_map(Uuid::from_u128)),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, name, model, mac, vnic_profile_id, linked, plugged)| Nic {
            id: Uuid::from_u128(id),
            name: name.into(),
            vnic_profile_id,
            model,
            mac: mac.and_then(MacAddress::from_u64),
            linked,
            plugged,
        })
}

fn nics() -> impl Strategy<Value = Vec<Nic>> {
    prop_oneof![
        4 => prop::collection::vec(nic(), 0..5),
        1 => prop::collection::vec(nic(), 15..20),
    ]
}

/// The NICs of `cfg` as the server resolves them: sources of every kind, filters offered or not
/// (the service refuses the others before, the XML must survive them anyway), multiqueue or not.
fn nic_devices(cfg: &VmConfig) -> Vec<NicDevice> {
    cfg.nics
        .iter()
        .enumerate()
        .map(|(i, nic)| NicDevice {
            nic: nic.clone(),
            source: match i % 3 {
                0 => NicSource::Network("default".into()),
                1 => NicSource::Bridge("br0".into()),
                _ => NicSource::Unconnected,
            },
            network_filter: match i % 4 {
                0 => None,
                1 => Some(NETWORK_FILTERS[i % NETWORK_FILTERS.len()].to_string()),
                2 => Some("\"/><evil/>".into()),
                _ => Some(String::new()),
            },
            multiqueue: i % 2 == 0,
        })
        .collect()
}

prop_compose! {
    fn vm_config()(
        optimized_for in prop::sample::select(OptimizedFor::ALL.to_vec()),
        memory_mib in mebibytes(),
        (sockets, cores, threads) in (count(), count(), count()),
        io_threads in prop_oneof![0u32..3, any::<u32>()],
        placement in prop::collection::vec(prop::sample::select(vec![HP_HOST, SMALL_HOST, Uuid::from_u128(9)]), 0..3),
        migration in prop::sample::select(vec![MigrationMode::Migratable, MigrationMode::UserMigratable, MigrationMode::Pinned]),
        flags in prop::collection::vec(any::<bool>(), 10),
        (pins, emulator, io_pins) in (pin_text(), prop::option::of(cpu_text()), pin_text()),
        numa_nodes in prop::collection::vec(numa_node(), 0..4),
        huge in prop::option::of((page_size(), prop_oneof![0u64..8192, any::<u64>()])),
        (disks, cdrom, boot_devices) in disks_and_boot(),
        (nics, multi_queues_enabled) in (nics(), any::<bool>()),
    ) -> VmConfig {
        VmConfig {
            optimized_for,
            memory_mib,
            cpu: CpuTopology { sockets, cores, threads },
            stateless: flags[0],
            headless: flags[1],
            serial_console: flags[2],
            usb_enabled: flags[3],
            placement_hosts: placement,
            migration,
            cpu_passthrough: flags[4],
            invtsc: flags[5],
            high_availability: flags[6],
            io_threads,
            memory_balloon: flags[7],
            cpu_pinning: parse_vcpu_pins(&pins).unwrap_or_default(),
            emulator_pin: emulator.and_then(|e| CpuSet::parse(&e).ok()),
            io_thread_pins: parse_io_thread_pins(&io_pins).unwrap_or_default(),
            numa_nodes,
            ksm_disabled: flags[8],
            huge_pages: huge.map(|(size_kib, count)| HugePages { size_kib, count }),
            disks,
            cdrom,
            boot_devices,
            nics,
            multi_queues_enabled,
            ..VmConfig::default()
        }
    }
}

/// What the server does with a draft, minus the I/O: `preview` (settle, validate, next-run,
/// recommendations when valid), then `save_checked` (the same validation, recommendations, and —
/// for a saved configuration — the domain XML at start), plus the dialog's "Apply fix" and the
/// REST API's computed pinning (`apply_fixes` before validation).
fn run_service_sequence(draft: &VmDraft, running: &VmConfig, ctx: &RuleContext) -> Result<(), TestCaseError> {
    let settled = refresh(draft, ctx, None);
    let cfg = &settled.draft.config;
    let mut errors = settled.draft.validate_identity();
    errors.extend(settled.blocked);
    errors.extend(validate_config(cfg, ctx));
    let _pending = split_running_edit(running, cfg).pending;
    let _deferred = defer_entire_edit(running, cfg);
    let recs = if errors.is_empty() {
        recommendations(cfg, ctx)
    } else {
        Vec::new()
    };
    // Fixes exist only for configurations that pass validation (the rule, not just the caller).
    let valid = validate(cfg, ctx);
    if valid.is_err() {
        prop_assert!(recommendations(cfg, ctx).is_empty());
        prop_assert_eq!(&apply_fixes(cfg, ctx, &RecommendationId::ALL), cfg);
    }
    // Apply fix, one at a time, as the dialog does; each result is validated again like a save.
    for rec in &recs {
        if let Some(fix) = &rec.fix {
            let mut patched = cfg.clone();
            fix.patch.apply(&mut patched);
            let _ = validate_config(&patched, ctx);
            let _ = recommendations(&patched, ctx);
        }
    }
    // R6's fix alone leaves a valid configuration whose disks R6 no longer faults.
    if recs.iter().any(|r| r.id == RecommendationId::R6) {
        let tuned = apply_fixes(cfg, ctx, &[RecommendationId::R6]);
        prop_assert_eq!(validate_config(&tuned, ctx), Vec::<FieldError>::new());
        prop_assert!(recommendations(&tuned, ctx)
            .iter()
            .all(|r| r.id != RecommendationId::R6));
    }
    // R7's fix alone likewise: every plugged NIC on virtio, and R7 has nothing more to say.
    if recs.iter().any(|r| r.id == RecommendationId::R7) {
        let tuned = apply_fixes(cfg, ctx, &[RecommendationId::R7]);
        prop_assert_eq!(validate_config(&tuned, ctx), Vec::<FieldError>::new());
        prop_assert!(tuned.nics.iter().all(|n| n.model == NicModel::Virtio));
        prop_assert!(recommendations(&tuned, ctx)
            .iter()
            .all(|r| r.id != RecommendationId::R7));
    }
    // The REST API's computed pinning, then its save.
    let fixed = apply_fixes(
        cfg,
        ctx,
        &[RecommendationId::R1, RecommendationId::R2, RecommendationId::R3],
    );
    let mut fixed_errors = validate_config(&fixed, ctx);
    fixed_errors.extend(start_errors(&fixed));
    if fixed_errors.is_empty() {
        let _ = recommendations(&fixed, ctx);
        // A saved configuration is started: the XML is built only from validated ones, with
        // its disks' volumes as the server finds them.
        let disks: Vec<DiskDevice> = fixed
            .disks
            .iter()
            .map(|a| DiskDevice {
                path: format!("/images/{}", a.disk_id),
                format: DiskFormat::Qcow2,
                attachment: a.clone(),
            })
            .collect();
        let xml = domain_xml(&DomainSpec {
            uuid: Uuid::nil(),
            name: "vm",
            description: "",
            config: &fixed,
            domain_type: "test",
            arch: "x86_64",
            disabled_cpu_features: &[],
            disks: &disks,
            cdrom_path: fixed.cdrom.map(|_| "/images/cd.iso"),
            nics: &nic_devices(&fixed),
        });
        let plugged = fixed.nics.iter().filter(|n| n.plugged).count();
        prop_assert_eq!(xml.matches("<interface ").count(), plugged);
        prop_assert!(!xml.contains("<evil"), "{}", xml);
        // A driver (vhost, queues) only ever on a connected virtio NIC, at most 16 queues.
        for (start, _) in xml.match_indices("<interface ") {
            let end = xml[start..].find("</interface>").map_or(xml.len(), |e| start + e);
            let nic = &xml[start..end];
            if let Some(at) = nic.find("queues=\"") {
                let digits: String = nic[at + 8..].chars().take_while(char::is_ascii_digit).collect();
                prop_assert!(digits.parse::<u32>().is_ok_and(|q| (2..=16).contains(&q)), "{}", nic);
            }
            if nic.contains("<driver") {
                prop_assert!(
                    nic.contains("<model type=\"virtio\"/>") && !nic.contains("type=\"user\""),
                    "{}",
                    nic
                );
            }
        }
        prop_assert_eq!(xml.contains("org.qemu.guest_agent.0"), fixed.guest_agent);
        prop_assert!(xml.contains("<memory unit=\"KiB\">"));
        prop_assert_eq!(xml.matches("device=\"disk\"").count(), fixed.disks.len());
        // libvirt refuses per-device boot orders beside <os><boot>: never both.
        prop_assert!(!(xml.contains("<boot order=") && xml.contains("<boot dev=")), "{}", xml);
        prop_assert!(!xml.contains("<memory unit=\"KiB\">0<"), "{}", xml);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Rows 5, 8, 12: arbitrary configurations on arbitrary hosts never panic the service's pure
    /// sequence, and fixes are only ever computed for configurations that validate.
    #[test]
    fn the_rules_never_panic_on_any_configuration(
        config in vm_config(),
        running in vm_config(),
        ctx in rule_context(),
        kind in prop::sample::select(vec![ConfigKind::Vm, ConfigKind::Template, ConfigKind::Pool]),
        applied in prop::sample::select(OptimizedFor::ALL.to_vec()),
    ) {
        let mut draft = VmDraft::new(kind, config);
        draft.name = "vm1".into();
        draft.cluster_id = Some(CLUSTER);
        draft.template_id = Some(Uuid::nil());
        // A changed "Optimized for" makes `refresh` apply the profile first, as the dialog does.
        draft.applied_profile = applied;
        run_service_sequence(&draft, &running, &ctx)?;
    }

    /// Any disks, CD and boot sequence on an otherwise valid VM of each profile (the fully
    /// arbitrary configurations above rarely validate far enough to reach R6 and the disk XML):
    /// as sent, and cleaned up into a valid list, through the service's sequence; and the profile
    /// never deals a disk an IO thread it cannot have.
    #[test]
    fn any_disks_on_a_valid_vm_never_panic(
        profile in prop::sample::select(OptimizedFor::ALL.to_vec()),
        io_threads in 0u32..4,
        (disks, cdrom, boot_devices) in disks_and_boot(),
        clean in any::<bool>(),
    ) {
        let mut config = profiled_vm(profile, 1, 2, 2, 4096);
        config.io_threads = io_threads;
        config.disks = disks;
        config.cdrom = cdrom;
        config.boot_devices = boot_devices;
        if clean {
            config.disks.truncate(MAX_DISKS);
            config.boot_devices.dedup();
            config.boot_devices.truncate(1);
            if config.boot_devices.is_empty() {
                config.boot_devices.push(BootDevice::Hd);
            }
            config.cdrom = config.cdrom.map(|_| Uuid::from_u128(999));
            for (i, d) in config.disks.iter_mut().enumerate() {
                d.disk_id = Uuid::from_u128(100 + i as u128);
                d.bootable &= i == 0;
                if d.io == DiskIo::Native {
                    d.cache = DiskCache::None;
                }
                d.iothread = d
                    .iothread
                    .filter(|t| d.interface.is_paravirtual() && (1..=io_threads).contains(t));
            }
            prop_assert_eq!(validate_config(&config, &hp_ctx()), Vec::<FieldError>::new());
        }
        for target in OptimizedFor::ALL {
            let out = apply_profile(&config, target, &ProfileContext { invtsc_available: true }).config;
            for d in &out.disks {
                prop_assert!(d.iothread.is_none_or(|t| d.interface.is_paravirtual() && (1..=out.io_threads).contains(&t)));
            }
        }
        let mut draft = VmDraft::new(ConfigKind::Vm, config);
        draft.name = "vm1".into();
        draft.cluster_id = Some(CLUSTER);
        draft.template_id = Some(Uuid::nil());
        run_service_sequence(&draft, &VmConfig::default(), &hp_ctx())?;
    }

    /// Any NICs on an otherwise valid VM of each profile: as sent, and cleaned up into a valid
    /// list, through the service's sequence; High Performance leaves every NIC on virtio with
    /// multiqueue on, and any other profile turns multiqueue off without touching the NICs.
    #[test]
    fn any_nics_on_a_valid_vm_never_panic(
        profile in prop::sample::select(OptimizedFor::ALL.to_vec()),
        vcpus in prop_oneof![Just(1u32), 2u32..=4, Just(32u32)],
        nics in nics(),
        multi_queues_enabled in any::<bool>(),
        clean in any::<bool>(),
    ) {
        let mut config = profiled_vm(profile, 1, vcpus, 1, 4096);
        config.nics = nics;
        config.multi_queues_enabled = multi_queues_enabled;
        if clean {
            config.nics.truncate(MAX_NICS);
            for (i, n) in config.nics.iter_mut().enumerate() {
                n.id = Uuid::from_u128(100 + i as u128);
                n.name = format!("nic{}", i + 1);
                n.mac = n
                    .mac
                    .filter(|m| !m.is_multicast() && m.as_u64() != 0)
                    .and_then(|_| MacAddress::from_u64(0x56_6f_00_00_01_00 + i as u64));
            }
            prop_assert_eq!(validate_config(&config, &hp_ctx()), Vec::<FieldError>::new());
        }
        for target in OptimizedFor::ALL {
            let out = apply_profile(&config, target, &ProfileContext { invtsc_available: true }).config;
            let hp = target == OptimizedFor::HighPerformance;
            prop_assert_eq!(out.multi_queues_enabled, hp);
            prop_assert_eq!(out.nics.len(), config.nics.len());
            if hp {
                prop_assert!(out.nics.iter().all(|n| n.model == NicModel::Virtio));
            } else {
                prop_assert_eq!(&out.nics, &config.nics);
            }
        }
        let mut draft = VmDraft::new(ConfigKind::Vm, config);
        draft.name = "vm1".into();
        draft.cluster_id = Some(CLUSTER);
        draft.template_id = Some(Uuid::nil());
        run_service_sequence(&draft, &VmConfig::default(), &hp_ctx())?;
    }

    /// The no-JavaScript form post: any field values parse into a draft (errors as field data), and
    /// the draft goes through the same sequence.
    #[test]
    fn any_form_post_parses_and_runs_the_rules(
        memory in prop_oneof![Just("18446744073709551615".to_string()), "[0-9]{0,22}"],
        (sockets, cores, threads, vcpus) in ("[0-9]{0,11}", "[0-9]{0,11}", "[0-9]{0,11}", "[0-9]{0,11}"),
        pins in pin_text(),
        (numa_count, numa_cpus, numa_memory) in ("[0-9]{0,3}", cpu_text(), "[0-9]{0,21}"),
        (huge_size, huge_count) in (
            prop_oneof![Just("0".to_string()), Just("2048".to_string()), "[0-9]{0,21}"],
            "[0-9]{0,21}",
        ),
        (nic_index, nic_id, nic_mac, nic_model, nic_profile) in (
            prop_oneof![Just("0".to_string()), "[0-9]{0,25}", "\\PC{0,4}"],
            prop_oneof![Just(Uuid::from_u128(1).to_string()), "\\PC{0,40}"],
            prop_oneof!["([0-9a-f]{2}:){5}[0-9a-f]{2}", "[0-9a-fA-F:é\\-]{0,20}", "\\PC{0,20}"],
            prop_oneof![Just("virtio".to_string()), Just("e1000e".to_string()), "\\PC{0,8}"],
            prop_oneof![Just(String::new()), Just(Uuid::from_u128(2).to_string()), "\\PC{0,40}"],
        ),
        ctx in rule_context(),
    ) {
        let nic_key = |field: &str| format!("nic.{nic_index}.{field}");
        let mut pairs: Vec<(String, String)> = [
            ("kind", "vm".to_string()),
            ("name", "vm1".into()),
            ("cluster_id", CLUSTER.to_string()),
            ("template_id", Uuid::nil().to_string()),
            ("optimized_for", "high_performance".into()),
            ("placement_host", HP_HOST.to_string()),
            ("migration", "pinned".into()),
            ("cpu_passthrough", "on".into()),
            ("memory_mib", memory),
            ("sockets", sockets),
            ("cores", cores),
            ("threads", threads),
            ("vcpus", vcpus),
            ("vcpus_was", "1".into()),
            ("cpu_pinning", pins),
            ("numa_count", numa_count),
            ("numa_0_cpus", numa_cpus),
            ("numa_0_memory", numa_memory),
            ("numa_0_host", "0".into()),
            ("huge_page_size", huge_size),
            ("huge_page_count", huge_count),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        pairs.extend([
            (nic_key("id"), nic_id),
            (nic_key("name"), "nic1".to_string()),
            (nic_key("mac"), nic_mac),
            (nic_key("model"), nic_model),
            (nic_key("profile"), nic_profile),
            (nic_key("plugged"), "on".to_string()),
            ("multi_queues_enabled".to_string(), "on".to_string()),
        ]);
        let (draft, _errors) = from_pairs(&pairs);
        prop_assert!(draft.config.nics.len() <= 1);
        run_service_sequence(&draft, &VmConfig::default(), &ctx)?;
    }

    /// The planners themselves are total: any topology, any host, any claims.
    #[test]
    fn the_planners_never_panic(
        sockets in count(),
        cores in count(),
        threads in count(),
        host in host_topology(),
        claimed in cpu_text(),
        weights in prop::collection::vec(any::<u64>(), 0..5),
        total in any::<u64>(),
    ) {
        let t = topo(sockets, cores, threads);
        let unavailable = CpuSet::parse(&claimed).unwrap_or_default();
        if let Ok(pins) = plan_vcpu_pins(t, &host, &unavailable) {
            prop_assert_eq!(pins.len() as u32, t.vcpus());
            let used = CpuSet::from_ids(pins.iter().filter_map(|p| p.cpuset.first()));
            prop_assert!(!used.intersects(&unavailable));
            let _ = plan_housekeeping(&host, &used, &unavailable);
        }
        if let Some(fitted) = fitted_topology(t, &host) {
            prop_assert_eq!(fitted.vcpus(), t.vcpus());
        }
        let split = split_memory(total, &weights);
        prop_assert!(split.is_empty() || split.len() == weights.len());
    }
}
