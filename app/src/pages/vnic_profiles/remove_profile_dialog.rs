use crate::api::networks::{RemoveVnicProfile, PROFILES_PATH};
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::models::VnicProfileView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before removing a vNIC profile. The service refuses while NICs use it, naming them, and
/// the dialog shows that answer.
#[component]
pub fn RemoveProfileDialog(profile: VnicProfileView) -> impl IntoView {
    let action = ServerAction::<RemoveVnicProfile>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("{PROFILES_PATH}?selected={}", profile.id);
    let mut message = format!(
        "Remove vNIC profile {} of network {}?",
        profile.name, profile.network_name
    );
    if profile.nic_count > 0 {
        message.push_str(&format!(
            " {} NIC(s) use it: Vireo refuses until they are moved or removed.",
            profile.nic_count
        ));
    }
    view! {
        <Modal title=format!("Remove {}", profile.name) id="remove-profile-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="remove-profile-form">
                <DialogBody error close_href=close submit="Remove" pending=action.pending() danger=true>
                    {move || field_errors(error.get(), "id")}
                    <p>{message}</p>
                    <input type="hidden" name="id" value=profile.id.to_string() />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
