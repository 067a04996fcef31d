//! Throughput of Vireo's libvirt layer against raw `virt` calls, on the in-process test driver:
//! 1,000 × (define + start, then destroy + undefine). Vireo's path builds the domain XML from a
//! `VmConfig` and goes through the `Hypervisor` trait (connection pool, blocking pool, deadline);
//! the raw path reuses one prepared XML string on one connection. Run with
//! `cargo bench -p vireo-server --bench lifecycle`.

use std::time::Instant;
use uuid::Uuid;
use vireo_app::domain::domain_xml::{domain_xml, DomainSpec};
use vireo_app::domain::profile::{apply_profile, ProfileContext};
use vireo_app::domain::vm_config::{OptimizedFor, VmConfig};
use vireo_server::hypervisor::{Hypervisor, SharedLibvirtPool};
use virt::connect::Connect;

const N: usize = 1_000;
const URI: &str = "test:///default";

fn config() -> VmConfig {
    apply_profile(
        &VmConfig::default(),
        OptimizedFor::HighPerformance,
        &ProfileContext { invtsc_available: true },
    )
    .config
}

fn xml(id: Uuid, name: &str, config: &VmConfig) -> String {
    domain_xml(&DomainSpec {
        uuid: id,
        name,
        description: "",
        config,
        domain_type: "test",
        arch: "x86_64",
        disabled_cpu_features: &[],
        disks: &[],
        cdrom_path: None,
        nics: &[],
    })
}

fn raw() -> f64 {
    let conn = Connect::open(Some(URI)).expect("test driver");
    let config = config();
    let docs: Vec<(Uuid, String)> = (0..N)
        .map(|i| {
            let id = Uuid::new_v4();
            (id, xml(id, &format!("raw-{i}"), &config))
        })
        .collect();
    let start = Instant::now();
    for (_, doc) in &docs {
        let dom = conn.define_domain_xml(doc).expect("define");
        dom.create().expect("start");
        dom.destroy().expect("destroy");
        dom.undefine().expect("undefine");
    }
    N as f64 / start.elapsed().as_secs_f64()
}

fn vireo(rt: &tokio::runtime::Runtime) -> f64 {
    let pool = SharedLibvirtPool::new();
    let config = config();
    rt.block_on(async {
        pool.ping(URI).await.expect("test driver");
        let start = Instant::now();
        for i in 0..N {
            let id = Uuid::new_v4();
            let doc = xml(id, &format!("vireo-{i}"), &config);
            pool.define_and_start(URI, &doc).await.expect("define and start");
            // What Power Off + Remove of a running VM does.
            pool.remove_domain(URI, id).await.expect("destroy and undefine");
        }
        N as f64 / start.elapsed().as_secs_f64()
    })
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Warm both paths once (library load, first connection).
    let _ = (raw(), vireo(&rt));
    let mut raws = Vec::new();
    let mut vireos = Vec::new();
    for _ in 0..5 {
        raws.push(raw());
        vireos.push(vireo(&rt));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (r, v) = (median(&mut raws), median(&mut vireos));
    println!("{N} × define+start, destroy+undefine on {URI} (median of 5 runs):");
    println!("  raw virt calls:       {r:>9.0} cycles/s");
    println!("  Vireo's libvirt layer: {v:>9.0} cycles/s  (XML built from VmConfig, pooled connection, handle cache)");
    println!("  ratio Vireo / raw:     {:>9.2}", v / r);
}
