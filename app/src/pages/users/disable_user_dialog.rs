use crate::api::users::SetUserDisabled;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::models::UserView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before disabling (or enabling) a user. Disabling logs them out everywhere at once and stops
/// their API tokens; the service refuses disabling oneself and the last enabled admin.
#[component]
pub fn DisableUserDialog(user: UserView, disable: bool) -> impl IntoView {
    let action = ServerAction::<SetUserDisabled>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("/users?selected={}", user.id);
    let (title, message, button) = if disable {
        (
            format!("Disable {}", user.username),
            format!(
                "Disable {}? They are logged out at once, their API tokens stop working, and they cannot log in until enabled again.",
                user.username
            ),
            "Disable",
        )
    } else {
        (
            format!("Enable {}", user.username),
            format!("Enable {}? They can log in again with their password.", user.username),
            "Enable",
        )
    };
    view! {
        <Modal title id="disable-user-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="disable-user-form">
                <DialogBody error close_href=close submit=button pending=action.pending() danger=disable>
                    {move || field_errors(error.get(), "disabled")}
                    <p>{message}</p>
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <input type="hidden" name="disabled" value=disable.to_string() />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
