use crate::api::networks::RemoveNic;
use crate::components::error_notice::{field_errors, other_field_errors};
use crate::components::modal::{DialogBody, Modal};
use crate::domain::draft::ConfigKind;
use crate::models::AttachedNic;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before removing a NIC. A running VM loses it live when its host can unplug it, else at
/// its next start; its MAC address is free again once no configuration holds it.
#[component]
pub fn RemoveNicDialog(kind: ConfigKind, id: String, nic: AttachedNic, close: String) -> impl IntoView {
    let action = ServerAction::<RemoveNic>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let mac = nic.nic.mac.map(|m| format!(" ({m})")).unwrap_or_default();
    let message = format!(
        "Remove network interface {}{mac} from this {}?",
        nic.nic.name,
        kind.label()
    );
    view! {
        <Modal title=format!("Remove {}", nic.nic.name) id="remove-nic-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="remove-nic-form">
                <DialogBody error close_href=close submit="Remove" pending=action.pending() danger=true>
                    {move || field_errors(error.get(), "nic_id")}
                    {move || other_field_errors(error.get(), &["nic_id"])}
                    <p>{message}</p>
                    <input type="hidden" name="kind" value=kind.as_str() />
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="nic_id" value=nic.nic.id.to_string() />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
