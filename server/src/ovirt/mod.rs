//! The oVirt Engine API v4 compatible REST API : `/ovirt-engine/sso/…` for tokens and
//! `/ovirt-engine/api/…` for data centers, clusters (with their scheduling policies and MAC pool), hosts, templates, pools, instance types, VMs, storage domains,
//! disks and disk attachments, networks, vNIC profiles, network filters, NICs and reported devices, operating systems, in the XML the real `ovirtsdk4` client reads (examples of it:
//! `server/tests/fixtures/ovirt-wire-samples/`).
//! Handlers are thin: read XML, call the same services (and so the same High Performance rules) as
//! the web UI, write XML. Every error is a `<fault>`.

mod clusters;
mod collection;
mod data_centers;
mod disk_attachments;
mod disks;
mod extract;
mod fault;
mod follow;
mod hosts;
mod href;
mod instance_types;
mod mac_pools;
mod networks;
mod nics;
mod operating_systems;
mod pools;
mod query;
mod read;
mod refs;
mod response;
mod root;
mod scheduling_policies;
mod sso;
mod storage_domains;
mod templates;
mod vm_base;
mod vm_consoles;
mod vm_numa;
mod vm_request;
mod vms;
pub mod xml;

use crate::web::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use extract::kind;
use fault::Fault;
use href::API;

pub fn router(state: AppState) -> Router<AppState> {
    let api = Router::new().route("/", get(root::get_root));
    let api = collection::routes::<kind::Cluster>(api);
    let api = data_centers::routes(api);
    let api = collection::routes::<kind::Host>(api);
    let api = collection::routes::<kind::Template>(api);
    let api = collection::routes::<kind::Pool>(api);
    let api = instance_types::routes(api);
    let api = scheduling_policies::routes(api);
    let api = mac_pools::routes(api);
    let api = collection::routes::<kind::StorageDomain>(api);
    let api = collection::routes::<kind::Disk>(api);
    let api = disk_attachments::routes::<kind::Vm>(api);
    let api = disk_attachments::routes::<kind::Template>(api);
    let api = collection::routes::<kind::Network>(api);
    let api = collection::routes::<kind::VnicProfile>(api);
    let api = networks::routes(api);
    let api = nics::routes::<kind::Vm>(api);
    let api = nics::routes::<kind::Template>(api);
    let api = api
        .route("/storagedomains/{id}/disks", get(storage_domains::disks))
        .route("/vms/{id}/reporteddevices", get(nics::reported_devices))
        .route("/vms/{id}/reporteddevices/{rid}", get(nics::reported_device))
        .route("/vms/{id}/nics/{nid}/reporteddevices", get(nics::nic_reported_devices))
        .route("/operatingsystems", get(operating_systems::list))
        .route("/operatingsystems/{id}", get(operating_systems::get))
        .route("/hosts/{id}/numanodes", get(hosts::numa_nodes))
        .route("/hosts/{id}/numanodes/{nid}", get(hosts::numa_node))
        .route("/vms", get(vms::list).post(vms::add))
        .route("/vms/{id}", get(vms::get).put(vms::update).delete(vms::remove))
        .route(
            "/vms/{id}/numanodes",
            get(vm_numa::numa_nodes).post(vm_numa::add_numa_node),
        )
        .route(
            "/vms/{id}/numanodes/{nid}",
            get(vm_numa::numa_node)
                .put(vm_numa::update_numa_node)
                .delete(vm_numa::remove_numa_node),
        )
        .route(
            "/vms/{id}/graphicsconsoles",
            get(vm_consoles::graphics_consoles).post(vm_consoles::add_graphics_console),
        )
        .route(
            "/vms/{id}/graphicsconsoles/{gid}",
            get(vm_consoles::graphics_console).delete(vm_consoles::remove_graphics_console),
        )
        .route(
            "/vms/{id}/graphicsconsoles/{gid}/{action}",
            post(vm_consoles::console_action),
        )
        .route("/vms/{id}/{action}", post(vms::action))
        .fallback(|| async { Fault::not_found("no such collection or action") })
        .layer(axum::middleware::from_fn_with_state(state, bearer_auth));
    Router::new()
        .route("/ovirt-engine/sso/oauth/token", post(sso::token))
        .route("/ovirt-engine/services/sso-logout", post(sso::logout))
        .nest(API, api)
}

/// Collapses `//` and drops a trailing `/` in API paths (the SDK sends `/ovirt-engine/api//vms`
/// when its URL ends in `/`). Applied around the whole router: routing happens before any inner
/// middleware could rewrite the path.
pub fn collapse_slashes<B>(mut request: http::Request<B>) -> http::Request<B> {
    let path = request.uri().path();
    if path.starts_with("/ovirt-engine/") && (path.contains("//") || path.ends_with('/')) {
        let mut collapsed = String::with_capacity(path.len());
        for c in path.chars() {
            if !(c == '/' && collapsed.ends_with('/')) {
                collapsed.push(c);
            }
        }
        while collapsed.len() > 1 && collapsed.ends_with('/') {
            collapsed.pop();
        }
        let with_query = match request.uri().query() {
            Some(q) => format!("{collapsed}?{q}"),
            None => collapsed,
        };
        if let Ok(uri) = with_query.parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// Attaches the token's user, or answers 401 with a `<fault>` (the SDK then fetches a new token
/// and retries once).
async fn bearer_auth(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Fault::unauthorized().into_response();
    };
    match sso::user_for_token(&state, token).await {
        Ok(Some(user)) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        Ok(None) => Fault::unauthorized().into_response(),
        Err(e) => Fault::from(e).into_response(),
    }
}
