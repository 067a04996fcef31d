//! The dialogs' service against a real database: save, review, conflicts, inheritance, pools,
//! instance types, next-run, host settings, clusters, and the plain-form handlers.

use crate::support::{admin_app, app, body_text, event_messages, form, saved_id, TestApp};
use axum::http::{header, StatusCode};
use uuid::Uuid;
use vireo_app::backend::{ClusterBackend, ConfigBackend, DataCenterBackend, GridBackend, HostBackend};
use vireo_app::domain::draft::{to_pairs, ConfigKind, VmDraft};
use vireo_app::domain::recommendations::{recommendations, HostAction, RecommendationId};
use vireo_app::domain::vm_config::{CpuPinningPolicy, CpuTopology, HugePages, OptimizedFor};
use vireo_app::error::AppError;
use vireo_app::models::{ClusterDraft, CurrentUser, DataCenterDraft, GridQuery, HostView, PoolRow, SaveOutcome, VmRow};

/// One grid page with every row, by name.
fn everything() -> GridQuery {
    GridQuery {
        page_size: 10_000,
        ..GridQuery::new("name")
    }
}

async fn all_vms(app: &TestApp) -> Vec<VmRow> {
    app.state.service.vm_grid(&everything()).await.unwrap().rows
}

async fn all_pools(app: &TestApp) -> Vec<PoolRow> {
    app.state.service.pool_grid(&everything()).await.unwrap().rows
}

/// A new draft of `kind` from Blank with the High Performance profile chosen (as the dialog does),
/// pinned at save time: these tests are about R1–R5's fixes on one host, so the draft leaves the
/// profile's `dedicated` default (start-time pins, tested in cpu_policy.rs) for no policy.
async fn hp_draft(app: &TestApp, kind: ConfigKind, name: &str) -> VmDraft {
    let d = app.sized_draft(kind, name.into(), 2).await;
    let mut d = app.with_profile(d, OptimizedFor::HighPerformance).await;
    assert_eq!(
        d.config.cpu_pinning_policy,
        CpuPinningPolicy::Dedicated,
        "the HP default"
    );
    d.config.cpu_pinning_policy = CpuPinningPolicy::None;
    d
}

/// Asks for `per_cell` (cell, count) huge pages of `size_kib` on `host`.
async fn huge_pages(
    app: &TestApp,
    actor: &CurrentUser,
    host: &HostView,
    size_kib: u64,
    per_cell: Vec<(u32, u64)>,
) -> Result<HostView, AppError> {
    let action = HostAction::AllocateHugePages {
        host_id: host.id,
        host_name: host.name.clone(),
        size_kib,
        per_cell,
    };
    app.state.service.apply_host_action(actor, action).await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn unmet_recommendations_stop_the_save_until_fixed_or_accepted() {
    let (app, actor) = admin_app().await;
    let draft = hp_draft(&app, ConfigKind::Vm, "db1").await;
    assert!(
        draft.config.headless && draft.config.high_availability,
        "the profile was applied"
    );

    let outcome = app.state.service.save(&actor, draft.clone(), false).await.unwrap();
    let SaveOutcome::NeedsReview { recommendations } = outcome else {
        panic!("expected a review")
    };
    assert_eq!(recommendations.len(), 5);
    assert!(recommendations.iter().all(|r| r.fix.is_some()));
    assert_eq!(count(&app, "vms").await, 0, "nothing written");

    let id = saved_id(
        app.state
            .service
            .save(&actor, app.fixed(&draft).await, false)
            .await
            .unwrap(),
    );
    let stored = app.state.service.load_draft(ConfigKind::Vm, id).await.unwrap();
    assert_eq!(stored.draft.config.optimized_for, OptimizedFor::HighPerformance);
    assert_eq!(stored.draft.config.cpu_pinning.len(), 2);
    assert_eq!(
        stored.draft.config.huge_pages,
        Some(HugePages {
            size_kib: 1_048_576,
            count: 2
        })
    );
    assert_eq!(stored.draft.version, Some(1));
    let last = event_messages(&app.pool).await.pop().unwrap();
    assert_eq!((last.0.as_str(), last.1.as_str()), ("vm.create", "success"));

    // "Save anyway" stores a configuration with recommendations unmet.
    let other = hp_draft(&app, ConfigKind::Vm, "db2").await;
    saved_id(app.state.service.save(&actor, other, true).await.unwrap());
    assert_eq!(count(&app, "vms").await, 2);
}

#[tokio::test]
async fn a_second_hp_vm_is_never_pinned_onto_the_first_ones_cpus_or_pages() {
    let (app, actor) = admin_app().await;
    let first = app.fixed(&hp_draft(&app, ConfigKind::Vm, "a").await).await;
    saved_id(app.state.service.save(&actor, first.clone(), false).await.unwrap());
    let second = app.fixed(&hp_draft(&app, ConfigKind::Vm, "b").await).await;
    assert!(!first.config.claimed_cpus().intersects(&second.config.claimed_cpus()));
    saved_id(app.state.service.save(&actor, second, false).await.unwrap());
    let host = app.first_host().await;
    let ctx = app.rule_context(first.cluster_id, "rhel_9x64", None).await;
    let facts = ctx.host(host.id).unwrap();
    assert_eq!(facts.claims.len(), 2);
    // Each took 2 × 1 GiB from its cell: 30 of 32 left.
    assert_eq!(facts.topology.free_pages(1_048_576, &[]), 28);
}

#[tokio::test]
async fn a_stale_edit_is_a_conflict_and_overwrites_nothing() {
    let (app, actor) = admin_app().await;
    let mut d = app.state.service.new_draft(ConfigKind::Vm, None).await.unwrap();
    d.name = "web1".into();
    let id = saved_id(app.state.service.save(&actor, d, false).await.unwrap());
    let mut mine = app.state.service.load_draft(ConfigKind::Vm, id).await.unwrap().draft;
    let mut theirs = mine.clone();
    theirs.description = "theirs".into();
    saved_id(app.state.service.save(&actor, theirs, false).await.unwrap());
    mine.description = "mine".into();
    let err = app.state.service.save(&actor, mine, false).await.unwrap_err();
    let AppError::Conflict { message } = err else {
        panic!("expected a conflict")
    };
    assert!(
        message.contains("VM web1 was changed by someone else") && message.contains("Nothing was saved"),
        "{message}"
    );
    let now = app.state.service.load_draft(ConfigKind::Vm, id).await.unwrap().draft;
    assert_eq!((now.description.as_str(), now.version), ("theirs", Some(2)));
    assert_eq!(event_messages(&app.pool).await.pop().unwrap().1, "failure");
}

#[tokio::test]
async fn a_vm_inherits_optimized_for_and_settings_from_its_template() {
    let (app, actor) = admin_app().await;
    let template = hp_draft(&app, ConfigKind::Template, "hp-tpl").await;
    let tid = saved_id(app.state.service.save(&actor, template.clone(), true).await.unwrap());
    let vm = app.state.service.new_draft(ConfigKind::Vm, Some(tid)).await.unwrap();
    assert_eq!(vm.template_id, Some(tid));
    assert_eq!(
        vm.config, template.config,
        "every setting inherited, Optimized for included"
    );
    let mut vm = vm;
    vm.name = "from-tpl".into();
    let id = saved_id(app.state.service.save(&actor, vm, true).await.unwrap());
    let rows = all_vms(&app).await;
    let row = rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        (row.optimized_for, row.template_name.as_str()),
        (OptimizedFor::HighPerformance, "hp-tpl")
    );
}

#[tokio::test]
async fn a_pool_makes_stateless_vms_with_its_configuration_and_only_grows() {
    let (app, actor) = admin_app().await;
    let template = hp_draft(&app, ConfigKind::Template, "pool-tpl").await;
    let tid = saved_id(app.state.service.save(&actor, template, true).await.unwrap());
    let mut pool = app.state.service.new_draft(ConfigKind::Pool, Some(tid)).await.unwrap();
    assert!(pool.config.stateless);
    assert_eq!(
        pool.config.optimized_for,
        OptimizedFor::HighPerformance,
        "inherited from the template"
    );
    pool.name = "hpc".into();
    pool.pool_size = 3;
    let pid = saved_id(app.state.service.save(&actor, pool, true).await.unwrap());
    let vms = all_vms(&app).await;
    let names: Vec<&str> = vms
        .iter()
        .filter(|v| v.pool_name.as_deref() == Some("hpc"))
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(names, vec!["hpc-1", "hpc-2", "hpc-3"]);
    assert!(vms
        .iter()
        .filter(|v| v.pool_name.is_some())
        .all(|v| v.stateless && v.optimized_for == OptimizedFor::HighPerformance));

    let mut edit = app.state.service.load_draft(ConfigKind::Pool, pid).await.unwrap().draft;
    edit.pool_size = 4;
    edit.config.memory_mib = 4096;
    saved_id(app.state.service.save(&actor, edit, true).await.unwrap());
    let vms = all_vms(&app).await;
    assert_eq!(vms.iter().filter(|v| v.pool_name.is_some()).count(), 4);
    assert!(
        vms.iter()
            .filter(|v| v.pool_name.is_some())
            .all(|v| v.memory_mib == 4096),
        "stopped pool VMs follow the pool"
    );
    let pools = all_pools(&app).await;
    assert_eq!((pools[0].size, pools[0].vm_count), (4, 4));

    let mut shrink = app.state.service.load_draft(ConfigKind::Pool, pid).await.unwrap().draft;
    shrink.pool_size = 2;
    let err = app.state.service.save(&actor, shrink, true).await.unwrap_err();
    assert!(err.field_messages("pool_size")[0].contains("cannot shrink"));
}

#[tokio::test]
async fn an_instance_type_overrides_the_profile_and_saving_enforces_it() {
    let (app, actor) = admin_app().await;
    let large = app
        .state
        .repo
        .list_instance_types()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.name == "Large")
        .unwrap();
    let mut d = hp_draft(&app, ConfigKind::Vm, "it1").await;
    d.instance_type_id = Some(large.id);
    // The browser sent the profile's values; the server applies the instance type over them.
    let id = saved_id(app.state.service.save(&actor, d, true).await.unwrap());
    let saved = app.state.service.load_draft(ConfigKind::Vm, id).await.unwrap().draft;
    assert_eq!(saved.config.memory_mib, 8192);
    assert_eq!(saved.config.vcpus(), 4);
    assert!(saved.config.memory_balloon, "Large turns the balloon back on over A9");
    assert_eq!(
        saved.config.optimized_for,
        OptimizedFor::HighPerformance,
        "never the profile itself"
    );
}

#[tokio::test]
async fn editing_a_running_vm_saves_restart_fields_for_the_next_run() {
    let (app, actor) = admin_app().await;
    let d = app.fixed(&hp_draft(&app, ConfigKind::Vm, "run1").await).await;
    let id = saved_id(app.state.service.save(&actor, d, false).await.unwrap());
    app.update_row("UPDATE vms SET status = 'up' WHERE id = $1", id).await;

    let env = app.state.service.load_draft(ConfigKind::Vm, id).await.unwrap();
    assert!(env.running);
    let mut edit = env.draft;
    edit.config.high_availability = false;
    edit.config.usb_enabled = true;
    edit.description = "now".into();
    let preview = app.state.service.preview(&edit).await.unwrap();
    assert_eq!(preview.pending_restart, vec!["USB Support".to_string()]);
    let outcome = app.state.service.save(&actor, edit, true).await.unwrap();
    let SaveOutcome::Saved { pending_restart, .. } = outcome else {
        panic!()
    };
    assert_eq!(pending_restart, vec!["USB Support".to_string()]);

    let rec = app.state.repo.config_record(ConfigKind::Vm, id).await.unwrap().unwrap();
    assert!(!rec.config.high_availability, "HA applies at once");
    assert!(!rec.config.usb_enabled, "USB waits for the restart");
    assert!(rec.next_run.as_ref().unwrap().usb_enabled);
    assert_eq!(rec.description, "now");
    let env = app.state.service.load_draft(ConfigKind::Vm, id).await.unwrap();
    assert_eq!(env.pending_next_run, vec!["USB Support".to_string()]);
    assert!(
        env.draft.config.usb_enabled,
        "the dialog edits the pending configuration"
    );
    assert!(all_vms(&app).await[0].next_run);
    assert!(event_messages(&app.pool)
        .await
        .pop()
        .unwrap()
        .2
        .contains("after its next start: USB Support"));
}

#[tokio::test]
async fn gates_and_validation_errors_are_field_data_and_nothing_is_saved() {
    let (app, actor) = admin_app().await;
    let mut d = hp_draft(&app, ConfigKind::Vm, "win").await;
    d.config.os_type = "windows_2022".into();
    d.config.cpu_pinning = vireo_app::domain::pinning::parse_vcpu_pins("0#99").unwrap();
    let err = app.state.service.save(&actor, d.clone(), true).await.unwrap_err();
    let AppError::Validation { errors } = &err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"optimized_for") && fields.contains(&"cpu_pinning"),
        "{fields:?}"
    );
    assert_eq!(count(&app, "vms").await, 0);
    let preview = app.state.service.preview(&d).await.unwrap();
    assert!(!preview.errors.is_empty() && preview.recommendations.is_empty());

    let mut dup = app.state.service.new_draft(ConfigKind::Vm, None).await.unwrap();
    dup.name = "same".into();
    saved_id(app.state.service.save(&actor, dup.clone(), true).await.unwrap());
    let err = app.state.service.save(&actor, dup, true).await.unwrap_err();
    assert_eq!(
        err.field_messages("name"),
        vec!["A VM named 'same' already exists.".to_string()]
    );
    assert!(
        app.state
            .service
            .load_draft(ConfigKind::Template, Uuid::nil())
            .await
            .is_err(),
        "Blank is read-only"
    );
}

#[tokio::test]
async fn host_settings_on_a_simulated_host_are_kept_in_vireo() {
    let (app, actor) = admin_app().await;
    let host = app.first_host().await;
    let off = app.state.service.set_host_ksm(&actor, host.id, false).await.unwrap();
    assert_eq!(off.ksm_running, Some(false));
    // R4 is met by the host once the VM is pinned there.
    let d = app.fixed(&hp_draft(&app, ConfigKind::Vm, "k").await).await;
    let mut no_ksm_fix = d.clone();
    no_ksm_fix.config.ksm_disabled = false;
    let ctx = app.rule_context(d.cluster_id, "rhel_9x64", None).await;
    assert!(recommendations(&no_ksm_fix.config, &ctx)
        .iter()
        .all(|r| r.id != RecommendationId::R4));

    let grown = huge_pages(&app, &actor, &host, 2048, vec![(1, 100)]).await.unwrap();
    assert_eq!(grown.topology.cell(1).unwrap().free_pages(2048), 8292);
    let too_many = huge_pages(&app, &actor, &host, 1_048_576, vec![(0, 1000)])
        .await
        .unwrap_err();
    assert!(too_many.to_string().contains("too little memory"), "{too_many}");
    let events: Vec<String> = event_messages(&app.pool).await.into_iter().map(|e| e.2).collect();
    assert!(events
        .iter()
        .any(|e| e.contains("KSM stopped on host default-host (simulated host")));
    assert!(events.iter().any(|e| e.contains("Allocated 100 more 2 MiB pages")));
}

#[tokio::test]
async fn clusters_save_with_their_optimization_settings_and_detect_conflicts() {
    let (app, actor) = admin_app().await;
    let draft = ClusterDraft {
        data_center_id: None,
        id: None,
        version: None,
        name: "rt".into(),
        description: String::new(),
        compat_version: "4.1".into(),
        cpu_arch: "x86_64".into(),
        ksm_enabled: false,
        ballooning_enabled: false,
    };
    // The Default data center is at the latest version: none of its clusters may be below it
    // (the engine's rule), so a 4.1 cluster needs a 4.1 data center.
    let AppError::Validation { errors } = app.state.service.save_cluster(&actor, draft.clone()).await.unwrap_err()
    else {
        panic!()
    };
    assert!(
        errors[0].message.contains("Data center Default is at 4.8"),
        "{errors:?}"
    );
    let legacy = DataCenterDraft {
        id: None,
        version: None,
        name: "legacy".into(),
        description: String::new(),
        compat_version: "4.1".into(),
    };
    let dc = app
        .state
        .service
        .save_data_center(&actor, legacy.clone())
        .await
        .unwrap();
    let draft = ClusterDraft {
        data_center_id: Some(dc.id),
        ..draft
    };
    let c = app.state.service.save_cluster(&actor, draft.clone()).await.unwrap();
    assert_eq!(c.data_center_name, "legacy");
    // Nor may the data center then go above its cluster.
    let raise = DataCenterDraft {
        id: Some(dc.id),
        version: Some(dc.version),
        compat_version: "4.2".into(),
        ..legacy
    };
    let AppError::Validation { errors } = app.state.service.save_data_center(&actor, raise).await.unwrap_err() else {
        panic!()
    };
    assert_eq!(errors[0].field, "compat_version");
    assert!(!c.ksm_enabled && !c.ballooning_enabled);
    assert_eq!(c.compat_version.to_string(), "4.1");
    // HP is gated in a 4.1 cluster.
    let mut vm = hp_draft(&app, ConfigKind::Vm, "old").await;
    vm.cluster_id = Some(c.id);
    vm.config.placement_hosts.clear();
    let err = app.state.service.save(&actor, vm, true).await.unwrap_err();
    assert!(err.field_messages("optimized_for")[0].contains("4.2"));

    let edit = ClusterDraft {
        id: Some(c.id),
        version: Some(c.version),
        compat_version: "4.2".into(),
        ..draft.clone()
    };
    app.state.service.save_cluster(&actor, edit.clone()).await.unwrap();
    let stale = app.state.service.save_cluster(&actor, edit).await.unwrap_err();
    assert!(matches!(stale, AppError::Conflict { .. }));
    let bad = ClusterDraft {
        name: "no spaces".into(),
        compat_version: "5.0".into(),
        cpu_arch: "m68k".into(),
        ..draft
    };
    let AppError::Validation { errors } = app.state.service.save_cluster(&actor, bad).await.unwrap_err() else {
        panic!()
    };
    assert_eq!(errors.len(), 3);
}

#[tokio::test]
async fn the_plain_form_path_saves_reviews_and_reports_errors() {
    let app = app().await;
    let cookie = app.admin_cookie().await;
    // Errors come back in the URL with the draft.
    let mut bad = app.state.service.new_draft(ConfigKind::Vm, None).await.unwrap();
    bad.name = "bad name".into();
    let r = app.post_form_as(&cookie, "/dialog/save", form(&to_pairs(&bad))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/vms?dialog=new&draft=1"), "{location}");
    assert!(
        location.contains("err=") && location.contains("name=bad+name"),
        "{location}"
    );

    // An HP draft goes to review; applying R4's fix comes back to review with the field set.
    let hp = hp_draft(&app, ConfigKind::Vm, "plain1").await;
    let r = app.post_form_as(&cookie, "/dialog/save", form(&to_pairs(&hp))).await;
    assert!(r.headers()[header::LOCATION].to_str().unwrap().contains("review=1"));
    let mut pairs = to_pairs(&hp);
    pairs.push(("fix".into(), "R4".into()));
    let r = app.post_form_as(&cookie, "/dialog/apply-fix", form(&pairs)).await;
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        location.contains("review=1") && location.contains("ksm_disabled=on"),
        "{location}"
    );

    // Save anyway lands on the new VM.
    let mut pairs = to_pairs(&hp);
    pairs.push(("save_anyway".into(), "1".into()));
    let r = app.post_form_as(&cookie, "/dialog/save", form(&pairs)).await;
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/vms?selected="), "{location}");
    // And the page renders the dialog from a draft in the query, without JavaScript.
    let r = app
        .get_as(&cookie, format!("/vms?dialog=new&{}", form(&to_pairs(&hp))))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = body_text(r).await;
    assert!(html.contains("New Virtual Machine") && html.contains("plain1"));
}

/// Pentest rows 5, 8 and 12 through the service: a preview of 200 M vCPUs answers with the vCPU
/// error (it built a 2 GB set of vCPU ids first), vNUMA nodes whose memory wrapped to the VM's are
/// refused (they were saved and started with memory="0"), and the plain form's "Apply fix" for a
/// 0-thread topology shows the errors (computing its pinning fix panicked in `chunks_exact(0)`).
#[tokio::test]
async fn hostile_sizes_are_field_errors_and_never_reach_the_fixes() {
    use vireo_app::domain::cpu_set::CpuSet;
    use vireo_app::domain::vm_config::VNumaNode;
    let (app, actor) = admin_app().await;

    let mut huge = hp_draft(&app, ConfigKind::Vm, "huge").await;
    huge.config.cpu.cores = 200_000_000;
    huge.config.numa_nodes = vec![VNumaNode {
        index: 0,
        cpus: CpuSet::single(0),
        memory_mib: 2048,
        host_nodes: vec![],
    }];
    let preview = app.state.service.preview(&huge).await.unwrap();
    let fields: Vec<&str> = preview.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["cpu"]);
    assert!(preview.recommendations.is_empty());

    let mut wrap = hp_draft(&app, ConfigKind::Vm, "wrap").await;
    wrap.config.memory_mib = 1024;
    wrap.config.numa_nodes = [(0, 1u64 << 63), (1, (1u64 << 63) + 1024)]
        .into_iter()
        .map(|(index, memory_mib)| VNumaNode {
            index,
            cpus: CpuSet::single(index),
            memory_mib,
            host_nodes: vec![],
        })
        .collect();
    let err = app.state.service.save(&actor, wrap, true).await.unwrap_err();
    assert!(
        err.field_messages("numa_nodes")
            .iter()
            .any(|m| m.contains("above the VM limit")),
        "{err:?}"
    );
    assert_eq!(count(&app, "vms").await, 0, "nothing was saved");

    let cookie = app.admin_cookie().await;
    let mut zero = hp_draft(&app, ConfigKind::Vm, "zero").await;
    zero.config.cpu = CpuTopology {
        sockets: 2,
        cores: 8,
        threads: 0,
    };
    let mut pairs = to_pairs(&zero);
    pairs.push(("fix".into(), "R1".into()));
    let r = app.post_form_as(&cookie, "/dialog/apply-fix", form(&pairs)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        location.contains("err=") && location.contains("cpu.threads"),
        "{location}"
    );
}
