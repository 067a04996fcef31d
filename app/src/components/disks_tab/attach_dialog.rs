use crate::api::storage::{disk_grid, AttachDisk};
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::components::split_data::load_as_text;
use crate::domain::draft::ConfigKind;
use crate::domain::storage::{DiskContent, DiskInterface};
use crate::error::AppError;
use crate::models::{DiskView, GridQuery};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The disks an Attach may offer: one page of the Disks grid, fetched only while `open`, then
/// filtered to the data disks attached nowhere. `OpenDiskDialog` makes it up front and its
/// Transition waits for it, so the dialog is drawn whole on both sides. Made inside the dialog with
/// a Suspense of its own, landing on the page with the dialog open did not hydrate: the server
/// resolved the dialog's resource after the selected row's details had taken their serialization
/// ids, the browser before them, so the two read each other's data.
/// The disks are kept as JSON text (`split_data`).
pub fn free_disks(open: impl Fn() -> bool + Send + Sync + 'static) -> Resource<Result<Option<String>, AppError>> {
    Resource::new(open, |open| async move {
        if !open {
            return Ok(None);
        }
        free_disks_data().await.map(Some)
    })
}

/// `free_disks`' `Vec<DiskView>`, as JSON text (`split_data`).
async fn free_disks_data() -> Result<String, AppError> {
    load_as_text(async {
        let page = disk_grid(GridQuery {
            page_size: 200,
            ..GridQuery::new("name")
        })
        .await?;
        Ok(page
            .rows
            .into_iter()
            .filter(|d| d.attached_to.is_empty() && d.content == DiskContent::Data)
            .collect::<Vec<DiskView>>())
    })
    .await
}

/// "Attach": one of the disks attached nowhere, on a bus, bootable or not, read only or not.
/// Posts to the `attach_disk` server function (a plain form with JavaScript off), which sends the
/// browser back to the Disks sub-tab saying whether the disk was plugged in live.
#[component]
pub fn AttachDiskDialog(kind: ConfigKind, id: String, close: String, free: Vec<DiskView>) -> impl IntoView {
    let action = ServerAction::<AttachDisk>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let interfaces = DiskInterface::ALL
        .into_iter()
        .map(|i| view! { <option value=i.as_str()>{i.label()}</option> })
        .collect_view();
    view! {
        <Modal title="Attach Disk" id="attach-disk-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="attach-disk-form">
                <DialogBody error close_href=close submit="Attach" pending=action.pending()>
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <input type="hidden" name="id" value=id />
                    <label for="attach-disk">"Disk"</label>
                    {if free.is_empty() {
                        view! {
                            <p class="hint" id="attach-disk">
                                "No free disk: create one on the Disks page first."
                            </p>
                        }
                            .into_any()
                    } else {
                        view! {
                            <select id="attach-disk" name="disk_id" required>
                                {free
                                    .into_iter()
                                    .map(|d| {
                                        view! {
                                            <option value=d
                                                .id
                                                .to_string()>
                                                {format!(
                                                    "{} ({}, {})",
                                                    d.name,
                                                    crate::pages::storage_domains::bytes(d.provisioned_bytes),
                                                    d.storage_domain_name,
                                                )}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        }
                            .into_any()
                    }}
                    {move || field_errors(error.get(), "disk_id")}
                    <label for="attach-interface">"Interface"</label>
                    <select id="attach-interface" name="interface">
                        {interfaces}
                    </select>
                    {move || field_errors(error.get(), "interface")}
                    <label class="check">
                        <input id="attach-bootable" type="checkbox" name="bootable" value="on" />
                        " Bootable"
                    </label>
                    <label class="check">
                        <input id="attach-read-only" type="checkbox" name="read_only" value="on" />
                        " Read only"
                    </label>
                    {move || field_errors(error.get(), "disks")}
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
