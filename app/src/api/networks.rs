//! Networks, vNIC profiles and a VM's or Template's NICs. Form fields arrive as strings so each
//! function serves the hydrated dialog and a plain form post with JavaScript off alike; the service
//! checks the role (networks and profiles: admins; NICs: operators too) and writes the audit event.

use crate::error::AppError;
use crate::models::{AttachedNic, GridPage, GridQuery, NetworkView, NicChangeOutcome, VnicProfileView};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The Networks page.
pub const NETWORKS_PATH: &str = "/networks";
/// The vNIC Profiles page.
pub const PROFILES_PATH: &str = "/vnic-profiles";

/// The page a VM's or Template's Network Interfaces sub-tab is on, with the object selected and
/// the sub-tab open.
pub fn nics_tab_href(kind: crate::domain::draft::ConfigKind, id: &str) -> String {
    format!("{}?selected={id}&tab=nics", kind.page())
}

#[cfg(feature = "ssr")]
mod forms {
    use super::super::ssr::with_status;
    use crate::domain::draft::ConfigKind;
    use crate::domain::network::{MacAddress, NetworkBacking, NicModel};
    use crate::error::AppError;
    use crate::models::NicChangeOutcome;

    pub fn kind(text: &str) -> Result<ConfigKind, AppError> {
        ConfigKind::parse(text.trim())
            .filter(|k| *k != ConfigKind::Pool)
            .ok_or_else(|| with_status(AppError::validation("kind", "NICs belong to a VM or a Template.")))
    }

    pub fn backing(text: &str) -> Result<NetworkBacking, AppError> {
        NetworkBacking::parse(text.trim()).ok_or_else(|| {
            with_status(AppError::validation(
                "backing",
                "Choose a libvirt network or a host bridge.",
            ))
        })
    }

    pub fn model(text: &str) -> Result<NicModel, AppError> {
        NicModel::parse(text.trim()).ok_or_else(|| with_status(AppError::validation("model", "Choose a NIC type.")))
    }

    /// "VLAN tag": empty for none, else a whole number (the service checks its range).
    pub fn vlan(text: &str) -> Result<Option<u32>, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<u32>().map(Some).map_err(|_| {
            with_status(AppError::validation(
                "vlan_id",
                "A VLAN tag is a number between 1 and 4094.",
            ))
        })
    }

    /// "Custom MAC address": empty for one from Vireo's range.
    pub fn mac(text: &str) -> Result<Option<MacAddress>, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        MacAddress::parse(text)
            .map(Some)
            .map_err(|e| with_status(AppError::validation("mac", e)))
    }

    /// The network filter select: empty is "No network filter" (the service checks the name).
    pub fn filter(text: &str) -> Option<String> {
        Some(text.trim().to_string()).filter(|f| !f.is_empty())
    }

    /// A checkbox: present (and on) when ticked.
    pub fn ticked(value: &Option<String>) -> bool {
        value.as_deref().is_some_and(|v| matches!(v, "on" | "true" | "1"))
    }

    /// "Link State" (Up/Down) and "Card Status" (Plugged/Unplugged) radios; absent keeps `default`.
    pub fn choice(value: &Option<String>, yes: &str, default: bool) -> bool {
        value.as_deref().map_or(default, |v| v == yes)
    }

    /// Back on the object's Network Interfaces sub-tab, saying where the change took effect.
    pub fn back_to_nics(kind: ConfigKind, id: uuid::Uuid, outcome: &NicChangeOutcome) {
        let mut query = vec![("selected", id.to_string()), ("tab", "nics".to_string())];
        match outcome {
            NicChangeOutcome::Live => query.push(("nic_outcome", "live".into())),
            NicChangeOutcome::NextRun { reason } => {
                query.push(("nic_outcome", "next_run".into()));
                query.push(("nic_reason", reason.clone()));
            }
        }
        let query = query
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::components::grid_controls::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        leptos_axum::redirect(&format!("{}?{query}", kind.page()));
    }
}

/// A fresh id for a NIC the New VM/Template dialog adds (ids are minted on the server).
#[server(prefix = "/api", endpoint = "new_nic_id", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn new_nic_id() -> Result<uuid::Uuid, AppError> {
    use super::ssr::*;
    authorize_read()?;
    Ok(uuid::Uuid::new_v4())
}

#[server(prefix = "/api", endpoint = "network_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn network_grid(query: GridQuery) -> Result<GridPage<NetworkView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.network_grid(&query).await)
}

#[server(prefix = "/api", endpoint = "vnic_profile_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn vnic_profile_grid(query: GridQuery) -> Result<GridPage<VnicProfileView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.vnic_profile_grid(&query).await)
}

/// Every vNIC profile (the NIC dialogs offer those of the object's cluster).
#[server(prefix = "/api", endpoint = "list_vnic_profiles", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn list_vnic_profiles() -> Result<Vec<VnicProfileView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_vnic_profiles().await)
}

/// The profile a new VM's first NIC goes on in the cluster (the default cluster's when empty);
/// `None` when the cluster has none.
#[server(prefix = "/api", endpoint = "default_vnic_profile", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn default_vnic_profile(#[server(default)] cluster_id: String) -> Result<Option<uuid::Uuid>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let cluster = parse_optional_id("cluster_id", Some(cluster_id))?;
    respond(backend()?.default_vnic_profile(cluster).await)
}

/// Reads the hosts' libvirt networks and bridges again, then shows `page` anew.
#[server(prefix = "/api", endpoint = "refresh_networks", output = crate::api::json_text::JsonText)]
pub async fn refresh_networks(page: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    respond(backend()?.refresh_networks(&actor, None).await)?;
    let page = if page == PROFILES_PATH {
        PROFILES_PATH
    } else {
        NETWORKS_PATH
    };
    leptos_axum::redirect(page);
    Ok(())
}

/// New network: backed by a libvirt network or a host bridge (`backing_name` empty: the network's
/// own name) on the cluster's hosts; `vlan_id` empty for none.
#[server(prefix = "/api", endpoint = "add_network", output = crate::api::json_text::JsonText)]
pub async fn add_network(
    name: String,
    #[server(default)] description: String,
    #[server(default)] cluster_id: String,
    backing: String,
    #[server(default)] backing_name: String,
    #[server(default)] vlan_id: String,
) -> Result<NetworkView, AppError> {
    use super::ssr::*;
    use crate::models::NewNetworkRequest;
    let actor = authorize_read()?;
    let request = NewNetworkRequest {
        name: name.trim().to_string(),
        description,
        cluster_id: parse_optional_id("cluster_id", Some(cluster_id))?,
        backing: forms::backing(&backing)?,
        backing_name: backing_name.trim().to_string(),
        vlan_id: forms::vlan(&vlan_id)?,
    };
    respond_selected(NETWORKS_PATH, backend()?.add_network(&actor, request).await, |n| n.id)
}

/// Removes a network and its profiles; refused (naming them) while NICs use it.
#[server(prefix = "/api", endpoint = "remove_network", output = crate::api::json_text::JsonText)]
pub async fn remove_network(id: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Choose a network.")?;
    respond(backend()?.remove_network(&actor, id).await)?;
    leptos_axum::redirect(NETWORKS_PATH);
    Ok(())
}

/// New vNIC profile on a network; `network_filter` empty for none, `multiqueue` present when ticked.
#[server(prefix = "/api", endpoint = "add_vnic_profile", output = crate::api::json_text::JsonText)]
pub async fn add_vnic_profile(
    name: String,
    #[server(default)] description: String,
    network_id: String,
    #[server(default)] network_filter: String,
    #[server(default)] multiqueue: Option<String>,
) -> Result<VnicProfileView, AppError> {
    use super::ssr::*;
    use crate::models::VnicProfileRequest;
    let actor = authorize_read()?;
    let request = VnicProfileRequest {
        name: name.trim().to_string(),
        description,
        network_id: parse_id("network_id", &network_id, "Choose a network.")?,
        network_filter: forms::filter(&network_filter),
        multiqueue: forms::ticked(&multiqueue),
    };
    respond_selected(PROFILES_PATH, backend()?.add_vnic_profile(&actor, request).await, |p| {
        p.id
    })
}

/// Changes a profile's name, description, filter and multiqueue (its network stays).
#[server(prefix = "/api", endpoint = "update_vnic_profile", output = crate::api::json_text::JsonText)]
pub async fn update_vnic_profile(
    id: String,
    version: String,
    name: String,
    #[server(default)] description: String,
    network_id: String,
    #[server(default)] network_filter: String,
    #[server(default)] multiqueue: Option<String>,
) -> Result<VnicProfileView, AppError> {
    use super::ssr::*;
    use crate::models::VnicProfileRequest;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Choose a vNIC profile.")?;
    let version = version
        .trim()
        .parse::<i32>()
        .map_err(|_| with_status(AppError::validation("version", "Open the profile again and retry.")))?;
    let request = VnicProfileRequest {
        name: name.trim().to_string(),
        description,
        network_id: parse_id("network_id", &network_id, "Choose a network.")?,
        network_filter: forms::filter(&network_filter),
        multiqueue: forms::ticked(&multiqueue),
    };
    respond_selected(
        PROFILES_PATH,
        backend()?.update_vnic_profile(&actor, id, version, request).await,
        |p| p.id,
    )
}

/// Removes a profile; refused (naming them) while NICs use it.
#[server(prefix = "/api", endpoint = "remove_vnic_profile", output = crate::api::json_text::JsonText)]
pub async fn remove_vnic_profile(id: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Choose a vNIC profile.")?;
    respond(backend()?.remove_vnic_profile(&actor, id).await)?;
    leptos_axum::redirect(PROFILES_PATH);
    Ok(())
}

/// A VM's (`kind` "vm") or Template's NICs with their profiles and reported addresses.
#[server(prefix = "/api", endpoint = "vm_nics", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn vm_nics(kind: String, id: String) -> Result<Vec<AttachedNic>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    respond(backend()?.vm_nics(kind, id).await)
}

/// New NIC: `vnic_profile_id` empty is "<Empty>" (no network), `mac` empty takes one from Vireo's
/// range; back on the Network Interfaces sub-tab with where it took effect.
#[server(prefix = "/api", endpoint = "add_nic", output = crate::api::json_text::JsonText)]
#[allow(clippy::too_many_arguments)]
pub async fn add_nic(
    kind: String,
    id: String,
    name: String,
    #[server(default)] vnic_profile_id: String,
    model: String,
    #[server(default)] mac: String,
    #[server(default)] linked: Option<String>,
    #[server(default)] plugged: Option<String>,
) -> Result<NicChangeOutcome, AppError> {
    use super::ssr::*;
    use crate::domain::draft::ConfigKind;
    use crate::domain::network::Nic;
    let actor = authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    let nic = Nic {
        model: forms::model(&model)?,
        mac: if kind == ConfigKind::Vm {
            forms::mac(&mac)?
        } else {
            None
        },
        linked: forms::choice(&linked, "up", true),
        plugged: forms::choice(&plugged, "plugged", true),
        ..Nic::new(
            name.trim(),
            parse_optional_id("vnic_profile_id", Some(vnic_profile_id))?,
        )
    };
    let outcome = respond(backend()?.add_nic(&actor, kind, id, nic).await)?;
    forms::back_to_nics(kind, id, &outcome);
    Ok(outcome)
}

/// Changes a NIC (its id stays; an empty MAC keeps the one it has).
#[server(prefix = "/api", endpoint = "update_nic", output = crate::api::json_text::JsonText)]
#[allow(clippy::too_many_arguments)]
pub async fn update_nic(
    kind: String,
    id: String,
    nic_id: String,
    name: String,
    #[server(default)] vnic_profile_id: String,
    model: String,
    #[server(default)] mac: String,
    #[server(default)] linked: Option<String>,
    #[server(default)] plugged: Option<String>,
) -> Result<NicChangeOutcome, AppError> {
    use super::ssr::*;
    use crate::domain::draft::ConfigKind;
    let actor = authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    let nic_id = parse_id("nic_id", &nic_id, "Choose a network interface.")?;
    let backend = backend()?;
    let mut nic = respond(backend.vm_nics(kind, id).await)?
        .into_iter()
        .map(|a| a.nic)
        .find(|n| n.id == nic_id)
        .ok_or_else(|| with_status(AppError::not_found("network interface")))?;
    nic.name = name.trim().to_string();
    nic.vnic_profile_id = parse_optional_id("vnic_profile_id", Some(vnic_profile_id))?;
    nic.model = forms::model(&model)?;
    if kind == ConfigKind::Vm {
        if let Some(mac) = forms::mac(&mac)? {
            nic.mac = Some(mac);
        }
    }
    nic.linked = forms::choice(&linked, "up", nic.linked);
    nic.plugged = forms::choice(&plugged, "plugged", nic.plugged);
    let outcome = respond(backend.update_nic(&actor, kind, id, nic).await)?;
    forms::back_to_nics(kind, id, &outcome);
    Ok(outcome)
}

/// Removes a NIC (its MAC goes back to the range); back on the Network Interfaces sub-tab.
#[server(prefix = "/api", endpoint = "remove_nic", output = crate::api::json_text::JsonText)]
pub async fn remove_nic(kind: String, id: String, nic_id: String) -> Result<NicChangeOutcome, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    let nic_id = parse_id("nic_id", &nic_id, "Choose a network interface.")?;
    let outcome = respond(backend()?.remove_nic(&actor, kind, id, nic_id).await)?;
    forms::back_to_nics(kind, id, &outcome);
    Ok(outcome)
}
