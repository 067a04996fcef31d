//! Resolving `<cluster id=…/>` / `<cluster><name>…</name></cluster>` references to ids.

use super::fault::Fault;
use super::read::Ref;
use crate::state::AppState;
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
