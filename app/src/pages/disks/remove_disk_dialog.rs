use crate::api::storage::RemoveDisk;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::models::DiskView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before deleting a disk and its volume. The service refuses an attached disk (detach it
/// first) and the dialog shows why.
#[component]
pub fn RemoveDiskDialog(disk: DiskView) -> impl IntoView {
    let action = ServerAction::<RemoveDisk>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("/disks?selected={}", disk.id);
    let attached = super::attached_text(&disk);
    let message = if attached.is_empty() {
        format!("Remove disk {}? Its volume is deleted from the host.", disk.name)
    } else {
        format!(
            "Remove disk {}? It is attached to {attached}: detach it there first.",
            disk.name
        )
    };
    view! {
        <Modal title=format!("Remove {}", disk.name) id="remove-disk-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="remove-disk-form">
                <DialogBody error close_href=close submit="Remove" pending=action.pending() danger=true>
                    {move || field_errors(error.get(), "id")}
                    <p>{message}</p>
                    <input type="hidden" name="id" value=disk.id.to_string() />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
