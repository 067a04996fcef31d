mod cluster_dialog;

use crate::api::grids::cluster_grid;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::{grid_href, search_error, search_message, GridSearch, Pager, SortHeader};
use crate::components::live_updates::live_tick;
use crate::models::GridQuery;
use cluster_dialog::ClusterDialog;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ClustersPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog"));
    let grid = Memo::new(move |_| query.with(|q| GridQuery::from_params(|k| q.get(k), "name", false)));
    let reload = RwSignal::new(0u32);
    let tick = live_tick();
    let clusters = Resource::new(
        move || (grid.get(), reload.get(), selected.get(), tick.get()),
        |(q, _, _, _)| cluster_grid(q),
    );
    view! {
        <Title text="Clusters" />
        <div class="page">
            <div class="page-header">
                <h1>"Clusters"</h1>
                <div class="toolbar" role="toolbar" aria-label="Cluster actions">
                    <a class="btn btn-primary" role="button" href="/clusters?dialog=new">"New"</a>
                    {move || match selected.get() {
                        Some(id) => view! { <a class="btn" role="button" href=format!("/clusters?dialog=edit&selected={id}")>"Edit"</a> }.into_any(),
                        None => view! { <span class="btn" role="button" aria-disabled="true" title="Select a row first">"Edit"</span> }.into_any(),
                    }}
                </div>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading clusters…"</p> }>
                {move || clusters.get().map(|result| view! {
                    <GridSearch path="/clusters" query=grid.get() placeholder="Search cluster names and descriptions"
                    hint="Words match names and descriptions."
                        error=search_error(result.clone()) />
                    {match result {
                    Err(e) if search_message(&e).is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(page) => {
                        // The page shown may differ from the URL's (a selected row's page).
                        let g = GridQuery { page: page.page, focus: None, ..grid.get() };
                        let sel = selected.get();
                        let header = |label: &'static str, key: &'static str| view! { <SortHeader label key path="/clusters" query=g.clone() selected=sel.clone() /> };
                        view! {
                            <table class="grid" id="clusters-grid" aria-label="Clusters">
                                <thead>
                                    <tr>
                                        {header("Name", "name")}
                                        {header("Compatibility Version", "version")}
                                        <th scope="col">"CPU Architecture"</th>
                                        <th scope="col">"KSM"</th>
                                        <th scope="col">"Memory Ballooning"</th>
                                        {header("Hosts", "hosts")}
                                        {header("VMs", "vms")}
                                        <th scope="col">"Description"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page.rows.iter().map(|c| view! {
                                        <tr data-id=c.id.to_string() aria-selected=(sel == Some(c.id.to_string())).to_string()>
                                            <td><a href=grid_href("/clusters", &g, Some(&c.id.to_string()), |_| {})>{c.name.clone()}</a></td>
                                            <td>{c.compat_version.to_string()}</td>
                                            <td>{c.cpu_arch.clone()}</td>
                                            <td>{if c.ksm_enabled { "Enabled" } else { "Disabled" }}</td>
                                            <td>{if c.ballooning_enabled { "Enabled" } else { "Disabled" }}</td>
                                            <td class="num">{c.host_count}</td>
                                            <td class="num">{c.vm_count}</td>
                                            <td class="desc">{c.description.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager path="/clusters" query=g.clone() total=page.total noun="clusters" selected=sel.clone() />
                        }.into_any()
                    }
                }}
                })}
            </Transition>
            // The dialog needs the clusters (for Edit); it opens once they are loaded.
            <Suspense fallback=|| ()>
                {move || {
                    let mode = dialog()?;
                    let rows = clusters.get()?.ok()?.rows;
                    let editing = (mode == "edit")
                        .then(|| selected.get().and_then(|id| rows.into_iter().find(|c| c.id.to_string() == id)))
                        .flatten();
                    Some(view! { <ClusterDialog cluster=editing on_saved=move || reload.update(|n| *n += 1) /> })
                }}
            </Suspense>
        </div>
    }
}
