use super::*;
use crate::domain::test_hosts::{hp_topology, small_topology};
use crate::domain::vm_config::{HugePages, OptimizedFor};

fn vm(policy: CpuPinningPolicy, sockets: u32, cores: u32, threads: u32) -> VmConfig {
    VmConfig {
        optimized_for: OptimizedFor::HighPerformance,
        cpu: CpuTopology {
            sockets,
            cores,
            threads,
        },
        memory_mib: 1024,
        cpu_pinning_policy: policy,
        ..VmConfig::default()
    }
}

fn holder(n: u128, name: &str, cpus: &str) -> Holder {
    Holder {
        vm_id: Uuid::from_u128(n),
        vm_name: name.into(),
        cpus: CpuSet::parse(cpus).expect("a CPU set"),
    }
}

fn start(host: &HostTopology, holders: &[Holder], cfg: &VmConfig) -> StartPins {
    start_pins(host, holders, cfg)
        .expect("starts")
        .expect("a start-time policy")
}

fn cpus(p: &StartPins) -> Vec<u32> {
    p.vcpu_pins.iter().filter_map(|p| p.cpuset.first()).collect()
}

const START_TIME: [CpuPinningPolicy; 3] = [
    CpuPinningPolicy::Dedicated,
    CpuPinningPolicy::IsolateThreads,
    CpuPinningPolicy::ResizeAndPinNuma,
];

/// Every shipped topology (the capabilities files the test driver serves) and a few synthetic ones.
fn hosts() -> Vec<(&'static str, HostTopology)> {
    vec![
        ("hp-2s8c2t", hp_topology()),
        ("small-1s4c", small_topology()),
        ("1s4c2t", HostTopology::synthetic(1, 4, 2, 16 << 20, &[])),
        ("4s2c4t", HostTopology::synthetic(4, 2, 4, 8 << 20, &[])),
    ]
}

/// What must hold of any start: every vCPU pinned once to one host CPU, never a housekeeping CPU,
/// all inside what the start holds, and nothing another running VM holds.
fn check_start(name: &str, host: &HostTopology, holders: &[Holder], cfg: &VmConfig, p: &StartPins) {
    let housekeeping = host_housekeeping(host);
    assert_eq!(p.vcpu_pins.len() as u32, p.cpu.vcpus(), "{name}: one pin per vCPU");
    assert_eq!(p.cpu.vcpus(), cfg.vcpus(), "{name}: the vCPU count is kept");
    let vcpus: BTreeSet<u32> = p.vcpu_pins.iter().map(|p| p.vcpu).collect();
    assert_eq!(vcpus, (0..cfg.vcpus()).collect(), "{name}: every vCPU pinned once");
    let used = p.vcpu_cpus();
    assert_eq!(used.len(), p.vcpu_pins.len(), "{name}: no host CPU for two vCPUs");
    assert!(p.vcpu_pins.iter().all(|p| p.cpuset.len() == 1), "{name}");
    assert!(
        !used.intersects(&housekeeping),
        "{name}: housekeeping CPUs stay the host's"
    );
    assert!(used.is_subset(&p.held), "{name}: the vCPUs' CPUs are held");
    assert!(!p.held.intersects(&housekeeping), "{name}: housekeeping is never held");
    assert!(p.held.is_subset(&host.cpu_ids()), "{name}: only the host's CPUs");
    for h in holders {
        assert!(
            !h.cpus.intersects(&p.held),
            "{name}: {} already holds {}",
            h.vm_name,
            h.cpus
        );
    }
    if !p.numa_nodes.is_empty() {
        let mem: u64 = p.numa_nodes.iter().map(|n| n.memory_mib).sum();
        assert_eq!(mem, cfg.memory_mib, "{name}: vNUMA holds all memory");
        for node in &p.numa_nodes {
            for vcpu in node.cpus.ids() {
                let cpu = p
                    .vcpu_pins
                    .iter()
                    .find(|p| p.vcpu == vcpu)
                    .and_then(|p| p.cpuset.first());
                let cell = cpu.and_then(|c| host.cell_of_cpu(c));
                assert!(
                    cell.is_some_and(|c| node.host_nodes.contains(&c)),
                    "{name}: vCPU {vcpu} runs in its node's host cell"
                );
            }
        }
    }
}

#[test]
fn dedicated_puts_guest_threads_on_host_siblings_in_one_cell() {
    let h = hp_topology();
    let p = start(&h, &[], &vm(CpuPinningPolicy::Dedicated, 1, 2, 2));
    // Best fit: cell 0 has 7 free cores (core 0 = 0,16 is the host's), cell 1 has 8.
    assert_eq!(cpus(&p), vec![1, 17, 2, 18]);
    assert_eq!(p.held.to_string(), "1-2,17-18");
    assert_eq!(p.numa_nodes.len(), 1);
    assert_eq!(p.numa_nodes[0].host_nodes, vec![0]);
    assert_eq!(
        p.emulator_pin.as_ref().map(ToString::to_string).as_deref(),
        Some("0,16")
    );
    // A second start never reuses them.
    let first = Holder {
        vm_id: Uuid::from_u128(1),
        vm_name: "hp-1".into(),
        cpus: p.held.clone(),
    };
    let q = start(
        &h,
        std::slice::from_ref(&first),
        &vm(CpuPinningPolicy::Dedicated, 1, 2, 2),
    );
    assert_eq!(cpus(&q), vec![3, 19, 4, 20]);
}

#[test]
fn dedicated_goes_where_its_huge_pages_are() {
    // Cell 0 is the best fit by cores, but its 1 GiB pages are gone (other VMs hold them): a VM
    // backed by 1 GiB pages goes to cell 1, beside its memory.
    let mut h = hp_topology();
    for p in h.cells[0].pages.iter_mut().filter(|p| p.size_kib == 1 << 20) {
        p.free = 2;
    }
    let mut cfg = vm(CpuPinningPolicy::Dedicated, 1, 2, 2);
    cfg.memory_mib = 4096;
    cfg.huge_pages = Some(HugePages {
        size_kib: 1 << 20,
        count: 4,
    });
    let p = start(&h, &[], &cfg);
    assert_eq!(cpus(&p), vec![8, 24, 9, 25]);
    assert_eq!(p.numa_nodes[0].host_nodes, vec![1]);
    // Without huge pages the same VM takes the best fit by cores, cell 0.
    cfg.huge_pages = None;
    assert_eq!(cpus(&start(&h, &[], &cfg)), vec![1, 17, 2, 18]);
    // When no cell has the pages, placement falls back to the cells' memory (the host decides).
    for p in h.cells[1].pages.iter_mut().filter(|p| p.size_kib == 1 << 20) {
        p.free = 0;
    }
    cfg.huge_pages = Some(HugePages {
        size_kib: 1 << 20,
        count: 4,
    });
    assert_eq!(cpus(&start(&h, &[], &cfg)), vec![1, 17, 2, 18]);
}

#[test]
fn dedicated_single_thread_vcpus_take_whole_cores_then_pack() {
    let h = small_topology();
    let p = start(&h, &[], &vm(CpuPinningPolicy::Dedicated, 1, 3, 1));
    assert_eq!(cpus(&p), vec![1, 2, 3]);
    let h2 = HostTopology::synthetic(1, 4, 2, 16 << 20, &[]);
    // CPUs 0,4 are the host's; three whole cores (1,5) (2,6) (3,7); five vCPUs pack.
    let p = start(&h2, &[], &vm(CpuPinningPolicy::Dedicated, 1, 5, 1));
    assert_eq!(cpus(&p), vec![1, 2, 3, 5, 6]);
}

#[test]
fn dedicated_spreads_over_the_fewest_cells_with_vnuma_to_match() {
    let h = hp_topology();
    // 20 vCPUs (10 cores) fit no single cell (7 and 8 free cores).
    let p = start(&h, &[], &vm(CpuPinningPolicy::Dedicated, 1, 10, 2));
    check_start("spread", &h, &[], &vm(CpuPinningPolicy::Dedicated, 1, 10, 2), &p);
    assert_eq!(p.numa_nodes.len(), 2);
    assert_eq!(p.numa_nodes[0].host_nodes, vec![1], "most free cell first");
    assert_eq!(p.numa_nodes[0].cpus.to_string(), "0-15");
    assert_eq!(p.numa_nodes[1].host_nodes, vec![0]);
    assert_eq!(p.numa_nodes[1].cpus.to_string(), "16-19");
    assert_eq!(p.numa_nodes[0].memory_mib + p.numa_nodes[1].memory_mib, 1024);
}

#[test]
fn dedicated_keeps_saved_vnuma_nodes_and_binds_them() {
    let h = hp_topology();
    let mut cfg = vm(CpuPinningPolicy::Dedicated, 1, 2, 2);
    cfg.numa_nodes = vec![
        VNumaNode {
            index: 0,
            cpus: CpuSet::parse("0-1").unwrap(),
            memory_mib: 512,
            host_nodes: vec![],
        },
        VNumaNode {
            index: 1,
            cpus: CpuSet::parse("2-3").unwrap(),
            memory_mib: 512,
            host_nodes: vec![],
        },
    ];
    let p = start(&h, &[], &cfg);
    check_start("saved nodes", &h, &[], &cfg, &p);
    assert_eq!(p.numa_nodes.len(), 2);
    assert!(p.numa_nodes.iter().all(|n| n.host_nodes == vec![0]));
}

#[test]
fn a_guest_with_more_threads_than_the_host_is_refused_unless_resized() {
    let h = small_topology();
    let err = start_pins(&h, &[], &vm(CpuPinningPolicy::Dedicated, 1, 1, 2)).unwrap_err();
    assert_eq!(err, StartPinError::ThreadsPerCore { guest: 2, host: 1 });
    let cfg = vm(CpuPinningPolicy::ResizeAndPinNuma, 1, 1, 2);
    let p = start(&h, &[], &cfg);
    assert_eq!(
        p.cpu,
        CpuTopology {
            sockets: 1,
            cores: 2,
            threads: 1
        }
    );
    check_start("resize", &h, &[], &cfg, &p);
}

#[test]
fn resize_and_pin_numa_fits_topology_and_vnuma_to_the_cells() {
    let h = hp_topology();
    // 4 sockets of 1 core: one host cell holds 4 vCPUs as 2 cores × 2 threads.
    let cfg = vm(CpuPinningPolicy::ResizeAndPinNuma, 4, 1, 1);
    let p = start(&h, &[], &cfg);
    assert_eq!(
        p.cpu,
        CpuTopology {
            sockets: 1,
            cores: 2,
            threads: 2
        }
    );
    assert_eq!(p.numa_nodes.len(), 1);
    check_start("resize small", &h, &[], &cfg, &p);
    // 28 vCPUs: two sockets of 7 cores × 2 threads, one per cell.
    let cfg = vm(CpuPinningPolicy::ResizeAndPinNuma, 1, 28, 1);
    let p = start(&h, &[], &cfg);
    assert_eq!(
        p.cpu,
        CpuTopology {
            sockets: 2,
            cores: 7,
            threads: 2
        }
    );
    assert_eq!(p.numa_nodes.len(), 2);
    assert_ne!(p.numa_nodes[0].host_nodes, p.numa_nodes[1].host_nodes);
    check_start("resize big", &h, &[], &cfg, &p);
    assert_eq!(p.apply(&cfg).cpu, p.cpu, "the Domain XML gets the fitted topology");
}

#[test]
fn isolate_threads_gives_each_vcpu_a_core_and_holds_its_siblings() {
    let h = hp_topology();
    let cfg = vm(CpuPinningPolicy::IsolateThreads, 1, 3, 1);
    let p = start(&h, &[], &cfg);
    assert_eq!(cpus(&p), vec![1, 2, 3]);
    assert_eq!(p.held.to_string(), "1-3,17-19");
    // A dedicated VM does not get the idle siblings.
    let iso = Holder {
        vm_id: Uuid::from_u128(1),
        vm_name: "iso".into(),
        cpus: p.held.clone(),
    };
    let q = start(
        &h,
        std::slice::from_ref(&iso),
        &vm(CpuPinningPolicy::Dedicated, 1, 8, 1),
    );
    assert!(!q.held.intersects(&p.held));
    // A core another VM uses one thread of is no whole core for isolate_threads.
    let half = holder(2, "half", "4");
    let r = start(&h, &[iso, half], &vm(CpuPinningPolicy::IsolateThreads, 1, 1, 1));
    assert_eq!(cpus(&r), vec![5]);
}

#[test]
fn emulator_share_and_isolate_and_io_threads_beside_it() {
    let h = hp_topology();
    let mut cfg = vm(CpuPinningPolicy::Dedicated, 1, 2, 1);
    cfg.io_threads = 2;
    let p = start(&h, &[], &cfg);
    assert_eq!(p.emulator_pin, Some(CpuSet::parse("0,16").unwrap()));
    assert_eq!(p.io_thread_pins.len(), 2);
    assert!(p
        .io_thread_pins
        .iter()
        .all(|io| Some(&io.cpuset) == p.emulator_pin.as_ref()));
    assert_eq!(p.held.to_string(), "1-2", "sharing holds no extra CPU");

    cfg.emulator_thread_policy = EmulatorThreadPolicy::Isolate;
    let p = start(&h, &[], &cfg);
    let emu = p.emulator_pin.clone().unwrap();
    assert_eq!(emu.len(), 1);
    assert!(!emu.intersects(&p.vcpu_cpus()));
    // A thread of a core the VM already uses part of: the sibling of vCPU 0's CPU.
    assert_eq!(emu.to_string(), "17");
    assert!(emu.is_subset(&p.held));
    assert!(p.io_thread_pins.iter().all(|io| io.cpuset == emu));

    // isolate_threads holds the emulator's core whole.
    let mut iso = vm(CpuPinningPolicy::IsolateThreads, 1, 1, 1);
    iso.emulator_thread_policy = EmulatorThreadPolicy::Isolate;
    let p = start(&h, &[], &iso);
    let emu = p.emulator_pin.clone().unwrap();
    let sib = &h.cpu(emu.first().unwrap()).unwrap().siblings;
    assert!(sib.is_subset(&p.held));
}

#[test]
fn manual_uses_saved_pins_and_names_whoever_holds_them() {
    let h = hp_topology();
    let mut cfg = vm(CpuPinningPolicy::Manual, 1, 2, 1);
    assert_eq!(start_pins(&h, &[], &cfg), Err(StartPinError::ManualWithoutPins));
    cfg.cpu_pinning = crate::domain::pinning::parse_vcpu_pins("0#4_1#5").unwrap();
    cfg.emulator_pin = Some(CpuSet::parse("0").unwrap());
    let p = start(&h, &[], &cfg);
    assert_eq!(p.held.to_string(), "4-5", "the shared housekeeping CPU is not held");
    let err = start_pins(&h, &[holder(1, "db-1", "5-6"), holder(2, "web", "8")], &cfg).unwrap_err();
    assert_eq!(
        err,
        StartPinError::Taken {
            holders: vec![holder(1, "db-1", "5")]
        }
    );
    assert!(err.to_string().contains("db-1 holds 5"), "{err}");
    cfg.cpu_pinning = crate::domain::pinning::parse_vcpu_pins("0#4_1#99").unwrap();
    assert!(matches!(start_pins(&h, &[], &cfg), Err(StartPinError::NotOnHost(_))));
}

#[test]
fn none_policy_computes_nothing() {
    assert_eq!(
        start_pins(&hp_topology(), &[], &vm(CpuPinningPolicy::None, 1, 2, 1)),
        Ok(None)
    );
}

#[test]
fn a_start_that_cannot_get_its_cpus_names_the_holders() {
    let h = small_topology();
    let holders = [holder(1, "pool-1", "1-2"), holder(2, "pool-2", "3")];
    let err = start_pins(&h, &holders, &vm(CpuPinningPolicy::Dedicated, 1, 1, 1)).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, StartPinError::NotEnoughCpus { needed: 1, free: 0, .. }),
        "{err:?}"
    );
    assert!(text.contains("pool-1 holds 1-2"), "{text}");
    assert!(text.contains("pool-2 holds 3"), "{text}");
    assert!(text.contains("0 are the host's"), "{text}");
    let mut iso = vm(CpuPinningPolicy::Dedicated, 1, 3, 1);
    iso.emulator_thread_policy = EmulatorThreadPolicy::Isolate;
    let err = start_pins(&h, &[], &iso).unwrap_err();
    assert!(
        matches!(err, StartPinError::NotEnoughCpus { needed: 4, free: 3, .. }),
        "the isolated emulator's CPU is counted: {err:?}"
    );
    assert_eq!(
        start_pins(&h, &[], &vm(CpuPinningPolicy::Dedicated, 0, 1, 1)),
        Err(StartPinError::BadTopology)
    );
}

#[test]
fn pool_capacity_per_host() {
    let hp = hp_topology();
    // 4 vCPUs as 2 cores × 2 threads: 3 in cell 0 (7 free cores), 4 in cell 1 (8).
    assert_eq!(
        how_many_fit(&hp, &[], &vm(CpuPinningPolicy::Dedicated, 1, 2, 2)),
        Some(7)
    );
    assert_eq!(
        how_many_fit(&small_topology(), &[], &vm(CpuPinningPolicy::Dedicated, 1, 1, 1)),
        Some(3)
    );
    assert_eq!(
        how_many_fit(&hp, &[], &vm(CpuPinningPolicy::IsolateThreads, 1, 2, 1)),
        Some(7),
        "15 free cores, 2 a VM"
    );
    assert_eq!(
        how_many_fit(&hp, &[holder(1, "x", "1-8")], &vm(CpuPinningPolicy::Dedicated, 1, 1, 1)),
        Some(22)
    );
    assert_eq!(how_many_fit(&hp, &[], &vm(CpuPinningPolicy::None, 1, 1, 1)), None);
}

/// Every policy and a range of sizes on every shipped topology: starts one after another until the
/// host is full, checking each start against the VMs already running.
#[test]
fn every_policy_on_every_shipped_topology_fills_the_host_without_sharing() {
    for (name, host) in hosts() {
        for policy in START_TIME {
            for emulator in EmulatorThreadPolicy::ALL {
                for (s, c, t) in [
                    (1, 1, 1),
                    (1, 2, 1),
                    (1, 2, 2),
                    (2, 2, 1),
                    (1, 4, 2),
                    (2, 3, 1),
                    (1, 6, 1),
                ] {
                    let mut cfg = vm(policy, s, c, t);
                    cfg.emulator_thread_policy = emulator;
                    cfg.io_threads = 1;
                    let mut running: Vec<Holder> = Vec::new();
                    for n in 0..64u128 {
                        match start_pins(&host, &running, &cfg) {
                            Ok(Some(p)) => {
                                let label = format!("{name} {policy:?} {emulator:?} {s}x{c}x{t} #{n}");
                                check_start(&label, &host, &running, &cfg, &p);
                                if policy == CpuPinningPolicy::IsolateThreads {
                                    assert_isolated(&host, &running, &p, &label);
                                }
                                running.push(Holder {
                                    vm_id: Uuid::from_u128(n),
                                    vm_name: format!("vm{n}"),
                                    cpus: p.held,
                                });
                            }
                            Ok(None) => panic!("start-time policies always pin"),
                            Err(StartPinError::NotEnoughCpus { .. } | StartPinError::ThreadsPerCore { .. }) => break,
                            Err(e) => panic!("{name}: unexpected {e}"),
                        }
                    }
                    // One or two single-thread vCPUs fit every shipped host, whatever the policy.
                    if s * c <= 2 && t == 1 {
                        assert!(!running.is_empty(), "{name} {policy:?} {s}x{c}x{t}: at least one fits");
                    }
                }
            }
        }
    }
}

/// isolate_threads: no vCPU of the start shares a core with another CPU in use (another VM's or its
/// own other vCPUs).
fn assert_isolated(host: &HostTopology, running: &[Holder], p: &StartPins, label: &str) {
    let mut others = CpuSet::new();
    for h in running {
        others.extend(&h.cpus);
    }
    for pin in &p.vcpu_pins {
        let Some(cpu) = pin.cpuset.first() else { continue };
        let siblings = &host.cpu(cpu).expect("a host CPU").siblings;
        assert!(!siblings.intersects(&others), "{label}: CPU {cpu} beside another VM's");
        for other in &p.vcpu_pins {
            if other.vcpu != pin.vcpu {
                assert!(
                    !other.cpuset.intersects(siblings),
                    "{label}: vCPUs {} and {} share a core",
                    pin.vcpu,
                    other.vcpu
                );
            }
        }
    }
}

/// A small deterministic generator (no crate): the same seeds give the same runs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below.max(1)
    }
}

/// Property: whatever sequence of starts and stops with any mix of policies, running VMs never
/// share a host CPU, and isolate_threads never runs beside a used CPU.
#[test]
fn running_vms_never_share_a_cpu_over_random_start_stop_sequences() {
    let policies = [
        CpuPinningPolicy::Dedicated,
        CpuPinningPolicy::IsolateThreads,
        CpuPinningPolicy::ResizeAndPinNuma,
        CpuPinningPolicy::Manual,
    ];
    let mut starts = 0;
    for (name, host) in hosts() {
        for seed in 0..60u64 {
            let mut rng = Lcg(seed * 7919 + 1);
            let mut running: Vec<Holder> = Vec::new();
            let max_cpus = host.total_cpus() as u64;
            for step in 0..40u128 {
                if !running.is_empty() && rng.next(4) == 0 {
                    let i = rng.next(running.len() as u64) as usize;
                    running.remove(i);
                    continue;
                }
                let policy = policies[rng.next(policies.len() as u64) as usize];
                let threads = 1 + rng.next(u64::from(host.threads_per_core.max(1))) as u32;
                let cores = 1 + rng.next((max_cpus / 4).max(1)) as u32;
                let sockets = 1 + rng.next(2) as u32;
                let mut cfg = vm(policy, sockets, cores, threads);
                cfg.memory_mib = 256 * (1 + rng.next(16));
                if rng.next(2) == 0 {
                    cfg.emulator_thread_policy = EmulatorThreadPolicy::Isolate;
                }
                if policy == CpuPinningPolicy::Manual {
                    // Random fixed pins: may clash, and then must be refused.
                    cfg.cpu_pinning = (0..cfg.vcpus())
                        .map(|vcpu| VcpuPin {
                            vcpu,
                            cpuset: CpuSet::single(rng.next(max_cpus) as u32),
                        })
                        .collect();
                }
                let label = format!("{name} seed {seed} step {step} {policy:?}");
                match start_pins(&host, &running, &cfg) {
                    Ok(Some(p)) => {
                        starts += 1;
                        if policy == CpuPinningPolicy::Manual {
                            for h in &running {
                                assert!(!h.cpus.intersects(&p.held), "{label}");
                            }
                        } else {
                            check_start(&label, &host, &running, &cfg, &p);
                        }
                        if policy == CpuPinningPolicy::IsolateThreads {
                            assert_isolated(&host, &running, &p, &label);
                        }
                        running.push(Holder {
                            vm_id: Uuid::from_u128(step),
                            vm_name: format!("vm{step}"),
                            cpus: p.held,
                        });
                    }
                    Ok(None) => panic!("{label}: start-time policies always pin"),
                    Err(_) => {}
                }
                // The invariant over everything running.
                let mut seen = CpuSet::new();
                for h in &running {
                    assert!(!seen.intersects(&h.cpus), "{label}: two running VMs share a CPU");
                    seen.extend(&h.cpus);
                }
            }
        }
    }
    assert!(starts > 500, "the property saw real starts: {starts}");
}

#[test]
fn apply_writes_the_pins_into_the_configuration() {
    let h = hp_topology();
    let cfg = vm(CpuPinningPolicy::Dedicated, 1, 2, 2);
    let p = start(&h, &[], &cfg);
    let out = p.apply(&cfg);
    assert_eq!(out.cpu_pinning, p.vcpu_pins);
    assert_eq!(out.emulator_pin, p.emulator_pin);
    assert_eq!(out.numa_nodes, p.numa_nodes);
    assert_eq!(out.memory_mib, cfg.memory_mib);
}

#[test]
fn pool_capacity_is_per_host_of_the_cluster_and_counts_running_vms() {
    use crate::domain::rule_context::CpuClaim;
    use crate::domain::test_hosts::{facts, hp_ctx, HP_HOST, SMALL_HOST};
    let mut ctx = hp_ctx();
    ctx.hosts.push(facts(SMALL_HOST, "small1", small_topology()));
    let cfg = vm(CpuPinningPolicy::Dedicated, 1, 2, 1);
    let caps = pool_capacity(&cfg, &ctx);
    assert_eq!(caps.len(), 2);
    assert_eq!((caps[0].host_name.as_str(), caps[0].fits), ("hp1", Some(15)));
    assert_eq!((caps[1].host_name.as_str(), caps[1].fits), ("small1", Some(1)));
    ctx.hosts[1].running.push(CpuClaim {
        vm_name: "busy".into(),
        cpus: CpuSet::parse("1-2").unwrap(),
    });
    assert_eq!(pool_capacity(&cfg, &ctx)[1].fits, Some(0));
    let pinned = VmConfig {
        placement_hosts: vec![HP_HOST],
        ..cfg
    };
    assert_eq!(pool_capacity(&pinned, &ctx).len(), 1, "only the hosts it may run on");
    assert_eq!(pool_capacity(&vm(CpuPinningPolicy::None, 1, 2, 1), &ctx)[0].fits, None);
}

#[test]
fn policies_refuse_what_they_would_ignore() {
    let fields = |cfg: &VmConfig| policy_errors(cfg).into_iter().map(|e| e.field).collect::<Vec<_>>();
    let manual = vm(CpuPinningPolicy::Manual, 1, 2, 1);
    assert_eq!(fields(&manual), vec!["cpu_pinning"], "manual without pins");
    let mut ded = vm(CpuPinningPolicy::Dedicated, 1, 2, 1);
    assert!(fields(&ded).is_empty());
    ded.cpu_pinning = crate::domain::pinning::parse_vcpu_pins("0#1_1#2").unwrap();
    ded.emulator_pin = Some(CpuSet::single(0));
    ded.io_threads = 1;
    ded.io_thread_pins = crate::domain::pinning::parse_io_thread_pins("1#0").unwrap();
    ded.numa_nodes = vec![VNumaNode {
        index: 0,
        cpus: CpuSet::parse("0-1").unwrap(),
        memory_mib: 1024,
        host_nodes: vec![1],
    }];
    assert_eq!(
        fields(&ded),
        vec!["cpu_pinning", "emulator_pin", "io_thread_pins", "numa_nodes"]
    );
    assert!(policy_errors(&ded)[0].message.contains("Dedicated picks host CPUs"));
    let mut none = vm(CpuPinningPolicy::None, 1, 2, 1);
    none.emulator_thread_policy = EmulatorThreadPolicy::Isolate;
    assert_eq!(fields(&none), vec!["emulator_thread_policy"]);
    none.cpu_pinning_policy = CpuPinningPolicy::IsolateThreads;
    assert!(fields(&none).is_empty());
}

/// A start request for the proptest below: policy, topology, isolated emulator.
fn arb_start() -> impl proptest::strategy::Strategy<Value = (usize, u32, u32, u32, bool)> {
    use proptest::prelude::*;
    (0usize..3, 1u32..3, 1u32..6, 1u32..3, any::<bool>())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// On any synthetic host (1–4 sockets, 1–8 cores, 1–4 threads), any sequence of starts of
    /// start-time policies: running VMs never share a CPU, and isolate_threads never runs beside a
    /// used CPU.
    #[test]
    fn start_sequences_on_any_host_never_share_a_cpu(
        sockets in 1u32..5,
        cores in 1u32..9,
        threads in 1u32..5,
        starts in proptest::collection::vec(arb_start(), 1..24),
    ) {
        let host = HostTopology::synthetic(sockets, cores, threads, 8 << 20, &[]);
        let mut running: Vec<Holder> = Vec::new();
        for (n, (p, s, c, t, iso)) in starts.into_iter().enumerate() {
            let mut cfg = vm(START_TIME[p], s, c, t);
            if iso {
                cfg.emulator_thread_policy = EmulatorThreadPolicy::Isolate;
            }
            if let Ok(Some(pins)) = start_pins(&host, &running, &cfg) {
                let label = format!("{sockets}s{cores}c{threads}t #{n}");
                check_start(&label, &host, &running, &cfg, &pins);
                if cfg.cpu_pinning_policy == CpuPinningPolicy::IsolateThreads {
                    assert_isolated(&host, &running, &pins, &label);
                }
                running.push(Holder {
                    vm_id: Uuid::from_u128(n as u128),
                    vm_name: format!("vm{n}"),
                    cpus: pins.held,
                });
            }
        }
        let mut seen = CpuSet::new();
        for h in &running {
            proptest::prop_assert!(!seen.intersects(&h.cpus));
            seen.extend(&h.cpus);
        }
    }
}
