mod cluster_dialog;

use crate::api::clusters::list_clusters;
use crate::components::error_notice::ErrorNotice;
use cluster_dialog::ClusterDialog;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ClustersPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog"));
    let reload = RwSignal::new(0u32);
    let clusters = Resource::new(move || (reload.get(), selected.get()), |_| list_clusters());
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
            <Suspense fallback=|| view! { <p class="loading">"Loading clusters…"</p> }>
                {move || clusters.get().map(|result| match result {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) => view! {
                        <table class="grid" id="clusters-grid">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Compatibility Version"</th>
                                    <th scope="col">"CPU Architecture"</th>
                                    <th scope="col">"KSM"</th>
                                    <th scope="col">"Memory Ballooning"</th>
                                    <th scope="col">"Hosts"</th>
                                    <th scope="col">"VMs"</th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|c| view! {
                                    <tr data-id=c.id.to_string() aria-selected=(selected.get_untracked() == Some(c.id.to_string())).to_string()>
                                        <td><a href=format!("/clusters?selected={}", c.id)>{c.name}</a></td>
                                        <td>{c.compat_version.to_string()}</td>
                                        <td>{c.cpu_arch}</td>
                                        <td>{if c.ksm_enabled { "Enabled" } else { "Disabled" }}</td>
                                        <td>{if c.ballooning_enabled { "Enabled" } else { "Disabled" }}</td>
                                        <td>{c.host_count}</td>
                                        <td>{c.vm_count}</td>
                                        <td>{c.description}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
            // The dialog needs the clusters (for Edit); it opens once they are loaded.
            <Suspense fallback=|| ()>
                {move || {
                    let mode = dialog()?;
                    let rows = clusters.get()?.ok()?;
                    let editing = (mode == "edit")
                        .then(|| selected.get().and_then(|id| rows.into_iter().find(|c| c.id.to_string() == id)))
                        .flatten();
                    Some(view! { <ClusterDialog cluster=editing on_saved=move || reload.update(|n| *n += 1) /> })
                }}
            </Suspense>
        </div>
    }
}
