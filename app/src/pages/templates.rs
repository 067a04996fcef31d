use crate::api::templates::list_templates;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let templates = Resource::new(|| (), |_| list_templates());
    view! {
        <Title text="Templates" />
        <div class="page">
            <h1>"Templates"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading templates…"</p> }>
                {move || templates.get().map(|result| match result {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) => view! {
                        <table class="grid" id="templates-grid">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Optimized for"</th>
                                    <th scope="col">"Cluster"</th>
                                    <th scope="col">"Memory"</th>
                                    <th scope="col">"vCPUs"</th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|t| view! {
                                    <tr data-id=t.id.to_string()>
                                        <td>{t.name}</td>
                                        <td>{t.optimized_for.label()}</td>
                                        <td>{t.cluster_name.unwrap_or_else(|| "—".into())}</td>
                                        <td>{format!("{} MiB", t.memory_mib)}</td>
                                        <td>{t.vcpus}</td>
                                        <td>{t.description}</td>
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
