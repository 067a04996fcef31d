//! The cost of the rules behind "preview": profile, validation and all five recommendations with
//! their fixes, for a 64-vCPU High Performance VM on a 2 × 32 × 2 host (128 CPUs, 2 NUMA cells)
//! where other VMs already hold part of the host. `cargo bench -p vireo-app --bench preview`. Also what
//! decoding that host's topology from its JSON costs the server.

use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use uuid::Uuid;
use vireo_app::domain::cpu_set::CpuSet;
use vireo_app::domain::host_topology::{HostTopology, HUGE_PAGE_1G_KIB, HUGE_PAGE_2M_KIB};
use vireo_app::domain::profile::profiled;
use vireo_app::domain::recommendations::recommendations;
use vireo_app::domain::rule_context::{ClusterFacts, CpuClaim, HostFacts, RuleContext};
use vireo_app::domain::validation::validate_config;
use vireo_app::domain::vm_config::{CompatVersion, CpuTopology, OptimizedFor, OsFamily, VmConfig};

fn context() -> RuleContext {
    let host = Uuid::from_u128(1);
    RuleContext {
        cluster: ClusterFacts {
            id: Uuid::from_u128(2),
            name: "Default".into(),
            version: CompatVersion::LATEST,
            ksm_enabled: true,
            ballooning_enabled: true,
        },
        os_family: Some(OsFamily::Linux),
        hosts: vec![HostFacts {
            id: host,
            name: "big".into(),
            cluster_id: Uuid::from_u128(2),
            topology: HostTopology::synthetic(
                2,
                32,
                2,
                512 << 20,
                &[(HUGE_PAGE_2M_KIB, 65536), (HUGE_PAGE_1G_KIB, 128)],
            ),
            ksm_running: Some(true),
            running: vec![],
            // Other High Performance VMs hold 8 cores of each cell.
            claims: vec![
                CpuClaim {
                    vm_name: "a".into(),
                    cpus: CpuSet::parse("1-8").unwrap(),
                },
                CpuClaim {
                    vm_name: "b".into(),
                    cpus: CpuSet::parse("33-40").unwrap(),
                },
            ],
            simulated: true,
        }],
    }
}

fn vm() -> VmConfig {
    let base = VmConfig {
        cpu: CpuTopology {
            sockets: 2,
            cores: 16,
            threads: 2,
        },
        memory_mib: 256 * 1024,
        placement_hosts: vec![Uuid::from_u128(1)],
        ..VmConfig::default()
    };
    profiled(&base, OptimizedFor::HighPerformance)
}

fn preview(c: &mut Criterion) {
    let ctx = context();
    let cfg = vm();
    assert_eq!(
        recommendations(&cfg, &ctx).len(),
        5,
        "the benchmark exercises every recommendation"
    );
    c.bench_function("preview 64 vCPUs on 2x32x2", |b| {
        b.iter(|| {
            let errors = validate_config(black_box(&cfg), black_box(&ctx));
            let recs = recommendations(black_box(&cfg), black_box(&ctx));
            black_box((errors, recs))
        })
    });
}

/// Criterion reports means; the issue asks for the latency distribution, so time single calls too.
fn percentiles() {
    let ctx = context();
    let cfg = vm();
    let mut samples: Vec<std::time::Duration> = (0..20_000)
        .map(|_| {
            let start = std::time::Instant::now();
            black_box((validate_config(&cfg, &ctx), recommendations(&cfg, &ctx)));
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "preview 64 vCPUs on 2x32x2, {} single calls: p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

/// What reading one host costs the server (`list_hosts`, each rule context): its topology decoded
/// from the JSON column, every CPU set in it parsed. A start or save reads every host of the
/// cluster's, so at 200 hosts this is paid 200 times (issue 16).
fn host_topology_json(c: &mut Criterion) {
    let topology = context().hosts[0].topology.clone();
    let json = serde_json::to_string(&topology).expect("a topology serializes");
    c.bench_function("host topology 2x32x2 from JSON", |b| {
        b.iter(|| {
            let parsed: HostTopology = serde_json::from_str(black_box(&json)).expect("it reads back");
            black_box(parsed)
        })
    });
}

criterion_group!(benches, preview, host_topology_json);

fn main() {
    percentiles();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
