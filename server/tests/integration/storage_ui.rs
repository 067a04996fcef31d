//! The storage pages and forms without JavaScript, through the real router: a New VM dialog's
//! plain post makes the VM with its boot disk, the Disks sub-tab and grid show it, disks and
//! storage domains are made and refused through their forms (errors back on the form), attach and
//! detach say where they took effect, and Remove VM's "Remove disks" box decides what goes.

use crate::support::{admin_app, body_text, form, form_post, unique, TestApp};
use axum::body::Body;
use axum::http::{header, StatusCode};
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, StorageBackend, UserBackend};
use vireo_app::domain::draft::{add_new_disk, default_boot_disk, to_pairs, ConfigKind};
use vireo_app::domain::storage::GIB;
use vireo_app::error::AppError;
use vireo_app::models::{GridQuery, NewUserRequest, StorageDomainView};

async fn default_pool(app: &TestApp) -> StorageDomainView {
    let host = app.first_host().await;
    let q = GridQuery {
        page_size: 200,
        ..GridQuery::new("name")
    };
    let page = app.state.service.storage_domain_grid(&q).await.expect("grid");
    page.rows
        .into_iter()
        .find(|d| d.host_id == host.id && d.name == "default-pool")
        .expect("the test driver's default-pool")
}

/// A plain form post to a server function, as a browser without JavaScript sends it (from `from`).
async fn post_html(app: &TestApp, cookie: &str, function: &str, from: &str, fields: &[(&str, &str)]) -> String {
    let body = serde_urlencoded::to_string(fields).expect("form");
    let r = app
        .send(
            form_post(&format!("/api/{function}"))
                .header(header::COOKIE, cookie)
                .header(header::ACCEPT, "text/html")
                .header(header::REFERER, format!("http://127.0.0.1:3000{from}"))
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert!(r.status().is_redirection(), "{function}: {}", r.status());
    r.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .trim_start_matches("http://127.0.0.1:3000")
        .to_string()
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> String {
    let r = app.get_as(cookie, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    body_text(r).await
}

#[tokio::test]
async fn a_plain_new_vm_post_makes_its_boot_disk_and_remove_takes_it_when_asked() {
    let (app, _admin) = admin_app().await;
    let cookie = app.admin_cookie().await;
    let pool = default_pool(&app).await;
    let svc = &app.state.service;

    // The dialog's fresh draft offers the boot disk on the first active domain, ticked.
    let html = page(&app, &cookie, "/vms?dialog=new").await;
    assert!(
        html.contains(r#"name="disk_create""#) && html.contains("Create boot disk"),
        "boot disk block"
    );
    assert!(html.contains(r#"name="disks_json""#) && html.contains(r#"name="boot_first""#));

    let mut draft = svc.new_draft(ConfigKind::Vm, None).await.expect("draft");
    draft.name = unique("withdisk");
    let disk_id = Uuid::new_v4();
    add_new_disk(&mut draft, default_boot_disk(disk_id, pool.id));
    let mut pairs = to_pairs(&draft);
    pairs.push(("save_anyway".into(), "1".into()));
    let r = app.post_form_as(&cookie, "/dialog/save", form(&pairs)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    let vm: Uuid = location
        .strip_prefix("/vms?selected=")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("saved: {location}"));

    let attached = svc.attached_disks(ConfigKind::Vm, vm).await.expect("attached");
    assert_eq!(attached.len(), 1);
    let disk = &attached[0].disk;
    assert_eq!(disk.id, disk_id, "the id the dialog chose");
    assert_eq!(disk.provisioned_bytes, (10 * GIB) as i64);
    assert_eq!(disk.name, format!("{}_Disk1", draft.name));
    assert!(attached[0].attachment.bootable);

    let html = page(&app, &cookie, &format!("/vms?selected={vm}&tab=disks")).await;
    assert!(
        html.contains(r#"data-testid="attached-disks""#) && html.contains(&disk.name),
        "Disks sub-tab"
    );
    let html = page(&app, &cookie, &format!("/disks?q={}", disk.name)).await;
    assert!(html.contains(&disk.id.to_string()), "Disks grid");

    // Remove without "Remove disks": the disk stays, detached.
    let r = app
        .post_form_as(&cookie, "/vms/bulk", format!("ids={vm}&action=remove&confirmed=1"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let kept = svc.disk(disk_id).await.expect("the disk stays");
    assert!(kept.attached_to.is_empty());
    svc.remove_disk(&app.admin_user().await, disk_id)
        .await
        .expect("cleanup");

    // With the box ticked (the default) the disks go with the VM.
    let mut draft = svc.new_draft(ConfigKind::Vm, None).await.expect("draft");
    draft.name = unique("withdisk");
    let disk_id = Uuid::new_v4();
    add_new_disk(&mut draft, default_boot_disk(disk_id, pool.id));
    let mut pairs = to_pairs(&draft);
    pairs.push(("save_anyway".into(), "1".into()));
    let r = app.post_form_as(&cookie, "/dialog/save", form(&pairs)).await;
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    let vm = location.trim_start_matches("/vms?selected=").to_string();
    let html = page(&app, &cookie, &format!("/vms?confirm=remove&ids={vm}&selected={vm}")).await;
    assert!(html.contains(r#"name="remove_disks""#) && html.contains("Remove disks"));
    let r = app
        .post_form_as(
            &cookie,
            "/vms/bulk",
            format!("ids={vm}&action=remove&confirmed=1&remove_disks=on"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(matches!(svc.disk(disk_id).await, Err(AppError::NotFound { .. })));
}

#[tokio::test]
async fn disk_and_domain_forms_work_without_javascript_and_show_their_errors() {
    let (app, admin) = admin_app().await;
    let cookie = app.admin_cookie().await;
    let pool = default_pool(&app).await;
    let svc = &app.state.service;
    let domain = pool.id.to_string();

    // New disk: back on the grid with it selected.
    let name = unique("form");
    let location = post_html(
        &app,
        &cookie,
        "create_disk",
        "/disks?dialog=new",
        &[
            ("name", &name),
            ("size_gib", "2"),
            ("format", "raw"),
            ("storage_domain_id", &domain),
            ("sparse", "on"),
        ],
    )
    .await;
    let id: Uuid = location
        .strip_prefix("/disks?selected=")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("created: {location}"));
    let disk = svc.disk(id).await.expect("disk");
    assert_eq!(
        (disk.provisioned_bytes, disk.format.as_str()),
        ((2 * GIB) as i64, "raw")
    );
    let html = page(&app, &cookie, &location).await;
    assert!(html.contains(&name) && html.contains(r#"aria-label="Disk actions""#));

    // A bad size comes back on the form.
    let location = post_html(
        &app,
        &cookie,
        "create_disk",
        "/disks?dialog=new",
        &[
            ("name", "x"),
            ("size_gib", "lots"),
            ("format", "qcow2"),
            ("storage_domain_id", &domain),
        ],
    )
    .await;
    assert!(location.starts_with("/disks?dialog=new"), "{location}");
    let html = page(&app, &cookie, &location).await;
    assert!(html.contains("Give a size in GiB"), "the error is shown");

    // Growing to less is refused, on the Grow form.
    let from = format!("/disks?dialog=grow&selected={id}");
    let location = post_html(
        &app,
        &cookie,
        "resize_disk",
        &from,
        &[("id", &id.to_string()), ("size_gib", "1")],
    )
    .await;
    assert!(location.starts_with(&from), "{location}");
    let html = page(&app, &cookie, &location).await;
    assert!(html.contains("A disk only grows"), "the refusal is shown");

    // Attach it to a VM, then detach: each time back on the Disks sub-tab with the outcome.
    let mut draft = svc.new_draft(ConfigKind::Vm, None).await.expect("draft");
    draft.name = unique("attach");
    let vm = crate::support::saved_id(svc.save(&admin, draft, true).await.expect("vm"));
    let location = post_html(
        &app,
        &cookie,
        "attach_disk",
        &format!("/vms?selected={vm}&tab=disks&disk_dialog=attach"),
        &[
            ("kind", "vm"),
            ("id", &vm.to_string()),
            ("disk_id", &id.to_string()),
            ("interface", "virtio_scsi"),
            ("read_only", "on"),
        ],
    )
    .await;
    assert!(
        location.starts_with(&format!("/vms?selected={vm}&tab=disks&disk_outcome=")),
        "{location}"
    );
    let attached = svc.attached_disks(ConfigKind::Vm, vm).await.unwrap();
    assert_eq!(attached.len(), 1);
    assert!(attached[0].attachment.read_only && !attached[0].attachment.bootable);
    let html = page(&app, &cookie, &location).await;
    assert!(html.contains(r#"data-testid="disk-outcome""#) && html.contains(&name));

    // Removing an attached disk is refused with the service's reason, on the confirm form.
    let from = format!("/disks?dialog=remove&selected={id}");
    let location = post_html(&app, &cookie, "remove_disk", &from, &[("id", &id.to_string())]).await;
    assert!(location.starts_with(&from), "{location}");
    assert!(svc.disk(id).await.is_ok(), "still there");

    let location = post_html(
        &app,
        &cookie,
        "detach_disk",
        &format!("/vms?selected={vm}&tab=disks&disk_dialog=detach&disk={id}"),
        &[("kind", "vm"), ("id", &vm.to_string()), ("disk_id", &id.to_string())],
    )
    .await;
    assert!(location.contains("disk_outcome="), "{location}");
    assert!(svc.attached_disks(ConfigKind::Vm, vm).await.unwrap().is_empty());
    let location = post_html(&app, &cookie, "remove_disk", &from, &[("id", &id.to_string())]).await;
    assert_eq!(location, "/disks");
    assert!(matches!(svc.disk(id).await, Err(AppError::NotFound { .. })));

    // A storage domain: a bad path back on the form, a good one made and removed.
    let host = pool.host_id.to_string();
    let location = post_html(
        &app,
        &cookie,
        "add_storage_domain",
        "/storage-domains?dialog=new",
        &[("host_id", &host), ("name", "sd1"), ("path", "relative")],
    )
    .await;
    let html = page(&app, &cookie, &location).await;
    assert!(html.contains("Give an absolute path"), "{location}");
    let sd_name = unique("sd");
    let location = post_html(
        &app,
        &cookie,
        "add_storage_domain",
        "/storage-domains?dialog=new",
        &[
            ("host_id", &host),
            ("name", &sd_name),
            ("path", &format!("/{}", unique("vireo-it"))),
        ],
    )
    .await;
    let sd = location.trim_start_matches("/storage-domains?selected=").to_string();
    let html = page(&app, &cookie, &format!("/storage-domains?dialog=remove&selected={sd}")).await;
    assert!(html.contains(&sd_name) && html.contains("remove-domain-form"));
    let location = post_html(
        &app,
        &cookie,
        "remove_storage_domain",
        "/storage-domains",
        &[("id", &sd)],
    )
    .await;
    assert_eq!(location, "/storage-domains");
    assert!(svc.storage_domain(sd.parse().unwrap()).await.is_err());
}

#[tokio::test]
async fn storage_pages_offer_each_role_only_its_actions() {
    let (app, admin) = admin_app().await;
    let password = "storage-ui-password";
    for (role, domains, disks) in [
        ("admin", true, true),
        ("operator", false, true),
        ("viewer", false, false),
    ] {
        let username = unique(role);
        app.state
            .service
            .add_user(
                &admin,
                NewUserRequest {
                    username: username.clone(),
                    role: role.into(),
                    password: password.into(),
                    confirm: password.into(),
                },
            )
            .await
            .expect("user");
        let cookie = app.login(&username, password).await.expect("logs in");
        let html = page(&app, &cookie, "/storage-domains").await;
        assert!(html.contains(r#"id="storage-domains-grid""#), "{role}");
        assert_eq!(
            html.contains("/storage-domains?dialog=new"),
            domains,
            "{role}: New Domain"
        );
        let html = page(&app, &cookie, "/disks").await;
        assert!(
            html.contains(r#"id="disks-grid""#) || html.contains("grid-empty"),
            "{role}"
        );
        assert_eq!(
            html.contains(r#"aria-label="Disk actions""#),
            disks,
            "{role}: disk toolbar"
        );
        let html = page(&app, &cookie, "/templates").await;
        assert!(
            html.contains(r#"href="/storage-domains""#) && html.contains(r#"href="/disks""#),
            "navigation"
        );
    }
}

/// Adding a storage domain, and Refresh, keep the host's other domains (a sync of one pool used to
/// drop every disk-less domain it did not name, the test driver's `default-pool` among them).
#[tokio::test]
async fn adding_a_domain_and_refresh_keep_the_hosts_other_domains() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let added = svc
        .add_storage_domain(
            &admin,
            vireo_app::models::NewStorageDomainRequest {
                host_id: Some(pool.host_id),
                name: unique("keep"),
                path: format!("/{}", unique("vireo-keep")),
            },
        )
        .await
        .expect("added");
    assert_eq!(default_pool(&app).await.id, pool.id, "default-pool stays, same id");
    svc.refresh_storage(&admin, None).await.expect("refresh");
    assert_eq!(default_pool(&app).await.id, pool.id, "and stays after Refresh");
    assert!(svc.storage_domain(added.id).await.is_ok(), "the new one too");
    svc.remove_storage_domain(&admin, added.id).await.expect("removed");
    assert_eq!(default_pool(&app).await.id, pool.id);
}
