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
    let chosen = move || grid.selected_row(|c: &ClusterView| c.id.to_string());
    // The New/Edit dialog's data center choices, read only while a dialog is open.
    let dialog_open = Memo::new(move |_| url.with(|q| q.get("dialog").is_some_and(|d| d == "new" || d == "edit")));
    let data_centers = Resource::new(
        move || dialog_open.get(),
        |open| async move {
            if open {
                list_data_centers().await
            } else {
                Ok(Vec::new())
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
            // The dialog needs the clusters (for Edit) and the data centers; it opens once both are loaded.
            {url_dialog(move |mode| {
                grid.rows.get()?.ok()?;
                if mode == "remove" {
                    return chosen().map(|cluster| view! { <RemoveClusterDialog cluster /> }.into_any());
                }
                let data_centers = data_centers.get()?.ok()?;
                let editing = (mode == "edit").then(chosen).flatten();
                Some(
                    view! { <ClusterDialog cluster=editing data_centers on_saved=move || grid.refetch() /> }.into_any(),
                )
            })}
        </ObjectGrid>
    }
}
