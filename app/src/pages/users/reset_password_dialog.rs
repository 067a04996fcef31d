use crate::api::users::ResetUserPassword;
use crate::components::modal::{DialogBody, Modal};
use crate::components::password_fields::NewPasswordFields;
use crate::models::UserView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// An admin sets another user's password; that user's sessions and API tokens end.
#[component]
pub fn ResetPasswordDialog(user: UserView) -> impl IntoView {
    let action = ServerAction::<ResetUserPassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("/users?selected={}", user.id);
    view! {
        <Modal title=format!("Reset password of {}", user.username) id="reset-password-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="reset-password-form">
                <DialogBody error close_href=close submit="Set password" pending=action.pending()>
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <NewPasswordFields
                        id="reset"
                        label="New password"
                        hint=". The user is logged out everywhere."
                        error
                    />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
