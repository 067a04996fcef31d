//! `/vms/{id}/graphicsconsoles`: a VM's graphical console (VNC) unless it is headless, with oVirt's
//! `ticket` and `remoteviewerconnectionfile` actions.
//!
//! Listing follows oVirt: without `?current=true` the consoles of the VM's configuration (its next
//! run's, when an edit is pending); with it, those of the running VM, so a VM that is down has none.
//! oVirt then adds the display's `address` and `port`; Vireo's display listens on a UNIX socket on
//! its host and has neither, so they are left out rather than invented.
//!
//! `ticket` answers a console ticket of the service (`ConsoleBackend::console_ticket`: admins and
//! operators, audited, bound to the caller and the VM, one use, 30 s): it opens the console's
//! WebSocket, `GET /vms/{id}/console/vnc?ticket=…` with the same bearer token. oVirt lets a client
//! propose the value and the expiry and answers what it actually used; Vireo always chooses both.
//!
//! `remoteviewerconnectionfile` answers a `.vv` file for `remote-viewer`: it takes such a ticket and
//! starts a one-time VNC relay on the Vireo server (`web/vnc_relay.rs`) whose 8-character VNC
//! password is in the file. The file names the address the relay listens on: Vireo's own when it
//! serves on one address, else the host name the request was sent to.

use super::extract::kind::{self, Kind};
use super::extract::{ApiId, ApiIdAnd, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{reference, API};
use super::query::flag;
use super::response::{action_complete, created, ok};
use super::vms::{change_config, editable_config, record};
use super::xml::El;
use crate::repository::ConfigRecord;
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;
use vireo_app::backend::ConsoleBackend;
use vireo_app::models::ConsoleKind;

/// `?current=true`.
#[derive(Debug, Default, Deserialize)]
pub struct Current {
    pub current: Option<String>,
}

/// The actions a graphics console takes (oVirt's `proxyticket` is for its websocket proxy, which
/// Vireo has no need of: its own WebSocket takes the `ticket`).
const ACTIONS: [&str; 2] = ["remoteviewerconnectionfile", "ticket"];

fn console_id(vm: Uuid) -> Uuid {
    Uuid::new_v5(&vm, b"console/vnc")
}

fn console_element(vm: Uuid) -> El {
    let id = console_id(vm);
    let href = format!("{API}/vms/{vm}/graphicsconsoles/{id}");
    let actions = El::new("actions").children(
        ACTIONS
            .iter()
            .map(|a| El::new("link").attr("href", format!("{href}/{a}")).attr("rel", *a)),
    );
    El::new("graphics_console")
        .attr("href", &href)
        .attr("id", id)
        .child(actions)
        .text("protocol", "vnc")
        .child(reference("vm", "vms", vm))
}

/// Whether the VM has a graphical console: in its configuration, or (`current`) running now.
fn has_console(rec: &ConfigRecord, current: bool) -> bool {
    if current {
        rec.running() && !rec.config.headless
    } else {
        !editable_config(rec).headless
    }
}

/// The VM and its console `gid`, or a 404 `<fault>`.
async fn console(state: &AppState, id: Uuid, gid: &str, current: bool) -> Result<ConfigRecord, Fault> {
    let rec = record(state, id).await?;
    if !has_console(&rec, current) || gid != console_id(rec.id).to_string() {
        return Err(Fault::not_found(&format!("graphics console {gid}")));
    }
    Ok(rec)
}

pub async fn graphics_consoles(
    State(state): State<AppState>,
    Query(q): Query<Current>,
    ApiId { id, .. }: ApiId<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = record(&state, id).await?;
    let mut list = El::new("graphics_consoles");
    if has_console(&rec, flag(&q.current)) {
        list = list.child(console_element(rec.id));
    }
    Ok(ok(list))
}

pub async fn graphics_console(
    State(state): State<AppState>,
    Query(q): Query<Current>,
    ApiIdAnd { id, sub: gid, .. }: ApiIdAnd<kind::Vm>,
) -> Result<Response, Fault> {
    let rec = console(&state, id, &gid, flag(&q.current)).await?;
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

/// `POST /vms/{id}/graphicsconsoles/{gid}/{action}`: the action's name is checked first, then the
/// VM and its console, then the (optional) body, then the caller's role (in the service).
pub async fn console_action(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    Path((id, gid, action)): Path<(String, String, String)>,
    body: Result<Option<XmlBody<kind::Action>>, Fault>,
) -> Result<Response, Fault> {
    if !ACTIONS.contains(&action.as_str()) {
        return Err(Fault::not_found(&format!(
            "action '{action}' (a graphics console has: {})",
            ACTIONS.join(", ")
        )));
    }
    let id = ApiId::<kind::Vm>::parse(&id)?;
    let rec = console(&state, id, &gid, false).await?;
    let body = body?;
    if let Some(body) = &body {
        let obj = body.obj();
        if action == "ticket" {
            obj.allow(&["async", "ticket"])?;
            if let Some(ticket) = obj.get("ticket")? {
                ticket.allow(&["expiry", "value"])?;
                // Read so that a malformed one is refused; Vireo's tickets are its own (see above).
                ticket.u32("expiry")?;
            }
        } else {
            obj.allow(&["async"])?;
        }
    }
    let ticket = state.service.console_ticket(&user, id, ConsoleKind::Vnc).await?;
    if action == "ticket" {
        return Ok(ok(El::new("action")
            .child(
                El::new("ticket")
                    .text("value", &ticket.ticket)
                    .text("expiry", ticket.expires_in),
            )
            .text("status", "complete")));
    }
    if !has_console(&rec, true) {
        return Err(Fault::new(
            StatusCode::CONFLICT,
            "Operation Failed",
            format!(
                "[Cannot get a console file: {} {} is not running.]",
                kind::Vm::WHAT,
                rec.name
            ),
        ));
    }
    let host = relay_host(state.vnc_relays.bind_address(), &headers)?;
    let offer = state.vnc_relays.open(state.service.clone(), user, id, ticket).await?;
    let file = connection_file(&host, offer.port, &offer.password, &rec.name);
    Ok(ok(El::new("action")
        .text("remote_viewer_connection_file", file)
        .text("status", "complete")))
}

/// Where the `.vv` file sends the viewer: the relay's own address when Vireo serves on one, else
/// the host the request was sent to (its `Host` header, checked to be a host name or an address so
/// that nothing else reaches the file).
fn relay_host(bind: std::net::IpAddr, headers: &HeaderMap) -> Result<String, Fault> {
    if !bind.is_unspecified() {
        return Ok(bind.to_string());
    }
    let bad = || {
        Fault::new(
            StatusCode::BAD_REQUEST,
            "Invalid input",
            "the request's Host header names no host the console's viewer could connect to",
        )
    };
    let value = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(bad)?;
    let host = match value.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map(|(h, _)| h).ok_or_else(bad)?,
        None => value.rsplit_once(':').map_or(value, |(h, _)| h),
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
    if host.is_empty() || host.len() > 253 || !host.chars().all(allowed) {
        return Err(bad());
    }
    Ok(host.to_string())
}

/// A `remote-viewer` connection file for the relay (virt-viewer's `[virt-viewer]` keys, as oVirt
/// writes them for VNC).
fn connection_file(host: &str, port: u16, password: &str, vm_name: &str) -> String {
    // One line per key: whatever a name holds, it cannot start another.
    let title: String = vm_name.chars().filter(|c| !c.is_control()).collect();
    [
        "[virt-viewer]".to_string(),
        "type=vnc".to_string(),
        format!("host={host}"),
        format!("port={port}"),
        format!("password={password}"),
        "delete-this-file=1".to_string(),
        format!("title={title}:%d - Press SHIFT+F12 to Release Cursor"),
        "fullscreen=0".to_string(),
        "toggle-fullscreen=shift+f11".to_string(),
        "release-cursor=shift+f12".to_string(),
        "secure-attention=ctrl+alt+end".to_string(),
        String::new(),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_host(host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        h
    }

    #[test]
    fn the_file_names_the_relay_and_its_one_time_password() {
        let file = connection_file("10.0.0.5", 40123, "Tk7pQz2m", "web\n[virt-viewer]\nhost=evil");
        let lines: Vec<&str> = file.lines().collect();
        assert_eq!(lines[0], "[virt-viewer]");
        for line in [
            "type=vnc",
            "host=10.0.0.5",
            "port=40123",
            "password=Tk7pQz2m",
            "delete-this-file=1",
        ] {
            assert!(lines.contains(&line), "{line} in\n{file}");
        }
        assert_eq!(lines.iter().filter(|l| l.starts_with("host=")).count(), 1, "{file}");
        assert_eq!(lines.iter().filter(|l| l.starts_with('[')).count(), 1, "{file}");
    }

    #[test]
    fn the_relay_host_is_vireos_address_or_the_requests_host() {
        let any: std::net::IpAddr = "0.0.0.0".parse().unwrap();
        let one: std::net::IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(relay_host(one, &with_host("vireo.example:3000")).unwrap(), "192.0.2.7");
        assert_eq!(
            relay_host(any, &with_host("vireo.example:3000")).unwrap(),
            "vireo.example"
        );
        assert_eq!(relay_host(any, &with_host("vireo.example")).unwrap(), "vireo.example");
        assert_eq!(
            relay_host(any, &with_host("[2001:db8::1]:3000")).unwrap(),
            "2001:db8::1"
        );
        for hostile in ["", "a b", "x\ty", "[2001:db8::1", "host=evil;x", "é.example"] {
            let headers = if hostile.is_empty() {
                HeaderMap::new()
            } else {
                with_host(hostile)
            };
            assert!(relay_host(any, &headers).is_err(), "{hostile:?}");
        }
    }
}
