//! No lost writes: a Save racing a Run (or Power off) is either refused (stale version, nothing
//! acknowledged) or kept — in the VM's configuration, or as its next-run configuration when the VM
//! already runs without it. Status writes never take a saved configuration back.

use crate::support::{admin_app, saved_id, unique, TestApp};
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, LifecycleBackend};
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::vm_config::{OptimizedFor, VmConfig};
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, SaveOutcome, VmAction};
use vireo_server::repository::ConfigRecord;

/// A small Server VM, down, on the default cluster (whose host is libvirt's test driver).
async fn create_vm(app: &TestApp, actor: &CurrentUser) -> Uuid {
    let mut d = app.sized_draft(ConfigKind::Vm, unique("race"), 1).await;
    d.config.optimized_for = OptimizedFor::Server;
    saved_id(app.state.service.save(actor, d, true).await.expect("create the VM"))
}

async fn record(app: &TestApp, id: Uuid) -> ConfigRecord {
    app.state
        .repo
        .config_record(ConfigKind::Vm, id)
        .await
        .expect("record query")
        .expect("the VM exists")
}

/// Iteration `i`'s delays for the save and for the lifecycle call. The save is slower to reach
/// its write than Run is to read (it checks the rules first), so giving Run a head start of 0 to
/// 11.4 ms (0.6 ms steps, twice over) sweeps the save's commit across Run's whole span: before
/// its read, between its read and its write (the lost-write window), and after its write.
fn offsets(i: u32) -> (Duration, Duration) {
    (Duration::ZERO, Duration::from_micros(u64::from(i % 20) * 600))
}

/// Runs `save` and `action` together, each after its delay from [`offsets`]. Both are lazy futures
/// (nothing happens before they are polled), so each starts only once its delay is over.
async fn race<S: Future, A: Future>(
    (save_delay, action_delay): (Duration, Duration),
    save: S,
    action: A,
) -> (S::Output, A::Output) {
    let save = async {
        tokio::time::sleep(save_delay).await;
        save.await
    };
    let action = async {
        tokio::time::sleep(action_delay).await;
        action.await
    };
    tokio::join!(save, action)
}

/// What the VM gets at its next start: the pending configuration, else the current one.
fn effective(rec: &ConfigRecord) -> &VmConfig {
    rec.next_run.as_ref().unwrap_or(&rec.config)
}

/// The exact interleaving of the lost write, driven step by step on the repository: Run reads the
/// record, a Save lands, then Run records the start with what it read.
#[tokio::test]
async fn a_save_between_a_starts_read_and_its_write_is_kept_as_next_run() {
    let (app, actor) = admin_app().await;
    let svc = &app.state.service;
    let repo = &app.state.repo;
    let id = create_vm(&app, &actor).await;
    let host = repo.list_hosts().await.expect("hosts").remove(0);

    // 1. Run reads the VM (version v, 2048 MiB, not highly available)...
    let read = record(&app, id).await;
    // 2. ...a Save lands (the VM is still down in the database, so it writes `config`)...
    let mut edit = svc.load_draft(ConfigKind::Vm, id).await.expect("draft").draft;
    edit.config.memory_mib = 4096;
    edit.config.high_availability = true;
    edit.description = "saved while starting".into();
    assert!(matches!(
        svc.save(&actor, edit, true).await.expect("the save is acknowledged"),
        SaveOutcome::Saved { .. }
    ));
    // 3. ...and the started domain (built from what Run read) is recorded.
    let recorded = repo
        .mark_vm_started(id, host.id, &read.config, read.version)
        .await
        .expect("start recorded");
    assert!(recorded.saved_meanwhile);
    assert_eq!(recorded.pending, vec!["Memory Size".to_string()]);

    let rec = record(&app, id).await;
    assert_eq!(rec.status, "up");
    assert_eq!(rec.config.memory_mib, 2048, "`config` is what the VM runs with");
    assert!(rec.config.high_availability, "a hot field applies at once");
    assert_eq!(
        rec.next_run.as_ref().map(|n| n.memory_mib),
        Some(4096),
        "the saved memory waits for the next start instead of being dropped"
    );
    assert_eq!(rec.description, "saved while starting");
    assert!(rec.version > read.version + 1, "the start bumped the version too");

    // An edit dialog opened before the start is now stale: refused, not silently merged.
    let mut stale = svc.load_draft(ConfigKind::Vm, id).await.expect("draft").draft;
    stale.version = Some(read.version + 1);
    stale.config.memory_mib = 1024;
    assert!(matches!(
        svc.save(&actor, stale, true).await,
        Err(AppError::Conflict { .. })
    ));

    // The pending change is what the next start gets (the test driver runs the domain), and a
    // start with nothing saved in between records plainly.
    repo.set_vm_status(id, vireo_app::models::VmStatus::Down)
        .await
        .expect("status");
    let read = record(&app, id).await;
    let next = read.next_run.clone().expect("still pending");
    let recorded = repo
        .mark_vm_started(id, host.id, &next, read.version)
        .await
        .expect("start recorded");
    assert!(!recorded.saved_meanwhile && recorded.pending.is_empty());
    let rec = record(&app, id).await;
    assert_eq!(rec.config.memory_mib, 4096);
    assert!(rec.next_run.is_none());
}

/// Saves racing Run / Power off through the service, as the report's reproduction did: every
/// acknowledged save's values are what the VM gets next (config or next-run) afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn saves_racing_run_and_power_off_are_never_lost() {
    const ITERATIONS: u32 = 40;
    let (app, actor) = admin_app().await;
    let svc = app.state.service.clone();
    let id = create_vm(&app, &actor).await;

    let mut acknowledged = 0;
    let mut kept_as_next_run = 0;
    for i in 0..ITERATIONS {
        let before = record(&app, id).await;
        let memory = 1024 * (2 + u64::from(i % 3)); // differs from the previous iteration's value
        let ha = i % 2 == 0;
        let mut edit = svc.load_draft(ConfigKind::Vm, id).await.expect("draft").draft;
        edit.config.memory_mib = memory;
        edit.config.high_availability = ha;
        edit.description = format!("save {i}");
        // Sweep the save's start across the Run's span (its read, libvirt, its write): from
        // well before it to well after, in steps of 1 ms.
        let delays = offsets(i);
        let run = svc.vm_action(&actor, id, VmAction::Run);
        let (saved, ran) = race(delays, svc.save(&actor, edit, true), run).await;
        ran.expect("the VM starts");

        let after = record(&app, id).await;
        match saved {
            Ok(SaveOutcome::Saved { .. }) => {
                acknowledged += 1;
                assert_eq!(
                    (effective(&after).memory_mib, effective(&after).high_availability),
                    (memory, ha),
                    "iteration {i}: the acknowledged save was lost: {after:?}"
                );
                assert_eq!(after.description, format!("save {i}"));
                assert!(after.config.high_availability == ha, "iteration {i}: HA is hot");
                if after.next_run.is_some() {
                    kept_as_next_run += 1;
                    assert_eq!(
                        after.config.memory_mib,
                        effective(&before).memory_mib,
                        "iteration {i}: `config` is what the VM was started with"
                    );
                }
            }
            // Refused as stale (the start bumped the version first): nothing was acknowledged,
            // and the VM keeps what it had.
            Err(AppError::Conflict { .. }) => {
                assert_eq!(effective(&after).memory_mib, effective(&before).memory_mib);
            }
            other => panic!("iteration {i}: unexpected save result {other:?}"),
        }

        // Power off races a second save; a status write must not undo it either.
        let memory = memory + 512;
        let mut edit = svc.load_draft(ConfigKind::Vm, id).await.expect("draft").draft;
        edit.config.memory_mib = memory;
        let stop = svc.vm_action(&actor, id, VmAction::PowerOff);
        let (saved, stopped) = race(delays, svc.save(&actor, edit, true), stop).await;
        stopped.expect("the VM powers off");
        let after = record(&app, id).await;
        assert_eq!(after.status, "down");
        if let Ok(SaveOutcome::Saved { .. }) = saved {
            acknowledged += 1;
            assert_eq!(
                effective(&after).memory_mib,
                memory,
                "iteration {i}: the save racing Power off was lost: {after:?}"
            );
        }
    }
    eprintln!(
        "{acknowledged} acknowledged saves in {} races; {kept_as_next_run} landed mid-start and were kept as next-run",
        ITERATIONS * 2
    );
    assert!(
        acknowledged >= ITERATIONS,
        "most saves are acknowledged ({acknowledged})"
    );
    svc.remove_vm(&actor, id, true, true).await.expect("remove");
}
