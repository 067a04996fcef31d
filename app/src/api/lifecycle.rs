//! Lifecycle server functions. String arguments, so the same functions serve the hydrated buttons
//! and plain form posts (each answers with a redirect back to the VM).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
fn parse_vm(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::validation("id", "Not a valid VM id."))
}

#[server(prefix = "/api", endpoint = "vm_action")]
pub async fn run_vm_action(id: String, action: String) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::models::VmAction;
    let actor = authorize_write()?;
    let vm = parse_vm(&id).map_err(with_status)?;
    let action =
        VmAction::parse(&action).ok_or_else(|| with_status(AppError::validation("action", "Unknown action.")))?;
    respond(backend()?.vm_action(&actor, vm, action).await)?;
    leptos_axum::redirect(&format!("/vms?selected={vm}"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "remove_vm")]
pub async fn remove_vm(id: String, force: Option<String>) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_write()?;
    let vm = parse_vm(&id).map_err(with_status)?;
    respond(
        backend()?
            .remove_vm(&actor, vm, force.is_some_and(|f| f == "on" || f == "true"))
            .await,
    )?;
    leptos_axum::redirect("/vms");
    Ok(())
}

#[server(prefix = "/api", endpoint = "domain_xml", input = GetUrl)]
pub async fn domain_xml(id: String) -> Result<String, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let vm = parse_vm(&id).map_err(with_status)?;
    respond(backend()?.domain_xml(vm).await)
}
