//! vNUMA nodes through the REST API when a VM's memory or vCPU count changes (`domain::numa`): an
//! SDK or Ansible `update` of `memory` or the CPU topology spreads the nodes again over the new size
//! (oVirt's `NumaUtils.setNumaListConfiguration`), keeping their host pins; more nodes than vCPUs
//! is refused with a fault and the nodes stay.

use crate::support::{admin_app, saved_id, unique, TestApp};
use axum::http::{Method, StatusCode};
use uuid::Uuid;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::cpu_set::CpuSet;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::vm_config::{MigrationMode, VNumaNode};
use vireo_server::ovirt::xml::Node;

const GIB: u64 = 1024 * 1024 * 1024;

/// `(index, vCPUs, MiB, host cells)` of each node, as `GET /vms/{id}/numanodes` shows them.
type Shown = Vec<(u32, Vec<u32>, u64, Vec<u32>)>;

fn shown(nodes: &Node) -> Shown {
    let num = |n: &Node, name: &str| n.child(name).map(|c| c.text.trim().to_string()).unwrap_or_default();
    let mut out: Shown = nodes
        .children
        .iter()
        .map(|n| {
            let cores = n
                .child("cpu")
                .and_then(|c| c.child("cores"))
                .map(|c| {
                    c.children
                        .iter()
                        .map(|core| num(core, "index").parse().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let pins = n
                .child("numa_node_pins")
                .map(|p| {
                    p.children
                        .iter()
                        .map(|pin| num(pin, "index").parse().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            (
                num(n, "index").parse().unwrap(),
                cores,
                num(n, "memory").parse().unwrap(),
                pins,
            )
        })
        .collect();
    out.sort();
    out
}

async fn nodes_of(app: &TestApp, t: &str, id: Uuid) -> Shown {
    shown(&app.rest_ok(t, Method::GET, &format!("/vms/{id}/numanodes"), "").await)
}

/// A 4-vCPU, 4 GiB VM on the test host with two vNUMA nodes pinned to its cells 0 and 1.
async fn two_node_vm(app: &TestApp, actor: &vireo_app::models::CurrentUser) -> Uuid {
    let host = app.first_host().await;
    let mut d = app.sized_draft(ConfigKind::Vm, unique("numa"), 4).await;
    d.config.memory_mib = 4096;
    d.config.placement_hosts = vec![host.id];
    d.config.migration = MigrationMode::Pinned;
    d.config.numa_nodes = (0..2)
        .map(|i| VNumaNode {
            index: i,
            cpus: CpuSet::from_ids(2 * i..2 * i + 2),
            memory_mib: 2048,
            host_nodes: vec![i],
        })
        .collect();
    saved_id(app.state.service.save(actor, d, true).await.expect("save"))
}

fn topology(sockets: u32, cores: u32) -> String {
    format!("<vm><cpu><topology><sockets>{sockets}</sockets><cores>{cores}</cores><threads>1</threads></topology></cpu></vm>")
}

#[tokio::test]
async fn a_memory_or_cpu_update_spreads_the_nodes_again_and_keeps_their_pins() {
    let (app, actor) = admin_app().await;
    let t = app.admin_token().await;
    let id = two_node_vm(&app, &actor).await;
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![(0, vec![0, 1], 2048, vec![0]), (1, vec![2, 3], 2048, vec![1])]
    );

    // Memory up, as `ovirt_vm` sends it (bytes).
    let vm = app
        .rest_ok(
            &t,
            Method::PUT,
            &format!("/vms/{id}"),
            &format!("<vm><memory>{}</memory></vm>", 8 * GIB),
        )
        .await;
    assert_eq!(vm.child("memory").unwrap().text.trim(), (8 * GIB).to_string());
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![(0, vec![0, 1], 4096, vec![0]), (1, vec![2, 3], 4096, vec![1])]
    );

    // Memory down.
    app.rest_ok(
        &t,
        Method::PUT,
        &format!("/vms/{id}"),
        &format!("<vm><memory>{}</memory></vm>", 2 * GIB),
    )
    .await;
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![(0, vec![0, 1], 1024, vec![0]), (1, vec![2, 3], 1024, vec![1])]
    );

    // vCPUs up: 8, four per node; the memory follows them (2048 MiB / 8 vCPUs = 256 each).
    app.rest_ok(&t, Method::PUT, &format!("/vms/{id}"), &topology(2, 4))
        .await;
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![
            (0, vec![0, 1, 2, 3], 1024, vec![0]),
            (1, vec![4, 5, 6, 7], 1024, vec![1])
        ]
    );

    // vCPUs down to 3: 1 + 2; 2048 MiB does not divide by 3, so the memory is halved.
    app.rest_ok(&t, Method::PUT, &format!("/vms/{id}"), &topology(1, 3))
        .await;
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![(0, vec![0], 1024, vec![0]), (1, vec![1, 2], 1024, vec![1])]
    );

    // Memory and vCPUs in one request: 3 GiB over 3 vCPUs divides, so 1 GiB per vCPU.
    app.rest_ok(
        &t,
        Method::PUT,
        &format!("/vms/{id}"),
        &format!("<vm><memory>{}</memory><cpu><topology><sockets>1</sockets><cores>3</cores><threads>1</threads></topology></cpu></vm>", 3 * GIB),
    )
    .await;
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![(0, vec![0], 1024, vec![0]), (1, vec![1, 2], 2048, vec![1])]
    );

    // A request that changes neither leaves the nodes alone.
    app.rest_ok(
        &t,
        Method::PUT,
        &format!("/vms/{id}"),
        "<vm><description>d</description></vm>",
    )
    .await;
    assert_eq!(nodes_of(&app, &t, id).await[1].2, 2048);
}

#[tokio::test]
async fn fewer_vcpus_than_nodes_is_a_fault_and_nothing_changes() {
    let (app, actor) = admin_app().await;
    let t = app.admin_token().await;
    let id = two_node_vm(&app, &actor).await;
    let before = nodes_of(&app, &t, id).await;

    let (status, fault) = app.rest(&t, Method::PUT, &format!("/vms/{id}"), &topology(1, 1)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    let detail = fault.child("detail").unwrap().text.trim().to_string();
    assert!(detail.contains("2 NUMA nodes for 1 vCPUs"), "{detail}");
    assert_eq!(nodes_of(&app, &t, id).await, before);
    let vm = app.rest_ok(&t, Method::GET, &format!("/vms/{id}"), "").await;
    let cores = vm
        .child("cpu")
        .unwrap()
        .child("topology")
        .unwrap()
        .child("cores")
        .unwrap();
    assert_eq!(cores.text.trim(), "4", "the VM kept its vCPUs");

    // Exactly as many vCPUs as nodes is enough.
    app.rest_ok(&t, Method::PUT, &format!("/vms/{id}"), &topology(1, 2))
        .await;
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![(0, vec![0], 2048, vec![0]), (1, vec![1], 2048, vec![1])]
    );
}

#[tokio::test]
async fn a_next_run_edit_of_a_running_vm_spreads_its_pending_nodes() {
    let (app, actor) = admin_app().await;
    let t = app.admin_token().await;
    let id = two_node_vm(&app, &actor).await;
    app.rest_ok(&t, Method::POST, &format!("/vms/{id}/start"), "<action/>")
        .await;

    app.rest_ok(
        &t,
        Method::PUT,
        &format!("/vms/{id}?next_run=true"),
        &format!("<vm><memory>{}</memory></vm>", 6 * GIB),
    )
    .await;
    // The sub-collection shows the pending configuration: the nodes as they will be.
    assert_eq!(
        nodes_of(&app, &t, id).await,
        vec![(0, vec![0, 1], 3072, vec![0]), (1, vec![2, 3], 3072, vec![1])]
    );
    let now = app.state.repo.config_record(ConfigKind::Vm, id).await.unwrap().unwrap();
    assert_eq!(
        now.config.numa_nodes.iter().map(|n| n.memory_mib).collect::<Vec<_>>(),
        vec![2048, 2048],
        "the running configuration keeps its nodes until the next start"
    );
    app.rest_ok(&t, Method::POST, &format!("/vms/{id}/stop"), "<action/>")
        .await;
}
