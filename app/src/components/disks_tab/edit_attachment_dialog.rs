use crate::api::storage::UpdateAttachment;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::domain::draft::ConfigKind;
use crate::domain::storage::DiskInterface;
use crate::models::AttachedDisk;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// "Edit": an attachment's interface, bootable and read-only flags (its cache, IO mode and IO
/// thread stay). On a running VM the change waits for the next start. Posts to the
/// `update_attachment` server function (a plain form with JavaScript off).
#[component]
pub fn EditAttachmentDialog(kind: ConfigKind, id: String, disk: AttachedDisk, close: String) -> impl IntoView {
    let action = ServerAction::<UpdateAttachment>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let current = disk.attachment.clone();
    let interfaces = DiskInterface::ALL
        .into_iter()
        .map(|i| {
            view! {
                <option value=i.as_str() selected=i == current.interface>
                    {i.label()}
                </option>
            }
        })
        .collect_view();
    view! {
        <Modal title=format!("Edit {}", disk.disk.name) id="edit-attachment-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="edit-attachment-form">
                <DialogBody error close_href=close submit="OK" pending=action.pending()>
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="disk_id" value=disk.disk.id.to_string() />
                    <label for="edit-interface">"Interface"</label>
                    <select id="edit-interface" name="interface">
                        {interfaces}
                    </select>
                    {move || field_errors(error.get(), "interface")}
                    <label class="check">
                        <input id="edit-bootable" type="checkbox" name="bootable" value="on" checked=current.bootable />
                        " Bootable"
                    </label>
                    <label class="check">
                        <input
                            id="edit-read-only"
                            type="checkbox"
                            name="read_only"
                            value="on"
                            checked=current.read_only
                        />
                        " Read only"
                    </label>
                    {move || field_errors(error.get(), "disks")}
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
