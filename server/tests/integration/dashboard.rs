//! The Dashboard's numbers against a real database: counts, allocation and capacity per cluster,
//! huge pages, and the High Performance VMs missing recommended settings — the same set the VM
//! grid's `recommendations:missing` lists.

use crate::support::{admin_app, saved_id, unique, TestApp};
use vireo_app::backend::{ConfigBackend, DashboardBackend, GridBackend};
use vireo_app::domain::dashboard::Dashboard;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::models::{GridQuery, HostStatus, VmStatus};

fn count<K: PartialEq>(list: &[(K, u64)], key: K) -> u64 {
    list.iter().find(|(k, _)| *k == key).map_or(0, |(_, n)| *n)
}

async fn dashboard(app: &TestApp) -> Dashboard {
    app.state.service.dashboard().await.expect("dashboard")
}

async fn grid_names(app: &TestApp, search: &str) -> Vec<String> {
    let q = GridQuery {
        search: search.into(),
        page_size: 200,
        ..GridQuery::new("name")
    };
    let page = app.state.service.vm_grid(&q).await.expect("grid");
    assert_eq!(page.total as usize, page.rows.len());
    page.rows.into_iter().map(|r| r.name).collect()
}

#[tokio::test]
async fn the_numbers_follow_what_is_created() {
    let (app, admin) = admin_app().await;
    let before = dashboard(&app).await;
    assert_eq!(count(&before.hosts_by_status, HostStatus::Up), 1, "the default host");
    let host = app.first_host().await;
    let cluster = before
        .clusters
        .iter()
        .find(|c| c.id == host.cluster_id)
        .expect("its cluster")
        .clone();
    // The default host's simulated topology: 2 sockets × 8 cores × 2 threads, 2 × 64 GiB.
    assert_eq!((cluster.up_hosts, cluster.cpus), (1, 32));
    assert_eq!(cluster.memory_mib, host.topology.memory_kib() / 1024);
    let pages = &before
        .huge_pages
        .iter()
        .find(|h| h.id == host.id)
        .expect("its pages")
        .pages;
    assert_eq!(
        pages.iter().map(|p| p.size_kib).collect::<Vec<_>>(),
        vec![2048, 1_048_576]
    );
    assert_eq!(pages[0].free, host.topology.free_pages(2048, &[]));

    // A server VM (2 vCPUs, 2 GiB), an HP VM saved as is (it misses recommendations) and an HP VM
    // saved with every fix applied (it misses none).
    let server = app.sized_draft(ConfigKind::Vm, unique("dash-srv"), 2).await;
    saved_id(app.state.service.save(&admin, server, true).await.expect("save"));
    let lacking_name = unique("dash-hp-lacking");
    let lacking = app.sized_draft(ConfigKind::Vm, lacking_name.clone(), 4).await;
    let lacking = app.with_profile(lacking, OptimizedFor::HighPerformance).await;
    saved_id(app.state.service.save(&admin, lacking, true).await.expect("save"));
    let fine = app.sized_draft(ConfigKind::Vm, unique("dash-hp-fixed"), 2).await;
    let fine = app.with_profile(fine, OptimizedFor::HighPerformance).await;
    let fine = app.fixed(&fine).await;
    saved_id(app.state.service.save(&admin, fine, false).await.expect("save"));

    let after = dashboard(&app).await;
    assert_eq!(
        count(&after.vms_by_status, VmStatus::Down),
        count(&before.vms_by_status, VmStatus::Down) + 3
    );
    assert_eq!(
        count(&after.vms_by_type, OptimizedFor::HighPerformance),
        count(&before.vms_by_type, OptimizedFor::HighPerformance) + 2
    );
    assert_eq!(
        count(&after.vms_by_type, OptimizedFor::Server),
        count(&before.vms_by_type, OptimizedFor::Server) + 1
    );
    let load = after
        .clusters
        .iter()
        .find(|c| c.id == host.cluster_id)
        .expect("its cluster");
    assert_eq!(load.defined.vms, cluster.defined.vms + 3);
    assert_eq!(load.defined.vcpus, cluster.defined.vcpus + 2 + 4 + 2);
    assert_eq!(load.defined.memory_mib, cluster.defined.memory_mib + 3 * 2048);
    assert_eq!(load.running, cluster.running, "nothing started");
    assert_eq!(after.hp_missing, before.hp_missing + 1);
    // The grid term lists exactly the VMs counted.
    let listed = grid_names(&app, "recommendations:missing").await;
    assert_eq!(listed.len() as u64, after.hp_missing);
    assert!(listed.contains(&lacking_name));
    assert!(listed
        .iter()
        .all(|n| !n.starts_with("dash-hp-fixed") && !n.starts_with("dash-srv")));
    // It combines with other terms and words.
    assert_eq!(
        grid_names(&app, &format!("recommendations:missing {lacking_name}")).await,
        vec![lacking_name.clone()]
    );
    assert!(grid_names(&app, "recommendations:missing type:server").await.is_empty());
}

#[tokio::test]
async fn a_bad_recommendations_value_is_a_search_error() {
    let (app, _) = admin_app().await;
    let q = GridQuery {
        search: "recommendations:met".into(),
        ..GridQuery::new("name")
    };
    let err = app.state.service.vm_grid(&q).await.expect_err("refused");
    assert!(format!("{err:?}").contains("missing"), "{err:?}");
}
