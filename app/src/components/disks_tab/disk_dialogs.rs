use super::attach_dialog::{free_disks, AttachDiskDialog};
use super::detach_dialog::DetachDiskDialog;
use super::edit_attachment_dialog::EditAttachmentDialog;
use crate::api::storage::attached_disks;
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::encode;
use crate::components::modal::{lazy_dialog, Modal};
use crate::components::object_detail::prefetch_when_interactive;
use crate::components::split_data::{from_text, load_as_text, DataAsText};
use crate::domain::draft::ConfigKind;
use crate::error::AppError;
use crate::models::{AttachedDisk, DiskView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The URL parameters of the Disks sub-tab's dialogs and notices.
const DISK_PARAMS: [&str; 4] = ["disk_dialog", "disk", "disk_outcome", "disk_reason"];

/// The Disks sub-tab's dialogs for the URL's selected VM or Template: a page puts this beside its
/// grid (not in the selected row's details, which a live update redraws and would empty a
/// half-filled dialog). Only for those who may manage VMs.
#[component]
pub fn DiskDialogs(kind: ConfigKind) -> impl IntoView {
    prefetch_when_interactive(preload_disk_dialogs);
    let url = use_query_map();
    let manage = may(Permission::ManageVms);
    let wanted = move || url.with(|q| (q.get("selected"), q.get("disk_dialog"), q.get("disk")));
    // The attachment an Edit or Detach is about (fetched only for those), as JSON text loaded by
    // the dialogs' chunk (`split_data` says why).
    let current = Resource::new(wanted, move |(selected, mode, disk)| async move {
        match (selected, mode.as_deref(), disk) {
            (Some(id), Some("edit" | "detach"), Some(disk)) => attachment_data(kind, id, disk).await?.await.map(Some),
            _ => Ok::<_, AppError>(None),
        }
    });
    // What Attach offers (made here, before the grid's table, and waited for: `free_disks` says why).
    let free = free_disks(move || manage && url.with(|q| q.get("disk_dialog").as_deref() == Some("attach")));
    // Where Cancel leads: the same view without the dialog.
    let close = move || {
        let query = url.with(|q| {
            q.clone()
                .into_iter()
                .filter(|(k, _)| !DISK_PARAMS.contains(&k.as_ref()))
                .map(|(k, v)| format!("{k}={}", encode(&v)))
                .collect::<Vec<_>>()
                .join("&")
        });
        format!("{}?{query}", kind.page())
    };
    let dialog = move || {
        let (id, mode, _) = wanted();
        let id = id.filter(|_| manage)?;
        match mode.as_deref()? {
            "attach" => Some(match free.get()? {
                Ok(free) => lazy_dialog(
                    close(),
                    disk_dialog(
                        kind,
                        id,
                        close(),
                        OpenDialog::Attach(free.unwrap_or_else(|| "[]".into())),
                    ),
                ),
                Err(error) => view! {
                    <Modal title="Attach Disk" id="attach-disk-dialog" close_href=close()>
                        <div class="modal-body">
                            <ErrorNotice error />
                        </div>
                    </Modal>
                }
                .into_any(),
            }),
            mode @ ("edit" | "detach") => {
                let disk = current.get()?.ok()??;
                let dialog = if mode == "edit" {
                    OpenDialog::Edit(disk)
                } else {
                    OpenDialog::Detach(disk)
                };
                Some(lazy_dialog(close(), disk_dialog(kind, id, close(), dialog)))
            }
            _ => None,
        }
    };
    view! { <Transition fallback=|| ()>{dialog}</Transition> }
}

/// Fetches the dialogs' chunk for `disk_dialog` (`object_detail::preload_detail_chunk`).
pub(crate) async fn preload_dialogs() -> Result<(), AppError> {
    Ok(preload_disk_dialogs().await?)
}

/// Which of the Disks sub-tab's dialogs, with what it shows as the JSON text it was loaded as
/// (`split_data`): Attach the free disks (`Vec<DiskView>`), Edit and Detach the attachment
/// (`Option<AttachedDisk>`: one the object no longer has shows nothing).
enum OpenDialog {
    Attach(String),
    Edit(String),
    Detach(String),
}

/// The dialogs' code, with the Network Interfaces sub-tab's (`nic_dialog`), is in the wasm chunk of
/// the selected object's details (`object_detail`), not in the main part (issue 16: the VM grid's
/// first load is ~65 KB gzip lighter without them). They open from the details, so the two are
/// wanted together; as a chunk of their own they made eighteen more shared chunks. The page fetches
/// it once interactive (`DiskDialogs`); `hydrate` fetches it first when the URL has a
/// `disk_dialog`. On the server it is a plain call.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_disk_dialogs)
)]
fn disk_dialog(kind: ConfigKind, id: String, close: String, dialog: OpenDialog) -> Result<AnyView, AppError> {
    Ok(match dialog {
        OpenDialog::Attach(free) => {
            let free: Vec<DiskView> = from_text(&free)?;
            view! { <AttachDiskDialog kind id close free /> }.into_any()
        }
        OpenDialog::Edit(disk) => match from_text::<Option<AttachedDisk>>(&disk)? {
            Some(disk) => view! { <EditAttachmentDialog kind id disk close /> }.into_any(),
            None => ().into_any(),
        },
        OpenDialog::Detach(disk) => match from_text::<Option<AttachedDisk>>(&disk)? {
            Some(disk) => view! { <DetachDiskDialog kind id disk close /> }.into_any(),
            None => ().into_any(),
        },
    })
}

/// The attachment of `disk` to the object, if it has it (`Option<AttachedDisk>`), as JSON text
/// (`split_data`), in the dialogs' chunk.
#[leptos::wasm_split::wasm_split(vireo_object_detail, wasm_split_path = ::leptos::wasm_split, fallible)]
fn attachment_data(kind: ConfigKind, id: String, disk: String) -> Result<DataAsText, AppError> {
    Ok(load_as_text(async move {
        Ok(attached_disks(kind.as_str().to_string(), id)
            .await?
            .into_iter()
            .find(|a| a.disk.id.to_string() == disk))
    }))
}
