//! `/vms/{id}/diskattachments` and `/templates/{id}/diskattachments`: the disks a VM or Template
//! has, on which bus, bootable or read only. An attachment's id is its disk's id. Add attaches an
//! existing `<disk id=…/>`, or creates the disk a full `<disk>` describes and attaches it (the disk
//! is removed again if the attach is refused). On a running VM a VirtIO disk is plugged live when
//! its host can; otherwise the change waits for the next start and the answer says so with
//! `active` false and Vireo's reason in `<vireo><pending_reason>` (oVirt has no element for it).
//! `active` in a request is accepted but Vireo decides it: it plugs every attached disk it can.
//! Update changes the bus, bootable and read-only flags (and through `<disk>` the disk's name or
//! size, as oVirt does). DELETE detaches and, as in oVirt, removes the disk too unless
//! `?detach_only=true`; removing needs a VM that is down.

use super::disks::{change, create, read_disk};
use super::extract::kind::{self, Kind};
use super::extract::{ApiId, ApiIdAnd, ApiUser, XmlBody};
use super::fault::Fault;
use super::href::{reference, API};
use super::query::flag;
use super::read::Obj;
use super::response::{action_complete, created, ok};
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;
use vireo_app::backend::StorageBackend;
use vireo_app::domain::draft::ConfigKind;
use vireo_app::domain::storage::{DiskAttachment, DiskCache, DiskInterface, DiskIo};
use vireo_app::error::AppError;
use vireo_app::models::{AttachedDisk, DiskChangeOutcome};

/// A VM or Template: what holds disk attachments.
pub trait Owner: Kind {
    const CONFIG: ConfigKind;
    /// Its collection (`vms`) and element (`vm`).
    const PATH: &'static str;
    const TAG: &'static str;
}

impl Owner for kind::Vm {
    const CONFIG: ConfigKind = ConfigKind::Vm;
    const PATH: &'static str = "vms";
    const TAG: &'static str = "vm";
}

impl Owner for kind::Template {
    const CONFIG: ConfigKind = ConfigKind::Template;
    const PATH: &'static str = "templates";
    const TAG: &'static str = "template";
}

const ELEMENTS: &[&str] = &[
    "disk",
    "interface",
    "bootable",
    "read_only",
    "active",
    // Accepted with the one value Vireo has.
    "pass_discard",
    "uses_scsi_reservation",
    "vireo",
];
/// What a GET returns that a client may send back: accepted, ignored.
const READ_ONLY: &[&str] = &["link", "actions", "logical_name", "vm", "template", "name"];
/// Vireo's own attachment settings, in `<vireo>`.
const VIREO: &[&str] = &["cache", "io", "iothread", "pending_reason"];

fn attachment_element<K: Owner>(owner: Uuid, a: &AttachedDisk, pending_reason: Option<&str>) -> El {
    let id = a.disk.id;
    let at = &a.attachment;
    let mut vireo = El::new("vireo")
        .text("cache", at.cache.as_str())
        .text("io", at.io.as_str());
    if let Some(t) = at.iothread {
        vireo = vireo.text("iothread", t);
    }
    if let (Some(reason), true) = (pending_reason, a.pending) {
        vireo = vireo.text("pending_reason", reason);
    }
    El::new("disk_attachment")
        .attr("href", format!("{API}/{}/{owner}/diskattachments/{id}", K::PATH))
        .attr("id", id)
        .text("active", !a.pending)
        .text("bootable", at.bootable)
        .text("interface", at.interface.as_str())
        .text("pass_discard", false)
        .text("read_only", at.read_only)
        .text("uses_scsi_reservation", false)
        .child(vireo)
        .child(reference("disk", "disks", id))
        .child(reference(K::TAG, K::PATH, owner))
}

/// The owner's attachments (a missing owner is a 404 naming it).
async fn attached<K: Owner>(state: &AppState, id: Uuid) -> Result<Vec<AttachedDisk>, Fault> {
    state.service.attached_disks(K::CONFIG, id).await.map_err(|e| match e {
        AppError::NotFound { .. } => K::missing(id),
        other => other.into(),
    })
}

/// Attachment `sub` of the owner, or a 404.
async fn find<K: Owner>(state: &AppState, id: Uuid, sub: &str) -> Result<AttachedDisk, Fault> {
    attached::<K>(state, id)
        .await?
        .into_iter()
        .find(|a| a.disk.id.to_string() == sub)
        .ok_or_else(|| Fault::not_found(&format!("disk attachment {sub} of {} {id}", K::WHAT)))
}

/// The answer after a change: the attachment as it now is, with why it waits if it does.
async fn answer<K: Owner>(
    state: &AppState,
    id: Uuid,
    disk: Uuid,
    outcome: Option<DiskChangeOutcome>,
) -> Result<El, Fault> {
    let a = find::<K>(state, id, &disk.to_string()).await?;
    let reason = match &outcome {
        Some(DiskChangeOutcome::NextRun { reason }) => Some(reason.as_str()),
        _ => None,
    };
    Ok(attachment_element::<K>(id, &a, reason))
}

pub async fn list<K: Owner>(State(state): State<AppState>, ApiId { id, .. }: ApiId<K>) -> Result<Response, Fault> {
    let all = attached::<K>(&state, id).await?;
    Ok(ok(
        El::new("disk_attachments").children(all.iter().map(|a| attachment_element::<K>(id, a, None)))
    ))
}

pub async fn get_one<K: Owner>(
    State(state): State<AppState>,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<K>,
) -> Result<Response, Fault> {
    let a = find::<K>(&state, id, &sub).await?;
    Ok(ok(attachment_element::<K>(id, &a, None)))
}

/// The attachment settings a request gives (each optional).
struct AttachmentRequest {
    interface: Option<DiskInterface>,
    bootable: Option<bool>,
    read_only: Option<bool>,
    cache: Option<DiskCache>,
    io: Option<DiskIo>,
    /// `Some(None)`: no IO thread (`<iothread>0</iothread>`).
    iothread: Option<Option<u32>>,
}

fn read_attachment(obj: &Obj) -> Result<AttachmentRequest, Fault> {
    obj.allow(&[ELEMENTS, READ_ONLY].concat())?;
    obj.bool("active")?;
    for name in ["pass_discard", "uses_scsi_reservation"] {
        if obj.bool(name)? == Some(true) {
            return Err(Fault::invalid(
                &format!("{}/{name}", obj.path()),
                "Vireo does not support this; leave it out or send false",
            ));
        }
    }
    let (cache, io, iothread) = match obj.get("vireo")? {
        None => (None, None, None),
        Some(v) => {
            v.allow(VIREO)?;
            (
                v.one_of("cache", &DiskCache::STRS)?.and_then(|c| DiskCache::parse(&c)),
                v.one_of("io", &DiskIo::STRS)?.and_then(|i| DiskIo::parse(&i)),
                v.u32("iothread")?.map(|t| (t > 0).then_some(t)),
            )
        }
    };
    Ok(AttachmentRequest {
        interface: obj
            .one_of("interface", &DiskInterface::STRS)?
            .and_then(|i| DiskInterface::parse(&i)),
        bootable: obj.bool("bootable")?,
        read_only: obj.bool("read_only")?,
        cache,
        io,
        iothread,
    })
}

impl AttachmentRequest {
    fn apply(self, a: &mut DiskAttachment) {
        if let Some(i) = self.interface {
            a.interface = i;
        }
        if let Some(b) = self.bootable {
            a.bootable = b;
        }
        if let Some(r) = self.read_only {
            a.read_only = r;
        }
        if let Some(c) = self.cache {
            a.cache = c;
        }
        if let Some(io) = self.io {
            a.io = io;
        }
        if let Some(t) = self.iothread {
            a.iothread = t;
        }
    }
}

/// The id of an existing disk a `<disk id=…/>` names (404 when there is none).
async fn existing_disk(state: &AppState, disk: &Obj<'_>, id: &str) -> Result<Uuid, Fault> {
    let id = Uuid::parse_str(id).map_err(|_| Fault::invalid(disk.path(), format!("'{id}' is not an id (a UUID)")))?;
    state
        .repo
        .disk(id)
        .await?
        .map(|d| d.view.id)
        .ok_or_else(|| kind::Disk::missing(id))
}

pub async fn add<K: Owner>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<K>,
    body: Result<XmlBody<kind::DiskAttachment>, Fault>,
) -> Result<Response, Fault> {
    // A missing owner is reported before anything about the body.
    attached::<K>(&state, id).await?;
    let body = body?;
    let obj = body.obj();
    let req = read_attachment(&obj)?;
    let Some(disk) = obj.get("disk")? else {
        return Err(Fault::incomplete("DiskAttachment", &["disk"], "add"));
    };
    // `<disk id=…/>` attaches that disk (anything else in it is what a GET showed); a `<disk>`
    // without an id is a new disk.
    let (disk_id, made) = match disk.node.attr("id") {
        Some(did) => (existing_disk(&state, &disk, did).await?, false),
        None => {
            let new = create(&state, &user, read_disk(&disk)?).await?;
            (new.id, true)
        }
    };
    let mut attachment = DiskAttachment::new(disk_id, false);
    req.apply(&mut attachment);
    let outcome = match state.service.attach_disk(&user, K::CONFIG, id, attachment).await {
        Ok(outcome) => outcome,
        Err(e) => {
            if made {
                if let Err(undo) = state.service.remove_disk(&user, disk_id).await {
                    tracing::warn!(disk = %disk_id, error = %undo, "could not remove the disk of a refused attach");
                }
            }
            return Err(e.into());
        }
    };
    Ok(created(answer::<K>(&state, id, disk_id, Some(outcome)).await?))
}

pub async fn update<K: Owner>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<K>,
    body: Result<XmlBody<kind::DiskAttachment>, Fault>,
) -> Result<Response, Fault> {
    // A missing owner or attachment is reported before anything about the body.
    let current = find::<K>(&state, id, &sub).await?;
    let body = body?;
    let obj = body.obj();
    let req = read_attachment(&obj)?;
    let disk_change = match obj.get("disk")? {
        None => None,
        Some(disk) => {
            if disk.node.attr("id").is_some_and(|d| d != current.disk.id.to_string()) {
                return Err(Fault::invalid(
                    disk.path(),
                    "an attachment's disk cannot be changed; attach the other disk instead",
                ));
            }
            Some(read_disk(&disk)?)
        }
    };
    // The disk first: growing it is the step the host may refuse.
    if let Some(req) = disk_change {
        change(&state, &user, current.disk.clone(), req, "disk_attachment/disk").await?;
    }
    let mut attachment = current.attachment.clone();
    req.apply(&mut attachment);
    let mut outcome = None;
    if attachment != current.attachment {
        outcome = Some(
            state
                .service
                .update_attachment(&user, K::CONFIG, id, attachment)
                .await?,
        );
    }
    Ok(ok(answer::<K>(&state, id, current.disk.id, outcome).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RemoveParams {
    detach_only: Option<String>,
}

pub async fn remove<K: Owner>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(params): Query<RemoveParams>,
    ApiIdAnd { id, sub, .. }: ApiIdAnd<K>,
) -> Result<Response, Fault> {
    let current = find::<K>(&state, id, &sub).await?;
    let disk = current.disk;
    let detach_only = flag(&params.detach_only);
    if !detach_only {
        // What would stop the disk's removal is refused before it is detached, so a refusal
        // leaves the attachment as it was.
        let running = match state.repo.config_record(K::CONFIG, id).await? {
            Some(rec) => K::CONFIG == ConfigKind::Vm && rec.running(),
            None => false,
        };
        let refusal = if running {
            Some(format!(
                "Disk {} is in use by the running VM; shut it down first, or detach it only (detach_only=true).",
                disk.name
            ))
        } else if let Some(other) = disk.attached_to.iter().find(|a| a.id != id) {
            Some(format!(
                "Disk {} is attached to {} {} as well; detach it only (detach_only=true).",
                disk.name,
                other.kind.label(),
                other.name
            ))
        } else if state.repo.overlays_of(disk.id).await? > 0 {
            Some(format!(
                "Disks of other VMs are thin copies of disk {}; detach it only (detach_only=true).",
                disk.name
            ))
        } else {
            None
        };
        if let Some(message) = refusal {
            return Err(AppError::conflict(message).into());
        }
    }
    state.service.detach_disk(&user, K::CONFIG, id, disk.id).await?;
    if !detach_only {
        state.service.remove_disk(&user, disk.id).await.map_err(|e| {
            let mut f = Fault::from(e);
            f.detail = format!(
                "[Disk {} was detached but not removed: {}]",
                disk.name,
                f.detail.trim_matches(['[', ']'])
            );
            f
        })?;
    }
    Ok(action_complete())
}

/// `/{owner}/{id}/diskattachments` and `/{owner}/{id}/diskattachments/{disk_id}`.
pub fn routes<K: Owner>(router: Router<AppState>) -> Router<AppState> {
    router
        .route(
            &format!("/{}/{{id}}/diskattachments", K::PATH),
            get(list::<K>).post(add::<K>),
        )
        .route(
            &format!("/{}/{{id}}/diskattachments/{{did}}", K::PATH),
            get(get_one::<K>).put(update::<K>).delete(remove::<K>),
        )
}
