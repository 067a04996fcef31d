//! `/templates`: a template is a named configuration (`VmBase`) VMs and pools start from. Add takes
//! the configuration of `<vm id=…/>` when given (oVirt's "make template from VM"), else Blank's;
//! explicit elements override either. Blank is built in: it can be read, not changed or removed.

use super::collection::{api_object, ApiObject, Body};
use super::extract::kind;
use super::fault::Fault;
use super::href::{link, object, reference};
use super::read::Obj;
use super::refs;
use super::vm_base::config_elements;
use super::vm_request::{apply_request, read_request, save_config};
use super::vms;
use super::xml::date;
use super::xml::El;
use crate::repository::ConfigRecord;
use crate::web::state::AppState;
use uuid::Uuid;
use vireo_app::backend::ConfigBackend;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::models::CurrentUser;

const IDENTITY: &[&str] = &["name", "description", "cluster", "vm"];
const READ_ONLY: &[&str] = &["version", "creation_time"];

fn template_element(rec: &ConfigRecord) -> El {
    let mut t = object("template", "templates", rec.id)
        .text("name", &rec.name)
        .text("description", &rec.description)
        .child(link("templates", rec.id, "diskattachments"))
        .child(link("templates", rec.id, "nics"))
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

impl ApiObject for kind::Template {
    api_object! {
        ConfigRecord, "templates" listed as "templates", Templates,
        template_element, configs(ConfigKind::Template)
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<ConfigRecord, Fault> {
        let req = read_request(state, obj, IDENTITY, READ_ONLY).await?;
        Fault::require(
            "Template",
            "add",
            &[("name", req.name.as_deref().is_some_and(|n| !n.is_empty()))],
        )?;
        let mut draft = state.service.new_draft(ConfigKind::Template, None).await?;
        if let Some(source) = obj.reference("vm")? {
            let vm_id = refs::vm(state, &source).await?;
            let vm = vms::record(state, vm_id).await?;
            draft.config = vm.config.without_host_bindings();
            draft.applied_profile = draft.config.optimized_for;
            draft.cluster_id = vm.cluster_id;
        }
        apply_request(state, &mut draft, req, false).await?;
        save_config::<Self>(state, user, draft).await
    }

    async fn update(state: &AppState, user: &CurrentUser, id: Uuid, body: Body<Self>) -> Result<ConfigRecord, Fault> {
        let body = body?;
        let obj = body.obj();
        let req = read_request(state, &obj, IDENTITY, READ_ONLY).await?;
        if obj.get("vm")?.is_some() {
            return Err(Fault::invalid(
                "template/vm",
                "a template's source VM only matters when adding it",
            ));
        }
        let mut draft = state.service.load_draft(ConfigKind::Template, id).await?.draft;
        apply_request(state, &mut draft, req, false).await?;
        save_config::<Self>(state, user, draft).await
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        Ok(state.service.remove_template(user, id).await?)
    }
}
