//! `/storagedomains`: a storage domain is a libvirt storage pool on one host (Vireo names it after
//! the pool, so two hosts may each have a `default-pool`). Every domain holds data disks and ISO
//! images alike; the API calls it `data`. A directory pool is oVirt's `localfs` storage. Add makes a
//! directory pool (`<type>data</type>`, `<host>`, `<storage><type>localfs</type><path>`); remove
//! stops and undefines the pool (refused while it holds disks; its files stay on the host). Nothing
//! about a domain can be changed: a PUT is a 405. `/storagedomains/{id}/disks` lists the disks in
//! it.

use super::collection::{api_object, in_search_order, ApiObject, Body};
use super::disks::disk_element;
use super::extract::{kind, ApiId};
use super::fault::Fault;
use super::href::{link, object, reference};
use super::read::Obj;
use super::refs;
use super::response::ok;
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;
use vireo_app::backend::StorageBackend;
use vireo_app::domain::storage::{pool_path_error, storage_domain_name_error, StorageDomainStatus};
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, NewStorageDomainRequest, StorageDomainView};

const ELEMENTS: &[&str] = &["name", "type", "host", "storage"];
/// What a GET returns (and oVirt clients send when adding) that Vireo takes no setting from.
const READ_ONLY: &[&str] = &[
    "link",
    "actions",
    "available",
    "used",
    "committed",
    "status",
    "external_status",
    "master",
    "storage_format",
    "vireo",
];

/// oVirt's storage type for a libvirt pool type.
fn storage_type(pool_type: &str) -> &'static str {
    match pool_type {
        "dir" => "localfs",
        "netfs" => "nfs",
        "iscsi" | "iscsi-direct" => "iscsi",
        "gluster" => "glusterfs",
        _ => "posixfs",
    }
}

fn bytes(n: i64) -> u64 {
    n.max(0) as u64
}

pub fn storage_domain_element(d: &StorageDomainView) -> El {
    object("storage_domain", "storagedomains", d.id)
        .text("name", &d.name)
        .child(link("storagedomains", d.id, "disks"))
        .text("available", bytes(d.available_bytes))
        .text(
            "external_status",
            match d.status {
                StorageDomainStatus::Active => "ok",
                StorageDomainStatus::Inactive => "warning",
                StorageDomainStatus::Unknown => "error",
            },
        )
        .text("master", false)
        .text("status", d.status.as_str())
        .child(
            El::new("storage")
                .text("path", &d.path)
                .text("type", storage_type(&d.pool_type)),
        )
        .text("type", "data")
        .text("used", bytes(d.allocation_bytes))
        .child(
            El::new("vireo")
                .text("pool_type", &d.pool_type)
                .text("capacity", bytes(d.capacity_bytes))
                .text("disk_count", d.disk_count),
        )
        .child(reference("host", "hosts", d.host_id))
}

/// `type` (data), `storage/type` (localfs) and `storage/path`, checked.
fn read_storage(obj: &Obj) -> Result<Option<String>, Fault> {
    obj.one_of("type", &["data"])?;
    let Some(storage) = obj.get("storage")? else {
        return Ok(None);
    };
    storage.allow(&["type", "path"])?;
    storage.one_of("type", &["localfs"])?;
    storage.text("path")
}

impl ApiObject for kind::StorageDomain {
    api_object! {
        StorageDomainView, "storagedomains" listed as "storage_domains", StorageDomains,
        storage_domain_element, by_hand
    }

    async fn load(state: &AppState, ids: &[Uuid]) -> Result<Vec<StorageDomainView>, AppError> {
        let all = state.repo.list_storage_domains(false).await?;
        Ok(in_search_order(ids, all, |d| d.id))
    }

    async fn find(state: &AppState, id: Uuid) -> Result<Option<StorageDomainView>, AppError> {
        Ok(state.repo.storage_domain(id).await?.map(|d| d.view))
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<StorageDomainView, Fault> {
        obj.allow(&[ELEMENTS, READ_ONLY].concat())?;
        let name = obj.text("name")?.unwrap_or_default();
        let path = read_storage(obj)?.unwrap_or_default();
        let host = obj.reference("host")?;
        Fault::require(
            "StorageDomain",
            "add",
            &[
                ("name", !name.is_empty()),
                ("host", host.is_some()),
                ("storage.path", !path.is_empty()),
            ],
        )?;
        // Bad input is a 400 with the API's path (the service checks again).
        if let Some(m) = storage_domain_name_error(&name) {
            return Err(Fault::invalid("storage_domain/name", m));
        }
        if let Some(m) = pool_path_error(&path) {
            return Err(Fault::invalid("storage_domain/storage/path", m));
        }
        let host_id = match host {
            Some(h) => refs::hosts(state, std::slice::from_ref(&h)).await?.first().copied(),
            None => None,
        };
        let request = NewStorageDomainRequest { host_id, name, path };
        Ok(state.service.add_storage_domain(user, request).await?)
    }

    async fn update(
        state: &AppState,
        _user: &CurrentUser,
        id: Uuid,
        _body: Body<Self>,
    ) -> Result<StorageDomainView, Fault> {
        Self::existing(state, id).await?;
        Err(Fault::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
            "[Vireo does not change storage domains: remove the domain and add another.]",
        ))
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        let d = Self::existing(state, id).await?;
        Ok(state.service.remove_storage_domain(user, d.id).await?)
    }
}

/// `GET /storagedomains/{id}/disks`.
pub async fn disks(
    State(state): State<AppState>,
    ApiId { id, .. }: ApiId<kind::StorageDomain>,
) -> Result<Response, Fault> {
    let d = kind::StorageDomain::existing(&state, id).await?;
    let disks = state.repo.disks_in_domain(d.id).await?;
    Ok(ok(
        El::new("disks").children(disks.iter().map(|r| disk_element(&r.view)))
    ))
}
