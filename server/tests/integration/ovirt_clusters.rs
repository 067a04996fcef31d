//! Clusters over the oVirt-compatible REST API as Ansible's `ovirt_cluster` reads and writes them:
//! every element its idempotency check compares answered with what Vireo does (no fencing, no
//! migration, no RNG sources, …), the scheduling policy (`none`, the engine's id) and MAC pool
//! (`VIREO_MAC_RANGE`) as followable references with their collections, the `networks` link, a
//! GET sent back accepted, and a request for anything Vireo does not do refused with the reason.

use crate::support::{app, app_with, config, unique};
use axum::http::{Method, StatusCode};
use vireo_app::domain::network::MacRange;
use vireo_server::ovirt::xml::{El, Node};

const NONE_POLICY: &str = "b4ed2332-a7ac-4d5f-9596-99a439cb2812";
const DEFAULT_MAC_POOL: &str = "58ca604b-017d-0374-0220-00000000014e";

/// The text at a `/`-separated path under `node`.
fn at<'a>(node: &'a Node, path: &str) -> &'a str {
    let mut n = node;
    for part in path.split('/') {
        n = n.child(part).unwrap_or_else(|| panic!("no <{path}> in {node:?}"));
    }
    n.text.trim()
}

fn api(href: &str) -> &str {
    href.strip_prefix("/ovirt-engine/api").expect("an API href")
}

#[tokio::test]
async fn clusters_answer_what_vireo_does_and_their_references_are_followable() {
    let mut cfg = config();
    cfg.mac_range = MacRange::parse("52:54:00:10:00:00-52:54:00:10:0f:ff").expect("range");
    let app = app_with(cfg).await;
    let t = app.admin_token().await;

    // What the module sends on create: the policy and pool by id, what is true of fencing,
    // resilience and KSM (`merge_across_nodes` is always sent with `ksm`).
    let name = unique("cl");
    let created = app
        .rest_create(
            &t,
            "/clusters",
            &format!(
                "<cluster><name>{name}</name><description>d</description><ballooning_enabled>false</ballooning_enabled>\
                 <scheduling_policy id=\"{NONE_POLICY}\"/><mac_pool id=\"{DEFAULT_MAC_POOL}\"/>\
                 <error_handling><on_error>do_not_migrate</on_error></error_handling>\
                 <fencing_policy><enabled>false</enabled></fencing_policy>\
                 <ksm><enabled>false</enabled><merge_across_nodes>true</merge_across_nodes></ksm>\
                 <data_center><name>Default</name></data_center><cpu><architecture>x86_64</architecture></cpu>\
                 <version><major>4</major><minor>8</minor></version></cluster>"
            ),
        )
        .await;
    let id = created.attr("id").expect("id").to_string();
    let cluster = app.rest_ok(&t, Method::GET, &format!("/clusters/{id}"), "").await;

    // Every element ovirt_cluster's update_check reads, as Vireo is.
    for (path, value) in [
        ("fencing_policy/enabled", "false"),
        ("fencing_policy/skip_if_sd_active/enabled", "false"),
        ("fencing_policy/skip_if_connectivity_broken/enabled", "false"),
        ("fencing_policy/skip_if_gluster_bricks_up", "false"),
        ("fencing_policy/skip_if_gluster_quorum_not_met", "false"),
        ("error_handling/on_error", "do_not_migrate"),
        ("migration/bandwidth", ""),
        ("required_rng_sources", ""),
        ("ksm/enabled", "false"),
        ("ksm/merge_across_nodes", "true"),
        ("memory_policy/over_commit/percent", "100"),
        ("switch_type", "legacy"),
        ("virt_service", "true"),
        ("gluster_service", "false"),
        ("threads_as_cores", "false"),
        ("ha_reservation", "false"),
        ("trusted_service", "false"),
        ("optional_reason", "false"),
        ("maintenance_reason_required", "false"),
        ("ballooning_enabled", "false"),
        ("cpu/architecture", "x86_64"),
    ] {
        assert_eq!(at(&cluster, path), value, "{path}");
    }
    assert!(
        cluster.child("cpu").and_then(|c| c.child("type")).is_none(),
        "no CPU type"
    );
    assert!(cluster
        .child("migration")
        .expect("migration")
        .child("bandwidth")
        .expect("bandwidth")
        .children
        .is_empty());

    // The scheduling policy and MAC pool are followable; the networks link answers.
    let policy = cluster.child("scheduling_policy").expect("scheduling_policy");
    assert_eq!(policy.attr("id"), Some(NONE_POLICY));
    let followed = app
        .rest_ok(&t, Method::GET, api(policy.attr("href").expect("href")), "")
        .await;
    assert_eq!(followed.name, "scheduling_policy");
    assert_eq!(at(&followed, "name"), "none");
    assert_eq!(at(&followed, "default_policy"), "true");
    assert_eq!(at(&followed, "vireo/runs"), "true");
    assert!(at(&followed, "description").contains("fewest VMs"));
    let pool = cluster.child("mac_pool").expect("mac_pool");
    assert_eq!(pool.attr("id"), Some(DEFAULT_MAC_POOL));
    let followed = app
        .rest_ok(&t, Method::GET, api(pool.attr("href").expect("href")), "")
        .await;
    assert_eq!(at(&followed, "name"), "Default");
    assert_eq!(at(&followed, "allow_duplicates"), "false");
    assert_eq!(at(&followed, "ranges/range/from"), "52:54:00:10:00:00");
    assert_eq!(at(&followed, "ranges/range/to"), "52:54:00:10:0f:ff");
    let networks = cluster
        .children
        .iter()
        .find(|c| c.name == "link" && c.attr("rel") == Some("networks"))
        .expect("<link rel=networks>");
    let list = app
        .rest_ok(&t, Method::GET, api(networks.attr("href").expect("href")), "")
        .await;
    assert_eq!(list.name, "networks");

    // The collections: the engine's five built-in policies (only `none` run), one MAC pool; both
    // read-only; the root links them; a data center names the pool its clusters use.
    let policies = app.rest_ok(&t, Method::GET, "/schedulingpolicies", "").await;
    let listed: Vec<(&str, &str, &str)> = policies
        .children
        .iter()
        .map(|p| (p.attr("id").unwrap_or_default(), at(p, "name"), at(p, "vireo/runs")))
        .collect();
    assert_eq!(
        listed,
        [
            (NONE_POLICY, "none", "true"),
            ("20d25257-b4bd-4589-92a6-c4c5c5d3fd1a", "evenly_distributed", "false"),
            ("5a2b0939-7d46-4b73-a469-e9c2c7fc6a53", "power_saving", "false"),
            ("8d5d7bec-68de-4a67-b53e-0ac54686d579", "vm_evenly_distributed", "false"),
            ("7677771e-5eab-422e-83fa-dc04080d21b7", "cluster_maintenance", "false"),
        ]
    );
    let pools = app.rest_ok(&t, Method::GET, "/macpools", "").await;
    assert_eq!(pools.name, "mac_pools");
    assert_eq!(pools.children.len(), 1);
    for (method, path) in [
        (Method::POST, "/macpools".to_string()),
        (Method::DELETE, format!("/macpools/{DEFAULT_MAC_POOL}")),
        (Method::POST, "/schedulingpolicies".to_string()),
        (Method::PUT, format!("/schedulingpolicies/{NONE_POLICY}")),
    ] {
        let (status, fault) = app.rest(&t, method, &path, "<x/>").await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {fault:?}");
    }
    let (status, _) = app.rest(&t, Method::GET, &format!("/macpools/{NONE_POLICY}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let root = app.rest_ok(&t, Method::GET, "", "").await;
    for rel in ["macpools", "schedulingpolicies"] {
        assert!(
            root.children
                .iter()
                .any(|c| c.name == "link" && c.attr("rel") == Some(rel)),
            "{rel}"
        );
    }
    let dc = app
        .rest_ok(
            &t,
            Method::GET,
            &format!(
                "/datacenters/{}",
                cluster.child("data_center").and_then(|d| d.attr("id")).expect("dc")
            ),
            "",
        )
        .await;
    assert_eq!(dc.child("mac_pool").and_then(|p| p.attr("id")), Some(DEFAULT_MAC_POOL));

    // A client that sends back what it read, one thing changed, is understood.
    let mut echoed = cluster.clone();
    if let Some(d) = echoed.children.iter_mut().find(|c| c.name == "description") {
        d.text = "sent back".into();
    }
    let body = String::from_utf8(El::from_node(echoed).to_document()).expect("utf-8");
    let changed = app.rest_ok(&t, Method::PUT, &format!("/clusters/{id}"), &body).await;
    assert_eq!(at(&changed, "description"), "sent back");

    // Asked for what Vireo does not do: refused, saying why.
    for (body, status, says) in [
        (
            "<cluster><scheduling_policy><name>evenly_distributed</name></scheduling_policy></cluster>".to_string(),
            StatusCode::CONFLICT,
            "does not run scheduling policy 'evenly_distributed'",
        ),
        (
            "<cluster><scheduling_policy id=\"00000000-0000-0000-0000-00000000abcd\"/></cluster>".into(),
            StatusCode::NOT_FOUND,
            "scheduling policy",
        ),
        (
            "<cluster><fencing_policy><enabled>true</enabled></fencing_policy></cluster>".into(),
            StatusCode::CONFLICT,
            "does no fencing",
        ),
        (
            "<cluster><fencing_policy><skip_if_connectivity_broken><enabled>true</enabled><threshold>50</threshold></skip_if_connectivity_broken></fencing_policy></cluster>".into(),
            StatusCode::CONFLICT,
            "does no fencing",
        ),
        (
            "<cluster><error_handling><on_error>migrate</on_error></error_handling></cluster>".into(),
            StatusCode::CONFLICT,
            "never migrates",
        ),
        (
            "<cluster><migration><bandwidth><assignment_method>custom</assignment_method><custom_value>500</custom_value></bandwidth></migration></cluster>".into(),
            StatusCode::CONFLICT,
            "does not migrate",
        ),
        (
            "<cluster><migration><auto_converge>true</auto_converge></migration></cluster>".into(),
            StatusCode::CONFLICT,
            "does not migrate",
        ),
        (
            "<cluster><required_rng_sources><required_rng_source>hwrng</required_rng_source></required_rng_sources></cluster>".into(),
            StatusCode::CONFLICT,
            "no random number generator",
        ),
        (
            "<cluster><ksm><enabled>true</enabled><merge_across_nodes>false</merge_across_nodes></ksm></cluster>".into(),
            StatusCode::CONFLICT,
            "kernel's default",
        ),
        (
            "<cluster><cpu><type>Intel Cascadelake Server Family</type></cpu></cluster>".into(),
            StatusCode::CONFLICT,
            "no CPU type",
        ),
        (
            "<cluster><switch_type>ovs</switch_type></cluster>".into(),
            StatusCode::CONFLICT,
            "Linux bridges",
        ),
        (
            "<cluster><custom_scheduling_policy_properties><property><name>HighUtilization</name><value>80</value></property></custom_scheduling_policy_properties></cluster>".into(),
            StatusCode::CONFLICT,
            "takes no properties",
        ),
        (
            "<cluster><mac_pool><name>Other</name></mac_pool></cluster>".into(),
            StatusCode::NOT_FOUND,
            "MAC pool 'Other'",
        ),
    ] {
        let (got, fault) = app.rest(&t, Method::PUT, &format!("/clusters/{id}"), &body).await;
        assert_eq!(got, status, "{body}: {fault:?}");
        assert!(at(&fault, "detail").contains(says), "{body}: {fault:?}");
    }
    // Nothing of those refused requests stuck.
    let after = app.rest_ok(&t, Method::GET, &format!("/clusters/{id}"), "").await;
    assert_eq!(at(&after, "ksm/enabled"), "false");
    assert_eq!(at(&after, "description"), "sent back");

    app.rest_ok(&t, Method::DELETE, &format!("/clusters/{id}"), "").await;
}

/// POWER is `ppc64` in oVirt's model (the SDK reads anything else as nothing) and `ppc64le` in
/// libvirt's and Vireo's; each side sees its own word.
#[tokio::test]
async fn power_clusters_are_ppc64_on_the_wire() {
    let app = app().await;
    let t = app.admin_token().await;
    let name = unique("power");
    let c = app
        .rest_create(
            &t,
            "/clusters",
            &format!("<cluster><name>{name}</name><cpu><architecture>ppc64</architecture></cpu></cluster>"),
        )
        .await;
    let arch = c
        .child("cpu")
        .and_then(|cpu| cpu.child("architecture"))
        .expect("architecture");
    assert_eq!(arch.text.trim(), "ppc64");
    let stored = app.state.repo.list_clusters().await.unwrap();
    assert_eq!(stored.iter().find(|s| s.name == name).unwrap().cpu_arch, "ppc64le");
}
