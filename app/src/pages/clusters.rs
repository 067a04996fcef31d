mod cluster_detail;
mod cluster_dialog;
mod remove_cluster_dialog;

use crate::api::data_centers::list_data_centers;
use crate::api::grids::cluster_grid;
use crate::authz::Permission;
use crate::components::grid_controls::grid_href;
use crate::components::object_grid::{url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::NewEditToolbar;
use crate::domain::collections;
use crate::models::ClusterView;
use cluster_detail::ClusterDetail;
use cluster_dialog::ClusterDialog;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use remove_cluster_dialog::RemoveClusterDialog;

/// The Clusters page.
const PATH: &str = "/clusters";

fn on_off(on: bool) -> &'static str {
    if on {
        "Enabled"
    } else {
        "Disabled"
    }
}

#[component]
pub fn ClustersPage() -> impl IntoView {
    let url = use_query_map();
    let grid = GridState::new("name", false, true, cluster_grid);
    // The New/Edit dialog's data center choices, read once when a dialog opens (`None` while none
    // is open, so that opening one waits for the list rather than drawing the dialog without it).
    let dialog_open = Memo::new(move |_| url.with(|q| q.get("dialog").is_some_and(|d| d == "new" || d == "edit")));
    let data_centers = Resource::new(
        move || dialog_open.get(),
        |open| async move {
            match open {
                true => list_data_centers().await.map(Some),
                false => Ok(None),
            }
        },
    );
    let columns = vec![
        Column::link("Name", "name", |c: &ClusterView| c.name.clone()),
        Column::text("Data Center", "datacenter", |c: &ClusterView| {
            c.data_center_name.clone()
        }),
        Column::text("Compatibility Version", "version", |c: &ClusterView| {
            c.compat_version.to_string()
        }),
        Column::text("CPU Architecture", None, |c: &ClusterView| c.cpu_arch.clone()),
        Column::text("KSM", None, |c: &ClusterView| on_off(c.ksm_enabled)),
        Column::text("Memory Ballooning", None, |c: &ClusterView| {
            on_off(c.ballooning_enabled)
        }),
        Column::num("Hosts", "hosts", |c: &ClusterView| c.host_count),
        Column::num("VMs", "vms", |c: &ClusterView| c.vm_count),
        Column::desc("Description", None, |c: &ClusterView| c.description.clone()),
    ];
    let toolbar = move || {
        view! {
            <NewEditToolbar
                permission=Permission::ManageInfrastructure
                label="Cluster actions"
                new_href=format!("{PATH}?dialog=new")
                selected=grid.selected
                edit_href=|id| format!("{PATH}?dialog=edit&selected={id}")
                remove_href=|id: String| format!("{PATH}?dialog=remove&selected={id}")
            />
        }
    };
    view! {
        <ObjectGrid
            fields=collections::CLUSTERS
            title="Clusters"
            path=PATH
            noun="clusters"
            grid
            columns
            toolbar
            row_id=|c| c.id.to_string()
            detail=move |cluster: ClusterView| {
                let base = grid_href(PATH, &grid.query.get(), Some(&cluster.id.to_string()), |_| {});
                view! { <ClusterDetail cluster base /> }.into_any()
            }
            placeholder="Search: words, datacenter:Default"
            hint="Words match names and descriptions; add a datacenter: term."
            empty="No clusters match. Use New to create one."
        >
            // Edit and Remove need the selected cluster, New and Edit the data centers: each opens
            // once what it needs is loaded.
            // On the server the rows are read in the dialog's closure too, so the render waits for
            // them before drawing it (a read inside a memo may not hold the Transition); in the
            // browser only the memo is tracked, so a live refetch leaves an open dialog alone.
            // The selected cluster is a memo so that a live refetch that leaves it as it was does
            // not draw its dialog again (which would throw away what the user has typed). It is
            // made in the closure, inside url_dialog's Transition, where reading the rows belongs.
            {url_dialog(move |mode| {
                #[cfg(feature = "ssr")] grid.rows.with(|_| ());
                let chosen = Memo::new(move |_| grid.selected_row(|c: &ClusterView| c.id.to_string()));
                if mode == "remove" {
                    return chosen.get().map(|cluster| { view! { <RemoveClusterDialog cluster /> }.into_any() });
                }
                let data_centers = data_centers.get()?.ok()??;
                let editing = match mode.as_str() {
                    "edit" => Some(chosen.get()?),
                    _ => None,
                };
                Some(
                    view! { <ClusterDialog cluster=editing data_centers on_saved=move || grid.refetch() /> }.into_any(),
                )
            })}
        </ObjectGrid>
    }
}
