//! `/vms`: list (search, max), get (`?next_run=true`), add, update (partial; `?next_run=true` defers
//! the whole edit of a running VM), remove (`?force=true` for a running one), the lifecycle actions,
//! vNUMA nodes and graphics consoles (headless = none). Adds and updates go through the same draft,
//! profile, gates, validation and save as the New/Edit dialog.

use super::fault::Fault;
use super::read::Obj;
use super::vm_base::{config_elements, BasePatch, BASE_ELEMENTS, IGNORED_ELEMENTS};
use super::xml::El;
use super::{
    action_complete, created, date, expect_root, flag, link, object, ok, parse_id, read_body, read_optional_body,
    reference, refs, Flags, ListParams, API,
};
use crate::repository::{ApiCollection, ConfigRecord};
use crate::service::configs::{SaveOptions, BLANK_TEMPLATE};
use crate::web::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use std::collections::HashMap;
use uuid::Uuid;
use vireo_app::backend::{ConfigBackend, LifecycleBackend};
use vireo_app::domain::cpu_set::CpuSet;
use vireo_app::domain::dialog::refresh;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::ovirt_search::{parse_ovirt_search, MAX_PAGE_SIZE};
use vireo_app::domain::recommendations::{apply_fixes, RecommendationId};
use vireo_app::domain::vm_config::{NumaTuneMode, VNumaNode, VmConfig};
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, SaveOutcome, VmAction};

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

/// Vireo's VM status → oVirt's.
fn status(s: &str) -> &str {
    match s {
        "rebooting" => "reboot_in_progress",
        other => other,
    }
}

/// Cluster architectures by id, for `cpu/architecture` (read once per request).
async fn arches(state: &AppState) -> Result<HashMap<Uuid, String>, Fault> {
    Ok(state
        .repo
        .list_clusters()
        .await?
        .into_iter()
        .map(|c| (c.id, c.cpu_arch))
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
    for a in ["reboot", "shutdown", "start", "stop"] {
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
        .children(config_elements(cfg, arch))
        .text("creation_time", date(rec.created_at))
        .text("next_run_configuration_exists", rec.next_run.is_some());
    if rec.status == "up" {
        vm = vm.text("start_time", date(rec.status_changed_at));
    }
    vm = vm.text("status", status(&rec.status));
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

/// Parses `?search`/`?max` into matching ids for a collection.
pub async fn search_ids(state: &AppState, c: ApiCollection, p: &ListParams) -> Result<Vec<Uuid>, Fault> {
    let mut q = parse_ovirt_search(p.search.as_deref().unwrap_or(""), &c.fields())
        .map_err(|m| Fault::new(StatusCode::BAD_REQUEST, "Invalid search", m))?;
    if c == ApiCollection::Vms {
        for cond in q.any_of.iter_mut().flatten().filter(|c| c.field == "status") {
            if cond.value.eq_ignore_ascii_case("reboot_in_progress") {
                cond.value = "rebooting".into();
            }
        }
    }
    // Held to MAX_PAGE_SIZE so that (page − 1) × max is a sane OFFSET (pentest row 8).
    let max = p
        .max
        .filter(|m| *m >= 0)
        .map(|m| m.min(i64::from(MAX_PAGE_SIZE)) as u32);
    if q.page.is_some() && max.is_none() {
        return Err(Fault::new(
            StatusCode::BAD_REQUEST,
            "Invalid search",
            "'page' needs the 'max' parameter (the page size).",
        ));
    }
    Ok(state.repo.api_search(c, &q, max, flag(&p.case_sensitive)).await?)
}

pub async fn list(State(state): State<AppState>, Query(p): Query<ListParams>) -> Result<Response, Fault> {
    let ids = search_ids(&state, ApiCollection::Vms, &p).await?;
    let records = state.repo.config_records(ConfigKind::Vm, &ids).await?;
    let arches = arches(&state).await?;
    Ok(ok(
        El::new("vms").children(records.iter().map(|r| vm_element(r, &arches, false)))
    ))
}

async fn record(state: &AppState, id: &str) -> Result<ConfigRecord, Fault> {
    let id = parse_id(id, "VM")?;
    state
        .repo
        .config_record(ConfigKind::Vm, id)
        .await?
        .ok_or_else(|| Fault::not_found(&format!("VM {id}")))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    Ok(ok(vm_element(&rec, &arches(&state).await?, flag(&flags.next_run))))
}

/// The parts of a `<vm>` (or `<template>`, or a pool's `<vm>`) request, references resolved.
#[derive(Default)]
pub struct VmRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub cluster: Option<Uuid>,
    pub template: Option<Uuid>,
    pub instance_type: Option<Uuid>,
    pub hosts: Option<Vec<Uuid>>,
    pub base: BasePatch,
}

async fn read_vm(state: &AppState, obj: &Obj<'_>) -> Result<VmRequest, Fault> {
    read_request(state, obj, VM_ELEMENTS, VM_READ_ONLY).await
}

/// Reads identity elements (`identity`, of name/description/cluster/template/instance_type) and
/// `VmBase`; `ignored` are further read-only elements of the object type.
pub async fn read_request(
    state: &AppState,
    obj: &Obj<'_>,
    identity: &[&str],
    ignored: &[&str],
) -> Result<VmRequest, Fault> {
    let known: Vec<&str> = [identity, BASE_ELEMENTS, IGNORED_ELEMENTS, ignored].concat();
    obj.allow(&known)?;
    let base = BasePatch::read(obj)?;
    let refs = refs::object_refs(state, obj, &base).await?;
    Ok(VmRequest {
        name: obj.text("name")?,
        description: obj.text("description")?,
        cluster: refs.cluster,
        template: refs.template,
        instance_type: refs.instance_type,
        hosts: refs.hosts,
        base,
    })
}

/// Applies a request to a draft the way the dialog would: identity, then the chosen profile (its
/// gates can refuse it), then every explicit setting over the profile's defaults, then — when asked
/// with `cpu_pinning_policy` dedicated/resize_and_pin_numa — Vireo's computed pinning.
pub async fn apply_request(
    state: &AppState,
    draft: &mut VmDraft,
    req: VmRequest,
    computed_pinning: bool,
) -> Result<(), Fault> {
    if let Some(n) = req.name {
        draft.name = n;
    }
    if let Some(d) = req.description {
        draft.description = d;
    }
    if let Some(c) = req.cluster {
        draft.cluster_id = Some(c);
    }
    if let Some(i) = req.instance_type {
        draft.instance_type_id = Some(i);
    }
    if let Some(os) = &req.base.os_type {
        draft.config.os_type = os.clone();
    }
    let ctx = state
        .service
        .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
        .await?;
    if let Some(t) = req.base.optimized_for {
        draft.config.optimized_for = t;
        let r = refresh(draft, &ctx, None);
        if let Some(blocked) = r.blocked {
            return Err(AppError::Validation { errors: vec![blocked] }.into());
        }
        *draft = r.draft;
    }
    req.base.apply(&mut draft.config, req.hosts);
    draft.applied_profile = draft.config.optimized_for;
    if computed_pinning || req.base.wants_computed_pinning() {
        let ctx = state
            .service
            .rule_context(draft.cluster_id, &draft.config.os_type, draft.id)
            .await?;
        draft.config = apply_fixes(
            &draft.config,
            &ctx,
            &[RecommendationId::R1, RecommendationId::R2, RecommendationId::R3],
        );
    }
    Ok(())
}

/// Saves a VM, Template or Pool draft as the dialog's "Save anyway" does (the API has no review
/// step; unmet recommendations are for the UI); returns its id.
pub async fn save_draft(
    state: &AppState,
    user: &CurrentUser,
    draft: VmDraft,
    defer_to_next_run: bool,
) -> Result<Uuid, Fault> {
    let options = SaveOptions {
        save_anyway: true,
        defer_to_next_run,
    };
    match state.service.save_with(user, draft, options).await? {
        SaveOutcome::Saved { id, .. } => Ok(id),
        // save_anyway never stops for review.
        SaveOutcome::NeedsReview { .. } => Err(AppError::Internal.into()),
    }
}

async fn save(
    state: &AppState,
    user: &CurrentUser,
    draft: VmDraft,
    defer_to_next_run: bool,
) -> Result<ConfigRecord, Fault> {
    let id = save_draft(state, user, draft, defer_to_next_run).await?;
    state
        .repo
        .config_record(ConfigKind::Vm, id)
        .await?
        .ok_or_else(|| Fault::not_found(&format!("VM {id}")))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AddParams {
    auto_pinning_policy: Option<String>,
}

pub async fn add(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Query(params): Query<AddParams>,
    body: Body,
) -> Result<Response, Fault> {
    let node = read_body(body).await?;
    let obj = expect_root(&node, "vm")?;
    let req = read_vm(&state, &obj).await?;
    let mut missing = Vec::new();
    if req.name.as_deref().is_none_or(str::is_empty) {
        missing.push("name");
    }
    if req.cluster.is_none() {
        missing.push("cluster");
    }
    if !missing.is_empty() {
        return Err(Fault::incomplete("Vm", &missing, "add"));
    }
    let mut draft = state
        .service
        .new_draft(ConfigKind::Vm, Some(req.template.unwrap_or(BLANK_TEMPLATE)))
        .await?;
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

pub async fn update(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<String>,
    Query(flags): Query<Flags>,
    body: Body,
) -> Result<Response, Fault> {
    let id = parse_id(&id, "VM")?;
    let node = read_body(body).await?;
    let obj = expect_root(&node, "vm")?;
    let req = read_vm(&state, &obj).await?;
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
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, Fault> {
    let id = parse_id(&id, "VM")?;
    state.service.remove_vm(&user, id, flag(&flags.force)).await?;
    Ok(action_complete())
}

pub async fn action(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((id, action)): Path<(String, String)>,
    body: Body,
) -> Result<Response, Fault> {
    let what = match action.as_str() {
        "start" => VmAction::Run,
        "stop" => VmAction::PowerOff,
        "shutdown" => VmAction::Shutdown,
        "reboot" => VmAction::Restart,
        other => {
            return Err(Fault::not_found(&format!(
                "action '{other}' (Vireo supports start, stop, shutdown, reboot)"
            )))
        }
    };
    let id = parse_id(&id, "VM")?;
    // The body is optional (`<action/>`); when present it must be an action.
    if let Some(n) = read_optional_body(body).await? {
        let a = expect_root(&n, "action")?;
        a.allow(&[
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

// --- vNUMA nodes ---------------------------------------------------------------------------

fn numa_id(vm: Uuid, index: u32) -> Uuid {
    Uuid::new_v5(&vm, format!("numa/{index}").as_bytes())
}

fn numa_element(vm: Uuid, cfg: &VmConfig, node: &VNumaNode) -> El {
    let id = numa_id(vm, node.index);
    El::new("vm_numa_node")
        .attr("href", format!("{API}/vms/{vm}/numanodes/{id}"))
        .attr("id", id)
        .child(
            El::new("cpu").child(El::new("cores").children(node.cpus.ids().map(|c| El::new("core").text("index", c)))),
        )
        .text("index", node.index)
        .text("memory", node.memory_mib)
        .child(
            El::new("numa_node_pins").children(
                node.host_nodes
                    .iter()
                    .map(|h| El::new("numa_node_pin").text("index", h)),
            ),
        )
        .text("numa_tune_mode", cfg.numa_tune_mode.as_str())
        .child(reference("vm", "vms", vm))
}

/// The configuration the NUMA calls read and edit: the pending one when there is one.
fn numa_config(rec: &ConfigRecord) -> &VmConfig {
    rec.next_run.as_ref().unwrap_or(&rec.config)
}

pub async fn numa_nodes(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    let cfg = numa_config(&rec);
    Ok(ok(
        El::new("vm_numa_nodes").children(cfg.numa_nodes.iter().map(|n| numa_element(rec.id, cfg, n)))
    ))
}

fn find_node(rec: &ConfigRecord, nid: &str) -> Result<u32, Fault> {
    let cfg = numa_config(rec);
    cfg.numa_nodes
        .iter()
        .find(|n| numa_id(rec.id, n.index).to_string() == nid)
        .map(|n| n.index)
        .ok_or_else(|| Fault::not_found(&format!("NUMA node {nid} of VM {}", rec.name)))
}

/// Node `index` of the VM as the API shows it.
fn node_element(rec: &ConfigRecord, index: u32) -> Result<El, Fault> {
    let cfg = numa_config(rec);
    cfg.numa_nodes
        .iter()
        .find(|n| n.index == index)
        .map(|node| numa_element(rec.id, cfg, node))
        .ok_or_else(|| Fault::not_found(&format!("NUMA node {index} of VM {}", rec.name)))
}

pub async fn numa_node(
    State(state): State<AppState>,
    Path((id, nid)): Path<(String, String)>,
) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    let index = find_node(&rec, &nid)?;
    Ok(ok(node_element(&rec, index)?))
}

/// A `<vm_numa_node>` request: every part optional (the caller checks what an add needs).
struct NumaRequest {
    index: Option<u32>,
    memory_mib: Option<u64>,
    cpus: Option<CpuSet>,
    host_nodes: Option<Vec<u32>>,
    tune: Option<NumaTuneMode>,
}

fn read_numa(obj: &Obj) -> Result<NumaRequest, Fault> {
    obj.allow(&[
        "cpu",
        "index",
        "memory",
        "numa_node_pins",
        "numa_tune_mode",
        "name",
        "vm",
        "link",
    ])?;
    let cpus = match obj.get("cpu")? {
        None => None,
        Some(cpu) => {
            cpu.allow(&["cores"])?;
            match cpu.items("cores", "core")? {
                None => None,
                Some(cores) => {
                    let mut ids = Vec::new();
                    for core in cores {
                        core.allow(&["index"])?;
                        ids.push(
                            core.u32("index")?
                                .ok_or_else(|| Fault::invalid(core.path(), "a core needs its <index>"))?,
                        );
                    }
                    Some(CpuSet::from_ids(ids))
                }
            }
        }
    };
    let host_nodes = match obj.items("numa_node_pins", "numa_node_pin")? {
        None => None,
        Some(pins) => {
            let mut out = Vec::new();
            for pin in pins {
                pin.allow(&["index", "host_numa_node", "pinned"])?;
                out.push(
                    pin.u32("index")?
                        .ok_or_else(|| Fault::invalid(pin.path(), "a pin needs the host NUMA node's <index>"))?,
                );
            }
            Some(out)
        }
    };
    Ok(NumaRequest {
        index: obj.u32("index")?,
        memory_mib: obj.u64("memory")?,
        cpus,
        host_nodes,
        tune: obj
            .one_of("numa_tune_mode", &["strict", "interleave", "preferred"])?
            .map(|m| match m.as_str() {
                "interleave" => NumaTuneMode::Interleave,
                "preferred" => NumaTuneMode::Preferred,
                _ => NumaTuneMode::Strict,
            }),
    })
}

/// Edits a VM's configuration through the dialog's save (validation included).
async fn edit_config(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    f: impl FnOnce(&mut VmConfig) -> Result<(), Fault>,
) -> Result<ConfigRecord, Fault> {
    let (mut draft, _) = editable(state, id).await?;
    f(&mut draft.config)?;
    save(state, user, draft, false).await
}

pub async fn add_numa_node(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, Fault> {
    let id = parse_id(&id, "VM")?;
    let node = read_body(body).await?;
    let req = read_numa(&expect_root(&node, "vm_numa_node")?)?;
    let mut missing = Vec::new();
    if req.index.is_none() {
        missing.push("index");
    }
    if req.memory_mib.is_none() {
        missing.push("memory");
    }
    if req.cpus.is_none() {
        missing.push("cpu.cores");
    }
    if !missing.is_empty() {
        return Err(Fault::incomplete("VirtualNumaNode", &missing, "add"));
    }
    let index = req.index.unwrap_or_default();
    let rec = edit_config(&state, &user, id, |cfg| {
        if cfg.numa_nodes.iter().any(|n| n.index == index) {
            return Err(AppError::conflict(format!("The VM already has NUMA node {index}.")).into());
        }
        cfg.numa_nodes.push(VNumaNode {
            index,
            cpus: req.cpus.unwrap_or_default(),
            memory_mib: req.memory_mib.unwrap_or_default(),
            host_nodes: req.host_nodes.unwrap_or_default(),
        });
        cfg.numa_nodes.sort_by_key(|n| n.index);
        if let Some(t) = req.tune {
            cfg.numa_tune_mode = t;
        }
        Ok(())
    })
    .await?;
    Ok(created(node_element(&rec, index)?))
}

pub async fn update_numa_node(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((id, nid)): Path<(String, String)>,
    body: Body,
) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    let index = find_node(&rec, &nid)?;
    let node = read_body(body).await?;
    let req = read_numa(&expect_root(&node, "vm_numa_node")?)?;
    if req.index.is_some_and(|i| i != index) {
        return Err(Fault::invalid(
            "vm_numa_node/index",
            "a NUMA node's index cannot be changed",
        ));
    }
    let rec = edit_config(&state, &user, rec.id, |cfg| {
        let Some(n) = cfg.numa_nodes.iter_mut().find(|n| n.index == index) else {
            return Err(Fault::not_found("NUMA node"));
        };
        if let Some(m) = req.memory_mib {
            n.memory_mib = m;
        }
        if let Some(c) = req.cpus {
            n.cpus = c;
        }
        if let Some(h) = req.host_nodes {
            n.host_nodes = h;
        }
        if let Some(t) = req.tune {
            cfg.numa_tune_mode = t;
        }
        Ok(())
    })
    .await?;
    Ok(ok(node_element(&rec, index)?))
}

pub async fn remove_numa_node(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((id, nid)): Path<(String, String)>,
) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    let index = find_node(&rec, &nid)?;
    edit_config(&state, &user, rec.id, |cfg| {
        cfg.numa_nodes.retain(|n| n.index != index);
        Ok(())
    })
    .await?;
    Ok(action_complete())
}

// --- Graphics consoles: a VM has one VNC console unless it is headless ----------------------

fn console_id(vm: Uuid) -> Uuid {
    Uuid::new_v5(&vm, b"console/vnc")
}

fn console_element(vm: Uuid) -> El {
    let id = console_id(vm);
    El::new("graphics_console")
        .attr("href", format!("{API}/vms/{vm}/graphicsconsoles/{id}"))
        .attr("id", id)
        .text("protocol", "vnc")
        .child(reference("vm", "vms", vm))
}

pub async fn graphics_consoles(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    let mut list = El::new("graphics_consoles");
    if !numa_config(&rec).headless {
        list = list.child(console_element(rec.id));
    }
    Ok(ok(list))
}

pub async fn graphics_console(
    State(state): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    if numa_config(&rec).headless || gid != console_id(rec.id).to_string() {
        return Err(Fault::not_found(&format!("graphics console {gid}")));
    }
    Ok(ok(console_element(rec.id)))
}

pub async fn add_graphics_console(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, Fault> {
    let id = parse_id(&id, "VM")?;
    let node = read_body(body).await?;
    let obj = expect_root(&node, "graphics_console")?;
    obj.allow(&["protocol", "vm"])?;
    if obj.one_of("protocol", &["vnc", "spice"])?.as_deref() == Some("spice") {
        return Err(Fault::invalid(
            "graphics_console/protocol",
            "Vireo gives VMs a VNC console only",
        ));
    }
    let rec = edit_config(&state, &user, id, |cfg| {
        cfg.headless = false;
        Ok(())
    })
    .await?;
    Ok(created(console_element(rec.id)))
}

pub async fn remove_graphics_console(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((id, gid)): Path<(String, String)>,
) -> Result<Response, Fault> {
    let rec = record(&state, &id).await?;
    if gid != console_id(rec.id).to_string() {
        return Err(Fault::not_found(&format!("graphics console {gid}")));
    }
    edit_config(&state, &user, rec.id, |cfg| {
        cfg.headless = true;
        Ok(())
    })
    .await?;
    Ok(action_complete())
}
