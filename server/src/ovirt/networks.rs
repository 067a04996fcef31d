//! `/networks`, `/vnicprofiles` (also `/networks/{id}/vnicprofiles`), `/clusters/{id}/networks` and
//! `/networkfilters`.
//!
//! A network belongs to one cluster (`<cluster>`; oVirt puts networks in a data center and attaches
//! them to clusters — Vireo's clusters are its data centers' only members, so the cluster is where
//! a network lives). It is backed on every host of the cluster by a libvirt network or a host
//! bridge named `vdsm_name` (oVirt's name of the network on its hosts); Vireo says which in
//! `<vireo><backing>` (`libvirt_network` or `bridge`) and lists where it is present or missing.
//! `<vlan id>` records the tag the backing carries. Adding a network adds its default vNIC profile
//! (named as the network). Remove is refused while a NIC uses any of its profiles.
//!
//! A vNIC profile is a network plus a `network_filter` (one of libvirt's filters, listed at
//! `/networkfilters`) and Vireo's `<vireo><multiqueue>`; `port_mirroring` is always false.

use super::collection::{api_object, in_search_order, ApiObject, Body};
use super::extract::kind::{self, Kind};
use super::extract::{ApiId, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{link, object, reference};
use super::read::{Obj, Ref};
use super::refs;
use super::response::{created, ok};
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;
use vireo_app::backend::NetworkBackend;
use vireo_app::domain::network::{NetworkBacking, NETWORK_FILTERS};
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, GridQuery, NetworkView, NewNetworkRequest, VnicProfileRequest, VnicProfileView};

const NETWORK_ELEMENTS: &[&str] = &["name", "description", "cluster", "vlan", "vdsm_name", "vireo"];
/// What a GET returns (or oVirt clients send at their defaults) that Vireo takes no setting from.
const NETWORK_IGNORED: &[&str] = &[
    "link",
    "actions",
    "comment",
    "data_center",
    "mtu",
    "stp",
    "usages",
    "required",
    "profile_required",
    "display",
    "status",
    "port_isolation",
];
const PROFILE_ELEMENTS: &[&str] = &[
    "name",
    "description",
    "network",
    "network_filter",
    "port_mirroring",
    "vireo",
];
const PROFILE_IGNORED: &[&str] = &[
    "link",
    "actions",
    "comment",
    "migratable",
    "pass_through",
    "custom_properties",
];

/// Every grid row: the collections are small (a handful per cluster), read whole.
fn everything() -> GridQuery {
    GridQuery {
        search: String::new(),
        sort: "name".into(),
        desc: false,
        page: 1,
        page_size: vireo_app::domain::ovirt_search::MAX_PAGE_SIZE,
        focus: None,
    }
}

/// A network filter's id: stable, derived from its name (libvirt's filters have UUIDs of their own
/// per host; Vireo offers the same five everywhere).
fn filter_id(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("vireo:nwfilter:{name}").as_bytes())
}

fn filter_element(name: &str) -> El {
    object("network_filter", "networkfilters", filter_id(name))
        .text("name", name)
        .child(El::new("version").text("major", 4).text("minor", 0))
}

pub fn network_element(n: &NetworkView) -> El {
    let hosts = |tag: &str, names: &[String]| El::new(tag).children(names.iter().map(|h| El::leaf("host", h)));
    let mut el = object("network", "networks", n.id)
        .child(link("networks", n.id, "vnicprofiles"))
        .text("name", &n.name)
        .text("description", &n.description)
        .child(reference("cluster", "clusters", n.cluster_id))
        .text("mtu", 0)
        .text("stp", false)
        .child(El::new("usages").text("usage", "vm"))
        .text("vdsm_name", &n.backing_name);
    if let Some(v) = n.vlan_id {
        el = el.child(El::new("vlan").attr("id", v));
    }
    el.child(
        El::new("vireo")
            .text("backing", n.backing.as_str())
            .text("default", n.is_default)
            .child(hosts("present_on", &n.present_on))
            .child(hosts("missing_on", &n.missing_on))
            .text("nics", n.nic_count),
    )
}

pub fn profile_element(p: &VnicProfileView) -> El {
    let mut el = object("vnic_profile", "vnicprofiles", p.id)
        .text("name", &p.name)
        .text("description", &p.description)
        .text("migratable", false)
        .child(El::new("pass_through").text("mode", "disabled"))
        .text("port_mirroring", p.port_mirroring)
        .child(reference("network", "networks", p.network_id));
    if let Some(f) = &p.network_filter {
        el = el.child(super::href::reference("network_filter", "networkfilters", filter_id(f)));
    }
    el.child(
        El::new("vireo")
            .text("multiqueue", p.multiqueue)
            .text("default", p.is_default)
            .text("nics", p.nic_count),
    )
}

/// The filter a `<network_filter>` names (by the id `/networkfilters` gives, or by name); an
/// element with neither clears it.
fn read_filter(obj: &Obj) -> Result<Option<Option<String>>, Fault> {
    let Some(f) = obj.get("network_filter")? else {
        return Ok(None);
    };
    if f.node.attr("id").is_none() && f.text("name")?.is_none() {
        return Ok(Some(None));
    }
    let wanted = f.as_reference()?;
    NETWORK_FILTERS
        .iter()
        .find(|name| match &wanted {
            Ref::Id(id) => filter_id(name) == *id,
            Ref::Name(n) => n == *name,
        })
        .map(|name| Some(Some((*name).to_string())))
        .ok_or_else(|| Fault::not_found("network filter"))
}

/// The network a profile request names (404 when there is none).
async fn network_ref(state: &AppState, r: &Ref) -> Result<Uuid, Fault> {
    let all = state.service.network_grid(&everything()).await?.rows;
    let found: Vec<&NetworkView> = all
        .iter()
        .filter(|n| match r {
            Ref::Id(id) => n.id == *id,
            Ref::Name(name) => n.name == *name,
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(match r {
            Ref::Id(id) => kind::Network::missing(id),
            Ref::Name(n) => Fault::not_found(&format!("network '{n}'")),
        }),
        several => Err(Fault::invalid(
            "vnic_profile/network",
            format!(
                "{} networks are named '{}' (in different clusters); give the one you mean by its id",
                several.len(),
                several[0].name
            ),
        )),
    }
}

struct ProfileRequest {
    name: Option<String>,
    description: Option<String>,
    network: Option<Ref>,
    filter: Option<Option<String>>,
    multiqueue: Option<bool>,
}

fn read_profile(obj: &Obj) -> Result<ProfileRequest, Fault> {
    obj.allow(&[PROFILE_ELEMENTS, PROFILE_IGNORED].concat())?;
    if obj.bool("port_mirroring")? == Some(true) {
        return Err(Fault::invalid(
            &format!("{}/port_mirroring", obj.path()),
            "Vireo does not mirror ports; leave it out or send false",
        ));
    }
    let multiqueue = match obj.get("vireo")? {
        None => None,
        Some(v) => {
            v.allow(&["multiqueue", "default", "nics"])?;
            v.bool("multiqueue")?
        }
    };
    Ok(ProfileRequest {
        name: obj.text("name")?,
        description: obj.text("description")?,
        network: obj.reference("network")?,
        filter: read_filter(obj)?,
        multiqueue,
    })
}

async fn add_profile(
    state: &AppState,
    user: &CurrentUser,
    req: ProfileRequest,
    network: Option<Uuid>,
) -> Result<VnicProfileView, Fault> {
    let network_id = match (network, &req.network) {
        (Some(id), _) => Some(id),
        (None, Some(r)) => Some(network_ref(state, r).await?),
        (None, None) => None,
    };
    Fault::require(
        "VnicProfile",
        "add",
        &[
            ("name", req.name.as_deref().is_some_and(|n| !n.is_empty())),
            ("network", network_id.is_some()),
        ],
    )?;
    let request = VnicProfileRequest {
        name: req.name.unwrap_or_default(),
        description: req.description.unwrap_or_default(),
        network_id: network_id.unwrap_or_default(),
        network_filter: req.filter.flatten(),
        multiqueue: req.multiqueue.unwrap_or(true),
    };
    Ok(state.service.add_vnic_profile(user, request).await?)
}

impl ApiObject for kind::Network {
    api_object! {
        NetworkView, "networks" listed as "networks", Networks,
        network_element, by_hand
    }

    async fn load(state: &AppState, ids: &[Uuid]) -> Result<Vec<NetworkView>, AppError> {
        let all = state.service.network_grid(&everything()).await?.rows;
        Ok(in_search_order(ids, all, |n| n.id))
    }

    async fn find(state: &AppState, id: Uuid) -> Result<Option<NetworkView>, AppError> {
        match state.service.network(id).await {
            Ok(n) => Ok(Some(n)),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<NetworkView, Fault> {
        obj.allow(&[NETWORK_ELEMENTS, NETWORK_IGNORED].concat())?;
        let name = obj.text("name")?;
        Fault::require(
            "Network",
            "add",
            &[("name", name.as_deref().is_some_and(|n| !n.is_empty()))],
        )?;
        let cluster_id = match obj.reference("cluster")? {
            Some(r) => Some(refs::cluster(state, &r).await?),
            None => None,
        };
        let vlan_id = match obj.get("vlan")? {
            None => None,
            Some(v) => {
                v.allow(&["link"])?;
                match v.node.attr("id") {
                    None => None,
                    Some(text) => Some(text.parse::<u32>().map_err(|_| {
                        Fault::invalid(&format!("{}/id", v.path()), "a VLAN tag is a number from 1 to 4094")
                    })?),
                }
            }
        };
        let backing = match obj.get("vireo")? {
            None => NetworkBacking::LibvirtNetwork,
            Some(v) => {
                v.allow(&["backing", "default", "present_on", "missing_on", "nics"])?;
                v.one_of("backing", &NetworkBacking::STRS)?
                    .and_then(|b| NetworkBacking::parse(&b))
                    .unwrap_or_default()
            }
        };
        let request = NewNetworkRequest {
            name: name.unwrap_or_default(),
            description: obj.text("description")?.unwrap_or_default(),
            cluster_id,
            backing,
            backing_name: obj.text("vdsm_name")?.unwrap_or_default(),
            vlan_id,
        };
        Ok(state.service.add_network(user, request).await?)
    }

    async fn update(state: &AppState, _user: &CurrentUser, id: Uuid, _body: Body<Self>) -> Result<NetworkView, Fault> {
        Self::existing(state, id).await?;
        Err(Fault::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "Operation not supported",
            "A network's settings cannot change; add a new network and move the NICs to its profile.",
        ))
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        let n = Self::existing(state, id).await?;
        Ok(state.service.remove_network(user, n.id).await?)
    }
}

impl ApiObject for kind::VnicProfile {
    api_object! {
        VnicProfileView, "vnicprofiles" listed as "vnic_profiles", VnicProfiles,
        profile_element, by_hand
    }

    async fn load(state: &AppState, ids: &[Uuid]) -> Result<Vec<VnicProfileView>, AppError> {
        let all = state.service.list_vnic_profiles().await?;
        Ok(in_search_order(ids, all, |p| p.id))
    }

    async fn find(state: &AppState, id: Uuid) -> Result<Option<VnicProfileView>, AppError> {
        match state.service.vnic_profile(id).await {
            Ok(p) => Ok(Some(p)),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<VnicProfileView, Fault> {
        add_profile(state, user, read_profile(obj)?, None).await
    }

    async fn update(
        state: &AppState,
        user: &CurrentUser,
        id: Uuid,
        body: Body<Self>,
    ) -> Result<VnicProfileView, Fault> {
        let p = Self::existing(state, id).await?;
        let body = body?;
        let req = read_profile(&body.obj())?;
        if let Some(r) = &req.network {
            if network_ref(state, r).await? != p.network_id {
                return Err(Fault::invalid(
                    "vnic_profile/network",
                    "a profile's network cannot change; add a profile on the other network",
                ));
            }
        }
        let request = VnicProfileRequest {
            name: req.name.unwrap_or_else(|| p.name.clone()),
            description: req.description.unwrap_or_else(|| p.description.clone()),
            network_id: p.network_id,
            network_filter: req.filter.unwrap_or_else(|| p.network_filter.clone()),
            multiqueue: req.multiqueue.unwrap_or(p.multiqueue),
        };
        Ok(state
            .service
            .update_vnic_profile(user, p.id, p.version, request)
            .await?)
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        let p = Self::existing(state, id).await?;
        Ok(state.service.remove_vnic_profile(user, p.id).await?)
    }
}

/// `GET /networks/{id}/vnicprofiles`.
pub async fn network_profiles(
    State(state): State<AppState>,
    ApiId { id, .. }: ApiId<kind::Network>,
) -> Result<Response, Fault> {
    let n = kind::Network::existing(&state, id).await?;
    let all = state.service.list_vnic_profiles().await?;
    Ok(ok(El::new("vnic_profiles").children(
        all.iter().filter(|p| p.network_id == n.id).map(profile_element),
    )))
}

/// `POST /networks/{id}/vnicprofiles`: a profile on this network.
pub async fn add_network_profile(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<kind::Network>,
    body: Result<XmlBody<kind::VnicProfile>, Fault>,
) -> Result<Response, Fault> {
    let n = kind::Network::existing(&state, id).await?;
    let body = body?;
    let p = add_profile(&state, &user, read_profile(&body.obj())?, Some(n.id)).await?;
    Ok(created(profile_element(&p)))
}

/// `GET /clusters/{id}/networks`: the cluster's networks.
pub async fn cluster_networks(
    State(state): State<AppState>,
    ApiId { id, .. }: ApiId<kind::Cluster>,
) -> Result<Response, Fault> {
    kind::Cluster::existing(&state, id).await?;
    let all = state.service.network_grid(&everything()).await?.rows;
    Ok(ok(El::new("networks").children(
        all.iter().filter(|n| n.cluster_id == id).map(network_element),
    )))
}

/// `GET /networkfilters`.
pub async fn network_filters() -> Response {
    ok(El::new("network_filters").children(NETWORK_FILTERS.iter().map(|f| filter_element(f))))
}

/// `GET /networkfilters/{id}`.
pub async fn network_filter(axum::extract::Path(id): axum::extract::Path<String>) -> Result<Response, Fault> {
    NETWORK_FILTERS
        .iter()
        .find(|f| filter_id(f).to_string() == id)
        .map(|f| ok(filter_element(f)))
        .ok_or_else(|| Fault::not_found(&format!("network filter {id}")))
}

/// The routes beyond the two collections' own.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route(
            "/networks/{id}/vnicprofiles",
            get(network_profiles).post(add_network_profile),
        )
        .route("/clusters/{id}/networks", get(cluster_networks))
        .route("/networkfilters", get(network_filters))
        .route("/networkfilters/{id}", get(network_filter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_ids_are_stable_and_distinct() {
        let ids: std::collections::HashSet<Uuid> = NETWORK_FILTERS.iter().map(|f| filter_id(f)).collect();
        assert_eq!(ids.len(), NETWORK_FILTERS.len());
        assert_eq!(filter_id("clean-traffic"), filter_id("clean-traffic"));
    }
}
