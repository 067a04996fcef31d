//! `/vms/{id}/graphicsconsoles`: a VM has one VNC console unless it is headless.

use super::extract::kind;
use super::extract::{ApiId, ApiIdAnd, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{reference, API};
use super::response::{action_complete, created, ok};
use super::vms::{change_config, editable_config, record};
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

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

pub async fn graphics_consoles(
    State(state): State<AppState>,
    ApiId { id, .. }: ApiId<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    let mut list = El::new("graphics_consoles");
    if !editable_config(&rec).headless {
        list = list.child(console_element(rec.id));
    }
    Ok(ok(list))
}

pub async fn graphics_console(
    State(state): State<AppState>,
    ApiIdAnd { id, sub: gid, .. }: ApiIdAnd<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    if editable_config(&rec).headless || gid != console_id(rec.id).to_string() {
        return Err(Fault::not_found(&format!("graphics console {gid}")));
    }
    Ok(ok(console_element(rec.id)))
}

pub async fn add_graphics_console(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<kind::Vm>,
    body: XmlBody<kind::GraphicsConsole>,
) -> Result<Response, Fault> {
    let obj = body.obj();
    obj.allow(&["protocol", "vm"])?;
    if obj.one_of("protocol", &["vnc", "spice"])?.as_deref() == Some("spice") {
        return Err(Fault::invalid(
            "graphics_console/protocol",
            "Vireo gives VMs a VNC console only",
        ));
    }
    let rec = change_config(&state, &user, id, |cfg| cfg.headless = false).await?;
    Ok(created(console_element(rec.id)))
}

pub async fn remove_graphics_console(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiIdAnd { id, sub: gid, .. }: ApiIdAnd<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    if gid != console_id(rec.id).to_string() {
        return Err(Fault::not_found(&format!("graphics console {gid}")));
    }
    change_config(&state, &user, rec.id, |cfg| cfg.headless = true).await?;
    Ok(action_complete())
}
