use super::attach_dialog::{free_disks, AttachDiskDialog};
use super::detach_dialog::DetachDiskDialog;
use super::edit_attachment_dialog::EditAttachmentDialog;
use crate::api::storage::attached_disks;
use crate::components::error_notice::ErrorNotice;
use crate::components::modal::{cannot_open, Modal};
use crate::components::object_detail::prefetch_when_interactive;
use crate::components::split_data::{from_text, load_as_text};
use crate::components::sub_tab_dialogs::{close_href, sub_tab_dialogs};
use crate::domain::draft::ConfigKind;
use crate::error::AppError;
use crate::models::{AttachedDisk, DiskView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The URL parameters of the Disks sub-tab's dialogs and notices.
const DISK_PARAMS: [&str; 4] = ["disk_dialog", "disk", "disk_outcome", "disk_reason"];

/// The Disks sub-tab's dialogs for the URL's selected VM or Template: a page puts this beside its
/// grid (not in the selected row's details, which a live update redraws and would empty a
/// half-filled dialog). Only for those who may manage VMs, and only while the URL has a
/// `disk_dialog`: the rest is the details' wasm chunk's (`disk_dialogs`).
#[component]
pub fn DiskDialogs(kind: ConfigKind) -> impl IntoView {
    prefetch_when_interactive(preload_disk_dialogs);
    sub_tab_dialogs(kind, "disk_dialog", &DISK_PARAMS, disk_dialogs)
}

/// Fetches the dialogs' chunk for `disk_dialogs` (`object_detail::preload_detail_chunk`).
pub(crate) async fn preload_dialogs() -> Result<(), AppError> {
    Ok(preload_disk_dialogs().await?)
}

/// The dialogs, with their data and code, are in the wasm chunk of the selected object's details
/// (`object_detail`), with the Network Interfaces sub-tab's (`nic_dialogs`), not in the main part
/// (issue 16: the VM grid's first load). They open from the details, so the two are wanted
/// together; as a chunk of their own they made eighteen more shared chunks. The page fetches it
/// once interactive (`DiskDialogs`); `hydrate` fetches it first when the URL has a `disk_dialog`.
/// On the server it is a plain call.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_disk_dialogs)
)]
fn disk_dialogs(kind: ConfigKind) -> Result<AnyView, AppError> {
    Ok(view! { <OpenDiskDialog kind /> }.into_any())
}

/// The dialog the URL opens, once its data is there.
#[component]
fn OpenDiskDialog(kind: ConfigKind) -> impl IntoView {
    let url = use_query_map();
    let wanted = move || url.with(|q| (q.get("selected"), q.get("disk_dialog"), q.get("disk")));
    // The attachment an Edit or Detach is about (fetched only for those), as JSON text
    // (`split_data`: the resource's type is one the main part has anyway).
    let current = Resource::new(wanted, move |(selected, mode, disk)| async move {
        match (selected, mode.as_deref(), disk) {
            (Some(id), Some("edit" | "detach"), Some(disk)) => attachment_data(kind, id, disk).await.map(Some),
            _ => Ok::<_, AppError>(None),
        }
    });
    // What Attach offers (made here, with the other, and waited for: `free_disks` says why).
    let free = free_disks(move || url.with(|q| q.get("disk_dialog").as_deref() == Some("attach")));
    let close = move || close_href(url, kind, &DISK_PARAMS);
    let dialog = move || {
        let (id, mode, _) = wanted();
        let id = id?;
        let shown = match mode.as_deref()? {
            "attach" => match free.get()? {
                Ok(free) => disk_dialog(
                    kind,
                    id,
                    close(),
                    OpenDialog::Attach(free.unwrap_or_else(|| "[]".into())),
                ),
                Err(error) => {
                    return Some(
                        view! {
                            <Modal title="Attach Disk" id="attach-disk-dialog" close_href=close()>
                                <div class="modal-body">
                                    <ErrorNotice error />
                                </div>
                            </Modal>
                        }
                        .into_any(),
                    )
                }
            },
            mode @ ("edit" | "detach") => {
                let disk = current.get()?.ok()??;
                let dialog = if mode == "edit" {
                    OpenDialog::Edit(disk)
                } else {
                    OpenDialog::Detach(disk)
                };
                disk_dialog(kind, id, close(), dialog)
            }
            _ => return None,
        };
        Some(shown.unwrap_or_else(|error| cannot_open("lazy-dialog-error", close(), error)))
    };
    view! { <Transition fallback=|| ()>{dialog}</Transition> }
}

/// Which of the Disks sub-tab's dialogs, with what it shows as the JSON text it was loaded as
/// (`split_data`): Attach the free disks (`Vec<DiskView>`), Edit and Detach the attachment
/// (`Option<AttachedDisk>`: one the object no longer has shows nothing).
enum OpenDialog {
    Attach(String),
    Edit(String),
    Detach(String),
}

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
/// (`split_data`).
async fn attachment_data(kind: ConfigKind, id: String, disk: String) -> Result<String, AppError> {
    load_as_text(async move {
        Ok(attached_disks(kind.as_str().to_string(), id)
            .await?
            .into_iter()
            .find(|a| a.disk.id.to_string() == disk))
    })
    .await
}
