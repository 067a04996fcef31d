mod data_center_detail;
mod data_center_dialog;
mod remove_data_center_dialog;

use crate::api::data_centers::DATA_CENTERS_PATH as PATH;
use crate::api::grids::data_center_grid;
use crate::authz::Permission;
use crate::components::grid_controls::grid_href;
use crate::components::object_grid::{data, url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::NewEditToolbar;
use crate::domain::collections;
use crate::models::DataCenterView;
use data_center_detail::DataCenterDetail;
use data_center_dialog::DataCenterDialog;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use remove_data_center_dialog::RemoveDataCenterDialog;

/// Data centers: the top of oVirt's hierarchy (data center → clusters → hosts). Admins create, edit
/// and remove them (removal is refused while one owns clusters). Selection, the sub-tab and the
/// open dialog live in the URL (`/datacenters?selected=<id>&tab=clusters`, `&dialog=edit`), so
/// every action also works as a plain form with JavaScript off.
#[component]
pub fn DataCentersPage() -> impl IntoView {
    let url = use_query_map();
    let grid = GridState::new("name", false, true, data_center_grid);
    let columns = vec![
        Column::link("Name", "name", |d: &DataCenterView| d.name.clone()),
        Column::sorted("Status", "status", |d: &DataCenterView| {
            view! {
                <td>
                    <span class=format!("status status-{}", d.status.as_str())>{d.status.label()}</span>
                </td>
            }
        }),
        Column::text("Compatibility Version", "version", |d: &DataCenterView| {
            d.compat_version.to_string()
        }),
        Column::num("Clusters", "clusters", |d: &DataCenterView| d.cluster_count),
        Column::num("Hosts", "hosts", |d: &DataCenterView| d.host_count),
        Column::num("VMs", "vms", |d: &DataCenterView| d.vm_count),
        Column::desc("Description", "description", |d: &DataCenterView| d.description.clone()),
    ];
    let toolbar = move || {
        view! {
            <NewEditToolbar
                permission=Permission::ManageInfrastructure
                label="Data center actions"
                new_href=format!("{PATH}?dialog=new")
                selected=grid.selected
                edit_href=|id| format!("{PATH}?dialog=edit&selected={id}")
                remove_href=|id: String| format!("{PATH}?dialog=remove&selected={id}")
            />
        }
    };
    view! {
        <ObjectGrid
            fields=collections::DATA_CENTERS
            title="Data Centers"
            path=PATH
            noun="data centers"
            grid
            columns
            toolbar
            row_id=|d| d.id.to_string()
            row_attrs=|d: &DataCenterView| vec![data("data-status", d.status.as_str())]
            detail=move |dc: DataCenterView| {
                let base = grid_href(PATH, &grid.query.get(), Some(&dc.id.to_string()), |_| {});
                let tab = url.with(|q| q.get("tab")).unwrap_or_default();
                view! { <DataCenterDetail dc base tab /> }.into_any()
            }
            placeholder="Search: words, status:up|uninitialized|problematic"
            hint="Words match names and descriptions; add a status: term."
            empty="No data centers match. Use New to create one."
        >
            // Edit and Remove need the selected data center: they open once it is loaded.
            // On the server the rows are read in the dialog's closure too, so the render waits for
            // them before drawing it (a read inside a memo may not hold the Transition); in the
            // browser only the memo is tracked, so a live refetch leaves an open dialog alone.
            // The selected data center is a memo so that a live refetch that leaves it as it was
            // does not draw its dialog again (which would throw away what the user has typed). It
            // is made in the closure, inside url_dialog's Transition, where reading the rows belongs.
            {url_dialog(move |mode| {
                #[cfg(feature = "ssr")] grid.rows.with(|_| ());
                if mode == "new" {
                    return Some(view! { <DataCenterDialog dc=None on_saved=move || grid.refetch() /> }.into_any());
                }
                let chosen = Memo::new(move |_| grid.selected_row(|d: &DataCenterView| d.id.to_string()));
                let dc = chosen.get()?;
                Some(
                    match mode.as_str() {
                        "edit" => view! { <DataCenterDialog dc=Some(dc) on_saved=move || grid.refetch() /> }.into_any(),
                        "remove" => view! { <RemoveDataCenterDialog dc /> }.into_any(),
                        _ => ().into_any(),
                    },
                )
            })}
        </ObjectGrid>
    }
}
