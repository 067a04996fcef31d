//! Data centers over the oVirt-compatible REST API: the Default one owning the Default cluster,
//! the references and searches clients follow (`cluster.data_center`, templates by `name=… and
//! datacenter=…`, where Blank is in every data center), and the engine's rules (no removal while
//! it owns clusters, no cluster below its data center's version).

use crate::support::{app, unique};
use axum::http::{Method, StatusCode};
use vireo_server::ovirt::xml::Node;

fn names(list: &Node) -> Vec<String> {
    list.children
        .iter()
        .filter_map(|c| c.child("name"))
        .map(|n| n.text.trim().to_string())
        .collect()
}

fn text<'a>(node: &'a Node, name: &str) -> &'a str {
    node.child(name)
        .unwrap_or_else(|| panic!("no <{name}> in {node:?}"))
        .text
        .trim()
}

fn id(node: &Node) -> String {
    node.attr("id").expect("id").to_string()
}

fn search(q: &str) -> String {
    q.replace(' ', "%20").replace('=', "%3D")
}

#[tokio::test]
async fn the_default_data_center_owns_the_default_cluster_and_clients_search_by_it() {
    let app = app().await;
    let t = app.admin_token().await;
    let dcs = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/datacenters?search={}", search("name=Default")),
            "",
        )
        .await;
    assert_eq!(names(&dcs), ["Default"]);
    let default = &dcs.children[0];
    assert_eq!(text(default, "status"), "up", "its host is up");
    assert_eq!(text(default, "local"), "false");
    let version = default.child("version").expect("version");
    assert_eq!((text(version, "major"), text(version, "minor")), ("4", "8"));

    // What Ansible's ovirt_vm does: the cluster by name, then follow its data center.
    let clusters = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/clusters?search={}", search("name=Default")),
            "",
        )
        .await;
    let dc_ref = clusters.children[0].child("data_center").expect("cluster.data_center");
    assert_eq!(dc_ref.attr("id"), default.attr("id"));
    let href = dc_ref.attr("href").expect("href");
    let followed = app
        .rest_ok(&t, Method::GET, href.trim_start_matches("/ovirt-engine/api"), "")
        .await;
    assert_eq!(text(&followed, "name"), "Default");
    let owned = app
        .rest_ok(&t, Method::GET, &format!("/datacenters/{}/clusters", id(default)), "")
        .await;
    assert_eq!(names(&owned), ["Default"]);

    // A second data center with a cluster and a template of its own.
    let east = unique("east");
    let dc = app
        .rest_create(
            &t,
            "/datacenters",
            &format!("<data_center><name>{east}</name><local>false</local></data_center>"),
        )
        .await;
    assert_eq!(text(&dc, "status"), "uninitialized", "no hosts yet");
    let cluster = unique("east-c");
    let c = app
        .rest_create(
            &t,
            "/clusters",
            &format!("<cluster><name>{cluster}</name><data_center><name>{east}</name></data_center></cluster>"),
        )
        .await;
    assert_eq!(c.child("data_center").and_then(|d| d.attr("id")), dc.attr("id"));
    let template = unique("east-t");
    app.rest_create(
        &t,
        "/templates",
        &format!("<template><name>{template}</name><cluster><name>{cluster}</name></cluster></template>"),
    )
    .await;

    let in_dc = |dc: &str| format!("/templates?search={}", search(&format!("datacenter={dc}")));
    let east_templates = names(&app.rest_ok(&t, Method::GET, &in_dc(&east), "").await);
    assert!(east_templates.contains(&template) && east_templates.contains(&"Blank".to_string()));
    let default_templates = names(&app.rest_ok(&t, Method::GET, &in_dc("Default"), "").await);
    assert!(
        default_templates.contains(&"Blank".to_string()),
        "Blank is in every data center"
    );
    assert!(!default_templates.contains(&template));
    let blank = app
        .rest_ok(
            &t,
            Method::GET,
            &format!(
                "/templates?search={}",
                search(&format!("name=Blank and datacenter={east}"))
            ),
            "",
        )
        .await;
    assert_eq!(names(&blank), ["Blank"]);
    let east_clusters = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/clusters?search={}", search(&format!("datacenter={east}"))),
            "",
        )
        .await;
    assert_eq!(names(&east_clusters), vec![cluster]);
    let hosts = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/hosts?search={}", search("datacenter=Default")),
            "",
        )
        .await;
    assert_eq!(names(&hosts), ["default-host"]);
    let none = app
        .rest_ok(
            &t,
            Method::GET,
            &format!("/hosts?search={}", search(&format!("datacenter={east}"))),
            "",
        )
        .await;
    assert!(none.children.is_empty());
}

#[tokio::test]
async fn data_centers_keep_the_engine_rules() {
    let app = app().await;
    let t = app.admin_token().await;
    let old = unique("old");
    let dc = app
        .rest_create(
            &t,
            "/datacenters",
            &format!(
                "<data_center><name>{old}</name><version><major>4</major><minor>1</minor></version></data_center>"
            ),
        )
        .await;
    let dc_id = id(&dc);

    // A 4.1 cluster fits the 4.1 data center, not the 4.8 Default.
    let body = |name: &str, dc: &str| {
        format!(
            "<cluster><name>{name}</name><data_center><name>{dc}</name></data_center><version><major>4</major><minor>1</minor></version></cluster>"
        )
    };
    let (status, fault) = app
        .rest(&t, Method::POST, "/clusters", &body(&unique("c"), "Default"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert!(
        text(&fault, "detail").contains("Data center Default is at 4.8"),
        "{fault:?}"
    );
    let cluster = app.rest_create(&t, "/clusters", &body(&unique("c"), &old)).await;

    // The data center may not go above its cluster, and may not leave while it owns one.
    let (status, fault) = app
        .rest(
            &t,
            Method::PUT,
            &format!("/datacenters/{dc_id}"),
            "<data_center><version><major>4</major><minor>2</minor></version></data_center>",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert!(
        text(&fault, "detail").contains("raise its clusters' versions first"),
        "{fault:?}"
    );
    let (status, fault) = app.rest(&t, Method::DELETE, &format!("/datacenters/{dc_id}"), "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert!(text(&fault, "detail").contains("still owns clusters"), "{fault:?}");

    // A description changes; a local-storage data center and unknown elements are refused.
    let changed = app
        .rest_ok(
            &t,
            Method::PUT,
            &format!("/datacenters/{dc_id}"),
            "<data_center><description>legacy racks</description></data_center>",
        )
        .await;
    assert_eq!(text(&changed, "description"), "legacy racks");
    for bad in [
        "<data_center><name>x</name><local>true</local></data_center>",
        "<data_center><name>x</name><storage_pool>1</storage_pool></data_center>",
    ] {
        let (status, _) = app.rest(&t, Method::POST, "/datacenters", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // Emptied, it goes.
    app.rest_ok(&t, Method::DELETE, &format!("/clusters/{}", id(&cluster)), "")
        .await;
    app.rest_ok(&t, Method::DELETE, &format!("/datacenters/{dc_id}"), "")
        .await;
    let (status, _) = app.rest(&t, Method::GET, &format!("/datacenters/{dc_id}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
