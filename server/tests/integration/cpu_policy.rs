//! Issue 19's start-time CPU pinning: an HP pool whose VMs each get their own host CPUs at start
//! (on libvirt's test driver, which keeps the Domain XML it was given), released at stop.

use crate::support::{admin_app, saved_id, unique, TestApp};
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, HostBackend, LifecycleBackend};
use vireo_app::domain::cpu_set::CpuSet;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::vm_config::{CpuPinningPolicy, OptimizedFor};
use vireo_app::models::VmAction;
use virt::connect::Connect;

/// The `vcpupin` sets (by vCPU) of the domain libvirt holds for `id`.
fn vcpupins(id: Uuid) -> Vec<(u32, CpuSet)> {
    let conn = Connect::open(Some("test:///default")).expect("the test driver");
    let dom = conn
        .lookup_domain_by_uuid_string(&id.to_string())
        .expect("the domain is defined");
    let xml = dom.xml_desc(0).expect("its XML");
    pins_in(&xml)
}

fn pins_in(xml: &str) -> Vec<(u32, CpuSet)> {
    let doc = vireo_server::ovirt::xml::parse(xml).expect("well-formed XML");
    let Some(cputune) = doc.child("cputune") else {
        return Vec::new();
    };
    cputune
        .children
        .iter()
        .filter(|c| c.name == "vcpupin")
        .map(|c| {
            (
                c.attr("vcpu").and_then(|v| v.parse().ok()).expect("a vCPU number"),
                c.attr("cpuset").and_then(|v| CpuSet::parse(v).ok()).expect("a CPU set"),
            )
        })
        .collect()
}

async fn runtime_pins(app: &TestApp, id: Uuid) -> Option<serde_json::Value> {
    sqlx::query_scalar("SELECT runtime_pins FROM vms WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("the VM's row")
}

#[tokio::test]
async fn an_hp_pool_of_four_dedicated_vms_runs_side_by_side_on_disjoint_cpus() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let d = app.sized_draft(ConfigKind::Template, unique("ded-tpl"), 2).await;
    let mut template = app.with_profile(d, OptimizedFor::HighPerformance).await;
    template.config.cpu_pinning_policy = CpuPinningPolicy::Dedicated;
    template.config.placement_hosts.clear();
    template.config.cpu_pinning.clear();
    template.config.emulator_pin = None;
    template.config.io_thread_pins.clear();
    let tid = saved_id(svc.save(&actor, template, true).await.unwrap());
    let mut pool = svc.new_draft(ConfigKind::Pool, Some(tid)).await.unwrap();
    assert_eq!(
        pool.config.cpu_pinning_policy,
        CpuPinningPolicy::Dedicated,
        "from the template"
    );
    let name = unique("ded");
    pool.name = name.clone();
    pool.pool_size = 4;
    let pid = saved_id(svc.save(&actor, pool, true).await.unwrap());
    let vms: Vec<Uuid> = app
        .state
        .repo
        .pool_vm_records(pid)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(vms.len(), 4);

    let mut seen = CpuSet::new();
    for id in &vms {
        svc.vm_action(&actor, *id, VmAction::Run).await.unwrap();
        let pins = vcpupins(*id);
        assert_eq!(pins.len(), 2, "one vcpupin per vCPU: {pins:?}");
        let mut mine = CpuSet::new();
        for (_, set) in &pins {
            mine.extend(set);
        }
        assert!(
            !mine.intersects(&seen),
            "{mine} shares a CPU with another pool VM ({seen})"
        );
        assert!(!mine.contains(0), "CPU 0 is the host's");
        seen.extend(&mine);
        // The pins are stored with the running VM; its saved configuration stays unpinned.
        let stored = runtime_pins(&app, *id).await.expect("runtime pins while it runs");
        assert_eq!(stored["pins"]["policy"], "dedicated");
        let rec = app
            .state
            .repo
            .config_record(ConfigKind::Vm, *id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            rec.config.cpu_pinning.is_empty(),
            "the saved configuration keeps no pins"
        );
        // The VM's details (General sub-tab, CPU map) show the pins it runs with.
        let details = svc.vm_details(*id).await.unwrap();
        let shown: Vec<(u32, CpuSet)> = details
            .config
            .cpu_pinning
            .iter()
            .map(|p| (p.vcpu, p.cpuset.clone()))
            .collect();
        assert_eq!(shown, pins, "the details carry the start's pins");
        // The Domain XML tab shows what it runs with.
        let tab = svc.domain_xml(*id).await.unwrap();
        assert_eq!(pins_in(&tab), pins, "the tab shows the start's pins");
    }
    assert_eq!(seen.len(), 8, "four VMs × two vCPUs, no CPU twice");

    // The host's CPU map draws each running pool VM on the CPUs its start got.
    let host = app
        .state
        .repo
        .config_record(ConfigKind::Vm, vms[0])
        .await
        .unwrap()
        .unwrap()
        .host_id
        .expect("running on a host");
    let map = svc.host_cpu_map(host).await.unwrap();
    for id in &vms {
        let drawn = map
            .vms
            .iter()
            .find(|v| v.id == *id)
            .expect("each pool VM is on the map");
        let drawn: Vec<(u32, CpuSet)> = drawn.vcpus.iter().map(|p| (p.vcpu, p.cpuset.clone())).collect();
        assert_eq!(drawn, vcpupins(*id), "the map shows the start's pins");
    }

    // Stopping releases the CPUs; the next start can take them again.
    let first = vms[0];
    let before = vcpupins(first);
    svc.vm_action(&actor, first, VmAction::PowerOff).await.unwrap();
    assert_eq!(runtime_pins(&app, first).await, None, "released at stop");
    svc.vm_action(&actor, first, VmAction::Run).await.unwrap();
    assert_eq!(vcpupins(first), before, "the freed CPUs are the first free again");
    for id in &vms {
        svc.vm_action(&actor, *id, VmAction::PowerOff).await.unwrap();
    }
}

#[tokio::test]
async fn a_start_that_cannot_get_its_cpus_names_what_holds_them() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let host = app.first_host().await;
    let free = host.topology.total_cpus() as u32 - 2;
    // A VM as large as every free CPU, then one more: the second is refused, naming the first.
    let mut ids = Vec::new();
    for (cores, label) in [(free, "big"), (1, "small")] {
        let mut d = app.sized_draft(ConfigKind::Vm, unique(label), cores).await;
        d.config.cpu_pinning_policy = CpuPinningPolicy::Dedicated;
        d.config.memory_mib = 1024;
        ids.push((saved_id(svc.save(&actor, d.clone(), true).await.unwrap()), d.name));
    }
    svc.vm_action(&actor, ids[0].0, VmAction::Run).await.unwrap();
    let err = svc.vm_action(&actor, ids[1].0, VmAction::Run).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&format!("{} holds", ids[0].1)), "{text}");
    assert!(text.contains("are the host's"), "{text}");
    let rt = app.state.repo.vm_runtime(ids[1].0).await.unwrap().unwrap();
    assert_eq!(rt.status.to_string(), "down", "the refused VM stays down");
    assert_eq!(runtime_pins(&app, ids[1].0).await, None);
    svc.vm_action(&actor, ids[0].0, VmAction::PowerOff).await.unwrap();
    svc.vm_action(&actor, ids[1].0, VmAction::Run).await.unwrap();
    svc.vm_action(&actor, ids[1].0, VmAction::PowerOff).await.unwrap();
}

#[tokio::test]
async fn concurrent_starts_on_one_host_never_take_the_same_cpus() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let mut d = app.sized_draft(ConfigKind::Vm, unique("race"), 3).await;
        d.config.cpu_pinning_policy = CpuPinningPolicy::IsolateThreads;
        d.config.memory_mib = 1024;
        ids.push(saved_id(svc.save(&actor, d, true).await.unwrap()));
    }
    let run = |id: Uuid| svc.vm_action(&actor, id, VmAction::Run);
    let (a, b, c, d) = tokio::join!(run(ids[0]), run(ids[1]), run(ids[2]), run(ids[3]));
    for r in [a, b, c, d] {
        r.unwrap();
    }
    let mut seen = CpuSet::new();
    for id in &ids {
        let stored = runtime_pins(&app, *id).await.expect("runtime pins");
        let held: CpuSet = serde_json::from_value(stored["pins"]["held"].clone()).expect("a CPU set");
        assert_eq!(held.len(), 6, "3 cores, both threads held");
        assert!(!held.intersects(&seen), "{held} overlaps {seen}");
        seen.extend(&held);
    }
    for id in &ids {
        svc.vm_action(&actor, *id, VmAction::PowerOff).await.unwrap();
    }
}

#[tokio::test]
async fn a_start_left_half_done_is_released_when_the_reconcile_finds_no_domain() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let mut d = app.sized_draft(ConfigKind::Vm, unique("orphan"), 2).await;
    d.config.cpu_pinning_policy = CpuPinningPolicy::Dedicated;
    let id = saved_id(svc.save(&actor, d, true).await.unwrap());
    // What a server that died between the reservation and libvirt's start leaves behind.
    let host = app.first_host().await;
    let stale = serde_json::json!({
        "host_id": host.id,
        "pins": {
            "policy": "dedicated",
            "cpu": {"sockets": 1, "cores": 2, "threads": 1},
            "vcpu_pins": [{"vcpu": 0, "cpuset": "1"}, {"vcpu": 1, "cpuset": "2"}],
            "emulator_pin": "0,16",
            "io_thread_pins": [],
            "numa_nodes": [],
            "held": "1-2"
        }
    });
    sqlx::query("UPDATE vms SET runtime_pins = $2, status = 'powering_up', host_id = $3 WHERE id = $1")
        .bind(id)
        .bind(&stale)
        .bind(host.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let rec = app.state.repo.config_record(ConfigKind::Vm, id).await.unwrap().unwrap();
    assert_eq!(
        rec.runtime_pins
            .expect("the stored pins read back")
            .pins
            .held
            .to_string(),
        "1-2"
    );
    svc.reconcile_all().await;
    assert_eq!(runtime_pins(&app, id).await, None, "no domain: down, holding nothing");
    let rt = app.state.repo.vm_runtime(id).await.unwrap().unwrap();
    assert_eq!(rt.status.to_string(), "down");
}

#[tokio::test]
async fn a_running_dedicated_vm_with_a_pending_edit_shows_the_pins_its_next_start_gets() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let d = app.sized_draft(ConfigKind::Vm, unique("ded-next"), 2).await;
    let mut vm = app.with_profile(d, OptimizedFor::HighPerformance).await;
    vm.config.cpu_pinning_policy = CpuPinningPolicy::Dedicated;
    vm.config.placement_hosts.clear();
    vm.config.cpu_pinning.clear();
    vm.config.emulator_pin = None;
    vm.config.io_thread_pins.clear();
    let id = saved_id(svc.save(&actor, vm, true).await.unwrap());
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    let running = vcpupins(id);
    assert_eq!(running.len(), 2);

    // An edit that waits for the next run: the tab shows the pending configuration, and with it the
    // pins a start would get now (its own CPUs free again, as it will have stopped) — not none.
    let mut edit = svc.load_draft(ConfigKind::Vm, id).await.unwrap().draft;
    edit.config.soundcard_enabled = true;
    svc.save(&actor, edit, true).await.unwrap();
    let tab = svc.domain_xml(id).await.unwrap();
    assert!(
        tab.contains("<sound model=\"ich9\"/>"),
        "the pending configuration: {tab}"
    );
    assert_eq!(
        pins_in(&tab),
        running,
        "the next start's pins, the first free CPUs again"
    );

    svc.vm_action(&actor, id, VmAction::PowerOff).await.unwrap();
    svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
    assert_eq!(vcpupins(id), running, "what the tab said is what the start got");
    svc.vm_action(&actor, id, VmAction::PowerOff).await.unwrap();
}

/// A cluster's rule context reads what its hosts' other VMs claim and hold in one query each for
/// all the hosts (issue 16: two per host made a save or start cost ~160 ms with 200 hosts). The
/// batched reads give each host what the one-host reads give it.
#[tokio::test]
async fn a_clusters_claims_and_holders_are_read_for_all_its_hosts_at_once() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let repo = &app.state.repo;
    let h1 = app.first_host().await;
    let request = vireo_app::models::AddHostRequest {
        name: unique("holders-h2"),
        cluster_id: h1.cluster_id,
        transport: "simulated".into(),
        ..Default::default()
    };
    let h2 = svc.add_host(&actor, request).await.unwrap();
    let mut pinned = Vec::new();
    for host in [h1.id, h2.id] {
        let mut d = app.sized_draft(ConfigKind::Vm, unique("pinned"), 1).await;
        d.config.placement_hosts = vec![host];
        pinned.push(saved_id(svc.save(&actor, d, true).await.unwrap()));
    }
    let mut running = Vec::new();
    for _ in 0..2 {
        let mut d = app.sized_draft(ConfigKind::Vm, unique("holder"), 2).await;
        d.config.cpu_pinning_policy = CpuPinningPolicy::Dedicated;
        d.config.memory_mib = 1024;
        let id = saved_id(svc.save(&actor, d, true).await.unwrap());
        svc.vm_action(&actor, id, VmAction::Run).await.unwrap();
        running.push(id);
    }
    let hosts = [h1.id, h2.id];

    let claims = repo.vms_pinned_to_hosts(&hosts, None).await.unwrap();
    let ids_on = |host: Uuid| claims.get(&host).map(|v| v.iter().map(|r| r.id).collect::<Vec<_>>());
    assert_eq!(ids_on(h1.id), Some(vec![pinned[0]]));
    assert_eq!(ids_on(h2.id), Some(vec![pinned[1]]));
    let without = repo.vms_pinned_to_hosts(&hosts, Some(pinned[0])).await.unwrap();
    assert!(!without.contains_key(&h1.id), "the VM being edited is left out");

    let holding = repo.cpu_holders_on_hosts(&hosts, Uuid::nil()).await.unwrap();
    let mut seen = Vec::new();
    for host in hosts {
        let one: Vec<Uuid> = repo
            .cpu_holders(host, Uuid::nil())
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        let batched: Vec<Uuid> = holding
            .get(&host)
            .map(|v| v.iter().map(|r| r.id).collect())
            .unwrap_or_default();
        assert_eq!(batched, one, "host {host}");
        seen.extend(batched);
    }
    seen.sort();
    running.sort();
    assert_eq!(seen, running, "each running VM holds CPUs on one host");
    let except = repo.cpu_holders_on_hosts(&hosts, running[0]).await.unwrap();
    assert!(except.values().flatten().all(|r| r.id != running[0]));
    for id in running {
        svc.vm_action(&actor, id, VmAction::PowerOff).await.unwrap();
    }
}
