use crate::error::AppError;
use crate::models::{CpuMapData, HostKeyScan, HostView, SshIdentity, TopologyFile};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "list_hosts", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn list_hosts() -> Result<Vec<HostView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_hosts().await)
}

#[server(prefix = "/api", endpoint = "topology_files", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn topology_files() -> Result<Vec<TopologyFile>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    Ok(backend()?.topology_files())
}

/// Form fields arrive as strings so the same function serves the hydrated dialog and a plain form
/// post with JavaScript off. The address travels as its parts (transport, address, user, port,
/// simulated topology); the service validates them and builds the libvirt URI itself — there is no
/// URI field (a client that still sends `uri` gets a field error for the missing transport). Fields
/// a transport does not use may be absent (the hydrated dialog disables them).
/// `host_key_sha256` (SSH only): the fingerprint the admin confirmed in the dialog's second step.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api", endpoint = "add_host", output = crate::api::json_text::JsonText)]
pub async fn add_host(
    name: String,
    cluster_id: String,
    #[server(default)] transport: String,
    #[server(default)] address: String,
    #[server(default)] user: String,
    #[server(default)] port: String,
    #[server(default)] simulated_topology: String,
    #[server(default)] host_key_sha256: String,
) -> Result<HostView, AppError> {
    use super::ssr::*;
    use crate::models::AddHostRequest;
    let actor = authorize_read()?;
    let cluster_id = parse_id("cluster_id", &cluster_id, "Choose a cluster.")?;
    let request = AddHostRequest {
        name,
        cluster_id,
        transport,
        address,
        user,
        port,
        simulated_topology,
        host_key_sha256,
    };
    respond_selected("/hosts", backend()?.add_host(&actor, request).await, |h| h.id)
}

/// Vireo's SSH public key and its `authorized_keys` line (Add Host shows both).
#[server(prefix = "/api", endpoint = "vireo_ssh_key", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn vireo_ssh_key() -> Result<SshIdentity, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.ssh_identity().await)
}

/// Fetches an SSH host's key for the admin to confirm (the dialog's "Fetch host key" step, also
/// rendered on the server from the URL with JavaScript off). Admins only (the service checks).
#[server(prefix = "/api", endpoint = "scan_host_key", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn scan_host_key(
    #[server(default)] address: String,
    #[server(default)] user: String,
    #[server(default)] port: String,
) -> Result<HostKeyScan, AppError> {
    use super::ssr::*;
    use crate::models::AddHostRequest;
    let actor = authorize_read()?;
    let request = AddHostRequest {
        transport: "ssh".into(),
        address,
        user,
        port,
        ..Default::default()
    };
    respond(backend()?.scan_host_key(&actor, request).await)
}

/// Starts or stops KSM on a host.
#[server(prefix = "/api", endpoint = "set_host_ksm", output = crate::api::json_text::JsonText)]
pub async fn set_host_ksm(host_id: String, running: String) -> Result<HostView, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let host_id = parse_id("host_id", &host_id, "Not a valid id.")?;
    let host = backend()?
        .set_host_ksm(&actor, host_id, running == "on" || running == "true")
        .await;
    respond_selected("/hosts", host, |h| h.id)
}

/// A host's CPU map data: its topology and the pins of the VMs pinned to it or running on it.
#[server(prefix = "/api", endpoint = "host_cpu_map", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn host_cpu_map(host_id: String) -> Result<CpuMapData, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let host_id = parse_id("host_id", &host_id, "Not a valid id.")?;
    respond(backend()?.host_cpu_map(host_id).await)
}
