use crate::api::users::SetUserRole;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::models::{Role, UserView};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Change a user's role. The service refuses one's own role and demoting the last enabled admin.
#[component]
pub fn RoleDialog(user: UserView) -> impl IntoView {
    let action = ServerAction::<SetUserRole>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("/users?selected={}", user.id);
    let roles = Role::ALL
        .into_iter()
        .map(|r| {
            view! {
                <option value=r.as_str() selected=r == user.role>
                    {r.label()}
                </option>
            }
        })
        .collect_view();
    view! {
        <Modal title=format!("Change role of {}", user.username) id="role-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="role-form">
                <DialogBody error close_href=close submit="Save" pending=action.pending()>
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <label for="role-select">"Role"</label>
                    <select id="role-select" name="role">
                        {roles}
                    </select>
                    {move || field_errors(error.get(), "role")}
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
