mod cluster_dialog;

use crate::api::grids::cluster_grid;
use crate::components::object_grid::{Column, GridState, ObjectGrid};
use crate::models::ClusterView;
use cluster_dialog::ClusterDialog;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

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
    let url = use_query_map();
    let dialog = move || url.with(|q| q.get("dialog"));
    let columns = vec![
        Column::link("Name", "name", |c: &ClusterView| c.name.clone()),
        Column::sorted(
            "Compatibility Version",
            "version",
            |c: &ClusterView| view! { <td>{c.compat_version.to_string()}</td> },
        ),
        Column::plain(
            "CPU Architecture",
            |c: &ClusterView| view! { <td>{c.cpu_arch.clone()}</td> },
        ),
        Column::plain("KSM", |c: &ClusterView| view! { <td>{on_off(c.ksm_enabled)}</td> }),
        Column::plain(
            "Memory Ballooning",
            |c: &ClusterView| view! { <td>{on_off(c.ballooning_enabled)}</td> },
        ),
        Column::sorted(
            "Hosts",
            "hosts",
            |c: &ClusterView| view! { <td class="num">{c.host_count}</td> },
        ),
        Column::sorted(
            "VMs",
            "vms",
            |c: &ClusterView| view! { <td class="num">{c.vm_count}</td> },
        ),
        Column::plain(
            "Description",
            |c: &ClusterView| view! { <td class="desc">{c.description.clone()}</td> },
        ),
    ];
    let toolbar = move || {
        view! {
            <div class="toolbar" role="toolbar" aria-label="Cluster actions">
                <a class="btn btn-primary" role="button" href="/clusters?dialog=new">"New"</a>
                {move || match grid.selected.get() {
                    Some(id) => view! { <a class="btn" role="button" href=format!("/clusters?dialog=edit&selected={id}")>"Edit"</a> }.into_any(),
                    None => view! { <span class="btn" role="button" aria-disabled="true" title="Select a row first">"Edit"</span> }.into_any(),
                }}
            </div>
        }
    };
    view! {
        <ObjectGrid title="Clusters" path="/clusters" noun="clusters" grid columns toolbar row_id=|c| c.id.to_string()
            placeholder="Search cluster names and descriptions" hint="Words match names and descriptions."
            empty="No clusters match. Use New to create one.">
            // The dialog needs the clusters (for Edit); it opens once they are loaded. A Transition, not
            // a Suspense: a live refetch must not unmount a half-filled dialog.
            <Transition fallback=|| ()>
                {move || {
                    let mode = dialog()?;
                    grid.rows.get()?.ok()?;
                    let editing = (mode == "edit").then(|| grid.selected_row(|c| c.id.to_string())).flatten();
                    Some(view! { <ClusterDialog cluster=editing on_saved=move || grid.refetch() /> })
                }}
            </Transition>
        </ObjectGrid>
    }
}
