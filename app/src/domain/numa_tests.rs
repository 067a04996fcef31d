use super::*;
use crate::domain::recommendations::{apply_fixes, RecommendationId};
use crate::domain::test_hosts::hp_ctx;
use crate::domain::validation::validate_config;
use crate::domain::vm_config::{CpuTopology, HugePages, MigrationMode, OptimizedFor};

fn node(index: u32, cpus: &str, memory_mib: u64, host_nodes: Vec<u32>) -> VNumaNode {
    VNumaNode {
        index,
        cpus: CpuSet::parse(cpus).unwrap(),
        memory_mib,
        host_nodes,
    }
}

fn blank(count: u32) -> Vec<VNumaNode> {
    (0..count)
        .map(|index| VNumaNode {
            index,
            cpus: CpuSet::new(),
            memory_mib: 0,
            host_nodes: vec![],
        })
        .collect()
}

/// `(vCPUs per node, MiB per node)`.
fn shape(nodes: &[VNumaNode]) -> Vec<(usize, u64)> {
    nodes.iter().map(|n| (n.cpus.len(), n.memory_mib)).collect()
}

/// A 4-vCPU, 4 GiB VM with two nodes pinned to host cells 0 and 1.
fn two_node_vm() -> VmConfig {
    VmConfig {
        cpu: CpuTopology {
            sockets: 2,
            cores: 2,
            threads: 1,
        },
        memory_mib: 4096,
        placement_hosts: vec![crate::domain::test_hosts::HP_HOST],
        migration: MigrationMode::Pinned,
        numa_nodes: vec![node(0, "0-1", 2048, vec![0]), node(1, "2-3", 2048, vec![1])],
        ..VmConfig::default()
    }
}

fn numa_errors(cfg: &VmConfig) -> Vec<String> {
    validate_config(cfg, &hp_ctx())
        .into_iter()
        .filter(|e| e.field == "numa_nodes")
        .map(|e| e.message)
        .collect()
}

fn resized(f: impl FnOnce(&mut VmConfig)) -> (Resize, VmConfig) {
    let before = two_node_vm();
    let mut after = before.clone();
    f(&mut after);
    let r = follow_resize(&before, &mut after);
    (r, after)
}

// --- oVirt's NumaUtilsTest, case by case --------------------------------------------------------

#[test]
fn ovirt_single_cpu_per_node() {
    let mut nodes = blank(2);
    spread(&mut nodes, 1024, None, 2, 1);
    assert_eq!(shape(&nodes), vec![(1, 512), (1, 512)]);
}

#[test]
fn ovirt_dual_cpus_per_node() {
    let mut nodes = blank(2);
    spread(&mut nodes, 1024, None, 4, 1);
    assert_eq!(shape(&nodes), vec![(2, 512), (2, 512)]);
}

#[test]
fn ovirt_huge_pages_too_few_for_the_nodes() {
    // One 1 GiB page for two nodes: the first takes it, the second has none (validation refuses
    // that node; oVirt's validator does not look at empty nodes).
    let mut nodes = blank(2);
    spread(&mut nodes, 1024, Some(1_048_576), 2, 1);
    assert_eq!(shape(&nodes), vec![(1, 1024), (1, 0)]);
}

#[test]
fn ovirt_huge_pages_big_memory() {
    let mut nodes = blank(2);
    spread(&mut nodes, 8192, Some(1_048_576), 2, 1);
    assert_eq!(shape(&nodes), vec![(1, 4096), (1, 4096)]);
}

#[test]
fn ovirt_unfit_cpus_round_up_to_whole_cores_and_memory_splits_evenly() {
    let mut nodes = blank(4);
    spread(&mut nodes, 1024, None, 46, 2);
    assert_eq!(shape(&nodes), vec![(12, 256), (12, 256), (12, 256), (10, 256)]);
}

#[test]
fn ovirt_memory_follows_the_cpus_when_it_divides_evenly() {
    let mut nodes = blank(4);
    spread(&mut nodes, 46 * 32, None, 46, 2);
    assert_eq!(
        shape(&nodes),
        vec![(12, 12 * 32), (12, 12 * 32), (12, 12 * 32), (10, 10 * 32)]
    );
}

// --- the spread itself --------------------------------------------------------------------------

#[test]
fn vcpus_are_consecutive_runs_in_index_order() {
    let mut nodes = vec![
        node(1, "0", 1, vec![3]),
        node(0, "1", 1, vec![2]),
        node(2, "2", 1, vec![]),
    ];
    spread(&mut nodes, 6144, None, 6, 1);
    let got: Vec<(u32, String, u64, Vec<u32>)> = nodes
        .iter()
        .map(|n| (n.index, n.cpus.to_string(), n.memory_mib, n.host_nodes.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, "0-1".into(), 2048, vec![2]),
            (1, "2-3".into(), 2048, vec![3]),
            (2, "4-5".into(), 2048, vec![]),
        ],
        "sorted by index, each node keeps its host pins"
    );
}

#[test]
fn uneven_cpus_carry_proportional_memory() {
    // 3 vCPUs over 2 nodes: 1 + 2; 6144 MiB divides by 3, so 2048 per vCPU.
    let mut nodes = blank(2);
    spread(&mut nodes, 6144, None, 3, 1);
    assert_eq!(shape(&nodes), vec![(1, 2048), (2, 4096)]);
    // 4097 MiB does not divide by 3: an even split, the odd MiB on the first node.
    spread(&mut nodes, 4097, None, 3, 1);
    assert_eq!(shape(&nodes), vec![(1, 2049), (2, 2048)]);
}

#[test]
fn threads_of_one_core_stay_in_one_node() {
    // 1 socket × 3 cores × 2 threads over 2 nodes: 3 rounds up to 4 (two whole cores), then 2.
    let mut nodes = blank(2);
    spread(&mut nodes, 6144, None, 6, 2);
    assert_eq!(shape(&nodes), vec![(4, 4096), (2, 2048)]);
    assert_eq!(nodes[0].cpus.to_string(), "0-3");
}

#[test]
fn two_mib_pages_keep_every_node_a_whole_number_of_pages() {
    // 4098 MiB = 2049 pages of 2 MiB, odd for 4 vCPUs: even split, the odd page on node 0.
    let mut nodes = blank(2);
    spread(&mut nodes, 4098, Some(2048), 4, 1);
    assert_eq!(shape(&nodes), vec![(2, 2050), (2, 2048)]);
}

#[test]
fn the_granule_is_the_least_common_multiple_of_page_and_mib() {
    assert_eq!(granularity_mib(None), 1);
    assert_eq!(
        granularity_mib(Some(0)),
        1,
        "no page size: MiB steps, no division by zero"
    );
    assert_eq!(granularity_mib(Some(4)), 1);
    assert_eq!(granularity_mib(Some(2048)), 2);
    assert_eq!(granularity_mib(Some(1_048_576)), 1024);
    assert_eq!(granularity_mib(Some(3000)), 375, "lcm(3000, 1024) KiB = 375 MiB");
}

#[test]
fn spreading_nothing_or_over_no_vcpus_does_not_panic() {
    spread(&mut [], 4096, None, 4, 1);
    let mut nodes = blank(2);
    spread(&mut nodes, 4096, None, 0, 0);
    assert_eq!(shape(&nodes), vec![(0, 2048), (0, 2048)]);
}

#[test]
fn every_spread_holds_each_vcpu_once_and_all_the_memory() {
    for vcpus in 1..=24u32 {
        for threads in [1u32, 2, 4].into_iter().filter(|t| vcpus % t == 0) {
            for count in 1..=vcpus.min(8) {
                for memory in [1024u64, 4096, 4097, 6000, 65_536] {
                    let mut nodes = blank(count);
                    spread(&mut nodes, memory, None, vcpus, threads);
                    let mut all = CpuSet::new();
                    for n in &nodes {
                        assert!(!n.cpus.intersects(&all), "{vcpus}/{threads}/{count}: a vCPU twice");
                        all.extend(&n.cpus);
                    }
                    assert_eq!(all, CpuSet::from_ids(0..vcpus), "{vcpus}/{threads}/{count}");
                    let total: u64 = nodes.iter().map(|n| n.memory_mib).sum();
                    assert_eq!(total, memory, "{vcpus}/{threads}/{count}/{memory}");
                }
            }
        }
    }
}

// --- follow_resize: when it applies, and what it keeps --------------------------------------------

#[test]
fn memory_up_spreads_the_new_memory_and_keeps_the_pins() {
    let (r, cfg) = resized(|c| c.memory_mib = 8192);
    assert_eq!(r, Resize::Respread);
    assert_eq!(
        cfg.numa_nodes,
        vec![node(0, "0-1", 4096, vec![0]), node(1, "2-3", 4096, vec![1])]
    );
    assert_eq!(numa_errors(&cfg), Vec::<String>::new());
}

#[test]
fn memory_down_spreads_the_smaller_memory() {
    let (r, cfg) = resized(|c| c.memory_mib = 2048);
    assert_eq!(r, Resize::Respread);
    assert_eq!(
        cfg.numa_nodes,
        vec![node(0, "0-1", 1024, vec![0]), node(1, "2-3", 1024, vec![1])]
    );
    assert_eq!(numa_errors(&cfg), Vec::<String>::new());
}

#[test]
fn vcpus_up_gives_the_new_vcpus_to_the_nodes() {
    let (r, cfg) = resized(|c| c.cpu.cores = 4);
    assert_eq!(r, Resize::Respread);
    assert_eq!(
        cfg.numa_nodes,
        vec![node(0, "0-3", 2048, vec![0]), node(1, "4-7", 2048, vec![1])]
    );
    assert_eq!(numa_errors(&cfg), Vec::<String>::new());
}

#[test]
fn vcpus_down_takes_them_from_the_nodes() {
    let (r, cfg) = resized(|c| c.cpu.cores = 1);
    assert_eq!(r, Resize::Respread);
    assert_eq!(
        cfg.numa_nodes,
        vec![node(0, "0", 2048, vec![0]), node(1, "1", 2048, vec![1])]
    );
    assert_eq!(numa_errors(&cfg), Vec::<String>::new());
}

#[test]
fn fewer_vcpus_than_nodes_is_refused_and_the_nodes_stay() {
    let (r, cfg) = resized(|c| {
        c.cpu.sockets = 1;
        c.cpu.cores = 1;
    });
    assert_eq!(
        r,
        Resize::Refused(FieldError::new(
            "numa_nodes",
            "2 NUMA nodes for 1 vCPUs: each node needs at least one vCPU \
             (lower the NUMA Node Count or add vCPUs)."
        ))
    );
    assert_eq!(cfg.numa_nodes, two_node_vm().numa_nodes);
    // The save refuses it with the same message.
    assert!(numa_errors(&cfg)
        .iter()
        .any(|m| m.starts_with("2 NUMA nodes for 1 vCPUs")));
}

#[test]
fn as_many_vcpus_as_nodes_is_enough() {
    let (r, cfg) = resized(|c| {
        c.cpu.sockets = 1;
        c.cpu.cores = 2;
    });
    assert_eq!(r, Resize::Respread);
    assert_eq!(shape(&cfg.numa_nodes), vec![(1, 2048), (1, 2048)]);
}

#[test]
fn memory_and_vcpus_together() {
    let (r, cfg) = resized(|c| {
        c.memory_mib = 12_288;
        c.cpu.sockets = 3;
    });
    assert_eq!(r, Resize::Respread);
    // 6 vCPUs: 3 + 3; 12 GiB divides by 6, so 2 GiB per vCPU.
    assert_eq!(shape(&cfg.numa_nodes), vec![(3, 6144), (3, 6144)]);
}

#[test]
fn a_manual_uneven_layout_is_spread_evenly_again() {
    let before = VmConfig {
        numa_nodes: vec![node(0, "0", 1024, vec![0]), node(1, "1-3", 3072, vec![1])],
        ..two_node_vm()
    };
    let mut after = before.clone();
    after.memory_mib = 8192;
    assert_eq!(follow_resize(&before, &mut after), Resize::Respread);
    assert_eq!(shape(&after.numa_nodes), vec![(2, 4096), (2, 4096)]);
    assert_eq!(after.numa_nodes[1].host_nodes, vec![1]);
}

#[test]
fn huge_pages_keep_nodes_whole_pages() {
    let before = VmConfig {
        huge_pages: Some(HugePages {
            size_kib: 1_048_576,
            count: 4,
        }),
        ..two_node_vm()
    };
    let mut after = before.clone();
    after.memory_mib = 6144;
    after.huge_pages = Some(HugePages {
        size_kib: 1_048_576,
        count: 6,
    });
    assert_eq!(follow_resize(&before, &mut after), Resize::Respread);
    // 6 pages do not divide among 4 vCPUs: 3 pages each.
    assert_eq!(shape(&after.numa_nodes), vec![(2, 3072), (2, 3072)]);
    assert_eq!(numa_errors(&after), Vec::<String>::new());
}

#[test]
fn a_single_node_takes_everything() {
    let before = VmConfig {
        numa_nodes: vec![node(0, "0-3", 4096, vec![0])],
        ..two_node_vm()
    };
    let mut after = before.clone();
    after.memory_mib = 5000;
    after.cpu.cores = 3;
    assert_eq!(follow_resize(&before, &mut after), Resize::Respread);
    assert_eq!(after.numa_nodes, vec![node(0, "0-5", 5000, vec![0])]);
}

#[test]
fn nodes_set_by_the_same_edit_are_taken_as_sent() {
    // oVirt's `updateNuma`: a request carrying nodes different from the stored ones sets them.
    let (r, cfg) = resized(|c| {
        c.memory_mib = 8192;
        c.numa_nodes = vec![node(0, "0", 1024, vec![0]), node(1, "1-3", 7168, vec![1])];
    });
    assert_eq!(r, Resize::Unchanged);
    assert_eq!(cfg.numa_nodes[1].memory_mib, 7168);
}

#[test]
fn nothing_happens_without_nodes_or_without_a_size_change() {
    let before = VmConfig {
        numa_nodes: vec![],
        ..two_node_vm()
    };
    let mut after = before.clone();
    after.memory_mib = 8192;
    assert_eq!(follow_resize(&before, &mut after), Resize::Unchanged);
    let (r, cfg) = resized(|c| {
        c.io_threads = 2;
        c.numa_tune_mode = crate::domain::vm_config::NumaTuneMode::Interleave;
    });
    assert_eq!(r, Resize::Unchanged);
    assert_eq!(cfg.numa_nodes, two_node_vm().numa_nodes);
    // A different topology of the same count is not a resize.
    let (r, _) = resized(|c| {
        c.cpu.sockets = 1;
        c.cpu.cores = 4;
    });
    assert_eq!(r, Resize::Unchanged);
}

#[test]
fn out_of_bounds_sizes_are_left_to_validation() {
    let (r, cfg) = resized(|c| c.cpu.cores = u32::MAX);
    assert_eq!(r, Resize::Unchanged, "the product overflows");
    assert_eq!(cfg.numa_nodes, two_node_vm().numa_nodes);
    let (r, _) = resized(|c| c.cpu.cores = 1000);
    assert_eq!(
        r,
        Resize::Unchanged,
        "above the vCPU bound: nothing sized by it is built"
    );
    let (r, _) = resized(|c| c.memory_mib = u64::MAX);
    assert_eq!(r, Resize::Unchanged);
}

#[test]
fn a_fixed_high_performance_vm_stays_valid_through_resizes() {
    // The HP fixes (R1-R5) pin the vCPUs and mirror the host cells as vNUMA nodes.
    let hp = VmConfig {
        optimized_for: OptimizedFor::HighPerformance,
        cpu: CpuTopology {
            sockets: 2,
            cores: 2,
            threads: 2,
        },
        memory_mib: 8192,
        io_threads: 1,
        cpu_passthrough: true,
        migration: MigrationMode::Pinned,
        ..VmConfig::default()
    };
    let before = apply_fixes(&hp, &hp_ctx(), &RecommendationId::ALL);
    assert!(!before.numa_nodes.is_empty(), "R3 made nodes");
    for memory in [4096u64, 16_384] {
        let mut after = before.clone();
        after.memory_mib = memory;
        if let Some(hp) = after.huge_pages.as_mut() {
            hp.count = memory * 1024 / hp.size_kib;
        }
        assert_eq!(follow_resize(&before, &mut after), Resize::Respread);
        assert_eq!(numa_errors(&after), Vec::<String>::new(), "{memory} MiB");
        let pins = |c: &VmConfig| c.numa_nodes.iter().map(|n| n.host_nodes.clone()).collect::<Vec<_>>();
        assert_eq!(pins(&after), pins(&before));
    }
}

#[test]
fn describe_lists_the_nodes() {
    assert_eq!(
        describe(&two_node_vm().numa_nodes),
        "0: vCPUs 0-1, 2048 MiB; 1: vCPUs 2-3, 2048 MiB"
    );
}

#[test]
fn a_respread_is_listed_on_the_host_tab() {
    let (_, cfg) = resized(|c| c.memory_mib = 8192);
    let c = respread_change(&two_node_vm().numa_nodes, &cfg.numa_nodes);
    assert_eq!(
        (c.field.as_str(), c.tab),
        ("numa_nodes", crate::domain::fields::DialogTab::Host)
    );
    assert_eq!(c.old, "0: vCPUs 0-1, 2048 MiB; 1: vCPUs 2-3, 2048 MiB");
    assert_eq!(c.new, "0: vCPUs 0-1, 4096 MiB; 1: vCPUs 2-3, 4096 MiB");
}
