//! `/templates`: a template is a named configuration (`VmBase`) VMs and pools start from. Add takes
//! the configuration of `<vm id=…/>` when given (oVirt's "make template from VM"), else Blank's;
//! explicit elements override either. Blank is built in: it can be read, not changed or removed.

use super::collection;
use super::extract::kind::{self, Kind};
use super::extract::{ApiId, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{object, reference};
use super::query::ListParams;
use super::refs;
use super::response::{action_complete, created, ok};
use super::vm_base::config_elements;
use super::vm_request::{apply_request, read_request, save_draft};
use super::xml::date;
use super::xml::El;
use crate::repository::{ApiCollection, ConfigRecord};
use crate::web::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use uuid::Uuid;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::models::CurrentUser;

const IDENTITY: &[&str] = &["name", "description", "cluster", "vm"];
const READ_ONLY: &[&str] = &["version", "creation_time"];

fn template_element(rec: &ConfigRecord) -> El {
    let mut t = object("template", "templates", rec.id)
        .text("name", &rec.name)
        .text("description", &rec.description)
        .children(config_elements(&rec.config, "x86_64"))
        .text("creation_time", date(rec.created_at))
        .text("status", "ok")
        .child(
            El::new("version")
                .text("version_name", "base version")
                .text("version_number", 1)
                .child(reference("base_template", "templates", rec.id)),
        );
    if let Some(c) = rec.cluster_id {
        t = t.child(reference("cluster", "clusters", c));
    }
    t
}

pub async fn list(State(state): State<AppState>, Query(p): Query<ListParams>) -> Result<Response, Fault> {
    let load = async |ids: &[Uuid]| Ok(state.repo.config_records(ConfigKind::Template, ids).await?);
    collection::list(
        &state,
        &p,
        ApiCollection::Templates,
        "templates",
        load,
        template_element,
    )
    .await
}

async fn record(state: &AppState, id: Uuid) -> Result<ConfigRecord, Fault> {
    state
        .repo
        .config_record(ConfigKind::Template, id)
        .await?
        .ok_or_else(|| kind::Template::missing(id))
}

pub async fn get(State(state): State<AppState>, ApiId { id, .. }: ApiId<kind::Template>) -> Result<Response, Fault> {
    Ok(ok(template_element(&record(&state, id).await?)))
}

async fn save(state: &AppState, user: &CurrentUser, draft: VmDraft) -> Result<ConfigRecord, Fault> {
    let id = save_draft(state, user, draft, false).await?;
    record(state, id).await
}

pub async fn add(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: XmlBody<kind::Template>,
) -> Result<Response, Fault> {
    let obj = body.obj();
    let req = read_request(&state, &obj, IDENTITY, READ_ONLY).await?;
    if req.name.as_deref().is_none_or(str::is_empty) {
        return Err(Fault::incomplete("Template", &["name"], "add"));
    }
    let mut draft = state.service.new_draft(ConfigKind::Template, None).await?;
    if let Some(source) = obj.reference("vm")? {
        let vm_id = refs::vm(&state, &source).await?;
        let vm = state
            .repo
            .config_record(ConfigKind::Vm, vm_id)
            .await?
            .ok_or_else(|| kind::Vm::missing(vm_id))?;
        // A template made from a VM: its configuration without what belongs to the VM's host (its
        // host, host CPUs and host NUMA cells), which every VM made from it would otherwise share.
        draft.config = vm.config.clone();
        draft.config.placement_hosts.clear();
        draft.config.cpu_pinning.clear();
        draft.config.emulator_pin = None;
        draft.config.io_thread_pins.clear();
        for node in &mut draft.config.numa_nodes {
            node.host_nodes.clear();
        }
        draft.applied_profile = draft.config.optimized_for;
        draft.cluster_id = vm.cluster_id;
    }
    apply_request(&state, &mut draft, req, false).await?;
    Ok(created(template_element(&save(&state, &user, draft).await?)))
}

pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<kind::Template>,
    body: XmlBody<kind::Template>,
) -> Result<Response, Fault> {
    let obj = body.obj();
    let req = read_request(&state, &obj, IDENTITY, READ_ONLY).await?;
    if obj.get("vm")?.is_some() {
        return Err(Fault::invalid(
            "template/vm",
            "a template's source VM only matters when adding it",
        ));
    }
    let mut draft = state.service.load_draft(ConfigKind::Template, id).await?.draft;
    apply_request(&state, &mut draft, req, false).await?;
    Ok(ok(template_element(&save(&state, &user, draft).await?)))
}

pub async fn remove(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<kind::Template>,
) -> Result<Response, Fault> {
    state.service.remove_template(&user, id).await?;
    Ok(action_complete())
}
