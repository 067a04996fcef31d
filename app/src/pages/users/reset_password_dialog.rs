use super::{field_errors, form_error};
use crate::api::users::ResetUserPassword;
use crate::components::modal::Modal;
use crate::models::{UserView, MIN_PASSWORD_CHARS};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// An admin sets another user's password; that user's sessions and API tokens end.
#[component]
pub fn ResetPasswordDialog(user: UserView) -> impl IntoView {
    let action = ServerAction::<ResetUserPassword>::new();
    let pending = action.pending();
    let error = move || action.value().get().and_then(Result::err);
    let close = format!("/users?selected={}", user.id);
    view! {
        <Modal title=format!("Reset password of {}", user.username) id="reset-password-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="reset-password-form">
                <div class="modal-body">
                    {move || form_error(error())}
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <label for="reset-password">"New password"</label>
                    <input id="reset-password" name="password" type="password" required
                        minlength=MIN_PASSWORD_CHARS.to_string() autocomplete="new-password" />
                    <p class="hint">{format!("At least {MIN_PASSWORD_CHARS} characters. The user is logged out everywhere.")}</p>
                    {move || field_errors(error(), "password")}
                    <label for="reset-confirm">"Repeat new password"</label>
                    <input id="reset-confirm" name="confirm" type="password" required autocomplete="new-password" />
                    {move || field_errors(error(), "confirm")}
                </div>
                <footer class="modal-footer">
                    <a class="btn" href=close>"Cancel"</a>
                    <button type="submit" class="btn btn-primary" disabled=pending>"Set password"</button>
                </footer>
            </ActionForm>
        </Modal>
    }
}
