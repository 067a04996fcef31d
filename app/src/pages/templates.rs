use crate::api::templates::list_templates;
use crate::components::config_dialog::ConfigDialog;
use crate::components::error_notice::ErrorNotice;
use crate::components::object_toolbar::ObjectToolbar;
use crate::domain::draft::ConfigKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog").is_some());
    let templates = Resource::new(move || selected.get(), |_| list_templates());
    view! {
        <Title text="Templates" />
        <div class="page">
            <div class="page-header">
                <h1>"Templates"</h1>
                <ObjectToolbar kind=ConfigKind::Template selected />
            </div>
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
                                    <tr data-id=t.id.to_string() data-type=t.optimized_for.as_str()
                                        aria-selected=(selected.get_untracked().as_deref() == Some(t.id.to_string().as_str())).to_string()>
                                        <td><a href=format!("/templates?selected={}", t.id)>{t.name}</a></td>
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
            <Show when=dialog>
                <ConfigDialog kind=ConfigKind::Template />
            </Show>
        </div>
    }
}
