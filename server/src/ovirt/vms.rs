//! `/vms`: list (search, max), get (`?next_run=true`), add, update (partial; `?next_run=true` defers
//! the whole edit of a running VM), remove (`?force=true` for a running one) and the lifecycle
//! actions. Adds and updates go through the same draft, profile, gates, validation and save as the
//! New/Edit dialog (`vm_request.rs`); vNUMA nodes and graphics consoles are in `vm_numa.rs` and
//! `vm_consoles.rs`.

use super::collection::search_ids;
use super::extract::kind::{self, Kind};
use super::extract::{ApiId, ApiUser, XmlBody};
use super::fault::Fault;
use super::follow::{follow_list, follow_one, FollowParam};
use super::href::{link, object, reference, API};
use super::query::{flag, Flags, ListParams};
use super::read::Obj;
use super::response::{action_complete, created, ok};
use super::vm_base::config_elements;
use super::vm_request::{apply_request, read_request, save_draft, VmRequest};
use super::xml::date;
use super::xml::El;
use crate::repository::{ApiCollection, ConfigRecord};
use crate::service::configs::BLANK_TEMPLATE;
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, LifecycleBackend};
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::vm_config::VmConfig;
use vireo_app::models::{CurrentUser, VmAction, VmStatus};

/// Elements of `<vm>` besides `VmBase`'s.
const VM_ELEMENTS: &[&str] = &["name", "description", "cluster", "template", "instance_type"];
/// What a GET returns that a client may send back: accepted, ignored.
const VM_READ_ONLY: &[&str] = &[
    "host",
    "original_template",
    "vm_pool",
    "start_time",
    "stop_time",
    "run_once",
];

/// Vireo's VM status → oVirt's: the same words but one.
fn status(s: VmStatus) -> &'static str {
    match s {
        VmStatus::Rebooting => "reboot_in_progress",
        other => other.as_str(),
    }
}

/// Cluster architectures by id, for `cpu/architecture` (read once per request).
pub(super) async fn arches(state: &AppState) -> Result<HashMap<Uuid, String>, Fault> {
    Ok(state
        .repo
        .list_clusters()
        .await?
        .into_iter()
        .map(|c| (c.id, super::clusters::wire_arch(&c.cpu_arch).to_string()))
        .collect())
}

pub fn vm_element(rec: &ConfigRecord, arches: &HashMap<Uuid, String>, next_run: bool) -> El {
    let cfg = match (&rec.next_run, next_run) {
        (Some(n), true) => n,
        _ => &rec.config,
    };
    let arch = rec
        .cluster_id
        .and_then(|c| arches.get(&c))
        .map_or("x86_64", String::as_str);
    let mut actions = El::new("actions");
    for a in ["reboot", "reset", "shutdown", "start", "stop"] {
        actions = actions.child(
            El::new("link")
                .attr("href", format!("{API}/vms/{}/{a}", rec.id))
                .attr("rel", a),
        );
    }
    let mut vm = object("vm", "vms", rec.id)
        .child(actions)
        .text("name", &rec.name)
        .text("description", &rec.description)
        .child(link("vms", rec.id, "numanodes"))
        .child(link("vms", rec.id, "graphicsconsoles"))
        .child(link("vms", rec.id, "diskattachments"))
        .child(link("vms", rec.id, "nics"))
        .child(link("vms", rec.id, "reporteddevices"))
        .children(config_elements(cfg, arch))
        .text("creation_time", date(rec.created_at))
        .text("next_run_configuration_exists", rec.next_run.is_some());
    if rec.status == VmStatus::Up {
        vm = vm.text("start_time", date(rec.status_changed_at));
    }
    vm = vm.text("status", status(rec.status));
    if let Some(c) = rec.cluster_id {
        vm = vm.child(reference("cluster", "clusters", c));
    }
    if let (Some(h), true) = (rec.host_id, rec.running()) {
        vm = vm.child(reference("host", "hosts", h));
    }
    if let Some(i) = rec.instance_type_id {
        vm = vm.child(reference("instance_type", "instancetypes", i));
    }
    let template = rec.template_id.unwrap_or(BLANK_TEMPLATE);
    vm = vm
        .child(reference("original_template", "templates", template))
        .child(reference("template", "templates", template));
    if let Some(p) = rec.pool_id {
        vm = vm.child(reference("vm_pool", "vmpools", p));
    }
    vm
}

pub async fn list(State(state): State<AppState>, Query(p): Query<ListParams>) -> Result<Response, Fault> {
    let ids = search_ids(&state, ApiCollection::Vms, &p).await?;
    let records = state.repo.config_records(ConfigKind::Vm, &ids).await?;
    let arches = arches(&state).await?;
    let list = El::new("vms").children(records.iter().map(|r| vm_element(r, &arches, false)));
    Ok(ok(follow_list(&state, &p, "vm", list).await?))
}

/// The VM `id`, or a 404 `<fault>`.
pub(super) async fn record(state: &AppState, id: Uuid) -> Result<ConfigRecord, Fault> {
    state
        .repo
        .config_record(ConfigKind::Vm, id)
        .await?
        .ok_or_else(|| kind::Vm::missing(id))
}

pub async fn get(
    State(state): State<AppState>,
    Query(flags): Query<Flags>,
    Query(f): Query<FollowParam>,
    ApiId { id, .. }: ApiId<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    let vm = vm_element(&rec, &arches(&state).await?, flag(&flags.next_run));
    Ok(ok(follow_one(&state, f.follow.as_deref(), vm).await?))
}

async fn read_vm(state: &AppState, obj: &Obj<'_>) -> Result<VmRequest, Fault> {
    read_request(state, obj, VM_ELEMENTS, VM_READ_ONLY).await
}

async fn save(
    state: &AppState,
    user: &CurrentUser,
    draft: VmDraft,
    defer_to_next_run: bool,
) -> Result<ConfigRecord, Fault> {
    let id = save_draft(state, user, draft, defer_to_next_run).await?;
    record(state, id).await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AddParams {
    auto_pinning_policy: Option<String>,
    /// `?clone=true`: a VM made from a template gets full copies of the template's disks instead
    /// of thin overlays on them (oVirt's default too).
    clone: Option<String>,
}

pub async fn add(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(params): Query<AddParams>,
    body: XmlBody<kind::Vm>,
) -> Result<Response, Fault> {
    let req = read_vm(&state, &body.obj()).await?;
    Fault::require(
        "Vm",
        "add",
        &[
            ("name", req.name.as_deref().is_some_and(|n| !n.is_empty())),
            ("cluster", req.cluster.is_some()),
        ],
    )?;
    let mut draft = state
        .service
        .new_draft(ConfigKind::Vm, Some(req.template.unwrap_or(BLANK_TEMPLATE)))
        .await?;
    draft.clone_disks = flag(&params.clone);
    let computed = matches!(params.auto_pinning_policy.as_deref(), Some("adjust" | "existing"));
    apply_request(&state, &mut draft, req, computed).await?;
    let rec = save(&state, &user, draft, false).await?;
    Ok(created(vm_element(&rec, &arches(&state).await?, false)))
}

/// Loads a VM as the dialog would edit it (a running VM from its pending configuration).
async fn editable(state: &AppState, id: Uuid) -> Result<(VmDraft, bool), Fault> {
    let env = state.service.load_draft(ConfigKind::Vm, id).await?;
    Ok((env.draft, env.running))
}

/// The configuration the sub-collections (NUMA nodes, consoles) read and edit: the pending one
/// when there is one.
pub(super) fn editable_config(rec: &ConfigRecord) -> &VmConfig {
    rec.next_run.as_ref().unwrap_or(&rec.config)
}

/// Edits a VM's configuration through the dialog's save (validation included).
pub(super) async fn edit_config(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    f: impl FnOnce(&mut VmConfig) -> Result<(), Fault>,
) -> Result<ConfigRecord, Fault> {
    let (mut draft, _) = editable(state, id).await?;
    f(&mut draft.config)?;
    save(state, user, draft, false).await
}

/// `edit_config` for an edit that cannot fail by itself (the save's validation still applies).
pub(super) async fn change_config(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    f: impl FnOnce(&mut VmConfig),
) -> Result<ConfigRecord, Fault> {
    edit_config(state, user, id, |cfg| {
        f(cfg);
        Ok(())
    })
    .await
}

pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(flags): Query<Flags>,
    ApiId { id, .. }: ApiId<kind::Vm>,
    body: XmlBody<kind::Vm>,
) -> Result<Response, Fault> {
    let req = read_vm(&state, &body.obj()).await?;
    let (mut draft, _) = editable(&state, id).await?;
    if req.template.is_some_and(|t| Some(t) != draft.template_id) {
        return Err(Fault::invalid("vm/template", "a VM's template cannot be changed"));
    }
    apply_request(&state, &mut draft, req, false).await?;
    let rec = save(&state, &user, draft, flag(&flags.next_run)).await?;
    Ok(ok(vm_element(&rec, &arches(&state).await?, flag(&flags.next_run))))
}

pub async fn remove(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(flags): Query<Flags>,
    ApiId { id, .. }: ApiId<kind::Vm>,
) -> Result<Response, Fault> {
    state
        .service
        .remove_vm(&user, id, flag(&flags.force), !flag(&flags.detach_only))
        .await?;
    Ok(action_complete())
}

/// `POST /vms/{id}/{action}`. The action's name is checked before the id, and the (optional,
/// `<action/>`) body after both.
pub async fn action(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, action)): Path<(String, String)>,
    body: Result<Option<XmlBody<kind::Action>>, Fault>,
) -> Result<Response, Fault> {
    let what = match action.as_str() {
        "start" => VmAction::Run,
        "stop" => VmAction::PowerOff,
        "shutdown" => VmAction::Shutdown,
        "reboot" => VmAction::Restart,
        "reset" => VmAction::Reset,
        other => {
            return Err(Fault::not_found(&format!(
                "action '{other}' (Vireo supports start, stop, shutdown, reboot, reset)"
            )))
        }
    };
    let id = ApiId::<kind::Vm>::parse(&id)?;
    if let Some(body) = body? {
        body.obj().allow(&[
            "async",
            "force",
            "reason",
            "use_cloud_init",
            "use_sysprep",
            "vm",
            "filter",
            "pause",
        ])?;
    }
    state.service.vm_action(&user, id, what).await?;
    Ok(action_complete())
}
