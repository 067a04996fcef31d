mod new_domain_dialog;
mod remove_domain_dialog;

use crate::api::storage::{storage_domain_grid, RefreshStorage};
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::object_grid::{data, url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::needs_selection;
use crate::domain::collections;
use crate::domain::storage::format_bytes;
use crate::models::StorageDomainView;
use leptos::form::ActionForm;
use leptos::prelude::*;
use new_domain_dialog::NewDomainDialog;
use remove_domain_dialog::RemoveDomainDialog;

const PATH: &str = "/storage-domains";

/// A byte count the database holds as `i64` (never negative in practice), for the grid.
pub fn bytes(n: i64) -> String {
    format_bytes(n.max(0) as u64)
}

/// Storage Domains: each host's libvirt storage pools. Admins add directory pools and remove them;
/// anyone who manages VMs can have Vireo read the hosts' pools again. The selected domain and the
/// open dialog live in the URL (`/storage-domains?selected=<id>&dialog=remove`), so every action
/// also works as a plain form with JavaScript off.
#[component]
pub fn StorageDomainsPage() -> impl IntoView {
    let grid = GridState::new("name", false, true, storage_domain_grid);
    let chosen = move || grid.selected_row(|d: &StorageDomainView| d.id.to_string());
    let columns = vec![
        Column::link("Name", "name", |d: &StorageDomainView| d.name.clone()),
        Column::text("Host", "host", |d: &StorageDomainView| d.host_name.clone()),
        Column::text("Type", "type", |d: &StorageDomainView| d.pool_type.clone()),
        Column::sorted(
            "Path",
            "path",
            |d: &StorageDomainView| view! { <td class="mono">{d.path.clone()}</td> },
        ),
        Column::num("Capacity", "capacity", |d: &StorageDomainView| bytes(d.capacity_bytes)),
        Column::num("Used", "used", |d: &StorageDomainView| bytes(d.allocation_bytes)),
        Column::num("Free", "free", |d: &StorageDomainView| bytes(d.available_bytes)),
        Column::sorted("Status", "status", |d: &StorageDomainView| {
            view! {
                <td>
                    <span class=format!("status status-{}", d.status.as_str())>{d.status.label()}</span>
                </td>
            }
        }),
        Column::num("Disks", None, |d: &StorageDomainView| d.disk_count),
    ];
    let admin = may(Permission::ManageInfrastructure);
    let toolbar = move || {
        view! {
            <div class="toolbar" role="toolbar" aria-label="Storage domain actions">
                {admin
                    .then(|| {
                        view! {
                            <a class="btn btn-primary" role="button" href=format!("{PATH}?dialog=new")>
                                "New Domain"
                            </a>
                            <Transition fallback=|| ()>
                                {move || match chosen() {
                                    Some(d) => {
                                        view! {
                                            <a
                                                class="btn btn-danger-outline"
                                                role="button"
                                                href=format!("{PATH}?dialog=remove&selected={}", d.id)
                                            >
                                                "Remove"
                                            </a>
                                        }
                                            .into_any()
                                    }
                                    None => needs_selection("Remove", "Select a storage domain first").into_any(),
                                }}
                            </Transition>
                        }
                    })}
                {may(Permission::ManageVms).then(|| view! { <RefreshButton page=PATH /> })}
            </div>
        }
    };
    view! {
        <ObjectGrid
            fields=collections::STORAGE_DOMAINS
            title="Storage Domains"
            path=PATH
            noun="storage domains"
            grid
            columns
            toolbar
            row_id=|d| d.id.to_string()
            row_attrs=|d: &StorageDomainView| vec![data("data-status", d.status.as_str())]
            placeholder="Search: words, status:active host:…"
            hint="Words match names and paths; add status: or host: terms."
            empty="No storage domains match. Add a host: Vireo finds its storage pools."
        >
            {url_dialog(move |mode| {
                if mode == "new" {
                    return Some(view! { <NewDomainDialog /> }.into_any());
                }
                let domain = chosen()?;
                Some(
                    match mode.as_str() {
                        "remove" => view! { <RemoveDomainDialog domain /> }.into_any(),
                        _ => ().into_any(),
                    },
                )
            })}
        </ObjectGrid>
    }
}

/// "Refresh": Vireo reads every host's pools and volumes again, then shows `page` anew.
#[component]
pub fn RefreshButton(page: &'static str) -> impl IntoView {
    let action = ServerAction::<RefreshStorage>::new();
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <ActionForm action attr:class="inline-form" attr:id="refresh-storage-form">
            <input type="hidden" name="page" value=page />
            <button type="submit" class="btn" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Refreshing…" } else { "Refresh" }}
            </button>
            {move || error().map(|error| view! { <ErrorNotice error /> })}
        </ActionForm>
    }
}
