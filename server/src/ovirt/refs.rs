//! Resolving `<cluster id=…/>` / `<cluster><name>…</name></cluster>` references to ids.

use super::fault::Fault;
use super::read::{Obj, Ref};
use super::vm_base::BasePatch;
use crate::web::state::AppState;
use uuid::Uuid;
use vireo_app::domain::draft::ConfigKind;

fn missing(kind: &str, r: &Ref) -> Fault {
    match r {
        Ref::Id(id) => Fault::not_found(&format!("{kind} {id}")),
        Ref::Name(n) => Fault::not_found(&format!("{kind} '{n}'")),
    }
}

/// Finds `r` among `(id, name)` pairs.
fn pick(kind: &str, r: &Ref, all: impl IntoIterator<Item = (Uuid, String)>) -> Result<Uuid, Fault> {
    all.into_iter()
        .find(|(id, name)| match r {
            Ref::Id(want) => id == want,
            Ref::Name(want) => name == want,
        })
        .map(|(id, _)| id)
        .ok_or_else(|| missing(kind, r))
}

pub async fn cluster(state: &AppState, r: &Ref) -> Result<Uuid, Fault> {
    let all = state.repo.list_clusters().await?;
    pick("cluster", r, all.into_iter().map(|c| (c.id, c.name)))
}

pub async fn data_center(state: &AppState, r: &Ref) -> Result<Uuid, Fault> {
    let all = state.repo.list_data_centers().await?;
    pick("data center", r, all.into_iter().map(|d| (d.id, d.name)))
}

pub async fn hosts(state: &AppState, refs: &[Ref]) -> Result<Vec<Uuid>, Fault> {
    let all: Vec<(Uuid, String)> = state
        .repo
        .list_hosts()
        .await?
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    refs.iter().map(|r| pick("host", r, all.iter().cloned())).collect()
}

/// A storage domain by id, or by name when exactly one has it (each host names its own pools, so
/// two hosts may both have a `default-pool`: a name they share is refused, asking for the id).
pub async fn storage_domain(state: &AppState, r: &Ref) -> Result<Uuid, Fault> {
    let all = state.repo.list_storage_domains(false).await?;
    let found: Vec<_> = all
        .iter()
        .filter(|d| match r {
            Ref::Id(id) => d.id == *id,
            Ref::Name(name) => d.name == *name,
        })
        .collect();
    match found.as_slice() {
        [] => Err(missing("storage domain", r)),
        [one] => Ok(one.id),
        several => Err(Fault::invalid(
            "storage_domain",
            format!(
                "{} storage domains are named '{}' (on hosts {}); give the one you mean by its id",
                several.len(),
                several[0].name,
                several
                    .iter()
                    .map(|d| d.host_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

pub async fn template(state: &AppState, r: &Ref) -> Result<Uuid, Fault> {
    let all = state.repo.template_options().await?;
    pick("template", r, all.into_iter().map(|t| (t.id, t.name)))
}

pub async fn instance_type(state: &AppState, r: &Ref) -> Result<Uuid, Fault> {
    let all = state.repo.list_instance_types().await?;
    pick("instance type", r, all.into_iter().map(|i| (i.id, i.name)))
}

pub async fn vm(state: &AppState, r: &Ref) -> Result<Uuid, Fault> {
    match r {
        Ref::Id(id) => state
            .repo
            .config_record(ConfigKind::Vm, *id)
            .await?
            .map(|v| v.id)
            .ok_or_else(|| missing("VM", r)),
        Ref::Name(name) => {
            let q = vireo_app::domain::ovirt_search::OvirtQuery {
                any_of: vec![vec![vireo_app::domain::ovirt_search::Condition {
                    field: "name".into(),
                    negated: false,
                    value: name.clone(),
                }]],
                ..Default::default()
            };
            let ids = state
                .repo
                .api_search(crate::repository::ApiCollection::Vms, &q, Some(1), true)
                .await?;
            ids.first().copied().ok_or_else(|| missing("VM", r))
        }
    }
}

/// The references an object request may carry, each resolved when present.
pub struct ObjectRefs {
    pub cluster: Option<Uuid>,
    pub template: Option<Uuid>,
    pub instance_type: Option<Uuid>,
    /// `placement_policy/hosts`.
    pub hosts: Option<Vec<Uuid>>,
}

pub async fn object_refs(state: &AppState, obj: &Obj<'_>, base: &BasePatch) -> Result<ObjectRefs, Fault> {
    Ok(ObjectRefs {
        cluster: match obj.reference("cluster")? {
            Some(r) => Some(cluster(state, &r).await?),
            None => None,
        },
        template: match obj.reference("template")? {
            Some(r) => Some(template(state, &r).await?),
            None => None,
        },
        instance_type: match obj.reference("instance_type")? {
            Some(r) => Some(instance_type(state, &r).await?),
            None => None,
        },
        hosts: match &base.placement_hosts {
            Some(list) => Some(hosts(state, list).await?),
            None => None,
        },
    })
}
