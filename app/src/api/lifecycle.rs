//! Lifecycle server functions, called by the hydrated grid one VM at a time (so each row shows its
//! own progress). Without JavaScript the grid's toolbar posts to `/vms/bulk` instead.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "vm_action", output = crate::api::json_text::JsonText)]
pub async fn vm_action(id: String, action: String) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::models::VmAction;
    let actor = authorize_read()?;
    let vm = parse_id("id", &id, "Not a valid VM id.")?;
    let action =
        VmAction::parse(&action).ok_or_else(|| with_status(AppError::validation("action", "Unknown action.")))?;
    respond(backend()?.vm_action(&actor, vm, action).await)
}

/// Removes a VM; `force` powers a running one off first (the UI asked); its own disks go too
/// unless `remove_disks` is `Some(false)`.
#[server(prefix = "/api", endpoint = "remove_vm", output = crate::api::json_text::JsonText)]
pub async fn remove_vm(id: String, force: bool, remove_disks: Option<bool>) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let vm = parse_id("id", &id, "Not a valid VM id.")?;
    respond(
        backend()?
            .remove_vm(&actor, vm, force, remove_disks.unwrap_or(true))
            .await,
    )
}

#[server(prefix = "/api", endpoint = "domain_xml", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn domain_xml(id: String) -> Result<String, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let vm = parse_id("id", &id, "Not a valid VM id.")?;
    respond(backend()?.domain_xml(vm).await)
}
