//! Storage domains, disks and a VM's or Template's disk attachments. Form fields arrive as strings
//! so each function serves the hydrated dialog and a plain form post with JavaScript off alike;
//! the service checks the role (storage domains: admins; disks and attachments: operators too) and
//! writes the audit event.

use crate::error::AppError;
use crate::models::{AttachedDisk, DiskView, GridPage, GridQuery, StorageDomainView};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The page a VM's or Template's Disks sub-tab is on, with the object selected and the sub-tab open.
pub fn disks_tab_href(kind: crate::domain::draft::ConfigKind, id: &str) -> String {
    format!("{}?selected={id}&tab=disks", kind.page())
}

#[cfg(feature = "ssr")]
mod forms {
    use super::super::ssr::with_status;
    use crate::domain::draft::ConfigKind;
    use crate::domain::storage::{disk_bytes_from_gib, format_bytes, DiskFormat, DiskInterface, MAX_DISK_BYTES};
    use crate::error::AppError;
    use crate::models::DiskChangeOutcome;

    /// A size in GiB as the form gives it ("10", "0.5").
    pub fn gib(field: &str, text: &str) -> Result<u64, AppError> {
        text.trim()
            .parse::<f64>()
            .ok()
            .and_then(disk_bytes_from_gib)
            .ok_or_else(|| {
                with_status(AppError::validation(
                    field,
                    format!("Give a size in GiB between 0.001 and {}.", format_bytes(MAX_DISK_BYTES)),
                ))
            })
    }

    pub fn format(text: &str) -> Result<DiskFormat, AppError> {
        DiskFormat::parse(text.trim()).ok_or_else(|| with_status(AppError::validation("format", "Choose a format.")))
    }

    pub fn interface(text: &str) -> Result<DiskInterface, AppError> {
        DiskInterface::parse(text.trim())
            .ok_or_else(|| with_status(AppError::validation("interface", "Choose an interface.")))
    }

    pub fn kind(text: &str) -> Result<ConfigKind, AppError> {
        ConfigKind::parse(text.trim())
            .filter(|k| *k != ConfigKind::Pool)
            .ok_or_else(|| with_status(AppError::validation("kind", "Disks attach to a VM or a Template.")))
    }

    /// A checkbox: present (and on) when ticked.
    pub fn ticked(value: &Option<String>) -> bool {
        value.as_deref().is_some_and(|v| matches!(v, "on" | "true" | "1"))
    }

    /// Back on the object's Disks sub-tab, saying where the change took effect.
    pub fn back_to_disks(kind: ConfigKind, id: uuid::Uuid, outcome: &DiskChangeOutcome) {
        let mut query = vec![("selected", id.to_string()), ("tab", "disks".to_string())];
        match outcome {
            DiskChangeOutcome::Live => query.push(("disk_outcome", "live".into())),
            DiskChangeOutcome::NextRun { reason } => {
                query.push(("disk_outcome", "next_run".into()));
                query.push(("disk_reason", reason.clone()));
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

/// A fresh id for a disk the New VM/Template dialog creates with its object (chosen once, so it
/// stays the same over the dialog's rounds).
#[server(prefix = "/api", endpoint = "new_disk_id", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn new_disk_id() -> Result<uuid::Uuid, AppError> {
    use super::ssr::*;
    authorize_read()?;
    Ok(uuid::Uuid::new_v4())
}

#[server(prefix = "/api", endpoint = "storage_domain_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn storage_domain_grid(query: GridQuery) -> Result<GridPage<StorageDomainView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.storage_domain_grid(&query).await)
}

#[server(prefix = "/api", endpoint = "disk_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn disk_grid(query: GridQuery) -> Result<GridPage<DiskView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.disk_grid(&query).await)
}

/// Reads the hosts' pools and volumes from libvirt again (`host_id`: one host's; empty: all).
#[server(prefix = "/api", endpoint = "refresh_storage", output = crate::api::json_text::JsonText)]
pub async fn refresh_storage(#[server(default)] host_id: String, page: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let host = parse_optional_id("host_id", Some(host_id))?;
    respond(backend()?.refresh_storage(&actor, host).await)?;
    let page = if page == "/disks" { "/disks" } else { "/storage-domains" };
    leptos_axum::redirect(page);
    Ok(())
}

#[server(prefix = "/api", endpoint = "add_storage_domain", output = crate::api::json_text::JsonText)]
pub async fn add_storage_domain(host_id: String, name: String, path: String) -> Result<StorageDomainView, AppError> {
    use super::ssr::*;
    use crate::models::NewStorageDomainRequest;
    let actor = authorize_read()?;
    let request = NewStorageDomainRequest {
        host_id: parse_optional_id("host_id", Some(host_id))?,
        name: name.trim().to_string(),
        path: path.trim().to_string(),
    };
    respond_selected(
        "/storage-domains",
        backend()?.add_storage_domain(&actor, request).await,
        |d| d.id,
    )
}

#[server(prefix = "/api", endpoint = "remove_storage_domain", output = crate::api::json_text::JsonText)]
pub async fn remove_storage_domain(id: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Choose a storage domain.")?;
    respond(backend()?.remove_storage_domain(&actor, id).await)?;
    leptos_axum::redirect("/storage-domains");
    Ok(())
}

/// New disk: `size_gib` in GiB, `sparse` present when "Thin provision" is ticked.
#[server(prefix = "/api", endpoint = "create_disk", output = crate::api::json_text::JsonText)]
pub async fn create_disk(
    name: String,
    #[server(default)] description: String,
    size_gib: String,
    format: String,
    storage_domain_id: String,
    #[server(default)] sparse: Option<String>,
) -> Result<DiskView, AppError> {
    use super::ssr::*;
    use crate::models::NewDiskRequest;
    let actor = authorize_read()?;
    let request = NewDiskRequest {
        name: name.trim().to_string(),
        description,
        size_bytes: forms::gib("size_gib", &size_gib)?,
        format: forms::format(&format)?,
        storage_domain_id: parse_optional_id("storage_domain_id", Some(storage_domain_id))?,
        sparse: forms::ticked(&sparse),
    };
    respond_selected("/disks", backend()?.create_disk(&actor, request).await, |d| d.id)
}

/// Grows a disk to `size_gib` GiB.
#[server(prefix = "/api", endpoint = "resize_disk", output = crate::api::json_text::JsonText)]
pub async fn resize_disk(id: String, size_gib: String) -> Result<DiskView, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Choose a disk.")?;
    let size = forms::gib("size_gib", &size_gib)?;
    let grown = backend()?.resize_disk(&actor, id, size).await.map_err(|e| match e {
        // The service names the byte count; the form's field is in GiB.
        AppError::Validation { mut errors } => {
            for e in errors.iter_mut().filter(|e| e.field == "size_bytes") {
                e.field = "size_gib".into();
            }
            AppError::Validation { errors }
        }
        other => other,
    });
    respond_selected("/disks", grown, |d| d.id)
}

#[server(prefix = "/api", endpoint = "remove_disk", output = crate::api::json_text::JsonText)]
pub async fn remove_disk(id: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Choose a disk.")?;
    respond(backend()?.remove_disk(&actor, id).await)?;
    leptos_axum::redirect("/disks");
    Ok(())
}

/// A VM's (`kind` "vm") or Template's attachments with their disks.
#[server(prefix = "/api", endpoint = "attached_disks", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn attached_disks(kind: String, id: String) -> Result<Vec<AttachedDisk>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    respond(backend()?.attached_disks(kind, id).await)
}

/// Attaches a disk; back on the object's Disks sub-tab with where it took effect.
#[server(prefix = "/api", endpoint = "attach_disk", output = crate::api::json_text::JsonText)]
pub async fn attach_disk(
    kind: String,
    id: String,
    #[server(default)] disk_id: String,
    interface: String,
    #[server(default)] bootable: Option<String>,
    #[server(default)] read_only: Option<String>,
) -> Result<crate::models::DiskChangeOutcome, AppError> {
    use super::ssr::*;
    use crate::domain::storage::DiskAttachment;
    let actor = authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    let disk_id = parse_id("disk_id", &disk_id, "Choose a disk.")?;
    let attachment = DiskAttachment {
        interface: forms::interface(&interface)?,
        read_only: forms::ticked(&read_only),
        ..DiskAttachment::new(disk_id, forms::ticked(&bootable))
    };
    let outcome = respond(backend()?.attach_disk(&actor, kind, id, attachment).await)?;
    forms::back_to_disks(kind, id, &outcome);
    Ok(outcome)
}

/// Changes an attachment's interface, bootable and read-only flags (its tuning stays).
#[server(prefix = "/api", endpoint = "update_attachment", output = crate::api::json_text::JsonText)]
pub async fn update_attachment(
    kind: String,
    id: String,
    disk_id: String,
    interface: String,
    #[server(default)] bootable: Option<String>,
    #[server(default)] read_only: Option<String>,
) -> Result<crate::models::DiskChangeOutcome, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    let disk_id = parse_id("disk_id", &disk_id, "Choose a disk.")?;
    let backend = backend()?;
    let current = respond(backend.attached_disks(kind, id).await)?
        .into_iter()
        .find(|a| a.attachment.disk_id == disk_id)
        .ok_or_else(|| with_status(AppError::not_found("disk attachment")))?;
    let mut attachment = current.attachment;
    attachment.interface = forms::interface(&interface)?;
    attachment.bootable = forms::ticked(&bootable);
    attachment.read_only = forms::ticked(&read_only);
    let outcome = respond(backend.update_attachment(&actor, kind, id, attachment).await)?;
    forms::back_to_disks(kind, id, &outcome);
    Ok(outcome)
}

/// Detaches a disk (it stays in the Disks grid); back on the object's Disks sub-tab.
#[server(prefix = "/api", endpoint = "detach_disk", output = crate::api::json_text::JsonText)]
pub async fn detach_disk(
    kind: String,
    id: String,
    disk_id: String,
) -> Result<crate::models::DiskChangeOutcome, AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let kind = forms::kind(&kind)?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    let disk_id = parse_id("disk_id", &disk_id, "Choose a disk.")?;
    let outcome = respond(backend()?.detach_disk(&actor, kind, id, disk_id).await)?;
    forms::back_to_disks(kind, id, &outcome);
    Ok(outcome)
}
