//! `vireo-server seed N`: fills the database with N VMs for trying the grids and for the load
//! benchmark. A deterministic mix: every Optimized-for type, stateless ones, pending next-run
//! configurations, pool members, several clusters' worth of descriptions. All stopped (libvirt has
//! no domains for them, and the reconciler would say so).

use crate::repository::{ConfigWrite, Repository};
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::profile::{apply_profile, ProfileContext};
use vireo_app::domain::vm_config::{CpuTopology, OptimizedFor, VmConfig};
use vireo_app::error::AppError;

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

/// Inserts `count` VMs named `<prefix>-00001`…, in batches; returns how many were inserted.
pub async fn seed(repo: &Repository, prefix: &str, count: u32) -> Result<u32, AppError> {
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
    for i in 1..=count {
        let config = seeded_config(i);
        let name = format!("{prefix}-{i:05}");
        let team = TEAMS[(i as usize) % TEAMS.len()];
        let description = format!("Seeded VM {i} for the {team} team");
        let pool_id = (i % 13 == 0).then(|| pools[(i as usize) % pools.len()]);
        let next = (i % 11 == 0).then(|| VmConfig {
            usb_enabled: !config.usb_enabled,
            ..config.clone()
        });
        Repository::insert_config(
            &mut tx,
            &Actor::vireo(),
            &ConfigWrite {
                kind: ConfigKind::Vm,
                id: Uuid::new_v4(),
                name: &name,
                description: &description,
                cluster_id: Some(cluster.id),
                template_id: Some(blank),
                instance_type_id: None,
                pool_id,
                size: 0,
                prestarted: 0,
                config: &config,
                next_run: None,
            },
        )
        .await?;
        if let Some(next) = next {
            repo.set_next_run_by_name(&mut tx, &name, &next).await?;
        }
    }
    tx.commit().await.map_err(crate::repository::internal_error)?;
    // Fresh statistics, so the planner sees thousands of rows and uses the grid indexes, and a fresh
    // visibility map, so the grid totals are index-only scans (autovacuum would get there, but a
    // benchmark started right after seeding would measure stale plans and heap fetches).
    sqlx::query("VACUUM (ANALYZE) vms")
        .execute(repo.pool())
        .await
        .map_err(crate::repository::internal_error)?;
    Ok(count)
}
