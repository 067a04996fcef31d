//! `/disks`: a disk is a volume in a storage domain (Vireo names the volume after the disk's id; the
//! disk's `name`/`alias` is only a label). Add takes `name` (or `alias`), `provisioned_size` in
//! bytes (1 MiB to 64 TiB), `format` (`cow` = qcow2, `raw`), `sparse` and one
//! `storage_domains/storage_domain`; update renames, describes or grows a disk (never shrinks);
//! remove deletes it with its volume (refused while it is attached). ISO images are raw disks with
//! `content_type` `iso`.

use super::collection::{api_object, in_search_order, ApiObject, Body};
use super::extract::kind;
use super::fault::Fault;
use super::href::{object, reference};
use super::read::{Obj, Ref};
use super::refs;
use super::xml::El;
use crate::web::state::AppState;
use uuid::Uuid;
use vireo_app::backend::StorageBackend;
use vireo_app::domain::storage::{format_bytes, DiskFormat, MAX_DISK_BYTES, MIN_DISK_BYTES};
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, DiskView, NewDiskRequest};

/// What Vireo reads from a `<disk>`.
const ELEMENTS: &[&str] = &[
    "name",
    "alias",
    "description",
    "provisioned_size",
    "format",
    "sparse",
    "storage_domains",
    // Accepted with the one value Vireo has (checked in `read_disk`).
    "content_type",
    "storage_type",
    "shareable",
    "wipe_after_delete",
    "propagate_errors",
];
/// What a GET returns that a client may send back: accepted, ignored.
const READ_ONLY: &[&str] = &[
    "link",
    "actions",
    "actual_size",
    "total_size",
    "status",
    "qcow_version",
    "vireo",
];

/// oVirt's `disk_format`: qcow2 is `cow`; ISO images are raw files.
fn wire_format(f: DiskFormat) -> &'static str {
    match f {
        DiskFormat::Qcow2 => "cow",
        DiskFormat::Raw | DiskFormat::Iso => "raw",
    }
}

fn bytes(n: i64) -> u64 {
    n.max(0) as u64
}

pub fn disk_element(d: &DiskView) -> El {
    let mut vireo = El::new("vireo").text("path", &d.path);
    if let Some(b) = d.backing_disk_id {
        vireo = vireo.child(reference("backing_disk", "disks", b));
    }
    vireo = vireo.child(El::new("attached_to").children(d.attached_to.iter().map(|a| {
        let (tag, collection) = match a.kind {
            vireo_app::domain::draft::ConfigKind::Vm => ("vm", "vms"),
            vireo_app::domain::draft::ConfigKind::Template => ("template", "templates"),
            vireo_app::domain::draft::ConfigKind::Pool => ("vm_pool", "vmpools"),
        };
        reference(tag, collection, a.id).text("name", &a.name)
    })));
    object("disk", "disks", d.id)
        .text("name", &d.name)
        .text("description", &d.description)
        .text("actual_size", bytes(d.actual_bytes))
        .text("alias", &d.name)
        .text("content_type", d.content.as_str())
        .text("format", wire_format(d.format))
        .text("propagate_errors", false)
        .text("provisioned_size", bytes(d.provisioned_bytes))
        .text("shareable", false)
        .text("sparse", d.sparse)
        .text("status", d.status.as_str())
        .text("storage_type", "image")
        .text("total_size", bytes(d.actual_bytes))
        .text("wipe_after_delete", false)
        .child(vireo)
        .child(El::new("storage_domains").child(reference("storage_domain", "storagedomains", d.storage_domain_id)))
}

/// A `<disk>` request: every part optional (callers check what an add needs).
#[derive(Default)]
pub struct DiskRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub size: Option<u64>,
    pub format: Option<DiskFormat>,
    pub sparse: Option<bool>,
    pub storage_domain: Option<Ref>,
}

/// An element that may only say what Vireo always does (`false`).
fn false_only(obj: &Obj, name: &str) -> Result<(), Fault> {
    if obj.bool(name)? == Some(true) {
        return Err(Fault::invalid(
            &format!("{}/{name}", obj.path()),
            "Vireo does not support this; leave it out or send false",
        ));
    }
    Ok(())
}

/// Reads a `<disk>` (at the top of a request or inside a `<disk_attachment>`).
pub fn read_disk(obj: &Obj) -> Result<DiskRequest, Fault> {
    obj.allow(&[ELEMENTS, READ_ONLY].concat())?;
    let name = obj.text("name")?;
    let alias = obj.text("alias")?;
    if let (Some(n), Some(a)) = (&name, &alias) {
        if n != a {
            return Err(Fault::invalid(
                &format!("{}/alias", obj.path()),
                "a disk has one name: <name> and <alias> differ",
            ));
        }
    }
    let size = obj.u64("provisioned_size")?;
    if let Some(s) = size {
        if !(MIN_DISK_BYTES..=MAX_DISK_BYTES).contains(&s) {
            return Err(Fault::invalid(
                &format!("{}/provisioned_size", obj.path()),
                format!(
                    "a disk's size is given in bytes, from {} to {}",
                    format_bytes(MIN_DISK_BYTES),
                    format_bytes(MAX_DISK_BYTES)
                ),
            ));
        }
    }
    let format = obj.one_of("format", &["cow", "raw"])?.map(|f| match f.as_str() {
        "cow" => DiskFormat::Qcow2,
        _ => DiskFormat::Raw,
    });
    obj.one_of("content_type", &["data"])?;
    obj.one_of("storage_type", &["image"])?;
    for name in ["shareable", "wipe_after_delete", "propagate_errors"] {
        false_only(obj, name)?;
    }
    let storage_domain = match obj.items("storage_domains", "storage_domain")? {
        None => None,
        Some(list) => match list.as_slice() {
            [one] => Some(one.as_reference()?),
            _ => {
                return Err(Fault::invalid(
                    &format!("{}/storage_domains", obj.path()),
                    "name exactly one storage domain",
                ))
            }
        },
    };
    Ok(DiskRequest {
        name: alias.or(name),
        description: obj.text("description")?,
        size,
        format,
        sparse: obj.bool("sparse")?,
        storage_domain,
    })
}

/// Creates the disk a request describes.
pub async fn create(state: &AppState, user: &CurrentUser, req: DiskRequest) -> Result<DiskView, Fault> {
    Fault::require(
        "Disk",
        "add",
        &[
            ("name", req.name.as_deref().is_some_and(|n| !n.is_empty())),
            ("provisioned_size", req.size.is_some()),
            ("storage_domains", req.storage_domain.is_some()),
        ],
    )?;
    let storage_domain_id = match &req.storage_domain {
        Some(r) => Some(refs::storage_domain(state, r).await?),
        None => None,
    };
    let request = NewDiskRequest {
        name: req.name.unwrap_or_default(),
        description: req.description.unwrap_or_default(),
        size_bytes: req.size.unwrap_or_default(),
        format: req.format.unwrap_or(DiskFormat::Qcow2),
        storage_domain_id,
        sparse: req.sparse.unwrap_or(true),
    };
    Ok(state.service.create_disk(user, request).await?)
}

/// Applies a request to disk `d`: a new size grows it, a new name or description renames it.
/// What cannot change (format, sparseness, storage domain) must be left out or stay as it is.
pub async fn change(
    state: &AppState,
    user: &CurrentUser,
    d: DiskView,
    req: DiskRequest,
    path: &str,
) -> Result<DiskView, Fault> {
    let fixed = "a disk's format, allocation and storage domain cannot be changed";
    if req.format.is_some_and(|f| wire_format(f) != wire_format(d.format)) {
        return Err(Fault::invalid(&format!("{path}/format"), fixed));
    }
    if req.sparse.is_some_and(|s| s != d.sparse) {
        return Err(Fault::invalid(&format!("{path}/sparse"), fixed));
    }
    if let Some(r) = &req.storage_domain {
        if refs::storage_domain(state, r).await? != d.storage_domain_id {
            return Err(Fault::invalid(&format!("{path}/storage_domains"), fixed));
        }
    }
    let mut disk = d;
    // Growing is the step that can fail on the host: first, so a refusal renames nothing.
    if let Some(size) = req.size.filter(|s| *s != bytes(disk.provisioned_bytes)) {
        disk = state.service.resize_disk(user, disk.id, size).await?;
    }
    let name = req.name.unwrap_or_else(|| disk.name.clone());
    let description = req.description.unwrap_or_else(|| disk.description.clone());
    if name != disk.name || description != disk.description {
        disk = state
            .service
            .update_disk(user, disk.id, disk.version, name, description)
            .await?;
    }
    Ok(disk)
}

impl ApiObject for kind::Disk {
    api_object! {
        DiskView, "disks" listed as "disks", Disks,
        disk_element, by_hand
    }

    async fn load(state: &AppState, ids: &[Uuid]) -> Result<Vec<DiskView>, AppError> {
        let found = state.repo.disks(ids).await?.into_iter().map(|d| d.view).collect();
        Ok(in_search_order(ids, found, |d| d.id))
    }

    async fn find(state: &AppState, id: Uuid) -> Result<Option<DiskView>, AppError> {
        Ok(state.repo.disk(id).await?.map(|d| d.view))
    }

    async fn add(state: &AppState, user: &CurrentUser, obj: &Obj<'_>) -> Result<DiskView, Fault> {
        create(state, user, read_disk(obj)?).await
    }

    async fn update(state: &AppState, user: &CurrentUser, id: Uuid, body: Body<Self>) -> Result<DiskView, Fault> {
        let d = Self::existing(state, id).await?;
        let body = body?;
        change(state, user, d, read_disk(&body.obj())?, "disk").await
    }

    async fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<(), Fault> {
        let d = Self::existing(state, id).await?;
        Ok(state.service.remove_disk(user, d.id).await?)
    }
}
