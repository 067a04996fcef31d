//! Consoles: which consoles a VM has (the Console sub-tab), and the one-time ticket the page's
//! console script (`public/console.js`) asks for before it opens the console's WebSocket. The
//! ticket's path is fixed (`/api/console_ticket`, a form post of `vm_id` and `kind`): the script
//! and outside clients call it by name.

use crate::error::AppError;
use crate::models::ConsoleAvailability;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The VM's consoles and whether each can be opened now (any logged-in user may read this).
#[server(prefix = "/api", endpoint = "vm_consoles", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn vm_consoles(vm_id: String) -> Result<Vec<ConsoleAvailability>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let vm = parse_id("vm_id", &vm_id, "Not a valid VM id.")?;
    respond(backend()?.vm_consoles(vm).await)
}

/// A one-time ticket for the VM's `kind` console (`serial` or `vnc`); the service checks the role
/// (admins and operators) and audits.
/// (The macro's struct is named apart from the `ConsoleTicket` the function answers.)
#[server(name = ConsoleTicketRequest, prefix = "/api", endpoint = "console_ticket", output = crate::api::json_text::JsonText)]
pub async fn console_ticket(vm_id: String, kind: String) -> Result<crate::models::ConsoleTicket, AppError> {
    use super::ssr::*;
    use crate::models::ConsoleKind;
    let actor = authorize_read()?;
    let vm = parse_id("vm_id", &vm_id, "Not a valid VM id.")?;
    let kind = ConsoleKind::parse(kind.trim())
        .ok_or_else(|| with_status(AppError::validation("kind", "Choose serial or vnc.")))?;
    respond(backend()?.console_ticket(&actor, vm, kind).await)
}
