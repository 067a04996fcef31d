//! Storage over the oVirt-compatible REST API, through the real router, PostgreSQL and libvirt's
//! test driver (its `default-pool`): storage domains, disks, and the disk attachments of VMs and
//! Templates; hostile sizes and bodies are 400 `<fault>`s that make nothing.

use crate::support::{app, unique, TestApp};
use axum::http::{Method, StatusCode};
use vireo_server::ovirt::xml::Node;

const GIB: u64 = 1 << 30;

fn text<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    let mut n = node;
    for p in path {
        n = n
            .child(p)
            .unwrap_or_else(|| panic!("no <{p}> in <{}>: {node:?}", n.name));
    }
    n.text.trim()
}

/// A parsed answer written back as XML (to send a GET's answer back unchanged).
fn to_xml(n: &Node) -> String {
    let attrs: String = n
        .attrs
        .iter()
        .map(|(k, v)| format!(" {k}=\"{}\"", quick_xml::escape::escape(v.as_str())))
        .collect();
    let inner: String = n.children.iter().map(to_xml).collect();
    format!(
        "<{name}{attrs}>{}{inner}</{name}>",
        quick_xml::escape::escape(n.text.trim()),
        name = n.name
    )
}

fn id(node: &Node) -> String {
    node.attr("id").expect("id").to_string()
}

fn disk_body(name: &str, size: &str) -> String {
    format!(
        "<disk><name>{name}</name><provisioned_size>{size}</provisioned_size><format>cow</format>\
         <storage_domains><storage_domain><name>default-pool</name></storage_domain></storage_domains></disk>"
    )
}

async fn disk_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM disks")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn new_vm(app: &TestApp, t: &str, template: &str, query: &str) -> Node {
    let body = format!(
        "<vm><name>{}</name><cluster><name>Default</name></cluster><template><name>{template}</name></template></vm>",
        unique("sv")
    );
    app.rest_create(t, &format!("/vms{query}"), &body).await
}

#[tokio::test]
async fn storage_domains_and_disks_are_listed_added_changed_and_removed() {
    let app = app().await;
    let t = app.admin_token().await;

    let api = app.rest_ok(&t, Method::GET, "", "").await;
    let rels: Vec<&str> = api.children.iter().filter_map(|c| c.attr("rel")).collect();
    assert!(rels.contains(&"storagedomains") && rels.contains(&"disks"), "{rels:?}");
    assert_eq!(text(&api, &["summary", "storage_domains", "total"]), "1");

    let domains = app
        .rest_ok(&t, Method::GET, "/storagedomains?search=name%3Ddefault-pool", "")
        .await;
    assert_eq!(domains.name, "storage_domains");
    assert_eq!(domains.children.len(), 1);
    let sd = &domains.children[0];
    let sd_id = id(sd);
    assert_eq!(text(sd, &["type"]), "data");
    assert_eq!(text(sd, &["status"]), "active");
    assert_eq!(text(sd, &["storage", "type"]), "localfs");
    assert_eq!(text(sd, &["storage", "path"]), "/default-pool");
    assert!(text(sd, &["available"]).parse::<u64>().is_ok());
    assert_eq!(
        sd.child("host").and_then(|h| h.attr("id")),
        Some(app.first_host().await.id.to_string().as_str())
    );
    let one = app
        .rest_ok(&t, Method::GET, &format!("/storagedomains/{sd_id}"), "")
        .await;
    assert_eq!(text(&one, &["name"]), "default-pool");
    let (status, _) = app
        .rest(
            &t,
            Method::PUT,
            &format!("/storagedomains/{sd_id}"),
            "<storage_domain/>",
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    // Add: the SDK's body, by storage domain name.
    let name = unique("rd");
    let disk = app.rest_create(&t, "/disks", &disk_body(&name, &GIB.to_string())).await;
    let disk_id = id(&disk);
    assert_eq!(text(&disk, &["name"]), name);
    assert_eq!(text(&disk, &["alias"]), name);
    assert_eq!(text(&disk, &["provisioned_size"]), GIB.to_string());
    assert_eq!(text(&disk, &["format"]), "cow");
    assert_eq!(text(&disk, &["sparse"]), "true");
    assert_eq!(text(&disk, &["status"]), "ok");
    assert_eq!(text(&disk, &["content_type"]), "data");
    assert_eq!(text(&disk, &["storage_type"]), "image");
    let sds = disk.child("storage_domains").expect("storage_domains");
    assert_eq!(sds.children[0].attr("id"), Some(sd_id.as_str()));
    assert_eq!(
        disk.attr("href"),
        Some(format!("/ovirt-engine/api/disks/{disk_id}").as_str())
    );

    // By id, raw and preallocated, with `alias` (oVirt 4's name for it).
    let raw = app
        .rest_create(
            &t,
            "/disks",
            &format!(
                "<disk><alias>{}</alias><provisioned_size>{}</provisioned_size><format>raw</format><sparse>false</sparse>\
                 <storage_domains><storage_domain id=\"{sd_id}\"/></storage_domains></disk>",
                unique("raw"),
                2 * GIB
            ),
        )
        .await;
    assert_eq!((text(&raw, &["format"]), text(&raw, &["sparse"])), ("raw", "false"));

    let (_, found) = app
        .rest(&t, Method::GET, &format!("/disks?search=name%3D{name}"), "")
        .await;
    assert_eq!(found.children.len(), 1);
    assert_eq!(id(&found.children[0]), disk_id);
    let (_, in_domain) = app
        .rest(&t, Method::GET, &format!("/storagedomains/{sd_id}/disks"), "")
        .await;
    assert_eq!(in_domain.children.len(), 2);
    let (_, limited) = app.rest(&t, Method::GET, "/disks?max=1", "").await;
    assert_eq!(limited.children.len(), 1);

    // Update: a GET's answer goes back unchanged; a new name and description are saved.
    let echoed = app
        .rest_ok(&t, Method::PUT, &format!("/disks/{disk_id}"), &to_xml(&disk))
        .await;
    assert_eq!(text(&echoed, &["name"]), name);
    let renamed = unique("renamed");
    let changed = app
        .rest_ok(
            &t,
            Method::PUT,
            &format!("/disks/{disk_id}"),
            &format!("<disk><alias>{renamed}</alias><description>logs</description></disk>"),
        )
        .await;
    assert_eq!(
        (text(&changed, &["name"]), text(&changed, &["description"])),
        (renamed.as_str(), "logs")
    );
    // Shrinking is refused by the rules, growing by the test driver (it cannot resize): 409s.
    for size in [GIB / 2, 2 * GIB] {
        let (status, fault) = app
            .rest(
                &t,
                Method::PUT,
                &format!("/disks/{disk_id}"),
                &format!("<disk><provisioned_size>{size}</provisioned_size></disk>"),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    }
    for (body, path) in [
        ("<disk><format>raw</format></disk>", "format"),
        ("<disk><sparse>false</sparse></disk>", "sparse"),
    ] {
        let (status, fault) = app.rest(&t, Method::PUT, &format!("/disks/{disk_id}"), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{fault:?}");
        assert!(text(&fault, &["detail"]).contains(path), "{fault:?}");
    }

    // Remove: 200 with an <action>, then 404.
    let gone = app.rest_ok(&t, Method::DELETE, &format!("/disks/{disk_id}"), "").await;
    assert_eq!(gone.name, "action");
    let (status, _) = app.rest(&t, Method::GET, &format!("/disks/{disk_id}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.rest(&t, Method::DELETE, &format!("/disks/{disk_id}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hostile_disks_are_faults_and_make_nothing() {
    let app = app().await;
    let t = app.admin_token().await;
    let before = disk_count(&app).await;
    let sizes = [
        "-1",
        "abc",
        "1e9",
        "",
        "0",
        "1",
        "99999999999999999999999",
        "18446744073709551615",
        "70368744177665",
    ];
    for size in sizes {
        let (status, fault) = app.rest(&t, Method::POST, "/disks", &disk_body("hostile", size)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "size {size:?}: {fault:?}");
        assert_eq!(fault.name, "fault");
        assert!(text(&fault, &["detail"]).contains("provisioned_size"), "{fault:?}");
    }
    let bodies = [
        // Unknown, unsupported and wrong values.
        "<disk><name>h</name><provisioned_size>1073741824</provisioned_size><format>qcow2</format></disk>".to_string(),
        "<disk><name>h</name><provisioned_size>1073741824</provisioned_size><lun_storage/></disk>".into(),
        "<disk><name>h</name><provisioned_size>1073741824</provisioned_size><shareable>true</shareable></disk>".into(),
        "<disk><name>h</name><alias>other</alias><provisioned_size>1073741824</provisioned_size></disk>".into(),
        "<disk><name>h</name><provisioned_size>1073741824</provisioned_size><storage_domains/></disk>".into(),
        "<disk><name>h</name><provisioned_size>1073741824</provisioned_size><storage_domains>\
         <storage_domain id=\"not-a-uuid\"/></storage_domains></disk>"
            .into(),
        // Missing what an add needs.
        "<disk><name>h</name></disk>".into(),
        "<disk/>".into(),
        "<vm/>".into(),
        "<disk><name>".into(),
        format!("<disk><name>{}</name></disk>", "x".repeat(2 << 20)),
    ];
    for body in &bodies {
        let (status, fault) = app.rest(&t, Method::POST, "/disks", body).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE,
            "{status} {fault:?}"
        );
    }
    // A name the rules refuse, and a storage domain that is not there.
    let (status, _) = app
        .rest(&t, Method::POST, "/disks", &disk_body("a b/c", "1073741824"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let missing = disk_body("h", "1073741824").replace("default-pool", "no-such-pool");
    let (status, _) = app.rest(&t, Method::POST, "/disks", &missing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(disk_count(&app).await, before, "nothing was made");
}

#[tokio::test]
async fn disks_are_attached_changed_detached_and_removed_with_their_attachment() {
    let app = app().await;
    let t = app.admin_token().await;
    let vm = new_vm(&app, &t, "Blank", "").await;
    let vm_id = id(&vm);
    let link = vm
        .children
        .iter()
        .find(|c| c.name == "link" && c.attr("rel") == Some("diskattachments"))
        .expect("a diskattachments link");
    let attachments = format!("/vms/{vm_id}/diskattachments");
    assert_eq!(
        link.attr("href"),
        Some(format!("/ovirt-engine/api{attachments}").as_str())
    );
    let empty = app.rest_ok(&t, Method::GET, &attachments, "").await;
    assert_eq!((empty.name.as_str(), empty.children.len()), ("disk_attachments", 0));

    // An existing disk, as the SDK attaches it.
    let disk = app
        .rest_create(&t, "/disks", &disk_body(&unique("a"), "1073741824"))
        .await;
    let disk_id = id(&disk);
    let attached = app
        .rest_create(
            &t,
            &attachments,
            &format!(
                "<disk_attachment><active>true</active><bootable>true</bootable><interface>virtio</interface>\
                 <disk id=\"{disk_id}\"/></disk_attachment>"
            ),
        )
        .await;
    assert_eq!(attached.name, "disk_attachment");
    assert_eq!(id(&attached), disk_id);
    assert_eq!(
        attached.attr("href"),
        Some(format!("/ovirt-engine/api{attachments}/{disk_id}").as_str())
    );
    for (field, value) in [
        ("active", "true"),
        ("bootable", "true"),
        ("interface", "virtio"),
        ("read_only", "false"),
        ("pass_discard", "false"),
        ("uses_scsi_reservation", "false"),
    ] {
        assert_eq!(text(&attached, &[field]), value, "{field}");
    }
    assert_eq!(
        attached.child("disk").and_then(|d| d.attr("id")),
        Some(disk_id.as_str())
    );
    assert_eq!(attached.child("vm").and_then(|d| d.attr("id")), Some(vm_id.as_str()));
    let (status, fault) = app
        .rest(
            &t,
            Method::POST,
            &attachments,
            &format!("<disk_attachment><disk id=\"{disk_id}\"/></disk_attachment>"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "attached twice: {fault:?}");
    // The disk says where it is attached.
    let shown = app.rest_ok(&t, Method::GET, &format!("/disks/{disk_id}"), "").await;
    assert_eq!(
        shown
            .child("vireo")
            .and_then(|v| v.child("attached_to"))
            .map(|a| a.children.len()),
        Some(1)
    );

    // A new disk described in full, created and attached in one call.
    let before = disk_count(&app).await;
    let made = app
        .rest_create(
            &t,
            &attachments,
            &format!(
                "<disk_attachment><bootable>false</bootable><interface>virtio_scsi</interface>{}</disk_attachment>",
                disk_body(&unique("new"), "2147483648")
            ),
        )
        .await;
    assert_eq!(disk_count(&app).await, before + 1);
    assert_eq!(text(&made, &["interface"]), "virtio_scsi");
    let made_id = id(&made);

    // A refused attach (an ISO-only bus value, a missing disk) makes nothing.
    let (status, _) = app
        .rest(
            &t,
            Method::POST,
            &attachments,
            &format!(
                "<disk_attachment><interface>ide</interface>{}</disk_attachment>",
                disk_body("n", "2147483648")
            ),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .rest(
            &t,
            Method::POST,
            &attachments,
            &format!(
                "<disk_attachment><disk id=\"{}\"/></disk_attachment>",
                uuid::Uuid::new_v4()
            ),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(disk_count(&app).await, before + 1);

    let list = app.rest_ok(&t, Method::GET, &attachments, "").await;
    assert_eq!(list.children.len(), 2);
    let one = app
        .rest_ok(&t, Method::GET, &format!("{attachments}/{made_id}"), "")
        .await;
    assert_eq!(text(&one, &["interface"]), "virtio_scsi");
    let (status, _) = app
        .rest(&t, Method::GET, &format!("{attachments}/{}", uuid::Uuid::new_v4()), "")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Update: bus, flags, and the disk's name through the attachment.
    let renamed = unique("ren");
    let updated = app
        .rest_ok(
            &t,
            Method::PUT,
            &format!("{attachments}/{made_id}"),
            &format!(
                "<disk_attachment><interface>sata</interface><read_only>true</read_only>\
                 <disk><alias>{renamed}</alias></disk></disk_attachment>"
            ),
        )
        .await;
    assert_eq!(
        (text(&updated, &["interface"]), text(&updated, &["read_only"])),
        ("sata", "true")
    );
    let disk_now = app.rest_ok(&t, Method::GET, &format!("/disks/{made_id}"), "").await;
    assert_eq!(text(&disk_now, &["name"]), renamed);
    let (status, _) = app
        .rest(
            &t,
            Method::PUT,
            &format!("{attachments}/{made_id}"),
            "<disk_attachment><pass_discard>true</pass_discard></disk_attachment>",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Detach only: the disk stays. Plain DELETE: detached and removed, as oVirt does.
    app.rest_ok(
        &t,
        Method::DELETE,
        &format!("{attachments}/{disk_id}?detach_only=true"),
        "",
    )
    .await;
    app.rest_ok(&t, Method::GET, &format!("/disks/{disk_id}"), "").await;
    app.rest_ok(&t, Method::DELETE, &format!("{attachments}/{made_id}"), "")
        .await;
    let (status, _) = app.rest(&t, Method::GET, &format!("/disks/{made_id}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the disk went with its attachment");
    let list = app.rest_ok(&t, Method::GET, &attachments, "").await;
    assert_eq!(list.children.len(), 0);

    // Attachments of a VM that is not there.
    let (status, _) = app
        .rest(
            &t,
            Method::GET,
            &format!("/vms/{}/diskattachments", uuid::Uuid::new_v4()),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_running_vm_keeps_a_disk_it_uses_and_says_when_a_change_waits() {
    let app = app().await;
    let t = app.admin_token().await;
    let vm = new_vm(&app, &t, "Blank", "").await;
    let vm_id = id(&vm);
    let attachments = format!("/vms/{vm_id}/diskattachments");
    let boot = app
        .rest_create(&t, "/disks", &disk_body(&unique("boot"), "1073741824"))
        .await;
    app.rest_create(
        &t,
        &attachments,
        &format!(
            "<disk_attachment><bootable>true</bootable><disk id=\"{}\"/></disk_attachment>",
            id(&boot)
        ),
    )
    .await;
    app.rest_ok(&t, Method::POST, &format!("/vms/{vm_id}/start"), "<action/>")
        .await;

    // Live when the host plugs it, else pending with Vireo's reason.
    let data = app
        .rest_create(&t, "/disks", &disk_body(&unique("data"), "1073741824"))
        .await;
    let data_id = id(&data);
    let attached = app
        .rest_create(
            &t,
            &attachments,
            &format!("<disk_attachment><disk id=\"{data_id}\"/></disk_attachment>"),
        )
        .await;
    let reason = attached.child("vireo").and_then(|v| v.child("pending_reason"));
    match text(&attached, &["active"]) {
        "true" => assert!(reason.is_none()),
        _ => assert!(reason.is_some_and(|r| !r.text.is_empty()), "{attached:?}"),
    }

    // Removing a disk the running VM uses is refused and leaves the attachment.
    let (status, fault) = app
        .rest(&t, Method::DELETE, &format!("{attachments}/{}", id(&boot)), "")
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert!(text(&fault, &["detail"]).contains("detach_only"), "{fault:?}");
    app.rest_ok(&t, Method::GET, &format!("{attachments}/{}", id(&boot)), "")
        .await;
    app.rest_ok(&t, Method::GET, &format!("/disks/{}", id(&boot)), "").await;
}

#[tokio::test]
async fn vms_from_a_template_get_overlays_or_with_clone_true_copies_of_its_disks() {
    let app = app().await;
    let t = app.admin_token().await;
    let template = app
        .rest_create(
            &t,
            "/templates",
            &format!(
                "<template><name>{}</name><cluster><name>Default</name></cluster></template>",
                unique("st")
            ),
        )
        .await;
    let template_name = text(&template, &["name"]).to_string();
    let template_attachments = format!("/templates/{}/diskattachments", id(&template));
    let base = app
        .rest_create(
            &t,
            &template_attachments,
            &format!(
                "<disk_attachment><bootable>true</bootable>{}</disk_attachment>",
                disk_body(&unique("base"), "1073741824")
            ),
        )
        .await;
    assert_eq!(
        base.child("template").and_then(|x| x.attr("id")),
        Some(id(&template).as_str())
    );
    let base_id = id(&base);
    let listed = app.rest_ok(&t, Method::GET, &template_attachments, "").await;
    assert_eq!(listed.children.len(), 1);

    for (query, thin) in [("", true), ("?clone=false", true), ("?clone=true", false)] {
        let vm = new_vm(&app, &t, &template_name, query).await;
        let list = app
            .rest_ok(&t, Method::GET, &format!("/vms/{}/diskattachments", id(&vm)), "")
            .await;
        assert_eq!(list.children.len(), 1, "{query}");
        let disk_id = id(&list.children[0]);
        assert_ne!(disk_id, base_id, "{query}: the VM has a disk of its own");
        assert_eq!(text(&list.children[0], &["bootable"]), "true");
        let disk = app.rest_ok(&t, Method::GET, &format!("/disks/{disk_id}"), "").await;
        let backing = disk
            .child("vireo")
            .and_then(|v| v.child("backing_disk"))
            .and_then(|b| b.attr("id"));
        if thin {
            assert_eq!(
                backing,
                Some(base_id.as_str()),
                "{query}: a thin overlay on the template's disk"
            );
            assert_eq!(text(&disk, &["format"]), "cow");
        } else {
            assert_eq!(backing, None, "{query}: a full copy");
        }
    }
    // The template's disk cannot be removed while VMs' disks are overlays on it.
    let (status, _) = app
        .rest(&t, Method::DELETE, &format!("{template_attachments}/{base_id}"), "")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.rest_ok(&t, Method::GET, &format!("{template_attachments}/{base_id}"), "")
        .await;
}

#[tokio::test]
async fn viewers_read_storage_but_change_nothing() {
    let app = app().await;
    let admin = app.admin_token().await;
    let disk = app
        .rest_create(&admin, "/disks", &disk_body(&unique("v"), "1073741824"))
        .await;
    let disk_id = id(&disk);
    let hash = vireo_server::service::passwords::hash_password("viewer-password-1").unwrap();
    let name = unique("viewer");
    app.state
        .repo
        .insert_user(
            &vireo_app::authz::Actor::vireo(),
            &name,
            &hash,
            vireo_app::models::Role::Viewer,
        )
        .await
        .unwrap();
    let t = app.rest_token(&name, "viewer-password-1").await;
    app.rest_ok(&t, Method::GET, "/storagedomains", "").await;
    app.rest_ok(&t, Method::GET, &format!("/disks/{disk_id}"), "").await;
    let before = app.fingerprint().await;
    for (method, path, body) in [
        (Method::POST, "/disks".to_string(), disk_body("v2", "1073741824")),
        (
            Method::PUT,
            format!("/disks/{disk_id}"),
            "<disk><alias>stolen</alias></disk>".to_string(),
        ),
        (Method::DELETE, format!("/disks/{disk_id}"), String::new()),
        (
            Method::POST,
            "/storagedomains".to_string(),
            "<storage_domain><name>evil</name><type>data</type><host><name>default-host</name></host>\
             <storage><type>localfs</type><path>/srv/evil</path></storage></storage_domain>"
                .to_string(),
        ),
    ] {
        let (status, fault) = app.rest(&t, method.clone(), &path, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {fault:?}");
    }
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn a_localfs_storage_domain_is_added_on_a_host_and_removed() {
    let app = app().await;
    let t = app.admin_token().await;
    let name = unique("sd");
    let body = |name: &str, path: &str| {
        format!(
            "<storage_domain><name>{name}</name><type>data</type><host><name>default-host</name></host>\
             <storage><type>localfs</type><path>{path}</path></storage></storage_domain>"
        )
    };
    let before = app.fingerprint().await;
    for (bad, field) in [
        (body(&name, "relative"), "path"),
        (body(&name, "/etc/x"), "path"),
        (body("a b", "/srv/x"), "name"),
        (body(&name, "/srv/x").replace("localfs", "nfs"), "type"),
        (
            body(&name, "/srv/x").replace("<type>data</type>", "<type>export</type>"),
            "type",
        ),
        (
            format!("<storage_domain><name>{name}</name></storage_domain>"),
            "required",
        ),
    ] {
        let (status, fault) = app.rest(&t, Method::POST, "/storagedomains", &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {fault:?}");
        assert!(text(&fault, &["detail"]).contains(field), "{fault:?}");
    }
    assert_eq!(app.fingerprint().await, before, "nothing was made");

    let sd = app
        .rest_create(&t, "/storagedomains", &body(&name, &format!("/{name}")))
        .await;
    assert_eq!(text(&sd, &["name"]), name);
    assert_eq!(text(&sd, &["status"]), "active");
    assert_eq!(text(&sd, &["storage", "path"]), format!("/{name}"));
    let sd_id = id(&sd);
    // It holds a disk: removing it is refused until the disk goes.
    let disk = app
        .rest_create(
            &t,
            "/disks",
            &disk_body(&unique("in"), "1073741824")
                .replace("<name>default-pool</name>", &format!("<name>{name}</name>")),
        )
        .await;
    let (status, _) = app
        .rest(&t, Method::DELETE, &format!("/storagedomains/{sd_id}"), "")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.rest_ok(&t, Method::DELETE, &format!("/disks/{}", id(&disk)), "")
        .await;
    app.rest_ok(&t, Method::DELETE, &format!("/storagedomains/{sd_id}"), "")
        .await;
    let (status, _) = app.rest(&t, Method::GET, &format!("/storagedomains/{sd_id}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_host_holding_disks_is_not_removed() {
    let app = app().await;
    let t = app.admin_token().await;
    let disk = app
        .rest_create(&t, "/disks", &disk_body(&unique("h"), "1073741824"))
        .await;
    let host = app.first_host().await.id;
    let (status, fault) = app.rest(&t, Method::DELETE, &format!("/hosts/{host}"), "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{fault:?}");
    assert!(text(&fault, &["detail"]).contains("disk"), "{fault:?}");
    app.rest_ok(&t, Method::GET, &format!("/disks/{}", id(&disk)), "").await;
}
