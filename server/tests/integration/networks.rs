//! Networks, vNIC profiles and NICs through the service, on libvirt's test driver (its `default`
//! network; no bridges) and PostgreSQL: where backings are present, refusals that name who uses a
//! network, MACs unique across VMs (200 VMs from one template, pools, a small range running out),
//! starts refused on a host without the backing, guest addresses, roles.

use crate::support::{admin_app, app_with, config, saved_id, unique, TestApp};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, GridBackend, LifecycleBackend, NetworkBackend, UserBackend};
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::network::{MacAddress, MacRange, NetworkBacking, Nic};
use vireo_app::error::AppError;
use vireo_app::models::{
    CurrentUser, GridQuery, NetworkView, NewNetworkRequest, NewUserRequest, NicChangeOutcome, VmAction,
    VnicProfileRequest,
};

fn all(search: &str) -> GridQuery {
    GridQuery {
        search: search.into(),
        sort: "name".into(),
        desc: false,
        page: 1,
        page_size: 100,
        focus: None,
    }
}

async fn network_named(app: &TestApp, name: &str) -> NetworkView {
    app.state
        .service
        .network_grid(&all(""))
        .await
        .expect("grid")
        .rows
        .into_iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("network {name}"))
}

async fn default_profile(app: &TestApp) -> Uuid {
    app.state
        .service
        .default_vnic_profile(None)
        .await
        .expect("default profile")
        .expect("the default cluster has a default profile")
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

/// A new draft of `kind` (from `template`, Blank when `None`), named.
async fn draft(app: &TestApp, kind: ConfigKind, template: Option<Uuid>) -> VmDraft {
    let mut d = app.state.service.new_draft(kind, template).await.expect("draft");
    d.name = unique(kind.as_str());
    d
}

/// A Template from Blank with one NIC on `profile`.
async fn template_with_nic(app: &TestApp, admin: &CurrentUser, profile: Uuid) -> Uuid {
    let mut d = draft(app, ConfigKind::Template, None).await;
    d.config.nics = vec![Nic::new("nic1", Some(profile))];
    saved_id(app.state.service.save(admin, d, true).await.expect("template"))
}

/// The MACs of a VM's NICs (current configuration).
async fn macs_of(app: &TestApp, vm: Uuid) -> Vec<MacAddress> {
    let rec = app
        .state
        .repo
        .config_record(ConfigKind::Vm, vm)
        .await
        .expect("record")
        .expect("VM");
    rec.config
        .nics
        .iter()
        .map(|n| {
            n.mac
                .unwrap_or_else(|| panic!("VM {} NIC {} has no MAC", rec.name, n.name))
        })
        .collect()
}

/// Every message of the field and of its sub-fields (`nics` and `nics[0].mac`, …).
fn field_text(e: &AppError, field: &str) -> String {
    match e {
        AppError::Validation { errors } => errors
            .iter()
            .filter(|f| f.field == field || f.field.starts_with(&format!("{field}[")))
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

#[tokio::test]
async fn the_default_network_is_present_on_the_test_host_and_offered_to_new_vms() {
    let (app, _admin) = admin_app().await;
    let host = app.first_host().await;
    let default = network_named(&app, "default").await;
    assert!(default.is_default);
    assert_eq!(default.backing, NetworkBacking::LibvirtNetwork);
    assert_eq!(default.backing_name, "default");
    assert_eq!(default.present_on, vec![host.name.clone()], "{default:?}");
    assert!(default.missing_on.is_empty(), "{default:?}");
    assert_eq!(default.profile_count, 1);
    let profile = default_profile(&app).await;
    let options = app.state.service.dialog_options().await.expect("options");
    let offered = options
        .vnic_profiles
        .iter()
        .find(|p| p.id == profile)
        .expect("the dialog offers the default profile");
    assert_eq!(offered.name, "default");
    assert!(offered.is_default);
    // What the host has, as read at start-up: libvirt's `default` network with its bridge.
    let backings = app.state.repo.host_backings(host.id).await.expect("backings");
    assert!(
        backings
            .iter()
            .any(|b| b.backing == "libvirt_network" && b.name == "default" && b.active && b.bridge == "virbr0"),
        "{backings:?}"
    );
    // The grid's terms.
    let svc = &app.state.service;
    assert_eq!(
        svc.network_grid(&all("backing:libvirt_network"))
            .await
            .expect("grid")
            .total,
        1
    );
    assert_eq!(svc.network_grid(&all("backing:bridge")).await.expect("grid").total, 0);
    assert!(matches!(
        svc.network_grid(&all("backing:ethernet")).await,
        Err(AppError::Validation { .. })
    ));
    assert_eq!(
        svc.vnic_profile_grid(&all("network:default"))
            .await
            .expect("grid")
            .total,
        1
    );
}

#[tokio::test]
async fn a_network_on_a_missing_bridge_lists_its_hosts_as_missing_and_profiles_come_and_go() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let host = app.first_host().await;
    let name = unique("lan");
    let network = svc
        .add_network(
            &admin,
            NewNetworkRequest {
                name: name.clone(),
                description: "a bridge the test host lacks".into(),
                cluster_id: None,
                backing: NetworkBacking::Bridge,
                backing_name: "br-vireo0".into(),
                vlan_id: Some(100),
            },
        )
        .await
        .expect("add network");
    assert_eq!(network.missing_on, vec![host.name.clone()]);
    assert!(network.present_on.is_empty());
    assert!(!network.is_default, "the cluster keeps `default` as its default");
    assert_eq!(network.vlan_id, Some(100));
    assert_eq!(network.profile_count, 1, "made with its default profile");
    assert_eq!(svc.network_grid(&all("vlan:100")).await.expect("grid").total, 1);
    assert_eq!(svc.network_grid(&all("backing:bridge")).await.expect("grid").total, 1);

    // Refused requests: bad names, a bridge name Linux would not take, a VLAN out of range, a
    // second network of the same name.
    let bad = |name: &str, backing_name: &str, vlan: Option<u32>| NewNetworkRequest {
        name: name.into(),
        description: String::new(),
        cluster_id: None,
        backing: NetworkBacking::Bridge,
        backing_name: backing_name.into(),
        vlan_id: vlan,
    };
    for (request, field) in [
        (bad("a b", "br0", None), "name"),
        (bad("ok", "a-bridge-name-too-long", None), "backing_name"),
        (bad("ok", "br/0", None), "backing_name"),
        (bad("ok", "br0", Some(4095)), "vlan_id"),
        (bad(&name, "br1", None), "name"),
    ] {
        let e = svc.add_network(&admin, request).await.expect_err("refused");
        assert!(!field_text(&e, field).is_empty(), "{field}: {e:?}");
    }

    // Profiles: a second one with a filter; a filter libvirt does not ship is refused.
    let request = |name: &str, filter: Option<&str>| VnicProfileRequest {
        name: name.into(),
        description: String::new(),
        network_id: network.id,
        network_filter: filter.map(str::to_string),
        multiqueue: true,
    };
    let e = svc
        .add_vnic_profile(&admin, request("evil", Some("../../etc/passwd")))
        .await
        .expect_err("refused");
    assert!(!field_text(&e, "network_filter").is_empty(), "{e:?}");
    let profile = svc
        .add_vnic_profile(&admin, request("filtered", Some("clean-traffic")))
        .await
        .expect("profile");
    assert_eq!(profile.network_filter.as_deref(), Some("clean-traffic"));
    assert_eq!(network_named(&app, &name).await.profile_count, 2);
    let changed = svc
        .update_vnic_profile(&admin, profile.id, profile.version, request("filtered2", None))
        .await
        .expect("update");
    assert_eq!(changed.name, "filtered2");
    assert_eq!(changed.network_filter, None);
    let stale = svc
        .update_vnic_profile(&admin, profile.id, profile.version, request("filtered3", None))
        .await;
    assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");
    svc.remove_vnic_profile(&admin, profile.id)
        .await
        .expect("remove profile");
    assert_eq!(network_named(&app, &name).await.profile_count, 1);
    svc.remove_network(&admin, network.id).await.expect("remove network");
    assert!(matches!(svc.network(network.id).await, Err(AppError::NotFound { .. })));
}

#[tokio::test]
async fn a_network_a_nic_uses_is_not_removed_and_the_refusal_names_the_vm() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let network = svc
        .add_network(
            &admin,
            NewNetworkRequest {
                name: unique("used"),
                description: String::new(),
                cluster_id: None,
                backing: NetworkBacking::LibvirtNetwork,
                backing_name: "default".into(),
                vlan_id: None,
            },
        )
        .await
        .expect("network");
    let profile = svc
        .list_vnic_profiles()
        .await
        .expect("profiles")
        .into_iter()
        .find(|p| p.network_id == network.id)
        .expect("its default profile");
    let mut d = draft(&app, ConfigKind::Vm, None).await;
    let vm_name = d.name.clone();
    d.config.nics = vec![Nic::new("nic1", Some(profile.id))];
    let vm = saved_id(svc.save(&admin, d, true).await.expect("VM"));
    assert_eq!(network_named(&app, &network.name).await.nic_count, 1);
    let before = app.fingerprint().await;
    for refused in [
        svc.remove_network(&admin, network.id).await,
        svc.remove_vnic_profile(&admin, profile.id).await,
    ] {
        match refused {
            Err(AppError::Conflict { message }) => assert!(message.contains(&format!("VM {vm_name}")), "{message}"),
            other => panic!("expected a conflict naming the VM, got {other:?}"),
        }
    }
    assert_eq!(app.fingerprint().await, before, "nothing was removed");
    // The database's own refusal stands behind the check: the same words.
    let e = app
        .state
        .repo
        .delete_network(&vireo_app::authz::Actor::vireo(), network.id, "still used")
        .await
        .expect_err("the database refuses");
    assert_eq!(e.to_string(), "still used");
    // Once the NIC is gone, the network goes.
    let nic = macs_of(&app, vm).await;
    assert_eq!(nic.len(), 1);
    let rec = svc.vm_nics(ConfigKind::Vm, vm).await.expect("nics");
    assert_eq!(rec[0].network_name.as_deref(), Some(network.name.as_str()));
    svc.remove_nic(&admin, ConfigKind::Vm, vm, rec[0].nic.id)
        .await
        .expect("remove NIC");
    svc.remove_network(&admin, network.id).await.expect("now it goes");
}

#[tokio::test]
async fn two_hundred_vms_made_from_one_template_have_two_hundred_distinct_macs() {
    let (app, admin) = admin_app().await;
    let profile = default_profile(&app).await;
    let template = template_with_nic(&app, &admin, profile).await;
    let service = app.state.service.clone();
    let gate = Arc::new(tokio::sync::Semaphore::new(8));
    let mut saves = tokio::task::JoinSet::new();
    for i in 0..200 {
        let (service, gate, admin) = (service.clone(), gate.clone(), admin.clone());
        saves.spawn(async move {
            let _slot = gate.acquire().await.expect("gate");
            let mut d = service.new_draft(ConfigKind::Vm, Some(template)).await.expect("draft");
            d.name = format!("mac-{i:03}");
            assert_eq!(d.config.nics.len(), 1, "the template's NIC");
            assert_eq!(d.config.nics[0].mac, None, "templates carry no MAC");
            saved_id(service.save(&admin, d, true).await.expect("save"))
        });
    }
    let mut vms = Vec::new();
    while let Some(id) = saves.join_next().await {
        vms.push(id.expect("task"));
    }
    assert_eq!(vms.len(), 200);
    let range = MacRange::default();
    let mut seen = HashSet::new();
    for vm in &vms {
        let macs = macs_of(&app, *vm).await;
        assert_eq!(macs.len(), 1);
        assert!(range.contains(macs[0]), "{} is outside {range}", macs[0]);
        assert!(seen.insert(macs[0]), "{} handed out twice", macs[0]);
    }
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM vm_nic_macs")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(held, 200);
    // The template still has none.
    let t = app
        .state
        .repo
        .config_record(ConfigKind::Template, template)
        .await
        .expect("template")
        .expect("template");
    assert_eq!(t.config.nics[0].mac, None);
}

#[tokio::test]
async fn a_pool_gives_each_vm_its_own_mac_and_an_edit_keeps_them() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let profile = default_profile(&app).await;
    let template = template_with_nic(&app, &admin, profile).await;
    let mut d = draft(&app, ConfigKind::Pool, Some(template)).await;
    d.pool_size = 5;
    let pool = saved_id(svc.save(&admin, d, true).await.expect("pool"));
    let stored = app
        .state
        .repo
        .config_record(ConfigKind::Pool, pool)
        .await
        .expect("pool")
        .expect("pool");
    assert_eq!(stored.config.nics[0].mac, None, "a pool carries no MAC");
    let vms = app.state.repo.pool_vm_records(pool).await.expect("pool VMs");
    assert_eq!(vms.len(), 5);
    let mut before = Vec::new();
    for vm in &vms {
        before.push((vm.id, macs_of(&app, vm.id).await));
    }
    let distinct: HashSet<MacAddress> = before.iter().flat_map(|(_, m)| m.iter().copied()).collect();
    assert_eq!(distinct.len(), 5);

    // Grow the pool and change it: the five keep their MACs, the two new VMs get new ones.
    let mut edit = svc.load_draft(ConfigKind::Pool, pool).await.expect("load").draft;
    edit.pool_size = 7;
    edit.description = "grown".into();
    svc.save(&admin, edit, true).await.expect("edit pool");
    for (vm, macs) in &before {
        assert_eq!(&macs_of(&app, *vm).await, macs, "a pool VM keeps its MAC");
    }
    let mut all = HashSet::new();
    for vm in app.state.repo.pool_vm_records(pool).await.expect("pool VMs") {
        for mac in macs_of(&app, vm.id).await {
            assert!(all.insert(mac), "{mac} twice");
        }
    }
    assert_eq!(all.len(), 7);
}

#[tokio::test]
async fn a_mac_another_vm_holds_is_a_field_error_naming_it() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let profile = default_profile(&app).await;
    let mut first = draft(&app, ConfigKind::Vm, None).await;
    first.config.nics = vec![Nic::new("nic1", Some(profile))];
    let first = saved_id(svc.save(&admin, first, true).await.expect("first"));
    let mac = macs_of(&app, first).await[0];

    let mut second = draft(&app, ConfigKind::Vm, None).await;
    let mut nic = Nic::new("nic1", Some(profile));
    nic.mac = Some(mac);
    second.config.nics = vec![nic];
    let e = svc.save(&admin, second.clone(), true).await.expect_err("refused");
    assert!(field_text(&e, "nics").contains(&mac.to_string()), "{e:?}");

    // The database's key is the backstop (two saves racing past the check): the same field.
    let mut tx = app.pool.begin().await.expect("tx");
    let write = vireo_server::repository::ConfigWrite {
        kind: ConfigKind::Vm,
        id: Uuid::new_v4(),
        name: &second.name,
        description: "",
        cluster_id: second.cluster_id,
        template_id: second.template_id,
        instance_type_id: None,
        pool_id: None,
        size: 0,
        prestarted: 0,
        config: &second.config,
        next_run: None,
    };
    let e = vireo_server::repository::Repository::insert_config(&mut tx, &vireo_app::authz::Actor::vireo(), &write)
        .await
        .expect_err("the key refuses");
    assert!(field_text(&e, "nics").contains(&mac.to_string()), "{e:?}");
    drop(tx);

    // A multicast MAC, and one given twice in one VM.
    let mut third = draft(&app, ConfigKind::Vm, None).await;
    let mut a = Nic::new("nic1", Some(profile));
    a.mac = Some(MacAddress::parse("01:00:5e:00:00:01").expect("mac"));
    third.config.nics = vec![a];
    let e = svc.save(&admin, third, true).await.expect_err("multicast");
    assert!(field_text(&e, "nics").contains("multicast"), "{e:?}");
    let mut fourth = draft(&app, ConfigKind::Vm, None).await;
    let own = MacAddress::parse("56:6f:77:00:00:01").expect("mac");
    let (mut a, mut b) = (Nic::new("nic1", Some(profile)), Nic::new("nic2", Some(profile)));
    a.mac = Some(own);
    b.mac = Some(own);
    fourth.config.nics = vec![a, b];
    let e = svc.save(&admin, fourth, true).await.expect_err("twice");
    assert!(field_text(&e, "nics").contains("same MAC address"), "{e:?}");
}

#[tokio::test]
async fn a_small_range_runs_out_clearly_and_a_removed_vm_frees_its_address() {
    let mut c = config();
    c.mac_range = MacRange::parse("56:6f:00:00:00:00-56:6f:00:00:00:03").expect("range");
    let app = app_with(c).await;
    let admin = app.admin_user().await;
    let svc = &app.state.service;
    let profile = default_profile(&app).await;
    let mut vms = Vec::new();
    for _ in 0..4 {
        let mut d = draft(&app, ConfigKind::Vm, None).await;
        d.config.nics = vec![Nic::new("nic1", Some(profile))];
        vms.push(saved_id(svc.save(&admin, d, true).await.expect("fits")));
    }
    let mut fifth = draft(&app, ConfigKind::Vm, None).await;
    fifth.config.nics = vec![Nic::new("nic1", Some(profile))];
    let e = svc.save(&admin, fifth.clone(), true).await.expect_err("full");
    let text = field_text(&e, "nics");
    assert!(
        text.contains("no free address") && text.contains("VIREO_MAC_RANGE"),
        "{text}"
    );
    // Adding a NIC to an existing VM runs out the same way.
    let e = svc
        .add_nic(&admin, ConfigKind::Vm, vms[0], Nic::new("", Some(profile)))
        .await
        .expect_err("full");
    assert!(field_text(&e, "nics").contains("no free address"), "{e:?}");

    let freed = macs_of(&app, vms[1]).await[0];
    svc.remove_vm(&admin, vms[1], false, true).await.expect("remove");
    let fifth = saved_id(svc.save(&admin, fifth, true).await.expect("fits now"));
    assert_eq!(macs_of(&app, fifth).await, vec![freed]);
}

#[tokio::test]
async fn nics_are_added_edited_and_removed_and_templates_keep_no_macs() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let profile = default_profile(&app).await;
    let vm = saved_id(
        svc.save(&admin, draft(&app, ConfigKind::Vm, None).await, true)
            .await
            .expect("VM"),
    );
    let added = svc
        .add_nic(&admin, ConfigKind::Vm, vm, Nic::new("", Some(profile)))
        .await
        .expect("add");
    assert_eq!(added, NicChangeOutcome::Live, "a VM that is down takes it at once");
    let nics = svc.vm_nics(ConfigKind::Vm, vm).await.expect("nics");
    assert_eq!(nics.len(), 1);
    assert_eq!(nics[0].nic.name, "nic1", "named as oVirt names them");
    assert_eq!(nics[0].profile_name.as_deref(), Some("default"));
    let mac = nics[0].nic.mac.expect("a MAC from the range");
    assert!(MacRange::default().contains(mac));
    // An edit that does not name the MAC keeps it.
    let mut edited = nics[0].nic.clone();
    edited.linked = false;
    edited.mac = None;
    edited.model = vireo_app::domain::network::NicModel::E1000e;
    svc.update_nic(&admin, ConfigKind::Vm, vm, edited)
        .await
        .expect("update");
    let nics = svc.vm_nics(ConfigKind::Vm, vm).await.expect("nics");
    assert_eq!(nics[0].nic.mac, Some(mac));
    assert!(!nics[0].nic.linked);
    // A profile from another cluster is refused.
    let spare = spare_cluster(&app, &admin).await;
    let foreign = svc
        .default_vnic_profile(Some(spare))
        .await
        .expect("profile")
        .expect("spare's default");
    let e = svc
        .add_nic(&admin, ConfigKind::Vm, vm, Nic::new("", Some(foreign)))
        .await
        .expect_err("foreign profile");
    assert!(field_text(&e, "nics").contains("not in this cluster"), "{e:?}");
    svc.remove_nic(&admin, ConfigKind::Vm, vm, nics[0].nic.id)
        .await
        .expect("remove");
    assert!(svc.vm_nics(ConfigKind::Vm, vm).await.expect("nics").is_empty());
    // Templates: a MAC given is dropped.
    let template = saved_id(
        svc.save(&admin, draft(&app, ConfigKind::Template, None).await, true)
            .await
            .expect("T"),
    );
    let mut nic = Nic::new("", Some(profile));
    nic.mac = Some(MacAddress::parse("56:6f:55:00:00:01").expect("mac"));
    svc.add_nic(&admin, ConfigKind::Template, template, nic)
        .await
        .expect("add");
    let nics = svc.vm_nics(ConfigKind::Template, template).await.expect("nics");
    assert_eq!(nics[0].nic.mac, None);
}

/// A second cluster made through the service (with its default network and profile).
async fn spare_cluster(app: &TestApp, admin: &CurrentUser) -> Uuid {
    use vireo_app::backend::ClusterBackend;
    app.state
        .service
        .save_cluster(
            admin,
            vireo_app::models::ClusterDraft {
                data_center_id: None,
                id: None,
                version: None,
                name: unique("spare"),
                description: String::new(),
                compat_version: "4.8".into(),
                cpu_arch: "x86_64".into(),
                ksm_enabled: true,
                ballooning_enabled: true,
            },
        )
        .await
        .expect("cluster")
        .id
}

#[tokio::test]
async fn a_vm_on_a_network_its_host_lacks_does_not_start_and_one_on_default_does() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let host = app.first_host().await;
    let bridge = svc
        .add_network(
            &admin,
            NewNetworkRequest {
                name: unique("br"),
                description: String::new(),
                cluster_id: None,
                backing: NetworkBacking::Bridge,
                backing_name: "br-absent".into(),
                vlan_id: None,
            },
        )
        .await
        .expect("network");
    let bridge_profile = svc
        .list_vnic_profiles()
        .await
        .expect("profiles")
        .into_iter()
        .find(|p| p.network_id == bridge.id)
        .expect("profile")
        .id;
    let mut d = draft(&app, ConfigKind::Vm, None).await;
    d.config.nics = vec![Nic::new("nic1", Some(bridge_profile))];
    let vm = saved_id(svc.save(&admin, d, true).await.expect("VM"));
    match svc.vm_action(&admin, vm, VmAction::Run).await {
        Err(AppError::Conflict { message }) => {
            assert!(
                message.contains(&format!(
                    "Network {} (host bridge br-absent) is not on host {}",
                    bridge.name, host.name
                )),
                "{message}"
            )
        }
        other => panic!("expected the start refused, got {other:?}"),
    }

    let mut d = draft(&app, ConfigKind::Vm, None).await;
    d.config.nics = vec![Nic::new("nic1", Some(default_profile(&app).await))];
    let vm = saved_id(svc.save(&admin, d, true).await.expect("VM"));
    let mac = macs_of(&app, vm).await[0];
    let xml = svc.domain_xml(vm).await.expect("domain XML");
    svc.vm_action(&admin, vm, VmAction::Run).await.expect("starts");
    assert!(xml.contains("<interface"), "{xml}");
    // libvirt holds the interface with Vireo's MAC, on the `default` network.
    let conn = virt::connect::Connect::open(Some("test:///default")).expect("test driver");
    let dom = conn
        .lookup_domain_by_uuid_string(&vm.to_string())
        .expect("the running domain");
    let live = dom.xml_desc(0).expect("xml");
    assert!(live.contains(&mac.to_string()), "{live}");
    assert!(
        live.contains("network='default'") || live.contains("network=\"default\""),
        "{live}"
    );
    // A NIC added while it runs waits for the next start: the test driver cannot hotplug.
    let profile = default_profile(&app).await;
    match svc
        .add_nic(&admin, ConfigKind::Vm, vm, Nic::new("", Some(profile)))
        .await
    {
        Ok(NicChangeOutcome::NextRun { reason }) => {
            assert!(reason.contains("cannot change NICs of a running VM"), "{reason}")
        }
        other => panic!("expected next run, got {other:?}"),
    }
    let nics = svc.vm_nics(ConfigKind::Vm, vm).await.expect("nics");
    assert_eq!(nics.len(), 2);
    assert!(!nics[0].pending && nics[1].pending, "{nics:?}");
    let rec = app
        .state
        .repo
        .config_record(ConfigKind::Vm, vm)
        .await
        .expect("VM")
        .expect("VM");
    assert!(rec.running());
    assert_eq!(rec.config.nics[0].mac, Some(mac), "it runs with the MAC it was given");
    svc.vm_action(&admin, vm, VmAction::PowerOff).await.expect("off");
}

#[tokio::test]
async fn a_nic_without_a_mac_gets_one_when_its_vm_starts() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let mut d = draft(&app, ConfigKind::Vm, None).await;
    d.config.nics = vec![Nic::new("nic1", Some(default_profile(&app).await))];
    let vm = saved_id(svc.save(&admin, d, true).await.expect("VM"));
    // A row as an older Vireo (or a hand edit) leaves it: the NIC without its MAC.
    app.update_row(
        "UPDATE vms SET config = jsonb_set(config, '{nics,0,mac}', 'null') WHERE id = $1",
        vm,
    )
    .await;
    svc.vm_action(&admin, vm, VmAction::Run).await.expect("starts");
    let macs = macs_of(&app, vm).await;
    assert!(MacRange::default().contains(macs[0]));
    svc.vm_action(&admin, vm, VmAction::PowerOff).await.expect("off");
}

#[tokio::test]
async fn guest_addresses_show_while_the_vm_runs_and_go_when_it_stops() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let mut d = draft(&app, ConfigKind::Vm, None).await;
    let name = d.name.clone();
    d.config.nics = vec![Nic::new("nic1", Some(default_profile(&app).await))];
    let vm = saved_id(svc.save(&admin, d, true).await.expect("VM"));
    let mac = macs_of(&app, vm).await[0];
    svc.vm_action(&admin, vm, VmAction::Run).await.expect("starts");
    // The periodic read, as the 30-second loop runs it.
    svc.sync_all_networks().await;
    let reported = svc.reported_nics(vm).await.expect("reported");
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(reported[0].mac, mac.to_string());
    let address = reported[0].addresses[0].clone();
    // The test driver answers 192.168.<domain>.<n>/24 per NIC.
    assert!(address.starts_with("192.168.") && address.ends_with("/24"), "{address}");
    let row = svc.vm_grid(&all(&name)).await.expect("grid").rows.remove(0);
    assert_eq!(row.ip_addresses, address.split('/').next().unwrap_or_default());
    let nics = svc.vm_nics(ConfigKind::Vm, vm).await.expect("nics");
    assert_eq!(nics[0].addresses, vec![address.clone()]);
    let details = svc.vm_details(vm).await.expect("details");
    assert_eq!(details.reported_nics, reported);
    // Reading again changes nothing (no row rewritten when nothing changed).
    let before: Vec<(String,)> = sqlx::query_as("SELECT reported_at::text FROM vm_reported_nics WHERE vm_id = $1")
        .bind(vm)
        .fetch_all(&app.pool)
        .await
        .expect("rows");
    app.state
        .repo
        .set_reported_nics(vm, &reported)
        .await
        .expect("same again");
    let after: Vec<(String,)> = sqlx::query_as("SELECT reported_at::text FROM vm_reported_nics WHERE vm_id = $1")
        .bind(vm)
        .fetch_all(&app.pool)
        .await
        .expect("rows");
    assert_eq!(before, after);

    svc.vm_action(&admin, vm, VmAction::PowerOff).await.expect("off");
    assert!(svc.reported_nics(vm).await.expect("reported").is_empty());
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM vm_reported_nics WHERE vm_id = $1")
        .bind(vm)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(left, 0, "cleared at stop");
    let row = svc.vm_grid(&all(&name)).await.expect("grid").rows.remove(0);
    assert_eq!(row.ip_addresses, "");
}

#[tokio::test]
async fn viewers_may_change_nothing_and_operators_only_nics() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let viewer = user(&app, &admin, "viewer").await;
    let operator = user(&app, &admin, "operator").await;
    let profile = default_profile(&app).await;
    let network = network_named(&app, "default").await;
    let vm = saved_id(
        svc.save(&admin, draft(&app, ConfigKind::Vm, None).await, true)
            .await
            .expect("VM"),
    );
    let new_network = || NewNetworkRequest {
        name: unique("n"),
        description: String::new(),
        cluster_id: None,
        backing: NetworkBacking::LibvirtNetwork,
        backing_name: "default".into(),
        vlan_id: None,
    };
    let new_profile = || VnicProfileRequest {
        name: unique("p"),
        description: String::new(),
        network_id: network.id,
        network_filter: None,
        multiqueue: true,
    };
    let before = app.fingerprint().await;
    for who in [&viewer, &operator] {
        let infra = [
            svc.add_network(who, new_network()).await.map(|_| ()),
            svc.remove_network(who, network.id).await,
            svc.add_vnic_profile(who, new_profile()).await.map(|_| ()),
            svc.update_vnic_profile(who, profile, 1, new_profile())
                .await
                .map(|_| ()),
            svc.remove_vnic_profile(who, profile).await,
        ];
        for (i, r) in infra.into_iter().enumerate() {
            assert!(
                matches!(r, Err(AppError::Forbidden)),
                "{} #{i}: {r:?}",
                who.role.as_str()
            );
        }
    }
    let viewer_nics = [
        svc.add_nic(&viewer, ConfigKind::Vm, vm, Nic::new("", Some(profile)))
            .await
            .map(|_| ()),
        svc.update_nic(&viewer, ConfigKind::Vm, vm, Nic::new("nic1", Some(profile)))
            .await
            .map(|_| ()),
        svc.remove_nic(&viewer, ConfigKind::Vm, vm, Uuid::new_v4())
            .await
            .map(|_| ()),
        svc.refresh_networks(&viewer, None).await,
    ];
    for (i, r) in viewer_nics.into_iter().enumerate() {
        assert!(matches!(r, Err(AppError::Forbidden)), "viewer NIC #{i}: {r:?}");
    }
    assert_eq!(app.fingerprint().await, before, "refusals changed nothing");
    // The operator edits NICs.
    svc.add_nic(&operator, ConfigKind::Vm, vm, Nic::new("", Some(profile)))
        .await
        .expect("operator adds a NIC");
    let nic = svc.vm_nics(ConfigKind::Vm, vm).await.expect("nics").remove(0).nic;
    svc.remove_nic(&operator, ConfigKind::Vm, vm, nic.id)
        .await
        .expect("operator removes it");
    svc.refresh_networks(&operator, None).await.expect("operator refreshes");
}

#[tokio::test]
async fn a_high_performance_vm_gets_virtio_nics_with_multiqueue() {
    let (app, admin) = admin_app().await;
    let svc = &app.state.service;
    let d = app
        .with_profile(
            app.sized_draft(ConfigKind::Vm, unique("hp"), 4).await,
            vireo_app::domain::vm_config::OptimizedFor::HighPerformance,
        )
        .await;
    let d = app.fixed(&d).await;
    let vm = saved_id(svc.save(&admin, d, true).await.expect("HP VM"));
    let mut nic = Nic::new("", Some(default_profile(&app).await));
    nic.model = vireo_app::domain::network::NicModel::E1000e;
    svc.add_nic(&admin, ConfigKind::Vm, vm, nic).await.expect("add");
    let rec = app
        .state
        .repo
        .config_record(ConfigKind::Vm, vm)
        .await
        .expect("VM")
        .expect("VM");
    assert_eq!(
        rec.config.nics[0].model,
        vireo_app::domain::network::NicModel::Virtio,
        "R7's fix"
    );
    assert!(rec.config.multi_queues_enabled);
}
