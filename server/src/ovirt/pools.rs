//! `/vmpools`: a pool of stateless VMs made from a template. The pool's own configuration (what its
//! VMs get) is the `<vm>` element inside `<vm_pool>`. `type` takes oVirt's pool type (`automatic`;
//! Vireo has no manual pools) or, the pool's "Optimized for"
//! (`server|desktop|high_performance`), which `<vm><type>` also sets.

use super::collection::{api_object, ApiObject, Body};
use super::extract::kind;
use super::fault::Fault;
use super::href::{object, reference};
use super::read::Obj;
use super::vm_base::{config_elements, BasePatch, BASE_ELEMENTS, IGNORED_ELEMENTS};
use super::vm_request::{apply_request, save_config, VmRequest};
use super::xml::El;
use crate::repository::ConfigRecord;
use crate::web::state::AppState;
use uuid::Uuid;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::draft::{ConfigKind, VmDraft};
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::models::CurrentUser;

const ELEMENTS: &[&str] = &[
    "name",
    "description",
    "cluster",
    "template",
    "size",
    "prestarted_vms",
    "max_user_vms",
    "type",
    "stateful",
    "soundcard_enabled",
    "vm",
    // Read-only or engine-only settings a GET returns.
    "auto_storage_select",
    "use_latest_template_version",
    "link",
    "comment",
    "display",
];

fn pool_element(rec: &ConfigRecord) -> El {
    let mut p = object("vm_pool", "vmpools", rec.id)
        .text("name", &rec.name)
        .text("description", &rec.description)
        .text("max_user_vms", 1)
        .text("prestarted_vms", rec.prestarted)
        .text("size", rec.size)
        .text("soundcard_enabled", rec.config.soundcard_enabled)
        .text("stateful", false)
        .text("type", "automatic");
    if let Some(c) = rec.cluster_id {
        p = p.child(reference("cluster", "clusters", c));
    }
    if let Some(t) = rec.template_id {
        p = p.child(reference("template", "templates", t));
    }
    p.child(El::new("vm").children(config_elements(&rec.config, "x86_64")))
}

/// The pool request: its own fields into the draft, its configuration as a `VmRequest`.
async fn read_pool(state: &AppState, obj: &Obj<'_>, draft: &mut VmDraft) -> Result<VmRequest, Fault> {
    obj.allow(ELEMENTS)?;
    let mut base = match obj.get("vm")? {
        Some(vm) => {
            vm.allow(&[BASE_ELEMENTS, IGNORED_ELEMENTS].concat())?;
            BasePatch::read(&vm)?
        }
        None => BasePatch::default(),
    };
    match obj
        .one_of(
            "type",
            &["automatic", "manual", "server", "desktop", "high_performance"],
        )?
        .as_deref()
    {
        Some("manual") => {
            return Err(Fault::invalid(
                "vm_pool/type",
                "Vireo pools are automatic (each VM goes back to the pool when shut down)",
            ))
        }
        Some(t) if t != "automatic" => base.optimized_for = OptimizedFor::parse(t),
        _ => {}
    }
    if obj.bool("stateful")? == Some(true) {
        return Err(Fault::invalid(
            "vm_pool/stateful",
            "a pool's VMs are stateless in Vireo",
        ));
    }
    if let Some(s) = obj.bool("soundcard_enabled")? {
        base.soundcard = Some(s);
    }
    if let Some(size) = obj.u32("size")? {
        draft.pool_size = size;
    }
    if let Some(n) = obj.u32("prestarted_vms")? {
        draft.prestarted = n;
    }
    obj.u32("max_user_vms")?;
    // `instance_type` is not among a pool's elements, so the request has none.
    VmRequest::read(state, obj, base).await
}

impl ApiObject for kind::Pool {
    api_object! {
        ConfigRecord, "vmpools" listed as "vm_pools", Pools,
        pool_element, configs(ConfigKind::Pool)
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<ConfigRecord, Fault> {
        // The template decides the starting configuration, so read the request into a scratch draft
        // first, then start from the template's.
        let mut scratch = VmDraft::new(ConfigKind::Pool, Default::default());
        let req = read_pool(state, obj, &mut scratch).await?;
        Fault::require(
            "VmPool",
            "add",
            &[
                ("name", req.name.as_deref().is_some_and(|n| !n.is_empty())),
                ("cluster", req.cluster.is_some()),
                ("template", req.template.is_some()),
            ],
        )?;
        let mut draft = state.service.new_draft(ConfigKind::Pool, req.template).await?;
        draft.pool_size = scratch.pool_size;
        draft.prestarted = scratch.prestarted;
        apply_request(state, &mut draft, req, false).await?;
        save_config::<Self>(state, user, draft).await
    }

    async fn update(state: &AppState, user: &CurrentUser, id: Uuid, body: Body<Self>) -> Result<ConfigRecord, Fault> {
        let body = body?;
        let mut draft = state.service.load_draft(ConfigKind::Pool, id).await?.draft;
        let req = read_pool(state, &body.obj(), &mut draft).await?;
        if req.template.is_some_and(|t| Some(t) != draft.template_id) {
            return Err(Fault::invalid(
                "vm_pool/template",
                "a pool's template cannot be changed",
            ));
        }
        apply_request(state, &mut draft, req, false).await?;
        save_config::<Self>(state, user, draft).await
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        Ok(state.service.remove_pool(user, id).await?)
    }
}
