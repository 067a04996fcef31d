use crate::api::storage::{disk_grid, AttachDisk};
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::domain::draft::ConfigKind;
use crate::domain::storage::{DiskContent, DiskInterface};
use crate::models::GridQuery;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// "Attach": one of the disks attached nowhere, on a bus, bootable or not, read only or not.
/// Posts to the `attach_disk` server function (a plain form with JavaScript off), which sends the
/// browser back to the Disks sub-tab saying whether the disk was plugged in live.
#[component]
pub fn AttachDiskDialog(kind: ConfigKind, id: String, close: String) -> impl IntoView {
    let action = ServerAction::<AttachDisk>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let free = Resource::new(
        || (),
        |_| {
            disk_grid(GridQuery {
                page_size: 200,
                ..GridQuery::new("name")
            })
        },
    );
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
                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading disks…"</p> }
                    }>
                        {move || {
                            free.get()
                                .map(|page| {
                                    let disks: Vec<_> = page
                                        .map(|p| p.rows)
                                        .unwrap_or_default()
                                        .into_iter()
                                        .filter(|d| d.attached_to.is_empty() && d.content == DiskContent::Data)
                                        .collect();
                                    if disks.is_empty() {
                                        return view! {
                                            <p class="hint" id="attach-disk">
                                                "No free disk: create one on the Disks page first."
                                            </p>
                                        }
                                            .into_any();
                                    }
                                    view! {
                                        <select id="attach-disk" name="disk_id" required>
                                            {disks
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
                                })
                        }}
                    </Suspense>
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
