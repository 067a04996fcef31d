//! Storage domains and disks through the service, on libvirt's test driver (its `default-pool`)
//! and PostgreSQL: what libvirt holds and what Vireo shows stay the same, refusals change nothing.

use crate::support::{admin_app, saved_id, unique, TestApp};
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, LifecycleBackend, StorageBackend, UserBackend};
use vireo_app::domain::draft::{ConfigKind, NewDisk};
use vireo_app::domain::storage::{DiskAttachment, DiskFormat, GIB};
use vireo_app::error::AppError;
use vireo_app::models::{
    CurrentUser, DiskChangeOutcome, GridQuery, NewDiskRequest, NewStorageDomainRequest, NewUserRequest,
    StorageDomainView,
};
use virt::connect::Connect;

fn all() -> GridQuery {
    GridQuery {
        search: String::new(),
        sort: "name".into(),
        desc: false,
        page: 1,
        page_size: 100,
        focus: None,
    }
}

async fn default_pool(app: &TestApp) -> StorageDomainView {
    let host = app.first_host().await;
    let page = app.state.service.storage_domain_grid(&all()).await.expect("grid");
    page.rows
        .into_iter()
        .find(|d| d.host_id == host.id && d.name == "default-pool")
        .expect("the test driver's default-pool is a storage domain")
}

/// The volume as libvirt's test driver has it (shared by every connection in this process).
fn volume_exists(path: &str) -> bool {
    let conn = Connect::open(Some("test:///default")).expect("test driver");
    conn.lookup_storage_vol_by_path(path).is_ok()
}

fn disk_request(name: &str, domain: Uuid, gib: u64) -> NewDiskRequest {
    NewDiskRequest {
        name: name.into(),
        description: String::new(),
        size_bytes: gib * GIB,
        format: DiskFormat::Qcow2,
        storage_domain_id: Some(domain),
        sparse: true,
    }
}

async fn user(app: &TestApp, admin: &CurrentUser, role: &str) -> CurrentUser {
    let password = "correct horse battery".to_string();
    let view = app
        .state
        .service
        .add_user(
            admin,
            NewUserRequest {
                username: unique(role),
                role: role.into(),
                password: password.clone(),
                confirm: password,
            },
        )
        .await
        .expect("add user");
    CurrentUser {
        id: view.id,
        username: view.username,
        role: view.role,
    }
}

#[tokio::test]
async fn disks_are_volumes_in_the_hosts_pools_and_go_with_them() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    assert_eq!(pool.pool_type, "dir");
    assert_eq!(pool.path, "/default-pool");

    let name = unique("data");
    let disk = svc
        .create_disk(&admin, disk_request(&name, pool.id, 4))
        .await
        .expect("created");
    assert_eq!(disk.provisioned_bytes, (4 * GIB) as i64);
    assert_eq!(disk.format, DiskFormat::Qcow2);
    assert!(disk.path.starts_with("/default-pool/vireo-"), "{}", disk.path);
    assert!(volume_exists(&disk.path), "libvirt has the volume");
    let grid = svc
        .disk_grid(&GridQuery {
            search: name.clone(),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(grid.rows.len(), 1);
    assert_eq!(grid.rows[0].storage_domain_name, "default-pool");

    // The test driver cannot resize: a clear refusal, and the disk is as it was (not locked).
    let err = svc.resize_disk(&admin, disk.id, 8 * GIB).await.unwrap_err();
    assert!(matches!(err, AppError::Host { .. }), "{err:?}");
    let err = svc.resize_disk(&admin, disk.id, 2 * GIB).await.unwrap_err();
    assert!(
        matches!(err, AppError::Validation { .. }),
        "shrinking is refused: {err:?}"
    );
    assert_eq!(svc.disk(disk.id).await.unwrap().status.as_str(), "ok");

    svc.remove_disk(&admin, disk.id).await.expect("removed");
    assert!(!volume_exists(&disk.path), "its volume went with it");
    assert!(matches!(svc.disk(disk.id).await, Err(AppError::NotFound { .. })));
}

#[tokio::test]
async fn bad_disks_are_field_errors_and_viewers_may_not_touch_storage() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let before = svc.disk_grid(&all()).await.unwrap().total;
    for (request, field) in [
        (disk_request("a b", pool.id, 1), "name"),
        (disk_request("ok", pool.id, 0), "size_bytes"),
        (disk_request("ok", pool.id, 1 << 20), "size_bytes"),
        (
            NewDiskRequest {
                storage_domain_id: None,
                ..disk_request("ok", pool.id, 1)
            },
            "storage_domain_id",
        ),
        (
            NewDiskRequest {
                format: DiskFormat::Iso,
                ..disk_request("ok", pool.id, 1)
            },
            "format",
        ),
    ] {
        match svc.create_disk(&admin, request).await {
            Err(AppError::Validation { errors }) => {
                assert!(errors.iter().any(|e| e.field == field), "{field}: {errors:?}")
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    let viewer = user(&app, &admin, "viewer").await;
    let operator = user(&app, &admin, "operator").await;
    assert!(matches!(
        svc.create_disk(&viewer, disk_request("v", pool.id, 1)).await,
        Err(AppError::Forbidden)
    ));
    let request = NewStorageDomainRequest {
        host_id: Some(pool.host_id),
        name: unique("sd"),
        path: format!("/{}", unique("e2e")),
    };
    assert!(matches!(
        svc.add_storage_domain(&operator, request.clone()).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(svc.disk_grid(&all()).await.unwrap().total, before, "nothing was made");
    // Operators make disks.
    let disk = svc
        .create_disk(&operator, disk_request(&unique("op"), pool.id, 1))
        .await
        .expect("operators manage disks");
    assert!(matches!(
        svc.remove_disk(&viewer, disk.id).await,
        Err(AppError::Forbidden)
    ));
    svc.remove_disk(&operator, disk.id).await.unwrap();
}

#[tokio::test]
async fn storage_domains_are_added_checked_and_removed_on_the_host() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let host = app.first_host().await;
    for (path, name) in [("relative", "x1"), ("/etc/libvirt", "x2"), ("/srv/../etc", "x3")] {
        let err = svc
            .add_storage_domain(
                &admin,
                NewStorageDomainRequest {
                    host_id: Some(host.id),
                    name: name.into(),
                    path: path.into(),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Validation { errors } if errors.iter().any(|e| e.field == "path")),
            "{path}: {err:?}"
        );
    }
    let name = unique("images");
    let added = svc
        .add_storage_domain(
            &admin,
            NewStorageDomainRequest {
                host_id: Some(host.id),
                name: name.clone(),
                path: format!("/{name}"),
            },
        )
        .await
        .expect("added");
    assert_eq!(added.status.as_str(), "active");
    let disk = svc
        .create_disk(&admin, disk_request(&unique("in"), added.id, 1))
        .await
        .unwrap();
    let err = svc.remove_storage_domain(&admin, added.id).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict { .. }), "it holds a disk: {err:?}");
    svc.remove_disk(&admin, disk.id).await.unwrap();
    svc.remove_storage_domain(&admin, added.id).await.expect("removed");
    let conn = Connect::open(Some("test:///default")).unwrap();
    assert!(
        conn.lookup_storage_pool_by_name(&name).is_err(),
        "libvirt's pool is gone"
    );
}

#[tokio::test]
async fn a_new_vm_gets_its_boot_disk_and_keeps_it_until_removed_with_it() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let mut d = app.sized_draft(ConfigKind::Vm, unique("vm"), 1).await;
    let disk_id = Uuid::new_v4();
    d.new_disks.push(NewDisk {
        id: disk_id,
        name: format!("{}_boot", d.name),
        size_bytes: 10 * GIB,
        format: DiskFormat::Qcow2,
        storage_domain_id: pool.id,
        sparse: true,
    });
    d.config.disks.push(DiskAttachment::new(disk_id, true));
    let vm = saved_id(svc.save(&admin, d, true).await.expect("saved"));
    let disk = svc.disk(disk_id).await.expect("the boot disk exists");
    assert_eq!(disk.provisioned_bytes, (10 * GIB) as i64);
    assert_eq!(disk.attached_to.len(), 1);
    assert_eq!(disk.attached_to[0].id, vm);
    let attached = svc.attached_disks(ConfigKind::Vm, vm).await.unwrap();
    assert_eq!(attached.len(), 1);
    assert!(attached[0].attachment.bootable && !attached[0].pending);

    // Attached: not removable.
    let err = svc.remove_disk(&admin, disk_id).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict { .. }), "{err:?}");
    assert!(volume_exists(&disk.path));

    // A second disk, attached and detached from the sub-tab; a stopped VM takes it at once.
    let extra = svc
        .create_disk(&admin, disk_request(&unique("extra"), pool.id, 1))
        .await
        .unwrap();
    let attach = DiskAttachment::new(extra.id, false);
    assert_eq!(
        svc.attach_disk(&admin, ConfigKind::Vm, vm, attach.clone())
            .await
            .unwrap(),
        DiskChangeOutcome::Live
    );
    let err = svc.attach_disk(&admin, ConfigKind::Vm, vm, attach).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict { .. }), "attached twice: {err:?}");
    assert_eq!(svc.attached_disks(ConfigKind::Vm, vm).await.unwrap().len(), 2);
    svc.detach_disk(&admin, ConfigKind::Vm, vm, extra.id).await.unwrap();
    assert!(
        svc.disk(extra.id).await.unwrap().attached_to.is_empty(),
        "detached, kept"
    );

    // Another VM may not take the first VM's disk.
    let mut other = app.sized_draft(ConfigKind::Vm, unique("vm"), 1).await;
    other.config.disks.push(DiskAttachment::new(disk_id, true));
    match svc.save(&admin, other, true).await {
        Err(AppError::Validation { errors }) => assert!(errors.iter().any(|e| e.field == "disks[0]"), "{errors:?}"),
        other => panic!("{other:?}"),
    }

    svc.remove_vm(&admin, vm, true, true).await.expect("removed");
    assert!(matches!(svc.disk(disk_id).await, Err(AppError::NotFound { .. })));
    assert!(!volume_exists(&disk.path), "the boot disk's volume went with its VM");
    assert!(svc.disk(extra.id).await.is_ok(), "the detached disk stays");
    svc.remove_disk(&admin, extra.id).await.unwrap();
}

#[tokio::test]
async fn vms_from_a_template_get_thin_overlays_or_full_copies() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let base = svc
        .create_disk(&admin, disk_request(&unique("base"), pool.id, 2))
        .await
        .unwrap();
    let mut t = app.sized_draft(ConfigKind::Template, unique("tpl"), 1).await;
    t.config.disks.push(DiskAttachment::new(base.id, true));
    let template = saved_id(svc.save(&admin, t, true).await.expect("template saved"));

    for clone in [false, true] {
        let mut d = svc.new_draft(ConfigKind::Vm, Some(template)).await.unwrap();
        d.name = unique(if clone { "clone" } else { "thin" });
        d.clone_disks = clone;
        let vm = saved_id(svc.save(&admin, d, true).await.expect("vm saved"));
        let attached = svc.attached_disks(ConfigKind::Vm, vm).await.unwrap();
        assert_eq!(attached.len(), 1);
        let disk = &attached[0].disk;
        assert_ne!(disk.id, base.id, "the VM has its own disk");
        assert_eq!(disk.provisioned_bytes, base.provisioned_bytes);
        if clone {
            assert_eq!(disk.backing_disk_id, None, "a full copy");
        } else {
            assert_eq!(
                disk.backing_disk_id,
                Some(base.id),
                "a thin overlay on the template's disk"
            );
            assert_eq!(disk.format, DiskFormat::Qcow2);
            let err = svc.remove_disk(&admin, base.id).await.unwrap_err();
            assert!(matches!(err, AppError::Conflict { .. }), "{err:?}");
        }
        svc.remove_vm(&admin, vm, true, true).await.unwrap();
        assert!(!volume_exists(&disk.path));
    }
    assert!(svc.disk(base.id).await.is_ok(), "the template's disk stays");
}

#[tokio::test]
async fn hostile_new_disks_and_attachments_are_field_errors_and_make_nothing() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let before = svc.disk_grid(&all()).await.unwrap().total;
    let mut d = app.sized_draft(ConfigKind::Vm, unique("vm"), 1).await;
    d.new_disks.push(NewDisk {
        id: Uuid::new_v4(),
        name: "ok".into(),
        size_bytes: u64::MAX,
        format: DiskFormat::Qcow2,
        storage_domain_id: pool.id,
        sparse: true,
    });
    d.new_disks.push(NewDisk {
        id: Uuid::new_v4(),
        name: "../../etc/passwd".into(),
        size_bytes: GIB,
        format: DiskFormat::Raw,
        storage_domain_id: Uuid::new_v4(),
        sparse: false,
    });
    d.config.disks.push(DiskAttachment::new(Uuid::new_v4(), true));
    d.config.cdrom = Some(Uuid::new_v4());
    match svc.save(&admin, d, true).await {
        Err(AppError::Validation { errors }) => {
            for field in [
                "new_disks[0].size_bytes",
                "new_disks[1].name",
                "new_disks[1].storage_domain_id",
                "disks[0]",
                "cdrom",
            ] {
                assert!(errors.iter().any(|e| e.field == field), "{field}: {errors:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(svc.disk_grid(&all()).await.unwrap().total, before);
}

/// A VM with a new boot disk of `gib` on the default pool, saved with `profile` (fixes applied).
async fn vm_with_disk(
    app: &TestApp,
    admin: &CurrentUser,
    profile: vireo_app::domain::vm_config::OptimizedFor,
    stateless: bool,
) -> (Uuid, Uuid) {
    let pool = default_pool(app).await;
    let mut d = app.sized_draft(ConfigKind::Vm, unique("vm"), 2).await;
    let disk_id = Uuid::new_v4();
    d.new_disks.push(NewDisk {
        id: disk_id,
        name: format!("{}_boot", d.name),
        size_bytes: 10 * GIB,
        format: DiskFormat::Qcow2,
        storage_domain_id: pool.id,
        sparse: true,
    });
    d.config.disks.push(DiskAttachment::new(disk_id, true));
    d.config.stateless = stateless;
    let d = app.with_profile(d, profile).await;
    let d = app.fixed(&d).await;
    (
        saved_id(app.state.service.save(admin, d, true).await.expect("saved")),
        disk_id,
    )
}

#[tokio::test]
async fn a_vm_runs_with_its_disks_and_high_performance_serves_them_from_io_threads() {
    use vireo_app::domain::vm_config::OptimizedFor;
    use vireo_app::models::VmAction;
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let (vm, disk_id) = vm_with_disk(&app, &admin, OptimizedFor::HighPerformance, false).await;
    let disk = svc.disk(disk_id).await.unwrap();
    let xml = svc.domain_xml(vm).await.expect("domain XML");
    assert!(xml.contains(&format!("<source file=\"{}\"/>", disk.path)), "{xml}");
    assert!(xml.contains("cache=\"none\"") && xml.contains("io=\"native\""), "{xml}");
    assert!(
        xml.contains("iothread=\"1\""),
        "the disk is served by IO thread 1: {xml}"
    );
    assert!(xml.contains("<boot order=\"1\"/>"), "{xml}");
    svc.vm_action(&admin, vm, VmAction::Run)
        .await
        .expect("runs on the test driver");
    let conn = Connect::open(Some("test:///default")).unwrap();
    let running = conn.lookup_domain_by_uuid_string(&vm.to_string()).unwrap();
    let live = running.xml_desc(0).unwrap();
    assert!(live.contains(&disk.path), "libvirt's domain has the disk: {live}");

    // Attaching to a running VM on a host that cannot hotplug waits for the next start.
    let extra = svc
        .create_disk(&admin, disk_request(&unique("hot"), default_pool(&app).await.id, 1))
        .await
        .unwrap();
    let outcome = svc
        .attach_disk(&admin, ConfigKind::Vm, vm, DiskAttachment::new(extra.id, false))
        .await
        .unwrap();
    assert!(matches!(outcome, DiskChangeOutcome::NextRun { .. }), "{outcome:?}");
    let attached = svc.attached_disks(ConfigKind::Vm, vm).await.unwrap();
    assert!(
        attached.iter().any(|a| a.disk.id == extra.id && a.pending),
        "shown as pending"
    );
    svc.remove_vm(&admin, vm, true, true).await.unwrap();
    assert!(svc.disk(extra.id).await.is_err(), "pending disks go with the VM too");
}

#[tokio::test]
async fn a_stateless_vm_writes_to_a_fresh_overlay_that_goes_when_it_stops() {
    use vireo_app::domain::vm_config::OptimizedFor;
    use vireo_app::models::VmAction;
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let (vm, disk_id) = vm_with_disk(&app, &admin, OptimizedFor::Server, true).await;
    let overlay = format!("/default-pool/vireo-stateless-{vm}-{disk_id}.qcow2");
    svc.vm_action(&admin, vm, VmAction::Run).await.expect("runs");
    assert!(volume_exists(&overlay), "an overlay for this start");
    let conn = Connect::open(Some("test:///default")).unwrap();
    let live = conn
        .lookup_domain_by_uuid_string(&vm.to_string())
        .unwrap()
        .xml_desc(0)
        .unwrap();
    assert!(live.contains(&overlay), "the domain writes to the overlay: {live}");
    svc.vm_action(&admin, vm, VmAction::PowerOff).await.expect("off");
    assert!(!volume_exists(&overlay), "the overlay went with the run");
    assert!(svc.disk(disk_id).await.is_ok(), "the disk itself stays");
    svc.remove_vm(&admin, vm, true, true).await.unwrap();
}

#[tokio::test]
async fn a_volume_deleted_behind_vireos_back_marks_its_disk_illegal_until_it_returns() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let disk = svc
        .create_disk(&admin, disk_request(&unique("gone"), pool.id, 1))
        .await
        .unwrap();
    let conn = Connect::open(Some("test:///default")).unwrap();
    let vol = conn.lookup_storage_vol_by_path(&disk.path).unwrap();
    let xml = vol.xml_desc(0).unwrap();
    vol.delete(0).unwrap();
    let host = app.first_host().await;
    // A real host's missing volume makes its disk illegal (the test driver's would be restored:
    // read it as a real host would be).
    let mut real = host.clone();
    real.simulated_topology = None;
    svc.sync_host_storage(&real).await.unwrap();
    assert_eq!(svc.disk(disk.id).await.unwrap().status.as_str(), "illegal");
    // A simulated host gets its volume back (libvirt's test driver forgets volumes on restart).
    svc.sync_host_storage(&host).await.unwrap();
    assert!(volume_exists(&disk.path), "{xml}");
    assert_eq!(svc.disk(disk.id).await.unwrap().status.as_str(), "ok");
    svc.remove_disk(&admin, disk.id).await.unwrap();
}

#[tokio::test]
async fn pool_vms_share_the_templates_disk_through_overlays_of_their_own() {
    use vireo_app::models::VmAction;
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let base = svc
        .create_disk(&admin, disk_request(&unique("golden"), pool.id, 2))
        .await
        .unwrap();
    let mut t = app.sized_draft(ConfigKind::Template, unique("tpl"), 1).await;
    t.config.disks.push(DiskAttachment::new(base.id, true));
    let template = saved_id(svc.save(&admin, t, true).await.unwrap());
    let mut p = svc.new_draft(ConfigKind::Pool, Some(template)).await.unwrap();
    p.name = unique("pool");
    p.pool_size = 2;
    let pool_id = saved_id(svc.save(&admin, p, true).await.expect("pool saved"));
    let vms = app.state.repo.pool_vm_records(pool_id).await.unwrap();
    assert_eq!(vms.len(), 2);
    for vm in &vms {
        assert_eq!(vm.config.disks[0].disk_id, base.id, "pool VMs hold the template's disk");
        svc.vm_action(&admin, vm.id, VmAction::Run).await.expect("runs");
        let overlay = format!("/default-pool/vireo-stateless-{}-{}.qcow2", vm.id, base.id);
        assert!(volume_exists(&overlay), "each writes to its own overlay");
    }
    let err = svc.remove_disk(&admin, base.id).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict { .. }), "{err:?}");
    for vm in &vms {
        svc.vm_action(&admin, vm.id, VmAction::PowerOff).await.unwrap();
    }
    svc.remove_pool(&admin, pool_id).await.expect("pool removed");
    assert!(
        svc.disk(base.id).await.is_ok(),
        "the template's disk stays with the template"
    );
}

#[tokio::test]
async fn disks_locked_by_an_operation_vireo_did_not_finish_are_illegal_after_a_restart() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    let disk = svc
        .create_disk(&admin, disk_request(&unique("cut"), pool.id, 1))
        .await
        .unwrap();
    assert!(
        app.state.repo.lock_disk(disk.id).await.unwrap(),
        "an upload or grow holds it"
    );
    svc.release_interrupted_disks().await;
    assert_eq!(svc.disk(disk.id).await.unwrap().status.as_str(), "illegal");
    let events = crate::support::event_messages(&app.pool).await;
    assert!(
        events
            .iter()
            .any(|(action, _, message)| action == "disk.interrupted" && message.contains(&disk.name)),
        "{events:?}"
    );
    svc.remove_disk(&admin, disk.id)
        .await
        .expect("an illegal disk can be removed");
}

#[tokio::test]
async fn a_host_that_does_not_answer_has_its_storage_marked_unknown_without_being_asked() {
    let (app, _admin) = admin_app().await;
    let svc = &app.state.service;
    let pool = default_pool(&app).await;
    app.update_row("UPDATE hosts SET status = 'non_responsive' WHERE id = $1", pool.host_id)
        .await;
    svc.sync_all_storage().await;
    assert_eq!(svc.storage_domain(pool.id).await.unwrap().status.as_str(), "unknown");
    app.update_row("UPDATE hosts SET status = 'up' WHERE id = $1", pool.host_id)
        .await;
    svc.sync_all_storage().await;
    assert_eq!(
        svc.storage_domain(pool.id).await.unwrap().status.as_str(),
        "active",
        "back when it answers"
    );
}
