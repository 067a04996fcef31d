mod add_user_dialog;
mod disable_user_dialog;
mod reset_password_dialog;
mod role_dialog;

use crate::api::users::user_grid;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::{grid_href, search_error, search_message, GridSearch, Pager, SortHeader};
use crate::components::live_updates::live_tick;
use crate::error::AppError;
use crate::models::GridQuery;
use add_user_dialog::AddUserDialog;
use disable_user_dialog::DisableUserDialog;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use reset_password_dialog::ResetPasswordDialog;
use role_dialog::RoleDialog;

/// Users (admins only: anyone else gets the service's 403 here, and no link in the navigation).
/// The selected user and the open dialog live in the URL (`/users?selected=<id>&dialog=role`), so
/// every action also works as a plain form with JavaScript off.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog"));
    let grid = Memo::new(move |_| query.with(|q| GridQuery::from_params(|k| q.get(k), "name", false)));
    let tick = live_tick();
    let users = Resource::new(
        move || (grid.get(), selected.get(), tick.get()),
        |(q, _, _)| user_grid(q),
    );
    view! {
        <Title text="Users" />
        <div class="page">
            <div class="page-header">
                <h1>"Users"</h1>
                <div class="toolbar" role="toolbar" aria-label="User actions">
                    <a class="btn btn-primary" role="button" href="/users?dialog=add">"Add user"</a>
                    <Transition fallback=|| ()>
                        {move || {
                            let rows = users.get().and_then(Result::ok).map(|p| p.rows).unwrap_or_default();
                            let chosen = selected.get().and_then(|id| rows.into_iter().find(|u| u.id.to_string() == id));
                            match chosen {
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
                            }
                        }}
                    </Transition>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                {move || users.get().map(|result| view! {
                    <GridSearch path="/users" query=grid.get() placeholder="Search: words, role:operator disabled:yes"
                        hint="Words match user names; add role: or disabled: terms."
                        error=search_error(result.clone()) />
                    {match result {
                        Err(e) if search_message(&e).is_some() => ().into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(page) => {
                            let g = GridQuery { page: page.page, focus: None, ..grid.get() };
                            let sel = selected.get();
                            let header = |label: &'static str, key: &'static str| view! { <SortHeader label key path="/users" query=g.clone() selected=sel.clone() /> };
                            view! {
                                <table class="grid" id="users-grid" aria-label="Users">
                                    <thead>
                                        <tr>
                                            {header("Name", "name")}
                                            {header("Role", "role")}
                                            {header("Status", "disabled")}
                                            {header("Created (UTC)", "created")}
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page.rows.iter().map(|u| view! {
                                            <tr data-id=u.id.to_string() aria-selected=(sel == Some(u.id.to_string())).to_string()>
                                                <td><a href=grid_href("/users", &g, Some(&u.id.to_string()), |_| {})>{u.username.clone()}</a></td>
                                                <td>{u.role.label()}</td>
                                                <td>{if u.disabled { "Disabled" } else { "Enabled" }}</td>
                                                <td>{u.created.clone()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pager path="/users" query=g.clone() total=page.total noun="users" selected=sel.clone() />
                            }.into_any()
                        }
                    }}
                })}
            </Transition>
            // Dialogs on a selected user open once the users are loaded (they show its name).
            <Suspense fallback=|| ()>
                {move || {
                    let mode = dialog()?;
                    if mode == "add" {
                        return Some(view! { <AddUserDialog /> }.into_any());
                    }
                    let rows = users.get()?.ok()?.rows;
                    let user = selected.get().and_then(|id| rows.into_iter().find(|u| u.id.to_string() == id))?;
                    Some(match mode.as_str() {
                        "role" => view! { <RoleDialog user /> }.into_any(),
                        "disable" => view! { <DisableUserDialog user disable=true /> }.into_any(),
                        "enable" => view! { <DisableUserDialog user disable=false /> }.into_any(),
                        "password" => view! { <ResetPasswordDialog user /> }.into_any(),
                        _ => ().into_any(),
                    })
                }}
            </Suspense>
        </div>
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
