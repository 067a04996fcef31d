use crate::api::storage::DetachDisk;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::domain::draft::ConfigKind;
use crate::models::AttachedDisk;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before detaching a disk. The disk itself stays (in the Disks grid); a running VM loses it
/// live when its host can unplug it, else at its next start.
#[component]
pub fn DetachDiskDialog(kind: ConfigKind, id: String, disk: AttachedDisk, close: String) -> impl IntoView {
    let action = ServerAction::<DetachDisk>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let message = format!(
        "Detach disk {} from this {}? The disk stays in the Disks grid.",
        disk.disk.name,
        kind.label()
    );
    view! {
        <Modal title=format!("Detach {}", disk.disk.name) id="detach-disk-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="detach-disk-form">
                <DialogBody error close_href=close submit="Detach" pending=action.pending() danger=true>
                    {move || field_errors(error.get(), "disk_id")}
                    <p>{message}</p>
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="disk_id" value=disk.disk.id.to_string() />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
