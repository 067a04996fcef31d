//! `/clusters`: name, description, compatibility version, CPU architecture, and the Optimization
//! settings the High Performance rules read (KSM, memory ballooning). Saved by the cluster dialog's
//! service.

use super::collection::{api_object, ApiObject, Body};
use super::extract::kind;
use super::fault::Fault;
use super::href::{object, reference};
use super::read::Obj;
use super::refs;
use super::xml::El;
use crate::web::state::AppState;
use uuid::Uuid;
use vireo_app::backend::ClusterBackend;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::models::{ClusterDraft, ClusterView, CurrentUser};

const ELEMENTS: &[&str] = &[
    "name",
    "description",
    "ballooning_enabled",
    "cpu",
    "data_center",
    "ksm",
    "version",
];
/// Engine settings a GET (or Ansible) may send that Vireo has no use for.
const IGNORED: &[&str] = &[
    "link",
    "comment",
    "bios_type",
    "error_handling",
    "fips_mode",
    "firewall_type",
    "ha_reservation",
    "memory_policy",
    "migration",
    "switch_type",
    "threads_as_cores",
    "tunnel_migration",
    "virt_service",
    "gluster_service",
    "scheduling_policy",
    "actions",
];

pub(super) fn cluster_element(c: &ClusterView) -> El {
    object("cluster", "clusters", c.id)
        .text("name", &c.name)
        .text("description", &c.description)
        .text("ballooning_enabled", c.ballooning_enabled)
        .child(El::new("cpu").text("architecture", &c.cpu_arch))
        .child(reference("data_center", "datacenters", c.data_center_id))
        .child(
            El::new("ksm")
                .text("enabled", c.ksm_enabled)
                .text("merge_across_nodes", true),
        )
        .child(
            El::new("memory_policy")
                .child(El::new("over_commit").text("percent", 100))
                .child(El::new("transparent_hugepages").text("enabled", true)),
        )
        .text("threads_as_cores", false)
        .child(
            El::new("version")
                .text("major", c.compat_version.major)
                .text("minor", c.compat_version.minor),
        )
}

/// Applies a `<cluster>` request to a draft (its data center resolved by id or name).
async fn read_cluster(state: &AppState, obj: &Obj<'_>, draft: &mut ClusterDraft) -> Result<(), Fault> {
    obj.allow(&[ELEMENTS, IGNORED].concat())?;
    if let Some(r) = obj.reference("data_center")? {
        draft.data_center_id = Some(refs::data_center(state, &r).await?);
    }
    if let Some(n) = obj.text("name")? {
        draft.name = n;
    }
    if let Some(d) = obj.text("description")? {
        draft.description = d;
    }
    if let Some(b) = obj.bool("ballooning_enabled")? {
        draft.ballooning_enabled = b;
    }
    if let Some(cpu) = obj.get("cpu")? {
        cpu.allow(&["architecture", "type"])?;
        if let Some(a) = cpu.text("architecture")? {
            draft.cpu_arch = a;
        }
    }
    if let Some(ksm) = obj.get("ksm")? {
        ksm.allow(&["enabled", "merge_across_nodes"])?;
        if let Some(k) = ksm.bool("enabled")? {
            draft.ksm_enabled = k;
        }
    }
    if let Some(v) = obj.get("version")? {
        v.allow(&["major", "minor"])?;
        let current = CompatVersion::parse(&draft.compat_version).unwrap_or(CompatVersion::LATEST);
        let major = v.u32("major")?.unwrap_or(current.major);
        let minor = v.u32("minor")?.unwrap_or(current.minor);
        // The service refuses versions outside 4.1–4.8 with a field error.
        draft.compat_version = format!("{major}.{minor}");
    }
    Ok(())
}

impl ApiObject for kind::Cluster {
    api_object! {
        ClusterView, "clusters" listed as "clusters", Clusters,
        cluster_element, whole(list_clusters, cluster)
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<ClusterView, Fault> {
        let mut draft = ClusterDraft {
            id: None,
            version: None,
            name: String::new(),
            description: String::new(),
            data_center_id: None,
            compat_version: CompatVersion::LATEST.to_string(),
            cpu_arch: "x86_64".into(),
            ksm_enabled: true,
            ballooning_enabled: true,
        };
        read_cluster(state, obj, &mut draft).await?;
        Fault::require("Cluster", "add", &[("name", !draft.name.is_empty())])?;
        Ok(state.service.save_cluster(user, draft).await?)
    }

    async fn update(state: &AppState, user: &CurrentUser, id: Uuid, body: Body<Self>) -> Result<ClusterView, Fault> {
        let body = body?;
        let c = Self::existing(state, id).await?;
        let mut draft = ClusterDraft {
            id: Some(c.id),
            version: Some(c.version),
            name: c.name,
            description: c.description,
            data_center_id: Some(c.data_center_id),
            compat_version: c.compat_version.to_string(),
            cpu_arch: c.cpu_arch,
            ksm_enabled: c.ksm_enabled,
            ballooning_enabled: c.ballooning_enabled,
        };
        read_cluster(state, &body.obj(), &mut draft).await?;
        Ok(state.service.save_cluster(user, draft).await?)
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        Ok(state.service.remove_cluster(user, id).await?)
    }
}
