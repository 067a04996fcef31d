mod add_user_dialog;
mod disable_user_dialog;
mod reset_password_dialog;
mod role_dialog;

use crate::api::users::user_grid;
use crate::components::local_time::LocalTime;
use crate::components::object_grid::{url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::needs_selection;
use crate::domain::collections;
use crate::models::UserView;
use add_user_dialog::AddUserDialog;
use disable_user_dialog::DisableUserDialog;
use leptos::prelude::*;
use reset_password_dialog::ResetPasswordDialog;
use role_dialog::RoleDialog;

/// Users (admins only: anyone else gets the service's 403 here, and no link in the navigation).
/// The selected user and the open dialog live in the URL (`/users?selected=<id>&dialog=role`), so
/// every action also works as a plain form with JavaScript off.
#[component]
pub fn UsersPage() -> impl IntoView {
    let grid = GridState::new("name", false, true, user_grid);
    let chosen = move || grid.selected_row(|u: &UserView| u.id.to_string());
    let columns = vec![
        Column::link("Name", "name", |u: &UserView| u.username.clone()),
        Column::text("Role", "role", |u: &UserView| u.role.label()),
        Column::text(
            "Status",
            "disabled",
            |u: &UserView| {
                if u.disabled {
                    "Disabled"
                } else {
                    "Enabled"
                }
            },
        ),
        Column::sorted("Created", "created", |u: &UserView| {
            view! { <td><LocalTime utc=u.created.clone() /></td> }
        }),
    ];
    let toolbar = move || {
        view! {
            <div class="toolbar" role="toolbar" aria-label="User actions">
                <a class="btn btn-primary" role="button" href="/users?dialog=add">
                    "Add user"
                </a>
                <Transition fallback=|| ()>
                    {move || match chosen() {
                        Some(u) => {
                            let href = |dialog: &str| format!("/users?dialog={dialog}&selected={}", u.id);
                            let toggle = if u.disabled { ("enable", "Enable") } else { ("disable", "Disable") };
                            view! {
                                <a class="btn" role="button" href=href("role")>
                                    "Change role"
                                </a>
                                <a class="btn" role="button" href=href(toggle.0)>
                                    {toggle.1}
                                </a>
                                <a class="btn" role="button" href=href("password")>
                                    "Reset password"
                                </a>
                            }
                                .into_any()
                        }
                        None => {
                            ["Change role", "Disable", "Reset password"]
                                .map(|label| needs_selection(label, "Select a user first"))
                                .into_any()
                        }
                    }}
                </Transition>
            </div>
        }
    };
    view! {
        <ObjectGrid
            fields=collections::USERS
            title="Users"
            path="/users"
            noun="users"
            grid
            columns
            toolbar
            row_id=|u| u.id.to_string()
            placeholder="Search: words, role:operator disabled:yes"
            hint="Words match user names; add role: or disabled: terms."
            empty="No users match."
        >
            // Dialogs on a selected user open once the users are loaded (they show its name).
            {url_dialog(move |mode| {
                if mode == "add" {
                    return Some(view! { <AddUserDialog /> }.into_any());
                }
                let user = chosen()?;
                Some(
                    match mode.as_str() {
                        "role" => view! { <RoleDialog user /> }.into_any(),
                        "disable" => view! { <DisableUserDialog user disable=true /> }.into_any(),
                        "enable" => view! { <DisableUserDialog user disable=false /> }.into_any(),
                        "password" => view! { <ResetPasswordDialog user /> }.into_any(),
                        _ => ().into_any(),
                    },
                )
            })}
        </ObjectGrid>
    }
}
