//! Uploading an image (qcow2, raw or ISO) from the browser or `curl` into a storage domain as a new
//! disk. The body streams through: Vireo holds the image's head (to check it before anything is
//! made) and a few chunks in a bounded channel on their way to libvirt's upload stream, never the
//! whole file, in memory or on its own disk.
//!
//! Order: role check, fields, head checks — then the volume (made raw, `size_bytes` long, so the
//! upload's bytes are the whole file) and its row, `locked` so the grids show it arriving; then the
//! bytes. Any failure after the volume exists — libvirt, a body shorter or longer than announced,
//! the client going away — deletes the volume and the row: a failed or cancelled upload leaves
//! nothing behind. On success the pool is refreshed and the row turns `ok`.

use crate::hypervisor::VolumeInfo;
use crate::repository::{NewDiskRow, StorageDomainRecord};
use crate::service::storage::{host_error, pool_rows};
use crate::service::VireoService;
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use std::time::Duration;
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::domain::image_header::{qcow2_virtual_size, upload_head_problem, HEAD_BYTES};
use vireo_app::domain::naming::name_error;
use vireo_app::domain::storage::{
    detect_format, format_bytes, volume_name, DiskContent, DiskFormat, DiskStatus, StorageDomainStatus, MAX_DISK_BYTES,
};
use vireo_app::domain::storage_xml::VolumeSpec;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{CurrentUser, DiskView};

/// What the uploader says about the file; the bytes come separately.
#[derive(Clone, Debug)]
pub struct UploadRequest {
    pub name: String,
    /// `None` when the request named none or an unreadable one (a field error).
    pub storage_domain_id: Option<Uuid>,
    /// `None` when the request named none or an unknown one (a field error).
    pub format: Option<DiskFormat>,
    /// The file's length: the body must be exactly this long.
    pub size_bytes: u64,
}

/// Chunks on their way to libvirt: with `UPLOAD_CHUNK` each, at most this many are held besides
/// the one being sent. A client faster than the host waits (backpressure), and Vireo's memory per
/// upload stays near `UPLOAD_CHANNEL_CHUNKS × UPLOAD_CHUNK`.
pub const UPLOAD_CHANNEL_CHUNKS: usize = 4;
/// Chunks are gathered to this size before they go to libvirt: its RPC streams carry at most
/// 256 KiB per packet, and fewer, fuller sends cost less than many small ones.
pub const UPLOAD_CHUNK: usize = 256 * 1024;
/// A client that sends nothing for this long has gone (or stalled); the upload is given up.
pub const UPLOAD_IDLE: Duration = Duration::from_secs(60);

/// Why the body stopped, as the uploader is told (a 400 with the file as the field).
fn body_error(message: String) -> AppError {
    AppError::validation("file", message)
}

fn cut_short(received: u64, size: u64) -> AppError {
    body_error(format!(
        "The upload ended after {received} of {size} bytes (cancelled or the connection broke); nothing was kept."
    ))
}

/// The next chunk of the body within `UPLOAD_IDLE`; `Ok(None)` at its end.
async fn next_chunk<S, E>(body: &mut S, received: u64, size: u64) -> Result<Option<Bytes>, AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    match tokio::time::timeout(UPLOAD_IDLE, body.next()).await {
        Err(_) => Err(body_error(format!(
            "No data arrived for {} seconds after {received} of {size} bytes; the upload was given up.",
            UPLOAD_IDLE.as_secs()
        ))),
        Ok(None) => Ok(None),
        Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
        Ok(Some(Err(e))) => {
            tracing::debug!(error = %e, received, size, "upload body failed");
            Err(cut_short(received, size))
        }
    }
}

/// Reads the body until `want` bytes (or its end). What it read may run past `want` by part of
/// one chunk: all of it is returned, to be sent first.
async fn read_head<S, E>(body: &mut S, want: usize, size: u64) -> Result<(Vec<u8>, bool), AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut head = Vec::with_capacity(want);
    while head.len() < want {
        match next_chunk(body, head.len() as u64, size).await? {
            Some(chunk) => {
                if head.len() as u64 + chunk.len() as u64 > size {
                    return Err(too_long(size));
                }
                head.extend_from_slice(&chunk);
            }
            None => return Ok((head, true)),
        }
    }
    Ok((head, false))
}

fn too_long(size: u64) -> AppError {
    body_error(format!(
        "More than the announced {size} bytes arrived; nothing was kept."
    ))
}

impl VireoService {
    /// Uploads `body` (exactly `request.size_bytes` bytes) as a new disk in the request's storage
    /// domain. Audited as `disk.upload`, refusals included.
    pub async fn upload_disk<S, E>(
        &self,
        user: &CurrentUser,
        request: UploadRequest,
        body: S,
    ) -> Result<DiskView, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let actor = self
            .authorize(user, Permission::ManageVms, "disk.upload", "disk", None, &request.name)
            .await?;
        let id = Uuid::new_v4();
        let result = self.upload_checked(&actor, id, &request, body).await;
        let object = crate::service::audit::Object::new("disk", result.as_ref().ok().map(|d| d.id), &request.name);
        self.storage_audited(
            &actor,
            "disk.upload",
            object,
            |d: &DiskView| {
                format!(
                    "Disk {} ({}, {} file of {}) uploaded to {}.",
                    d.name,
                    format_bytes(d.provisioned_bytes.max(0) as u64),
                    d.format.label(),
                    format_bytes(request.size_bytes),
                    d.storage_domain_name
                )
            },
            result,
        )
        .await
    }

    /// The fields, each wrong one a field error; the storage domain when they are all right.
    async fn check_upload_request(&self, request: &UploadRequest) -> Result<StorageDomainRecord, AppError> {
        let mut errors = Vec::new();
        errors.extend(name_error("name", "disk", &request.name));
        if request.format.is_none() {
            errors.push(FieldError::new(
                "format",
                "Choose the image's format: QCOW2, Raw or ISO.",
            ));
        }
        if request.size_bytes == 0 {
            errors.push(FieldError::new("file", "The file is empty."));
        } else if request.size_bytes > MAX_DISK_BYTES {
            errors.push(FieldError::new(
                "file",
                format!("The file is larger than {}.", format_bytes(MAX_DISK_BYTES)),
            ));
        }
        let domain = match request.storage_domain_id {
            Some(id) => self.repo.storage_domain(id).await?,
            None => None,
        };
        match &domain {
            None => errors.push(FieldError::new("storage_domain_id", "Choose a storage domain.")),
            Some(d) if is_simulated(&d.host_uri) => errors.push(FieldError::new(
                "storage_domain_id",
                "This host is simulated (libvirt's test driver), which cannot receive uploads; add a real \
                 host (qemu:///system) to upload images.",
            )),
            Some(d) if d.view.status != StorageDomainStatus::Active => errors.push(FieldError::new(
                "storage_domain_id",
                format!("Storage domain {} is {}.", d.view.name, d.view.status.label()),
            )),
            Some(d) if d.view.available_bytes >= 0 && request.size_bytes > d.view.available_bytes as u64 => errors
                .push(FieldError::new(
                    "file",
                    format!(
                        "Storage domain {} has {} free; the file is {}.",
                        d.view.name,
                        format_bytes(d.view.available_bytes as u64),
                        format_bytes(request.size_bytes)
                    ),
                )),
            Some(_) => {}
        }
        match domain {
            Some(domain) if errors.is_empty() => Ok(domain),
            _ => Err(AppError::Validation { errors }),
        }
    }

    async fn upload_checked<S, E>(
        &self,
        actor: &Actor,
        id: Uuid,
        request: &UploadRequest,
        body: S,
    ) -> Result<DiskView, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let domain = self.check_upload_request(request).await?;
        let format = request.format.unwrap_or_default();
        let size = request.size_bytes;
        let mut body = std::pin::pin!(body);

        // The head decides before anything is made on the host.
        let want = HEAD_BYTES.min(usize::try_from(size).unwrap_or(HEAD_BYTES));
        let (head, ended) = read_head(&mut body, want, size).await?;
        if ended && (head.len() as u64) < size {
            return Err(cut_short(head.len() as u64, size));
        }
        if let Some(problem) = upload_head_problem(format, &head) {
            let field = if detect_format(&head) == format {
                "file"
            } else {
                "format"
            };
            return Err(AppError::validation(field, problem));
        }
        let provisioned = match format {
            DiskFormat::Qcow2 => qcow2_virtual_size(&head).unwrap_or(size),
            DiskFormat::Raw | DiskFormat::Iso => size,
        };

        // Made raw whatever the image: the uploaded bytes replace the file from its first byte to
        // its last, so the volume must not start with a header of its own.
        let volume = volume_name(id, format);
        let pool = domain.view.name.clone();
        let uri = domain.host_uri.clone();
        let spec = VolumeSpec {
            name: volume.clone(),
            capacity_bytes: size,
            format: DiskFormat::Raw,
            preallocate: false,
            backing: None,
        };
        let made = self
            .hypervisor
            .create_volume(&uri, &pool, spec)
            .await
            .map_err(host_error)?;
        let row = NewDiskRow {
            id,
            name: &request.name,
            description: "",
            storage_domain_id: domain.view.id,
            volume_name: &volume,
            path: &made.path,
            format,
            content: if format == DiskFormat::Iso {
                DiskContent::Iso
            } else {
                DiskContent::Data
            },
            provisioned_bytes: provisioned,
            actual_bytes: made.allocation,
            sparse: true,
            backing_disk_id: None,
            // The grids show it arriving; nothing else may use it until it is whole.
            status: DiskStatus::Locked,
        };
        if let Err(e) = self.repo.insert_disk(actor, &row).await {
            self.undo_upload(actor, id, &uri, &pool, &volume, false).await;
            return Err(e);
        }

        let result = async {
            self.stream_into_volume(&uri, &pool, &volume, size, head, &mut body)
                .await?;
            self.finish_upload(id, &uri, &pool, &volume, provisioned, &domain).await
        }
        .await;
        match result {
            Ok(view) => Ok(view),
            Err(e) => {
                self.undo_upload(actor, id, &uri, &pool, &volume, true).await;
                Err(e)
            }
        }
    }

    /// Sends the head, then the rest of the body, through the bounded channel into libvirt's
    /// upload. Whichever side stops first stops the other: a bad body closes the channel (libvirt
    /// aborts), a failed libvirt drops the receiver (the pump stops).
    async fn stream_into_volume<S, E>(
        &self,
        uri: &str,
        pool: &str,
        volume: &str,
        size: u64,
        head: Vec<u8>,
        body: &mut S,
    ) -> Result<(), AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(UPLOAD_CHANNEL_CHUNKS);
        let upload = self.hypervisor.upload_volume(uri, pool, volume, size, rx);
        let pump = async move {
            let mut received = head.len() as u64;
            // `Err(None)`: libvirt stopped taking chunks; its own result says why.
            let send = |chunk: Vec<u8>| {
                let tx = tx.clone();
                async move { tx.send(Bytes::from(chunk)).await.map_err(|_| None::<AppError>) }
            };
            let mut pending = head;
            loop {
                if pending.len() >= UPLOAD_CHUNK {
                    send(std::mem::replace(&mut pending, Vec::with_capacity(UPLOAD_CHUNK))).await?;
                }
                match next_chunk(body, received, size).await.map_err(Some)? {
                    Some(chunk) => {
                        received += chunk.len() as u64;
                        if received > size {
                            return Err(Some(too_long(size)));
                        }
                        if pending.is_empty() && chunk.len() >= UPLOAD_CHUNK {
                            // Already full: passed on without a copy.
                            tx.send(chunk).await.map_err(|_| None::<AppError>)?;
                        } else {
                            pending.extend_from_slice(&chunk);
                        }
                    }
                    None => break,
                }
            }
            if received < size {
                return Err(Some(cut_short(received, size)));
            }
            if !pending.is_empty() {
                send(pending).await?;
            }
            Ok(())
        };
        let mut upload = std::pin::pin!(upload);
        let mut pump = std::pin::pin!(pump);
        tokio::select! {
            pumped = &mut pump => {
                // The pump has ended and dropped its sender: libvirt finishes or aborts now.
                let uploaded = upload.await;
                match (pumped, uploaded) {
                    (Ok(()), Ok(_)) => Ok(()),
                    (Err(Some(e)), _) => Err(e),
                    (_, Err(e)) => Err(host_error(e)),
                    (Err(None), Ok(_)) => Err(AppError::host("The host stopped taking the upload.")),
                }
            }
            uploaded = &mut upload => {
                // libvirt ended while the body still flowed: it failed (it only succeeds once the
                // channel closes). Dropping the pump stops reading the body.
                match uploaded {
                    Err(e) => Err(host_error(e)),
                    Ok(_) => Err(AppError::host("The host ended the upload early.")),
                }
            }
        }
    }

    /// The pool refreshed (its free space and the volume's allocation are new), the row `ok`.
    async fn finish_upload(
        &self,
        id: Uuid,
        uri: &str,
        pool: &str,
        volume: &str,
        provisioned: u64,
        domain: &StorageDomainRecord,
    ) -> Result<DiskView, AppError> {
        let info = self.hypervisor.refresh_pool(uri, pool).await.map_err(host_error)?;
        self.repo
            .sync_storage_domains(domain.view.host_id, &pool_rows(std::slice::from_ref(&info)))
            .await?;
        let made: VolumeInfo = self
            .hypervisor
            .volume(uri, pool, volume)
            .await
            .map_err(host_error)?
            .ok_or_else(|| AppError::host(format!("The uploaded volume {volume} is gone from the host.")))?;
        self.repo
            .update_disk_volume(id, &made.path, provisioned, made.allocation, DiskStatus::Ok)
            .await?;
        Ok(self.disk_record(id).await?.view)
    }

    /// Deletes the volume and (when written) the row of a failed upload. Failures here are logged:
    /// the upload's own error is what the uploader needs to see.
    async fn undo_upload(&self, actor: &Actor, id: Uuid, uri: &str, pool: &str, volume: &str, row: bool) {
        if let Err(e) = self.hypervisor.delete_volume(uri, pool, volume).await {
            tracing::error!(volume, pool, error = %e, "could not delete the volume of a failed upload");
            if row {
                // The row stays to show the leftover volume; `illegal` says it is not usable.
                let _ = self.repo.set_disk_status(id, DiskStatus::Illegal).await;
            }
            return;
        }
        if row {
            if let Err(e) = self.repo.delete_disk(actor, id).await {
                tracing::error!(disk = %id, error = %e, "could not delete the row of a failed upload");
            }
        }
    }
}

/// libvirt's test driver (in-process or inside libvirtd) has no `virStorageVolUpload`.
fn is_simulated(uri: &str) -> bool {
    vireo_app::domain::host_address::HostAddress::parse_uri(uri).is_ok_and(|a| a.is_simulated())
}
