mod add_user_dialog;
mod disable_user_dialog;
mod reset_password_dialog;
mod role_dialog;

use crate::api::users::user_grid;
use crate::components::error_notice::ErrorNotice;
use crate::components::object_grid::{Column, GridState, ObjectGrid};
use crate::error::AppError;
use crate::models::UserView;
use add_user_dialog::AddUserDialog;
use disable_user_dialog::DisableUserDialog;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reset_password_dialog::ResetPasswordDialog;
use role_dialog::RoleDialog;

/// Users (admins only: anyone else gets the service's 403 here, and no link in the navigation).
/// The selected user and the open dialog live in the URL (`/users?selected=<id>&dialog=role`), so
/// every action also works as a plain form with JavaScript off.
#[component]
pub fn UsersPage() -> impl IntoView {
    let url = use_query_map();
    let dialog = move || url.with(|q| q.get("dialog"));
    let grid = GridState::new("name", false, true, user_grid);
    let chosen = move || grid.selected_row(|u: &UserView| u.id.to_string());
    let columns = vec![
        Column::link("Name", "name", |u: &UserView| u.username.clone()),
        Column::sorted("Role", "role", |u: &UserView| view! { <td>{u.role.label()}</td> }),
        Column::sorted(
            "Status",
            "disabled",
            |u: &UserView| view! { <td>{if u.disabled { "Disabled" } else { "Enabled" }}</td> },
        ),
        Column::sorted(
            "Created (UTC)",
            "created",
            |u: &UserView| view! { <td>{u.created.clone()}</td> },
        ),
    ];
    let toolbar = move || {
        view! {
            <div class="toolbar" role="toolbar" aria-label="User actions">
                <a class="btn btn-primary" role="button" href="/users?dialog=add">"Add user"</a>
                <Transition fallback=|| ()>
                    {move || match chosen() {
                        Some(u) => {
                            let href = |dialog: &str| format!("/users?dialog={dialog}&selected={}", u.id);
                            let toggle = if u.disabled { ("enable", "Enable") } else { ("disable", "Disable") };
                            view! {
                                <a class="btn" role="button" href=href("role")>"Change role"</a>
                                <a class="btn" role="button" href=href(toggle.0)>{toggle.1}</a>
                                <a class="btn" role="button" href=href("password")>"Reset password"</a>
                            }
                            .into_any()
                        }
                        None => view! {
                            <span class="btn" role="button" aria-disabled="true" title="Select a user first">"Change role"</span>
                            <span class="btn" role="button" aria-disabled="true" title="Select a user first">"Disable"</span>
                            <span class="btn" role="button" aria-disabled="true" title="Select a user first">"Reset password"</span>
                        }
                        .into_any(),
                    }}
                </Transition>
            </div>
        }
    };
    view! {
        <ObjectGrid title="Users" path="/users" noun="users" grid columns toolbar row_id=|u| u.id.to_string()
            placeholder="Search: words, role:operator disabled:yes" hint="Words match user names; add role: or disabled: terms."
            empty="No users match.">
            // Dialogs on a selected user open once the users are loaded (they show its name). A
            // Transition, not a Suspense: a live refetch must not unmount a half-filled dialog.
            <Transition fallback=|| ()>
                {move || {
                    let mode = dialog()?;
                    if mode == "add" {
                        return Some(view! { <AddUserDialog /> }.into_any());
                    }
                    let user = chosen()?;
                    Some(match mode.as_str() {
                        "role" => view! { <RoleDialog user /> }.into_any(),
                        "disable" => view! { <DisableUserDialog user disable=true /> }.into_any(),
                        "enable" => view! { <DisableUserDialog user disable=false /> }.into_any(),
                        "password" => view! { <ResetPasswordDialog user /> }.into_any(),
                        _ => ().into_any(),
                    })
                }}
            </Transition>
        </ObjectGrid>
    }
}

/// The messages for one field of a failed form, shown beside its input.
fn field_errors(error: Option<AppError>, field: &'static str) -> impl IntoView {
    error
        .map(|e| e.field_messages(field))
        .unwrap_or_default()
        .into_iter()
        .map(|m| view! { <p class="field-error">{m}</p> })
        .collect_view()
}

/// An error that belongs to no field (a conflict, a refusal), above the form.
fn form_error(error: Option<AppError>) -> impl IntoView {
    error
        .filter(|e| !matches!(e, AppError::Validation { .. }))
        .map(|error| view! { <ErrorNotice error /> })
}
