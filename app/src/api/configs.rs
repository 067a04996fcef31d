//! Server functions of the VM, Template and Pool dialogs and pages.

use crate::domain::draft::VmDraft;
use crate::domain::recommendations::HostAction;
use crate::domain::rule_context::RuleContext;
use crate::error::AppError;
use crate::models::{DialogOptions, DraftEnvelope, HostView, Preview, SaveOutcome};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
fn parse_kind(kind: &str) -> Result<crate::domain::draft::ConfigKind, AppError> {
    crate::domain::draft::ConfigKind::parse(kind).ok_or_else(|| AppError::validation("kind", "Unknown object kind."))
}

#[server(prefix = "/api", endpoint = "dialog_options", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn get_dialog_options() -> Result<DialogOptions, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.dialog_options().await)
}

#[server(prefix = "/api", endpoint = "rule_context", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn get_rule_context(
    cluster_id: Option<String>,
    os_type: String,
    exclude: Option<String>,
) -> Result<RuleContext, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let cluster_id = parse_optional_id("cluster_id", cluster_id)?;
    let exclude = parse_optional_id("id", exclude)?;
    respond(backend()?.rule_context(cluster_id, &os_type, exclude).await)
}

/// A new object's draft, from its template (Blank when none); a new VM from Blank gets `nic1` on
/// its cluster's default vNIC profile.
#[server(prefix = "/api", endpoint = "new_draft", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn new_draft(kind: String, template_id: Option<String>) -> Result<VmDraft, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let kind = parse_kind(&kind).map_err(with_status)?;
    let template = parse_optional_id("template_id", template_id)?;
    let backend = backend()?;
    let mut draft = respond(backend.new_draft(kind, template).await)?;
    // As in oVirt, a new VM from Blank starts with one NIC on its cluster's default network. Only
    // the dialog does this: a REST client gets exactly the NICs it asks for.
    let blank = template.is_none_or(|t| t.is_nil());
    if kind == crate::domain::draft::ConfigKind::Vm && blank && draft.config.nics.is_empty() {
        // A cluster without a default network: no NIC (one on no network would only confuse).
        // Nor when the networks cannot be read: the dialog still opens (the NIC can be added later).
        let profile = backend
            .default_vnic_profile(draft.cluster_id)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!("no default vNIC profile for a new VM: {e}");
                None
            });
        if let Some(profile) = profile {
            draft.config.nics.push(crate::domain::network::Nic::new(
                crate::domain::network::next_nic_name(&draft.config.nics),
                Some(profile),
            ));
        }
    }
    Ok(draft)
}

#[server(prefix = "/api", endpoint = "load_draft", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn load_draft(kind: String, id: String) -> Result<DraftEnvelope, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let kind = parse_kind(&kind).map_err(with_status)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    respond(backend()?.load_draft(kind, id).await)
}

/// The rules' verdict on a draft: field errors, unmet recommendations with fixes, next-run fields.
/// Writes nothing.
#[server(prefix = "/api", endpoint = "preview", input = Json, output = crate::api::json_text::JsonText)]
pub async fn preview_draft(draft: VmDraft) -> Result<Preview, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.preview(&draft).await)
}

#[server(prefix = "/api", endpoint = "save", input = Json, output = crate::api::json_text::JsonText)]
pub async fn save_draft(draft: VmDraft, save_anyway: bool) -> Result<SaveOutcome, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    respond(backend()?.save(&actor, draft, save_anyway).await)
}

/// Runs a fix's host-level part (allocating huge pages on the pinned host).
#[server(prefix = "/api", endpoint = "apply_host_action", input = Json, output = crate::api::json_text::JsonText)]
pub async fn apply_host_action(action: HostAction) -> Result<HostView, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    respond(backend()?.apply_host_action(&actor, action).await)
}
