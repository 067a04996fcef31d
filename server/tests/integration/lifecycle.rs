//! VMs on libvirt's test driver: domain XML validity, lifecycle, refusals, the per-VM lock,
//! reconcile and high availability. The test driver's state is shared by every test in this
//! process, so each test names its VMs uniquely.

use crate::support::{admin_app, app, event_messages, saved_id, unique, TestApp, ALL_FIXES};
use proptest::prelude::*;
use std::time::Duration;
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, LifecycleBackend};
use vireo_app::domain::domain_xml::{domain_xml, DiskDevice, DomainSpec, NicDevice, NicSource};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::network::{MacAddress, Nic, NicModel};
use vireo_app::domain::profile::{apply_profile, ProfileContext};
use vireo_app::domain::recommendations::apply_fixes;
use vireo_app::domain::storage::{volume_name, BootDevice, DiskAttachment, DiskFormat, DiskInterface};
use vireo_app::domain::vm_config::{CpuTopology, OptimizedFor, VmConfig};
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, VmAction};
use virt::connect::Connect;

async fn create_vm(app: &TestApp, profile: OptimizedFor, fixed: bool) -> (Uuid, String) {
    let actor = app.admin_user().await;
    let mut d = app.sized_draft(ConfigKind::Vm, unique("vm"), 2).await;
    d = app.with_profile(d, profile).await;
    if fixed {
        d = app.fixed(&d).await;
    }
    let id = saved_id(app.state.service.save(&actor, d.clone(), true).await.unwrap());
    (id, d.name)
}

/// The error of a Run that must be refused.
async fn refused_run(app: &TestApp, actor: &CurrentUser, id: Uuid) -> AppError {
    app.state
        .service
        .vm_action(actor, id, VmAction::Run)
        .await
        .expect_err("the run is refused")
}

async fn status(app: &TestApp, id: Uuid) -> String {
    app.state.repo.vm_runtime(id).await.unwrap().unwrap().status.to_string()
}

fn libvirt_state(id: Uuid) -> Option<bool> {
    let conn = Connect::open(Some("test:///default")).unwrap();
    conn.lookup_domain_by_uuid_string(&id.to_string())
        .ok()
        .map(|d| d.is_active().unwrap())
}

fn validate(xml: &str) -> Result<(), String> {
    let path = std::env::temp_dir().join(format!("vireo-domain-{}.xml", Uuid::new_v4()));
    std::fs::write(&path, xml).unwrap();
    let out = std::process::Command::new("virt-xml-validate")
        .arg(&path)
        .arg("domain")
        .output()
        .expect("virt-xml-validate (libvirt-clients) is installed by scripts/setup.sh");
    let _ = std::fs::remove_file(&path);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn profile(p: OptimizedFor) -> VmConfig {
    let base = VmConfig {
        cpu: CpuTopology {
            sockets: 1,
            cores: 2,
            threads: 2,
        },
        memory_mib: 4096,
        ..VmConfig::default()
    };
    apply_profile(&base, p, &ProfileContext { invtsc_available: true }).config
}

#[tokio::test]
async fn every_profile_validates_and_the_test_driver_accepts_it() {
    let app = app().await;
    let host = app.first_host().await;
    let ctx = app.rule_context(Some(host.cluster_id), "rhel_9x64", None).await;
    let cases = [
        ("server", profile(OptimizedFor::Server)),
        ("desktop", profile(OptimizedFor::Desktop)),
        ("hp", profile(OptimizedFor::HighPerformance)),
        (
            "hp-fixed",
            apply_fixes(&profile(OptimizedFor::HighPerformance), &ctx, &ALL_FIXES),
        ),
    ];
    for (label, config) in cases {
        let id = Uuid::new_v4();
        let name = unique(label);
        let quirks = vec!["arch-capabilities".to_string()];
        for domain_type in ["kvm", "test"] {
            let xml = domain_xml(&DomainSpec {
                uuid: id,
                name: &name,
                description: "A <validated> & \"quoted\" description",
                config: &config,
                domain_type,
                arch: "x86_64",
                disabled_cpu_features: &quirks,
                disks: &[],
                cdrom_path: None,
                nics: &[],
            });
            validate(&xml).unwrap_or_else(|e| panic!("{label}/{domain_type}: {e}\n{xml}"));
            if domain_type == "test" {
                app.state
                    .hypervisor
                    .define_and_start("test:///default", &xml)
                    .await
                    .unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_eq!(libvirt_state(id), Some(true));
                app.state.hypervisor.destroy("test:///default", id).await.unwrap();
                app.state.hypervisor.undefine("test:///default", id).await.unwrap();
                assert_eq!(libvirt_state(id), None);
            }
        }
    }
}

/// Disks as the server hands them to the XML builder: each attachment with a volume path.
fn disk_devices(config: &VmConfig, formats: &[DiskFormat]) -> Vec<DiskDevice> {
    config
        .disks
        .iter()
        .zip(formats)
        .map(|(a, format)| DiskDevice {
            path: format!("/var/lib/vireo/images/{}", volume_name(a.disk_id, *format)),
            format: *format,
            attachment: a.clone(),
        })
        .collect()
}

/// A High Performance VM with a qcow2 virtio-blk disk on an IO thread, a virtio-scsi disk and a
/// CD-ROM it boots first, and a Server VM with a SATA disk: libvirt's schema accepts both, and the
/// test driver defines and starts them.
#[test]
fn domains_with_disks_validate_and_the_test_driver_accepts_them() {
    let mut hp = profile(OptimizedFor::Server);
    hp.disks = vec![
        DiskAttachment::new(Uuid::new_v4(), true),
        DiskAttachment {
            interface: DiskInterface::VirtioScsi,
            ..DiskAttachment::new(Uuid::new_v4(), false)
        },
    ];
    hp.boot_devices = vec![BootDevice::Cdrom, BootDevice::Hd];
    let hp = apply_profile(
        &hp,
        OptimizedFor::HighPerformance,
        &ProfileContext { invtsc_available: true },
    )
    .config;
    assert_eq!(hp.disks[0].iothread, Some(1));
    let mut server = profile(OptimizedFor::Server);
    server.disks = vec![DiskAttachment {
        interface: DiskInterface::Sata,
        ..DiskAttachment::new(Uuid::new_v4(), true)
    }];
    let cases = [
        (
            "hp-disks",
            hp,
            vec![DiskFormat::Qcow2, DiskFormat::Raw],
            Some("/var/lib/vireo/images/installer.iso"),
        ),
        ("server-sata", server, vec![DiskFormat::Raw], None),
    ];
    let conn = Connect::open(Some("test:///default")).unwrap();
    for (label, config, formats, cdrom_path) in cases {
        let disks = disk_devices(&config, &formats);
        for domain_type in ["kvm", "test"] {
            let xml = domain_xml(&DomainSpec {
                uuid: Uuid::new_v4(),
                name: &unique(label),
                description: "",
                config: &config,
                domain_type,
                arch: "x86_64",
                disabled_cpu_features: &[],
                disks: &disks,
                cdrom_path,
                nics: &[],
            });
            validate(&xml).unwrap_or_else(|e| panic!("{label}/{domain_type}: {e}\n{xml}"));
            if domain_type == "test" {
                let dom = conn.define_domain_xml(&xml).unwrap_or_else(|e| panic!("{label}: {e}"));
                dom.create().unwrap();
                dom.destroy().unwrap();
                dom.undefine().unwrap();
            }
        }
    }
}

/// A NIC with a MAC of its own (the test driver's state is shared by the whole process).
fn test_nic(name: &str, model: NicModel) -> Nic {
    let low = Uuid::new_v4().as_u128() as u64 & 0xff_ffff;
    Nic {
        model,
        mac: MacAddress::from_u64(0x56_6f_00_00_00_00 | low),
        ..Nic::new(name, Some(Uuid::new_v4()))
    }
}

/// NICs of every kind: on libvirt's `default` network through a filtering multiqueue profile, on a
/// host bridge, on no network (oVirt's "Empty": user networking, link down), unplugged (no device),
/// and emulated models — on a Server VM and on a 4-vCPU High Performance VM (virtio,
/// queues = 4). libvirt's schema accepts each, and the test driver defines and starts it with one
/// interface per plugged NIC.
#[test]
fn domains_with_nics_validate_and_the_test_driver_accepts_them() {
    let nics = vec![
        test_nic("nic1", NicModel::Virtio),
        Nic {
            linked: false,
            ..test_nic("nic2", NicModel::E1000e)
        },
        test_nic("nic3", NicModel::Rtl8139),
        Nic {
            plugged: false,
            ..test_nic("nic4", NicModel::Virtio)
        },
    ];
    let sources = [
        (NicSource::Network("default".into()), Some("clean-traffic"), true),
        (NicSource::Bridge("virbr0".into()), None, false),
        (NicSource::Unconnected, None, true),
        (NicSource::Network("default".into()), Some("no-mac-spoofing"), true),
    ];
    let mut server = profile(OptimizedFor::Server);
    server.nics = nics.clone();
    server.multi_queues_enabled = true;
    let mut hp = profile(OptimizedFor::Server);
    hp.nics = nics;
    let hp = apply_profile(
        &hp,
        OptimizedFor::HighPerformance,
        &ProfileContext { invtsc_available: true },
    )
    .config;
    assert!(hp.multi_queues_enabled && hp.nics.iter().all(|n| n.model == NicModel::Virtio));
    let conn = Connect::open(Some("test:///default")).unwrap();
    for (label, config) in [("server-nics", server), ("hp-nics", hp)] {
        let devices: Vec<NicDevice> = config
            .nics
            .iter()
            .zip(&sources)
            .map(|(nic, (source, filter, multiqueue))| NicDevice {
                nic: nic.clone(),
                source: source.clone(),
                network_filter: filter.map(str::to_string),
                multiqueue: *multiqueue,
            })
            .collect();
        for domain_type in ["kvm", "test"] {
            let xml = domain_xml(&DomainSpec {
                uuid: Uuid::new_v4(),
                name: &unique(label),
                description: "",
                config: &config,
                domain_type,
                arch: "x86_64",
                disabled_cpu_features: &[],
                disks: &[],
                cdrom_path: None,
                nics: &devices,
            });
            assert_eq!(xml.matches("<interface ").count(), 3, "{xml}");
            assert!(
                xml.contains("<interface type=\"user\">") && xml.contains("queues=\"4\""),
                "{xml}"
            );
            assert!(xml.contains("org.qemu.guest_agent.0"), "{xml}");
            validate(&xml).unwrap_or_else(|e| panic!("{label}/{domain_type}: {e}\n{xml}"));
            if domain_type == "test" {
                let dom = conn.define_domain_xml(&xml).unwrap_or_else(|e| panic!("{label}: {e}"));
                dom.create().unwrap();
                let live = dom.xml_desc(0).unwrap();
                assert_eq!(live.matches("<interface ").count(), 3, "{live}");
                for nic in config.nics.iter().filter(|n| n.plugged) {
                    let mac = nic.mac.unwrap().to_string();
                    assert!(live.contains(&format!("<mac address='{mac}'/>")), "{mac} in {live}");
                }
                assert!(live.contains("org.qemu.guest_agent.0"), "{live}");
                dom.destroy().unwrap();
                dom.undefine().unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Hostile names and descriptions (quotes, angle brackets, ampersands, unicode) still give
    /// domain XML that libvirt's schema accepts.
    #[test]
    fn hostile_text_still_validates(
        name in "[A-Za-z0-9<>&\"' ._\u{e9}\u{4e2d}\u{1F600}-]{1,30}",
        description in "[A-Za-z0-9<>&\"' ;\n\u{e9}\u{4e2d}\u{1F600}]{0,80}",
    ) {
        let config = profile(OptimizedFor::HighPerformance);
        let xml = domain_xml(&DomainSpec {
            uuid: Uuid::new_v4(),
            name: &name,
            description: &description,
            config: &config,
            domain_type: "kvm",
            arch: "x86_64",
            disabled_cpu_features: &[],
            disks: &[],
            cdrom_path: None,
            nics: &[],
        });
        prop_assert!(validate(&xml).is_ok(), "{:?}", validate(&xml));
    }
}

#[tokio::test]
async fn run_shutdown_power_off_restart_remove() {
    let (app, actor) = admin_app().await;
    let (id, name) = create_vm(&app, OptimizedFor::HighPerformance, true).await;
    let svc = &app.state.service;

    // A pending next-run change is applied at start and cleared.
    let mut edit = svc.load_draft(ConfigKind::Vm, id).await.unwrap().draft;
    edit.description = "before start".into();
    svc.save(&actor, edit, true).await.unwrap();
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    assert_eq!(status(&app, id).await, "up");
    assert_eq!(libvirt_state(id), Some(true));
    let host = app.first_host().await;
    assert_eq!(
        app.state.repo.vm_runtime(id).await.unwrap().unwrap().host_id,
        Some(host.id)
    );
    let err = svc.vm_action(&actor, id, VmAction::Run).await.unwrap_err();
    assert!(err.to_string().contains("already up"), "{err}");

    svc.vm_action(&actor, id, VmAction::Restart).await.unwrap();
    assert_eq!(status(&app, id).await, "up");
    svc.vm_action(&actor, id, VmAction::Shutdown).await.unwrap();
    assert_eq!(status(&app, id).await, "down");
    assert_eq!(libvirt_state(id), Some(false));
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    svc.vm_action(&actor, id, VmAction::PowerOff).await.unwrap();
    assert_eq!(status(&app, id).await, "down");

    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    let err = svc.remove_vm(&actor, id, false, true).await.unwrap_err();
    assert!(err.to_string().contains("is running. Confirm"), "{err}");
    svc.remove_vm(&actor, id, true, true).await.unwrap();
    assert!(app.state.repo.vm_runtime(id).await.unwrap().is_none());
    assert_eq!(libvirt_state(id), None);
    let actions: Vec<(String, String)> = event_messages(&app.pool)
        .await
        .into_iter()
        .map(|e| (e.0, e.1))
        .collect();
    for a in ["vm.run", "vm.restart", "vm.shutdown", "vm.power_off", "vm.remove"] {
        assert!(
            actions.contains(&(a.to_string(), "success".to_string())),
            "{a} in {actions:?}"
        );
    }
    assert!(
        actions.contains(&("vm.run".to_string(), "failure".to_string())),
        "the refused second run is recorded"
    );
    let _ = name;
}

#[tokio::test]
async fn the_next_run_configuration_is_what_starts() {
    let (app, actor) = admin_app().await;
    let (id, _) = create_vm(&app, OptimizedFor::Server, false).await;
    let svc = &app.state.service;
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    let mut edit = svc.load_draft(ConfigKind::Vm, id).await.unwrap().draft;
    edit.config.soundcard_enabled = true;
    svc.save(&actor, edit, true).await.unwrap();
    let xml = svc.domain_xml(id).await.unwrap();
    assert!(
        xml.contains("<sound model=\"ich9\"/>"),
        "the Domain XML tab shows what the next start gets"
    );
    svc.vm_action(&actor, id, VmAction::PowerOff).await.unwrap();
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    let rec = app.state.repo.config_record(ConfigKind::Vm, id).await.unwrap().unwrap();
    assert!(rec.config.soundcard_enabled && rec.next_run.is_none());
    svc.remove_vm(&actor, id, true, true).await.unwrap();
}

#[tokio::test]
async fn when_libvirt_refuses_the_vm_stays_as_it_was_and_the_user_sees_why() {
    let (app, actor) = admin_app().await;
    let (id, name) = create_vm(&app, OptimizedFor::Server, false).await;
    // Someone defined a different domain with the same name on the host.
    let conn = Connect::open(Some("test:///default")).unwrap();
    let squatter = domain_xml(&DomainSpec {
        uuid: Uuid::new_v4(),
        name: &name,
        description: "",
        config: &VmConfig::default(),
        domain_type: "test",
        arch: "x86_64",
        disabled_cpu_features: &[],
        disks: &[],
        cdrom_path: None,
        nics: &[],
    });
    let dom = conn.define_domain_xml(&squatter).unwrap();
    let err = refused_run(&app, &actor, id).await;
    let AppError::Host { message } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("refused to start") && message.contains("already"),
        "libvirt's own words: {message}"
    );
    assert_eq!(status(&app, id).await, "down");
    assert_eq!(libvirt_state(id), None, "nothing left behind");
    let last = event_messages(&app.pool).await.pop().unwrap();
    assert_eq!((last.0.as_str(), last.1.as_str()), ("vm.run", "failure"));
    dom.undefine().unwrap();
}

#[tokio::test]
async fn one_operation_at_a_time_per_vm() {
    let (app, actor) = admin_app().await;
    let (id, name) = create_vm(&app, OptimizedFor::Server, false).await;
    let guard = app.state.service.ops.begin(id, &name).await.unwrap();
    let err = refused_run(&app, &actor, id).await;
    assert!(matches!(err, AppError::Busy { .. }), "{err:?}");
    assert!(err.to_string().contains("in progress"));
    guard.release().await;
    app.state.service.vm_action(&actor, id, VmAction::Run).await.unwrap();
    app.state.service.remove_vm(&actor, id, true, true).await.unwrap();
}

#[tokio::test]
async fn high_availability_restarts_a_vm_destroyed_outside_vireo_but_not_one_vireo_stopped() {
    let (app, actor) = admin_app().await;
    let (ha, _) = create_vm(&app, OptimizedFor::HighPerformance, true).await;
    let (plain, _) = create_vm(&app, OptimizedFor::Server, false).await;
    let svc = &app.state.service;
    svc.vm_action(&actor, ha, VmAction::Run).await.unwrap();
    svc.vm_action(&actor, plain, VmAction::Run).await.unwrap();

    // Both killed behind Vireo's back.
    let conn = Connect::open(Some("test:///default")).unwrap();
    for id in [ha, plain] {
        conn.lookup_domain_by_uuid_string(&id.to_string())
            .unwrap()
            .destroy()
            .unwrap();
    }
    svc.reconcile_all().await;
    assert_eq!(status(&app, ha).await, "up", "HA brought it back");
    assert_eq!(libvirt_state(ha), Some(true));
    assert_eq!(status(&app, plain).await, "down");
    let events = event_messages(&app.pool).await;
    assert!(
        events.iter().any(|e| e.0 == "vm.ha_restart" && e.1 == "success"),
        "{events:?}"
    );
    assert!(events
        .iter()
        .any(|e| e.0 == "vm.status" && e.2.contains("went down outside Vireo")));

    // Shut down through Vireo: not restarted.
    svc.vm_action(&actor, ha, VmAction::Shutdown).await.unwrap();
    svc.reconcile_all().await;
    assert_eq!(status(&app, ha).await, "down");
    for id in [ha, plain] {
        svc.remove_vm(&actor, id, true, true).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn libvirt_lifecycle_events_name_the_host_at_once() {
    let app = app().await;
    let mut events = app
        .state
        .hypervisor
        .take_lifecycle_events()
        .expect("libvirt's event loop runs");
    assert!(app.state.hypervisor.take_lifecycle_events().is_none(), "one consumer");
    let actor = app.admin_user().await;
    let (id, _) = create_vm(&app, OptimizedFor::Server, false).await;
    let svc = &app.state.service;
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    // Stopped behind Vireo's back: the event, not a reconcile tick, tells Vireo which host and
    // which domain to look at.
    while events.try_recv().is_ok() {}
    let conn = Connect::open(Some("test:///default")).unwrap();
    conn.lookup_domain_by_uuid_string(&id.to_string())
        .unwrap()
        .destroy()
        .unwrap();
    // Other tests' domains share the test driver: wait for this one's event.
    let event = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        loop {
            let event = events.recv().await.expect("the channel is open");
            if event.domain == id {
                return event;
            }
        }
    })
    .await
    .expect("an event within 2 seconds");
    assert_eq!(event.uri, "test:///default");
    let burst = std::collections::BTreeMap::from([(event.uri, std::collections::BTreeSet::from([event.domain]))]);
    svc.reconcile_events(&burst).await;
    assert_eq!(status(&app, id).await, "down");
    svc.remove_vm(&actor, id, true, true).await.unwrap();
}

#[tokio::test]
async fn a_reconcile_that_finds_nothing_changed_writes_nothing() {
    let (app, actor) = admin_app().await;
    let (id, _) = create_vm(&app, OptimizedFor::Server, false).await;
    let svc = &app.state.service;
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    svc.reconcile_all().await;
    // An idle pass must write nothing: a write is what wakes the open pages (and the triggers
    // announce only rows that really changed, so this also checks the reconcile writes no row).
    let mut listener = sqlx::postgres::PgListener::connect_with(&app.pool).await.unwrap();
    listener.listen("vireo_changes").await.unwrap();
    svc.reconcile_all().await;
    svc.reconcile_all().await;
    sqlx::query("SELECT pg_notify('vireo_changes', 'marker')")
        .execute(&app.pool)
        .await
        .unwrap();
    let mut before_marker = Vec::new();
    loop {
        let n = listener.recv().await.unwrap();
        if n.payload() == "marker" {
            break;
        }
        before_marker.push(n.payload().to_string());
    }
    assert!(before_marker.is_empty(), "{before_marker:?}");
    assert_eq!(status(&app, id).await, "up");

    // A change is still written (and announced).
    let conn = Connect::open(Some("test:///default")).unwrap();
    conn.lookup_domain_by_uuid_string(&id.to_string())
        .unwrap()
        .destroy()
        .unwrap();
    svc.reconcile_all().await;
    assert_eq!(status(&app, id).await, "down");
    assert_eq!(listener.recv().await.unwrap().payload(), format!("vms:{id}"));
    svc.remove_vm(&actor, id, true, true).await.unwrap();
}

#[tokio::test]
async fn a_host_that_goes_away_leaves_its_vms_unknown_until_it_returns() {
    let (app, actor) = admin_app().await;
    let (id, _) = create_vm(&app, OptimizedFor::Server, false).await;
    app.state.service.vm_action(&actor, id, VmAction::Run).await.unwrap();
    let host = app.first_host().await;
    app.update_row(
        "UPDATE hosts SET uri = 'qemu+unix:///system?socket=/nonexistent/sock' WHERE id = $1",
        host.id,
    )
    .await;
    app.state.service.reconcile_all().await;
    assert_eq!(status(&app, id).await, "unknown", "not down: it may well be running");
    app.update_row("UPDATE hosts SET uri = 'test:///default' WHERE id = $1", host.id)
        .await;
    app.state.service.reconcile_all().await;
    assert_eq!(status(&app, id).await, "up");
    app.state.service.remove_vm(&actor, id, true, true).await.unwrap();
}

#[tokio::test]
async fn start_up_reconciles_the_database_with_libvirt() {
    let app = app().await;
    let (id, _) = create_vm(&app, OptimizedFor::Server, false).await;
    let host = app.first_host().await;
    // The database says up, but libvirt has never heard of it (e.g. the host rebooted).
    sqlx::query("UPDATE vms SET status = 'up', host_id = $2 WHERE id = $1")
        .bind(id)
        .bind(host.id)
        .execute(&app.pool)
        .await
        .unwrap();
    // The old process is gone, and its leadership with it: the restarted one leads and reconciles.
    app.state.service.leadership.resign().await;
    let _restarted = vireo_server::assemble(
        &crate::support::config(),
        app.pool.clone(),
        std::sync::Arc::new(vireo_server::hypervisor::SharedLibvirtPool::new()),
    )
    .await
    .unwrap();
    assert_eq!(status(&app, id).await, "down");
    tokio::time::sleep(Duration::from_millis(1)).await;
}
