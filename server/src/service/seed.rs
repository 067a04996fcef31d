//! `vireo-server seed N`: fills the database with N VMs for trying the grids and for the load
//! benchmarks. A deterministic mix: every Optimized-for type, stateless ones, pending next-run
//! configurations, pool members, several clusters' worth of descriptions. All stopped (libvirt has
//! no domains for them, and the reconciler would say so). `vireo-server seed-hosts N`: N simulated
//! hosts with VMs pinned to each (the scale benchmark's 200 hosts).

use crate::hypervisor::topology_files;
use crate::repository::{ConfigWrite, NewVmRows, Repository};
use crate::service::VireoService;
use sqlx::types::Json;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::host_address::Transport;
use vireo_app::domain::profile::{apply_profile, ProfileContext};
use vireo_app::domain::vm_config::{CpuTopology, OptimizedFor, VmConfig};
use vireo_app::error::AppError;
use vireo_app::models::AddHostRequest;

const TEAMS: [&str; 6] = ["trading", "analytics", "web", "billing", "search", "ml"];

/// The i-th seeded VM's configuration.
pub fn seeded_config(i: u32) -> VmConfig {
    let profile = match i % 10 {
        0..=5 => OptimizedFor::Server,
        6 | 7 => OptimizedFor::Desktop,
        _ => OptimizedFor::HighPerformance,
    };
    let base = VmConfig {
        os_type: if i % 9 == 4 && profile != OptimizedFor::HighPerformance {
            "windows_2022"
        } else {
            "rhel_9x64"
        }
        .into(),
        memory_mib: [1024, 2048, 4096, 8192][(i % 4) as usize],
        cpu: CpuTopology {
            sockets: 1,
            cores: 1 + i % 4,
            threads: 1,
        },
        stateless: i.is_multiple_of(7),
        ..VmConfig::default()
    };
    apply_profile(&base, profile, &ProfileContext { invtsc_available: true }).config
}

/// VMs per statement and transaction: large enough that round trips and commits vanish in the
/// total, small enough that one statement's arrays stay a few megabytes.
pub const BATCH: u32 = 2_000;

/// Inserts `count` VMs named `<prefix>-00001`…, in batches of [`BATCH`]; returns how many were
/// inserted.
pub async fn seed(repo: &Repository, prefix: &str, count: u32) -> Result<u32, AppError> {
    seed_in_batches(repo, prefix, count, BATCH).await
}

/// The i-th seeded VM's row: its name, description, pool (every 13th is in one) and pending
/// next-run configuration (every 11th has one).
fn seeded_row(prefix: &str, i: u32, pools: &[Uuid]) -> (String, String, Option<Uuid>, VmConfig, Option<VmConfig>) {
    let config = seeded_config(i);
    let team = TEAMS[(i as usize) % TEAMS.len()];
    let pool_id = (i.is_multiple_of(13) && !pools.is_empty()).then(|| pools[(i as usize) % pools.len()]);
    let next = i.is_multiple_of(11).then(|| VmConfig {
        usb_enabled: !config.usb_enabled,
        ..config.clone()
    });
    (
        format!("{prefix}-{i:05}"),
        format!("Seeded VM {i} for the {team} team"),
        pool_id,
        config,
        next,
    )
}

/// [`seed`] with the batch size given (tests cross batch boundaries with small ones). Each batch
/// is one `INSERT … SELECT FROM UNNEST` in its own transaction, so the change notification is
/// sent once per batch, and a failure keeps the batches before it.
pub async fn seed_in_batches(repo: &Repository, prefix: &str, count: u32, batch: u32) -> Result<u32, AppError> {
    let cluster = repo
        .list_clusters()
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::Internal)?;
    let blank = Uuid::nil();
    let mut tx = repo.pool().begin().await.map_err(crate::repository::internal_error)?;
    // A few pools for pool membership.
    let mut pools = Vec::new();
    for p in ["a", "b", "c"] {
        let id = Uuid::new_v4();
        let name = format!("{prefix}-pool-{p}");
        let config = VmConfig {
            stateless: true,
            ..VmConfig::default()
        };
        Repository::insert_config(
            &mut tx,
            &Actor::vireo(),
            &ConfigWrite {
                kind: ConfigKind::Pool,
                id,
                name: &name,
                description: "Seeded pool",
                cluster_id: Some(cluster.id),
                template_id: Some(blank),
                instance_type_id: None,
                pool_id: None,
                size: 0,
                prestarted: 0,
                config: &config,
                next_run: None,
            },
        )
        .await?;
        pools.push(id);
    }
    tx.commit().await.map_err(crate::repository::internal_error)?;
    let batch = batch.max(1);
    let mut inserted = 0u32;
    let mut first = 1u32;
    while first <= count {
        let last = first.saturating_add(batch - 1).min(count);
        let built: Vec<_> = (first..=last).map(|i| seeded_row(prefix, i, &pools)).collect();
        let mut rows = NewVmRows::default();
        for (name, description, pool_id, config, next) in &built {
            rows.ids.push(Uuid::new_v4());
            rows.names.push(name.clone());
            rows.descriptions.push(description.clone());
            rows.pool_ids.push(*pool_id);
            rows.configs.push(Json(config));
            rows.next_runs.push(next.as_ref().map(Json));
        }
        let mut tx = repo.pool().begin().await.map_err(crate::repository::internal_error)?;
        let n = Repository::insert_vm_rows(&mut tx, &Actor::vireo(), cluster.id, blank, &rows).await?;
        tx.commit().await.map_err(crate::repository::internal_error)?;
        inserted += u32::try_from(n).map_err(|_| AppError::Internal)?;
        first = last.saturating_add(1);
        if last == u32::MAX {
            break;
        }
    }
    // Fresh statistics, so the planner sees thousands of rows and uses the grid indexes, and a fresh
    // visibility map, so the grid totals are index-only scans (autovacuum would get there, but a
    // benchmark started right after seeding would measure stale plans and heap fetches).
    repo.vacuum_analyze_vms().await?;
    Ok(inserted)
}

/// What `seed-hosts` made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeededHosts {
    pub hosts: u32,
    pub vms: u32,
}

/// The k-th VM of a seeded host: a small server pinned to that host (so a start places it there).
pub fn seeded_host_vm_config(host_id: Uuid, k: u32) -> VmConfig {
    let base = VmConfig {
        memory_mib: [512, 1024][(k % 2) as usize],
        placement_hosts: vec![host_id],
        ..VmConfig::default()
    };
    apply_profile(&base, OptimizedFor::Server, &ProfileContext { invtsc_available: true }).config
}

/// `vireo-server seed-hosts N`: adds `hosts` simulated hosts named `<prefix>-h001`… on libvirt's
/// test driver inside the local libvirtd (`test+unix:///default`, so their domains can be changed
/// from outside Vireo with virsh), each with a shipped topology in turn, through the same path as
/// the Add Host dialog (as Vireo itself); then `vms_per_host` VMs pinned to each, named
/// `<prefix>-h001-1`…, down (starting them is the running server's job: it alone tracks the
/// operations it runs). Simulated hosts share the driver's URI and are told apart by their rows.
pub async fn seed_hosts(
    service: &VireoService,
    prefix: &str,
    hosts: u32,
    vms_per_host: u32,
) -> Result<SeededHosts, AppError> {
    let cluster = service
        .repo
        .list_clusters()
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::Internal)?;
    let mut made = SeededHosts::default();
    for n in 1..=hosts {
        let topology = &topology_files::SHIPPED[(n as usize - 1) % topology_files::SHIPPED.len()];
        let request = AddHostRequest {
            name: format!("{prefix}-h{n:03}"),
            cluster_id: cluster.id,
            transport: Transport::SimulatedLibvirtd.as_str().into(),
            address: String::new(),
            user: String::new(),
            port: String::new(),
            simulated_topology: topology.id.into(),
            host_key_sha256: String::new(),
        };
        let host = service.add_host_as(&Actor::vireo(), request).await?;
        made.hosts += 1;
        let built: Vec<(String, VmConfig)> = (1..=vms_per_host)
            .map(|k| (format!("{}-{k}", host.name), seeded_host_vm_config(host.id, k)))
            .collect();
        let mut rows = NewVmRows::default();
        for (name, config) in &built {
            rows.ids.push(Uuid::new_v4());
            rows.names.push(name.clone());
            rows.descriptions
                .push(format!("Seeded VM on simulated host {}", host.name));
            rows.pool_ids.push(None);
            rows.configs.push(Json(config));
            rows.next_runs.push(None);
        }
        let mut tx = service
            .repo
            .pool()
            .begin()
            .await
            .map_err(crate::repository::internal_error)?;
        let n = Repository::insert_vm_rows(&mut tx, &Actor::vireo(), cluster.id, Uuid::nil(), &rows).await?;
        tx.commit().await.map_err(crate::repository::internal_error)?;
        made.vms += u32::try_from(n).map_err(|_| AppError::Internal)?;
    }
    Ok(made)
}
