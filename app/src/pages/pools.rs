use crate::api::configs::list_pools;
use crate::components::config_dialog::ConfigDialog;
use crate::components::error_notice::ErrorNotice;
use crate::components::object_toolbar::ObjectToolbar;
use crate::domain::draft::ConfigKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn PoolsPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog").is_some());
    let rows = Resource::new(move || selected.get(), |_| list_pools());
    view! {
        <Title text="Pools" />
        <div class="page">
            <div class="page-header">
                <h1>"Pools"</h1>
                <ObjectToolbar kind=ConfigKind::Pool selected />
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading pools…"</p> }>
                {move || rows.get().map(|r| match r {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No pools yet. Use New to create one."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="grid" id="pools-grid">
                            <thead>
                                <tr>
                                    <th scope="col">"Type"</th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Template"</th>
                                    <th scope="col">"Cluster"</th>
                                    <th scope="col">"Size"</th>
                                    <th scope="col">"VMs"</th>
                                    <th scope="col">"Running VMs"</th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|p| {
                                    let is_selected = selected.get_untracked().as_deref() == Some(p.id.to_string().as_str());
                                    view! {
                                        <tr data-id=p.id.to_string() data-type=p.optimized_for.as_str() aria-selected=is_selected.to_string() class:selected=is_selected>
                                            <td><span class=format!("type-badge type-{}", p.optimized_for.as_str())>{p.optimized_for.label()}</span></td>
                                            <td><a href=format!("/pools?selected={}", p.id)>{p.name.clone()}</a></td>
                                            <td>{p.template_name}</td>
                                            <td>{p.cluster_name}</td>
                                            <td>{p.size}</td>
                                            <td>{p.vm_count}</td>
                                            <td>{p.running}</td>
                                            <td>{p.description}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
            <Show when=dialog>
                <ConfigDialog kind=ConfigKind::Pool />
            </Show>
        </div>
    }
}
