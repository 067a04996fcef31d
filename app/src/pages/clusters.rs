mod cluster_dialog;

use crate::api::grids::cluster_grid;
use crate::authz::Permission;
use crate::components::object_grid::{url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::NewEditToolbar;
use crate::domain::collections;
use crate::models::ClusterView;
use cluster_dialog::ClusterDialog;
use leptos::prelude::*;

fn on_off(on: bool) -> &'static str {
    if on {
        "Enabled"
    } else {
        "Disabled"
    }
}

#[component]
pub fn ClustersPage() -> impl IntoView {
    let grid = GridState::new("name", false, true, cluster_grid);
    let columns = vec![
        Column::link("Name", "name", |c: &ClusterView| c.name.clone()),
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
                new_href="/clusters?dialog=new"
                selected=grid.selected
                edit_href=|id| format!("/clusters?dialog=edit&selected={id}")
            />
        }
    };
    view! {
        <ObjectGrid
            fields=collections::CLUSTERS
            title="Clusters"
            path="/clusters"
            noun="clusters"
            grid
            columns
            toolbar
            row_id=|c| c.id.to_string()
            placeholder="Search cluster names and descriptions"
            hint="Words match names and descriptions."
            empty="No clusters match. Use New to create one."
        >
            // The dialog needs the clusters (for Edit); it opens once they are loaded.
            {url_dialog(move |mode| {
                grid.rows.get()?.ok()?;
                let editing = (mode == "edit").then(|| grid.selected_row(|c| c.id.to_string())).flatten();
                Some(view! { <ClusterDialog cluster=editing on_saved=move || grid.refetch() /> })
            })}
        </ObjectGrid>
    }
}
