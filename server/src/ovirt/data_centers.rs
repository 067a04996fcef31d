//! `/datacenters`: the top of oVirt's hierarchy (data center → clusters → hosts), and
//! `/datacenters/{id}/clusters`. Clients follow `cluster.data_center` to it (Ansible's `ovirt_vm`
//! does, to search the template by `datacenter=`).

use super::clusters::cluster_element;
use super::collection::{api_object, ApiObject, Body};
use super::extract::{kind, ApiId};
use super::fault::Fault;
use super::href::{link, object};
use super::mac_pools;
use super::read::Obj;
use super::response::ok;
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;
use vireo_app::backend::DataCenterBackend;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::models::{CurrentUser, DataCenterDraft, DataCenterView};

const ELEMENTS: &[&str] = &["name", "description", "local", "mac_pool", "version"];
/// What a GET answers (and so a client may send back) that Vireo decides itself.
const IGNORED: &[&str] = &[
    "link",
    "actions",
    "comment",
    "status",
    "storage_format",
    "supported_versions",
    "quota_mode",
];

fn version(v: CompatVersion) -> El {
    El::new("version").text("major", v.major).text("minor", v.minor)
}

fn data_center_element(d: &DataCenterView) -> El {
    let supported = CompatVersion::SUPPORTED
        .iter()
        .filter(|v| **v >= d.compat_version)
        .map(|v| version(*v));
    object("data_center", "datacenters", d.id)
        .text("name", &d.name)
        .text("description", &d.description)
        .child(link("datacenters", d.id, "clusters"))
        // Storage is each host's own libvirt pools: nothing is shared across hosts.
        .text("local", false)
        // oVirt 4.1 moved MAC pools to clusters; the data center's (deprecated) one is what all
        // its clusters use: Vireo's one pool.
        .child(mac_pools::pool_reference())
        .text("quota_mode", "disabled")
        .text("status", d.status.as_str())
        .text("storage_format", "v5")
        .child(El::new("supported_versions").children(supported))
        .child(version(d.compat_version))
}

/// Applies a `<data_center>` request to a draft.
fn read_data_center(obj: &Obj, draft: &mut DataCenterDraft) -> Result<(), Fault> {
    obj.allow(&[ELEMENTS, IGNORED].concat())?;
    if let Some(n) = obj.text("name")? {
        draft.name = n;
    }
    if let Some(d) = obj.text("description")? {
        draft.description = d;
    }
    if obj.bool("local")? == Some(true) {
        return Err(Fault::invalid(
            "data_center/local",
            "Vireo's data centers are shared ones: every host keeps its own storage domains, so there is no local-storage data center to make",
        ));
    }
    if let Some(r) = obj.reference("mac_pool")? {
        mac_pools::check_choice(&r)?;
    }
    if let Some(v) = obj.get("version")? {
        v.allow(&["major", "minor", "build", "full_version", "revision"])?;
        let current = CompatVersion::parse(&draft.compat_version).unwrap_or(CompatVersion::LATEST);
        let major = v.u32("major")?.unwrap_or(current.major);
        let minor = v.u32("minor")?.unwrap_or(current.minor);
        // The service refuses versions outside 4.1–4.8 with a field error.
        draft.compat_version = format!("{major}.{minor}");
    }
    Ok(())
}

impl ApiObject for kind::DataCenter {
    api_object! {
        DataCenterView, "datacenters" listed as "data_centers", DataCenters,
        data_center_element, whole(list_data_centers, data_center)
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<DataCenterView, Fault> {
        let mut draft = DataCenterDraft {
            id: None,
            version: None,
            name: String::new(),
            description: String::new(),
            compat_version: CompatVersion::LATEST.to_string(),
        };
        read_data_center(obj, &mut draft)?;
        Fault::require("DataCenter", "add", &[("name", !draft.name.is_empty())])?;
        Ok(state.service.save_data_center(user, draft).await?)
    }

    async fn update(state: &AppState, user: &CurrentUser, id: Uuid, body: Body<Self>) -> Result<DataCenterView, Fault> {
        let body = body?;
        let d = Self::existing(state, id).await?;
        let mut draft = DataCenterDraft {
            id: Some(d.id),
            version: Some(d.version),
            name: d.name,
            description: d.description,
            compat_version: d.compat_version.to_string(),
        };
        read_data_center(&body.obj(), &mut draft)?;
        Ok(state.service.save_data_center(user, draft).await?)
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        Ok(state.service.remove_data_center(user, id).await?)
    }
}

/// `GET /datacenters/{id}/clusters`: the clusters the data center owns.
pub(super) async fn clusters(
    State(state): State<AppState>,
    ApiId { id, .. }: ApiId<kind::DataCenter>,
) -> Result<Response, Fault> {
    kind::DataCenter::existing(&state, id).await?;
    let all = state.repo.list_clusters().await?;
    let owned = all.iter().filter(|c| c.data_center_id == id).map(cluster_element);
    Ok(ok(El::new("clusters").children(owned)))
}

/// `/datacenters` with the shared handlers, and its clusters.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    super::collection::routes::<kind::DataCenter>(router).route("/datacenters/{id}/clusters", get(clusters))
}
