mod new_network_dialog;
mod remove_network_dialog;

use crate::api::networks::{network_grid, RefreshNetworks, NETWORKS_PATH as PATH};
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::object_grid::{data, url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::needs_selection;
use crate::domain::collections;
use crate::models::NetworkView;
use leptos::form::ActionForm;
use leptos::prelude::*;
use new_network_dialog::NewNetworkDialog;
use remove_network_dialog::RemoveNetworkDialog;

/// "libvirt network default", "host bridge br0": what backs the network on its hosts.
pub fn backing_text(n: &NetworkView) -> String {
    format!("{} {}", n.backing.label(), n.backing_name)
}

/// Host names joined for a cell ("—" for none).
fn hosts_text(hosts: &[String]) -> String {
    if hosts.is_empty() {
        "—".into()
    } else {
        hosts.join(", ")
    }
}

/// Networks (oVirt's logical networks): per cluster, each backed on every host of the cluster by a
/// libvirt network or a host bridge of the same name; the grid says where the backing is present
/// and where it is missing. Admins create and remove them (removal is refused while a NIC uses the
/// network, naming the VMs); Refresh reads the hosts' networks and bridges again. Selection and
/// dialogs live in the URL (`/networks?selected=<id>&dialog=remove`), so every action also works as
/// a plain form with JavaScript off.
#[component]
pub fn NetworksPage() -> impl IntoView {
    let grid = GridState::new("name", false, true, network_grid);
    let chosen = move || grid.selected_row(|n: &NetworkView| n.id.to_string());
    let columns = vec![
        Column::link("Name", "name", |n: &NetworkView| n.name.clone()),
        Column::text("Cluster", "cluster", |n: &NetworkView| n.cluster_name.clone()),
        Column::text("Backing", "backing", backing_text),
        Column::num("VLAN", "vlan", |n: &NetworkView| {
            n.vlan_id.map_or_else(|| "—".to_string(), |v| v.to_string())
        }),
        Column::text("Present on", None, |n: &NetworkView| hosts_text(&n.present_on)),
        Column::plain("Missing on", |n: &NetworkView| {
            let text = hosts_text(&n.missing_on);
            if n.missing_on.is_empty() {
                view! { <td>{text}</td> }.into_any()
            } else {
                view! {
                    <td>
                        <span class="status status-missing" title="The backing is not there (or not active) on these hosts">
                            {text}
                        </span>
                    </td>
                }
                    .into_any()
            }
        }),
        Column::text("Default", None, |n: &NetworkView| if n.is_default { "yes" } else { "" }),
        Column::num("vNIC profiles", "profiles", |n: &NetworkView| n.profile_count),
        Column::num("NICs", "nics", |n: &NetworkView| n.nic_count),
    ];
    let admin = may(Permission::ManageInfrastructure);
    let toolbar = move || {
        view! {
            <div class="toolbar" role="toolbar" aria-label="Network actions">
                {admin
                    .then(|| {
                        view! {
                            <a class="btn btn-primary" role="button" href=format!("{PATH}?dialog=new")>
                                "New"
                            </a>
                            <Transition fallback=|| ()>
                                {move || match chosen() {
                                    Some(n) => {
                                        view! {
                                            <a
                                                class="btn btn-danger-outline"
                                                role="button"
                                                href=format!("{PATH}?dialog=remove&selected={}", n.id)
                                            >
                                                "Remove"
                                            </a>
                                        }
                                            .into_any()
                                    }
                                    None => needs_selection("Remove", "Select a network first").into_any(),
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
            fields=collections::NETWORKS
            title="Networks"
            path=PATH
            noun="networks"
            grid
            columns
            toolbar
            row_id=|n| n.id.to_string()
            row_attrs=|n: &NetworkView| {
                vec![
                    data("data-backing", n.backing.as_str()),
                    data("data-default", n.is_default.to_string()),
                    data("data-missing", n.missing_on.len().to_string()),
                ]
            }
            placeholder="Search: words, cluster:Default backing:bridge vlan:…"
            hint="Words match names and descriptions; add cluster:, backing: (libvirt_network, bridge) or vlan: terms."
            empty="No networks match. Use New to add one."
        >
            {url_dialog(move |mode| {
                if mode == "new" {
                    return Some(view! { <NewNetworkDialog /> }.into_any());
                }
                let network = chosen()?;
                Some(
                    match mode.as_str() {
                        "remove" => view! { <RemoveNetworkDialog network /> }.into_any(),
                        _ => ().into_any(),
                    },
                )
            })}
        </ObjectGrid>
    }
}

/// "Refresh": Vireo reads every host's libvirt networks and bridges again, then shows `page` anew.
#[component]
pub fn RefreshNetworksButton(page: &'static str) -> impl IntoView {
    let action = ServerAction::<RefreshNetworks>::new();
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <ActionForm action attr:class="inline-form" attr:id="refresh-networks-form">
            <input type="hidden" name="page" value=page />
            <button type="submit" class="btn" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Refreshing…" } else { "Refresh" }}
            </button>
            {move || error().map(|error| view! { <ErrorNotice error /> })}
        </ActionForm>
    }
}
