use crate::api::users::AddUser;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::components::password_fields::NewPasswordFields;
use crate::models::Role;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// "Add user": a name, a role and a password typed twice. Posts to the `add_user` server function
/// (a plain form with JavaScript off); errors come back per field.
#[component]
pub fn AddUserDialog() -> impl IntoView {
    let action = ServerAction::<AddUser>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let roles = Role::ALL
        .into_iter()
        .map(|r| {
            view! {
                <option value=r.as_str() selected=r == Role::Viewer>
                    {r.label()}
                </option>
            }
        })
        .collect_view();
    view! {
        <Modal title="Add User" id="add-user-dialog" close_href="/users">
            <ActionForm action attr:class="form" attr:id="add-user-form">
                <DialogBody error close_href="/users" submit="Add" pending=action.pending()>
                    <label for="user-name">"User name"</label>
                    <input id="user-name" name="username" type="text" required maxlength="64" autocomplete="off" />
                    <p class="hint">"Letters, digits and . _ @ - (at most 64)"</p>
                    {move || field_errors(error.get(), "username")}
                    <label for="user-role">"Role"</label>
                    <select id="user-role" name="role">
                        {roles}
                    </select>
                    {move || field_errors(error.get(), "role")}
                    <NewPasswordFields id="user" label="Password" error />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
