use crate::error::AppError;
use crate::models::{HostView, TopologyFile};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "list_hosts", input = GetUrl)]
pub async fn list_hosts() -> Result<Vec<HostView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_hosts().await)
}

#[server(prefix = "/api", endpoint = "topology_files", input = GetUrl)]
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
#[server(prefix = "/api", endpoint = "add_host")]
pub async fn add_host(
    name: String,
    cluster_id: String,
    #[server(default)] transport: String,
    #[server(default)] address: String,
    #[server(default)] user: String,
    #[server(default)] port: String,
    #[server(default)] simulated_topology: String,
) -> Result<HostView, AppError> {
    use super::ssr::*;
    use crate::models::AddHostRequest;
    use uuid::Uuid;
    let actor = authorize_read()?;
    let cluster_id = Uuid::parse_str(cluster_id.trim())
        .map_err(|_| with_status(AppError::validation("cluster_id", "Choose a cluster.")))?;
    let request = AddHostRequest {
        name,
        cluster_id,
        transport,
        address,
        user,
        port,
        simulated_topology,
    };
    let host = respond(backend()?.add_host(&actor, request).await)?;
    // Closes the dialog on the new host, for the hydrated page and for a plain form post alike.
    leptos_axum::redirect(&format!("/hosts?selected={}", host.id));
    Ok(host)
}

/// Starts or stops KSM on a host.
#[server(prefix = "/api", endpoint = "set_host_ksm")]
pub async fn set_host_ksm(host_id: String, running: String) -> Result<HostView, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let host_id = uuid::Uuid::parse_str(host_id.trim())
        .map_err(|_| with_status(AppError::validation("host_id", "Not a valid id.")))?;
    let host = respond(
        backend()?
            .set_host_ksm(&actor, host_id, running == "on" || running == "true")
            .await,
    )?;
    leptos_axum::redirect(&format!("/hosts?selected={}", host.id));
    Ok(host)
}
