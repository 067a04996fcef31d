mod profile_dialog;
mod remove_profile_dialog;

use crate::api::clusters::list_clusters;
use crate::api::networks::{vnic_profile_grid, PROFILES_PATH as PATH};
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::object_grid::{data, url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::needs_selection;
use crate::domain::collections;
use crate::models::VnicProfileView;
use crate::pages::networks::RefreshNetworksButton;
use leptos::prelude::*;
use profile_dialog::ProfileDialog;
use remove_profile_dialog::RemoveProfileDialog;

/// The option text of the "No network filter" choice, and of a profile without one.
pub const NO_FILTER: &str = "No network filter";

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

/// vNIC Profiles (oVirt's Network → vNIC Profiles): a network plus options — a network filter or
/// none, multiqueue on or off, port mirroring (always off in Vireo). Each network has a default
/// profile named as itself. A page of its own beside Networks (as in oVirt's Network menu), so
/// its grid has its own URL state; admins create, edit and remove profiles (removal is refused
/// while NICs use one). Selection and dialogs live in the URL
/// (`/vnic-profiles?selected=<id>&dialog=edit|remove`).
#[component]
pub fn VnicProfilesPage() -> impl IntoView {
    let grid = GridState::new("name", false, true, vnic_profile_grid);
    let chosen = move || grid.selected_row(|p: &VnicProfileView| p.id.to_string());
    // Profiles carry their cluster's id; the grid shows its name.
    let clusters = Resource::new(|| (), |_| list_clusters());
    let cluster_name = move |p: &VnicProfileView| {
        let id = p.cluster_id;
        clusters
            .get()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|c| c.id == id).map(|c| c.name))
            .unwrap_or_default()
    };
    let columns = vec![
        Column::link("Name", "name", |p: &VnicProfileView| p.name.clone()),
        Column::text("Network", "network", |p: &VnicProfileView| p.network_name.clone()),
        Column::text("Cluster", "cluster", cluster_name),
        Column::text("Network filter", "filter", |p: &VnicProfileView| {
            p.network_filter.clone().unwrap_or_else(|| NO_FILTER.into())
        }),
        Column::text("Port mirroring", None, |p: &VnicProfileView| yes_no(p.port_mirroring)),
        Column::text("Multiqueue", "multiqueue", |p: &VnicProfileView| yes_no(p.multiqueue)),
        Column::text(
            "Default",
            None,
            |p: &VnicProfileView| if p.is_default { "yes" } else { "" },
        ),
        Column::num("NICs", "nics", |p: &VnicProfileView| p.nic_count),
    ];
    let admin = may(Permission::ManageInfrastructure);
    let toolbar = move || {
        view! {
            <div class="toolbar" role="toolbar" aria-label="vNIC profile actions">
                {admin
                    .then(|| {
                        view! {
                            <a class="btn btn-primary" role="button" href=format!("{PATH}?dialog=new")>
                                "New"
                            </a>
                            <Transition fallback=|| ()>
                                {move || match chosen() {
                                    Some(p) => {
                                        let href = |dialog: &str| format!("{PATH}?dialog={dialog}&selected={}", p.id);
                                        view! {
                                            <a class="btn" role="button" href=href("edit") data-grid-edit="">
                                                "Edit"
                                            </a>
                                            <a class="btn btn-danger-outline" role="button" href=href("remove")>
                                                "Remove"
                                            </a>
                                        }
                                            .into_any()
                                    }
                                    None => {
                                        ["Edit", "Remove"]
                                            .map(|label| needs_selection(label, "Select a vNIC profile first"))
                                            .into_any()
                                    }
                                }}
                            </Transition>
                        }
                    })}
                {may(Permission::ManageVms).then(|| view! { <RefreshNetworksButton page=PATH /> })}
            </div>
        }
    };
    view! {
        <ObjectGrid
            fields=collections::VNIC_PROFILES
            title="vNIC Profiles"
            path=PATH
            noun="vNIC profiles"
            grid
            columns
            toolbar
            row_id=|p| p.id.to_string()
            row_attrs=|p: &VnicProfileView| {
                vec![
                    data("data-network", p.network_name.clone()),
                    data("data-default", p.is_default.to_string()),
                    data("data-multiqueue", p.multiqueue.to_string()),
                ]
            }
            placeholder="Search: words, network:default filter:clean-traffic"
            hint="Words match names and descriptions; add network: or filter: terms."
            empty="No vNIC profiles match. Every network has a default one; use New for more."
        >
            {url_dialog(move |mode| {
                if mode == "new" {
                    return Some(view! { <ProfileDialog profile=None /> }.into_any());
                }
                let profile = chosen()?;
                Some(
                    match mode.as_str() {
                        "edit" => view! { <ProfileDialog profile=Some(profile) /> }.into_any(),
                        "remove" => view! { <RemoveProfileDialog profile /> }.into_any(),
                        _ => ().into_any(),
                    },
                )
            })}
        </ObjectGrid>
    }
}
