use crate::api::configs::list_vms;
use crate::components::config_dialog::ConfigDialog;
use crate::components::error_notice::ErrorNotice;
use crate::components::object_toolbar::ObjectToolbar;
use crate::domain::draft::ConfigKind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn VmsPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog").is_some());
    // Refetched whenever the selection changes (a save lands on its object).
    let rows = Resource::new(move || selected.get(), |_| list_vms());
    view! {
        <Title text="Virtual Machines" />
        <div class="page">
            <div class="page-header">
                <h1>"Virtual Machines"</h1>
                <ObjectToolbar kind=ConfigKind::Vm selected />
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading virtual machines…"</p> }>
                {move || rows.get().map(|r| match r {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No virtual machines yet. Use New to create one."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="grid" id="vms-grid">
                            <thead>
                                <tr>
                                    <th scope="col">"Type"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Cluster"</th>
                                    <th scope="col">"Host"</th>
                                    <th scope="col">"Template"</th>
                                    <th scope="col">"Pool"</th>
                                    <th scope="col">"Memory"</th>
                                    <th scope="col">"vCPUs"</th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|v| {
                                    let is_selected = selected.get_untracked().as_deref() == Some(v.id.to_string().as_str());
                                    let next_run = v.next_run.then_some(" · pending changes");
                                    view! {
                                        <tr data-id=v.id.to_string() data-type=v.optimized_for.as_str() aria-selected=is_selected.to_string() class:selected=is_selected>
                                            <td><span class=format!("type-badge type-{}", v.optimized_for.as_str())>{v.optimized_for.label()}{next_run}</span></td>
                                            <td><span class=format!("status status-{}", v.status)>{v.status.clone()}</span></td>
                                            <td><a href=format!("/vms?selected={}", v.id)>{v.name.clone()}</a></td>
                                            <td>{v.cluster_name}</td>
                                            <td>{v.host_name.unwrap_or_default()}</td>
                                            <td>{v.template_name}</td>
                                            <td>{v.pool_name.unwrap_or_default()}</td>
                                            <td>{format!("{} MiB", v.memory_mib)}</td>
                                            <td>{v.vcpus}</td>
                                            <td>{v.description}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
            <Show when=dialog>
                <ConfigDialog kind=ConfigKind::Vm />
            </Show>
        </div>
    }
}
