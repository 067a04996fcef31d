//! What the `ovirt.ovirt` collection's `ovirt_vm` and `ovirt_vm_info` take from the REST API
//! beyond the SDK's own samples, each pinned here as oVirt's model has it: the OS catalogue
//! (`/operatingsystems`), templates searched by a VM made from them (`vm.name=X`, sent on every
//! run against an existing VM), vNUMA nodes added one by one (saved as the engine saves them,
//! started only once they hold every vCPU and all the memory), and the HA priority kept as sent
//! (compared by `ovirt_vm` for idempotency). The playbook itself is
//! `api-tests/ansible/10_high_performance_vm.yml`.

use crate::support::{app, TestApp};
use axum::http::{Method, StatusCode};
use vireo_server::ovirt::xml::Node;

fn text<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    let mut n = node;
    for p in path {
        n = n.child(p).unwrap_or_else(|| panic!("no <{p}> in <{}>", n.name));
    }
    n.text.trim()
}

fn names(list: &Node) -> Vec<&str> {
    list.children.iter().map(|c| text(c, &["name"])).collect()
}

#[tokio::test]
async fn operating_systems_are_the_os_catalogue() {
    let app = app().await;
    let t = app.admin_token().await;
    let (status, list) = app.rest(&t, Method::GET, "/operatingsystems", "").await;
    assert_eq!((status, list.name.as_str()), (StatusCode::OK, "operating_systems"));
    assert!(list.children.iter().all(|c| c.name == "operating_system"));
    let rhel = list
        .children
        .iter()
        .find(|c| text(c, &["name"]) == "rhel_9x64")
        .expect("rhel_9x64 is listed");
    assert_eq!(text(rhel, &["description"]), "Red Hat Enterprise Linux 9.x x64");
    assert_eq!(text(rhel, &["architecture"]), "x86_64");
    let href = rhel.attr("href").unwrap().to_string();
    assert_eq!(
        href,
        format!("/ovirt-engine/api/operatingsystems/{}", rhel.attr("id").unwrap())
    );

    let (status, one) = app
        .rest(&t, Method::GET, href.trim_start_matches("/ovirt-engine/api"), "")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&one, &["name"]), "rhel_9x64");
    let (status, win) = app.rest(&t, Method::GET, "/operatingsystems/windows_2019x64", "").await;
    assert_eq!(
        (status, text(&win, &["description"])),
        (StatusCode::OK, "Windows Server 2019")
    );
    let (status, fault) = app.rest(&t, Method::GET, "/operatingsystems/beos", "").await;
    assert_eq!((status, fault.name.as_str()), (StatusCode::NOT_FOUND, "fault"));
    // The API root names the collection.
    let (_, root) = app.rest(&t, Method::GET, "", "").await;
    assert!(root
        .children
        .iter()
        .any(|l| l.name == "link" && l.attr("rel") == Some("operatingsystems")));
}

#[tokio::test]
async fn templates_are_searched_by_the_vms_made_from_them() {
    let app = app().await;
    let t = app.admin_token().await;
    app.rest_create(
        &t,
        "/vms",
        "<vm><name>from-blank</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>",
    )
    .await;
    let search = |q: &str| format!("/templates?search={}", q.replace(' ', "%20").replace('=', "%3D"));
    let (status, found) = app.rest(&t, Method::GET, &search("vm.name=from-blank"), "").await;
    assert_eq!(status, StatusCode::OK, "{found:?}");
    assert_eq!(names(&found), vec!["Blank"]);
    let (_, found) = app.rest(&t, Method::GET, &search("vm.name=from-*"), "").await;
    assert_eq!(names(&found), vec!["Blank"], "wildcards as on any field");
    let (_, found) = app.rest(&t, Method::GET, &search("vm.name=nobody"), "").await;
    assert!(found.children.is_empty(), "no VM of that name: no template");
    let (_, found) = app
        .rest(&t, Method::GET, &search("vm.name=from-blank and name=Blank"), "")
        .await;
    assert_eq!(names(&found), vec!["Blank"]);
    // A field about other rows orders nothing: the default order (by name) stands.
    let (status, _) = app
        .rest(&t, Method::GET, &search("vm.name=from-blank sortby vm.name"), "")
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn hp_vm(app: &TestApp, t: &str) -> String {
    let (_, hosts) = app.rest(t, Method::GET, "/hosts", "").await;
    let host = text(&hosts.children[0], &["name"]).to_string();
    // 4 vCPUs and 2 GiB on the default test host (hp-2s8c2t: cell 0 holds CPUs 0-7, cell 1 8-15).
    let vm = app
        .rest_create(
            t,
            "/vms",
            &format!(
                "<vm><name>hp</name><cluster><name>Default</name></cluster><template><name>Blank</name></template>\
                 <type>high_performance</type><os><type>rhel_9x64</type></os><memory>2147483648</memory>\
                 <cpu><mode>host_passthrough</mode><topology><sockets>2</sockets><cores>2</cores><threads>1</threads></topology>\
                 <cpu_tune><vcpu_pins>\
                 <vcpu_pin><vcpu>0</vcpu><cpu_set>1</cpu_set></vcpu_pin><vcpu_pin><vcpu>1</vcpu><cpu_set>2</cpu_set></vcpu_pin>\
                 <vcpu_pin><vcpu>2</vcpu><cpu_set>9</cpu_set></vcpu_pin><vcpu_pin><vcpu>3</vcpu><cpu_set>10</cpu_set></vcpu_pin>\
                 </vcpu_pins></cpu_tune></cpu>\
                 <placement_policy><affinity>pinned</affinity><hosts><host><name>{host}</name></host></hosts></placement_policy>\
                 <high_availability><enabled>true</enabled><priority>50</priority></high_availability></vm>"
            ),
        )
        .await;
    vm.attr("id").unwrap().to_string()
}

fn numa_node(index: u32, cores: [u32; 2], cell: u32) -> String {
    format!(
        "<vm_numa_node><index>{index}</index><memory>1024</memory><cpu><cores>\
         <core><index>{}</index></core><core><index>{}</index></core></cores></cpu>\
         <numa_node_pins><numa_node_pin><index>{cell}</index></numa_node_pin></numa_node_pins></vm_numa_node>",
        cores[0], cores[1]
    )
}

#[tokio::test]
async fn vnuma_nodes_added_one_by_one_save_and_start_once_complete() {
    let app = app().await;
    let t = app.admin_token().await;
    let id = hp_vm(&app, &t).await;
    let nodes = format!("/vms/{id}/numanodes");
    // The first of two nodes saves (the engine's NumaValidator: at most the VM's memory, each vCPU
    // at most once), as `ovirt_vm` adds them one request at a time.
    app.rest_create(&t, &nodes, &numa_node(0, [0, 1], 0)).await;
    let (status, fault) = app
        .rest(&t, Method::POST, &format!("/vms/{id}/start"), "<action/>")
        .await;
    assert_ne!(status, StatusCode::OK, "half the vCPUs and memory in nodes: no start");
    let detail = text(&fault, &["detail"]);
    assert!(detail.contains("each of the 4 vCPUs exactly once"), "{detail}");
    assert!(
        detail.contains("adds up to 1024 MiB, not the VM's 2048 MiB"),
        "{detail}"
    );
    // More than the VM has is refused on save, as the engine refuses it.
    let (status, fault) = app.rest(&t, Method::POST, &nodes, &numa_node(1, [1, 2], 1)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert!(text(&fault, &["detail"]).contains("only one NUMA node"));
    app.rest_create(&t, &nodes, &numa_node(1, [2, 3], 1)).await;
    let (_, list) = app.rest(&t, Method::GET, &nodes, "").await;
    assert_eq!(list.children.len(), 2);
    app.rest_ok(&t, Method::POST, &format!("/vms/{id}/start"), "<action/>")
        .await;
    app.rest_ok(&t, Method::POST, &format!("/vms/{id}/stop"), "<action/>")
        .await;
}

#[tokio::test]
async fn the_ha_priority_is_kept_as_sent() {
    let app = app().await;
    let t = app.admin_token().await;
    let id = hp_vm(&app, &t).await;
    let (_, vm) = app.rest(&t, Method::GET, &format!("/vms/{id}"), "").await;
    assert_eq!(text(&vm, &["high_availability", "enabled"]), "true");
    assert_eq!(text(&vm, &["high_availability", "priority"]), "50");
    // Kept with HA off too (the engine keeps it), and absent = unchanged.
    let vm = app
        .rest_ok(
            &t,
            Method::PUT,
            &format!("/vms/{id}"),
            "<vm><high_availability><enabled>false</enabled></high_availability></vm>",
        )
        .await;
    assert_eq!(text(&vm, &["high_availability", "priority"]), "50");
    let (status, fault) = app
        .rest(
            &t,
            Method::PUT,
            &format!("/vms/{id}"),
            "<vm><high_availability><priority>101</priority></high_availability></vm>",
        )
        .await;
    assert_ne!(status, StatusCode::OK);
    assert!(text(&fault, &["detail"]).contains("0 to 100"), "{fault:?}");
    // A new VM from Blank has priority 0, as the engine's Blank.
    let vm = app
        .rest_create(
            &t,
            "/vms",
            "<vm><name>plain</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>",
        )
        .await;
    assert_eq!(text(&vm, &["high_availability", "priority"]), "0");
}
