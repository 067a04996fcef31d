use crate::api::clusters::list_clusters;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ClustersPage() -> impl IntoView {
    let clusters = Resource::new(|| (), |_| list_clusters());
    view! {
        <Title text="Clusters" />
        <div class="page">
            <h1>"Clusters"</h1>
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
                                    <tr data-id=c.id.to_string()>
                                        <td>{c.name}</td>
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
        </div>
    }
}
