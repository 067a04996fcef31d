//! `?follow=` (oVirt 4.2+): answers inline the objects and lists their links name, as the SDK and
//! Ansible's info modules (`follow: [data_center]`) ask for them; paths no object type has are a
//! 400 `<fault>`, whatever the data.

use crate::support::{app, TestApp};
use axum::http::{Method, StatusCode};
use vireo_server::ovirt::xml::Node;

fn text<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    let mut n = node;
    for p in path {
        n = n
            .child(p)
            .unwrap_or_else(|| panic!("no <{p}> in <{}>: {node:?}", n.name));
    }
    n.text.trim()
}

async fn new_vm(app: &TestApp, t: &str, name: &str) -> Node {
    let body = format!(
        "<vm><name>{name}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
    );
    app.rest_create(t, "/vms", &body).await
}

#[tokio::test]
async fn follow_inlines_references_and_sub_collections_in_lists_and_objects() {
    let app = app().await;
    let t = app.admin_token().await;

    // `ovirt_cluster_info follow: [data_center]`: each cluster carries its data center whole.
    let clusters = app
        .rest_ok(
            &t,
            Method::GET,
            "/clusters?search=name%3DDefault&follow=data_center",
            "",
        )
        .await;
    assert_eq!(clusters.children.len(), 1);
    let cluster = &clusters.children[0];
    let dc = cluster.child("data_center").expect("data_center");
    assert_eq!(text(dc, &["name"]), "Default");
    assert!(dc.attr("href").unwrap().starts_with("/ovirt-engine/api/datacenters/"));
    assert_eq!(
        dc.attr("id"),
        Some(dc.attr("href").unwrap().rsplit('/').next().unwrap())
    );
    // Without `follow` it stays a reference.
    let plain = app
        .rest_ok(&t, Method::GET, "/clusters?search=name%3DDefault", "")
        .await;
    assert!(plain.children[0].child("data_center").unwrap().child("name").is_none());

    // One object, two levels down and through a sub-collection link: the data center's clusters.
    let cluster_id = cluster.attr("id").unwrap();
    let one = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/clusters/{cluster_id}?follow=data_center.clusters"),
            "",
        )
        .await;
    let owned = one
        .child("data_center")
        .unwrap()
        .child("clusters")
        .expect("inlined clusters");
    assert_eq!(owned.children.len(), 1);
    assert_eq!(text(&owned.children[0], &["name"]), "Default");
    // The link stays beside the list (the SDK reads both).
    assert!(one
        .child("data_center")
        .unwrap()
        .children
        .iter()
        .any(|c| c.name == "link" && c.attr("rel") == Some("clusters")));

    // `ovirt_cluster_info follow: [scheduling_policy, mac_pool, networks]`: the policy Vireo runs,
    // its MAC pool, the cluster's networks.
    let full = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/clusters/{cluster_id}?follow=scheduling_policy,mac_pool,networks,data_center.mac_pool"),
            "",
        )
        .await;
    assert_eq!(text(&full, &["scheduling_policy", "name"]), "none");
    assert_eq!(text(&full, &["mac_pool", "name"]), "Default");
    assert_eq!(text(&full, &["data_center", "mac_pool", "name"]), "Default");
    let networks = full.child("networks").expect("inlined networks");
    assert!(networks.children.iter().any(|n| text(n, &["name"]) == "default"));

    // A VM: references renamed as their link (`original_template` is a template), lists inlined,
    // a link the VM does not carry now (a stopped VM's host) left out.
    let vm = new_vm(&app, &t, "follow-vm").await;
    let vm_id = vm.attr("id").unwrap();
    let vm = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/vms/{vm_id}?follow=cluster.data_center,original_template,nics.vnic_profile,disk_attachments.disk,host"),
            "",
        )
        .await;
    assert_eq!(text(&vm, &["cluster", "name"]), "Default");
    assert_eq!(text(&vm, &["cluster", "data_center", "name"]), "Default");
    assert_eq!(text(&vm, &["original_template", "name"]), "Blank");
    assert_eq!(vm.child("nics").expect("inlined nics").name, "nics");
    assert!(vm.child("disk_attachments").is_some());
    assert!(vm.child("host").is_none(), "a stopped VM has no host to follow");

    // The VM list follows per VM.
    let vms = app
        .rest_ok(&t, Method::GET, "/vms?search=name%3Dfollow-vm&follow=template", "")
        .await;
    assert_eq!(vms.children.len(), 1);
    assert_eq!(text(&vms.children[0], &["template", "name"]), "Blank");
}

#[tokio::test]
async fn follow_refuses_paths_the_model_does_not_have() {
    let app = app().await;
    let t = app.admin_token().await;
    for path in [
        "/vms?follow=permissions",
        "/clusters?follow=cluster",
        "/clusters?follow=data_center.nics",
        "/datacenters?follow=data_center",
        "/templates?follow=cluster..data_center",
        "/clusters?follow=data_center.clusters.data_center.clusters.data_center",
    ] {
        let (status, fault) = app.rest(&t, Method::GET, path, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(fault.name, "fault", "{path}");
        assert!(!text(&fault, &["detail"]).is_empty(), "{path}");
    }
    let many = vec!["data_center"; 17].join(",");
    let (status, _) = app.rest(&t, Method::GET, &format!("/clusters?follow={many}"), "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// What Ansible's `ovirt_template` and `ovirt_instance_type` read of every object they compare:
/// a template's `bios` and `sso`; an instance type's parts, present even when empty, its `<os/>`
/// accepted, and its graphics consoles (VNC, or none when headless).
#[tokio::test]
async fn templates_and_instance_types_carry_what_ansible_compares() {
    let app = app().await;
    let t = app.admin_token().await;
    let blank = app
        .rest_ok(&t, Method::GET, "/templates/00000000-0000-0000-0000-000000000000", "")
        .await;
    assert_eq!(text(&blank, &["bios", "boot_menu", "enabled"]), "false");
    // Blank holds a new VM's defaults: the q35 machine (issue 19).
    assert_eq!(text(&blank, &["bios", "type"]), "q35_sea_bios");
    assert!(blank.child("sso").unwrap().child("methods").is_some());

    let it = app
        .rest_create(
            &t,
            "/instancetypes",
            "<instance_type><name>bare</name><os/></instance_type>",
        )
        .await;
    for part in ["cpu", "memory_policy", "io", "usb", "high_availability", "os"] {
        assert!(it.child(part).is_some(), "<{part}> in {it:?}");
    }
    assert!(it.child("cpu").unwrap().child("topology").is_some());
    let id = it.attr("id").unwrap();
    let (status, _) = app
        .rest(
            &t,
            Method::POST,
            "/instancetypes",
            "<instance_type><name>os</name><os><type>windows_2019x64</type></os></instance_type>",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an OS is the VM's own");

    let path = format!("/instancetypes/{id}/graphicsconsoles");
    assert!(app.rest_ok(&t, Method::GET, &path, "").await.children.is_empty());
    let console = app
        .rest_create(
            &t,
            &path,
            "<graphics_console><protocol>vnc</protocol></graphics_console>",
        )
        .await;
    assert_eq!(text(&console, &["protocol"]), "vnc");
    let listed = app.rest_ok(&t, Method::GET, &path, "").await;
    assert_eq!(listed.children.len(), 1);
    let followed = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/instancetypes/{id}?follow=graphics_consoles"),
            "",
        )
        .await;
    assert_eq!(followed.child("graphics_consoles").unwrap().children.len(), 1);
    let gid = console.attr("id").unwrap();
    app.rest_ok(&t, Method::DELETE, &format!("{path}/{gid}"), "").await;
    assert!(app.rest_ok(&t, Method::GET, &path, "").await.children.is_empty());
    let it = app.rest_ok(&t, Method::GET, &format!("/instancetypes/{id}"), "").await;
    assert_eq!(text(&it, &["vireo", "headless"]), "true");
    let (status, _) = app
        .rest(
            &t,
            Method::POST,
            &path,
            "<graphics_console><protocol>spice</protocol></graphics_console>",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
