use super::{field_errors, form_error};
use crate::api::users::AddUser;
use crate::components::modal::Modal;
use crate::models::{Role, MIN_PASSWORD_CHARS};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// "Add user": a name, a role and a password typed twice. Posts to the `add_user` server function
/// (a plain form with JavaScript off); errors come back per field.
#[component]
pub fn AddUserDialog() -> impl IntoView {
    let action = ServerAction::<AddUser>::new();
    let pending = action.pending();
    let error = move || action.value().get().and_then(Result::err);
    let roles = Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == Role::Viewer>{r.label()}</option> })
        .collect_view();
    view! {
        <Modal title="Add User" id="add-user-dialog" close_href="/users">
            <ActionForm action attr:class="form" attr:id="add-user-form">
                <div class="modal-body">
                    {move || form_error(error())}
                    <label for="user-name">"User name"</label>
                    <input id="user-name" name="username" type="text" required maxlength="64" autocomplete="off" />
                    <p class="hint">"Letters, digits and . _ @ - (at most 64)"</p>
                    {move || field_errors(error(), "username")}
                    <label for="user-role">"Role"</label>
                    <select id="user-role" name="role">{roles}</select>
                    {move || field_errors(error(), "role")}
                    <label for="user-password">"Password"</label>
                    <input id="user-password" name="password" type="password" required
                        minlength=MIN_PASSWORD_CHARS.to_string() autocomplete="new-password" />
                    <p class="hint">{format!("At least {MIN_PASSWORD_CHARS} characters")}</p>
                    {move || field_errors(error(), "password")}
                    <label for="user-confirm">"Repeat password"</label>
                    <input id="user-confirm" name="confirm" type="password" required autocomplete="new-password" />
                    {move || field_errors(error(), "confirm")}
                </div>
                <footer class="modal-footer">
                    <a class="btn" href="/users">"Cancel"</a>
                    <button type="submit" class="btn btn-primary" disabled=pending>"Add"</button>
                </footer>
            </ActionForm>
        </Modal>
    }
}
