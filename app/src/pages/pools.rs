use crate::api::grids::pool_grid;
use crate::components::config_dialog::ConfigDialog;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::{grid_href, search_error, search_message, GridSearch, Pager, SortHeader};
use crate::components::live_updates::live_tick;
use crate::components::object_toolbar::ObjectToolbar;
use crate::components::type_icon::TypeIcon;
use crate::domain::draft::ConfigKind;
use crate::models::GridQuery;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const PATH: &str = "/pools";

#[component]
pub fn PoolsPage() -> impl IntoView {
    let query = use_query_map();
    let grid = Memo::new(move |_| query.with(|q| GridQuery::from_params(|k| q.get(k), "name", false)));
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog").is_some());
    let tick = live_tick();
    let rows = Resource::new(move || (grid.get(), tick.get()), |(q, _)| pool_grid(q));
    view! {
        <Title text="Pools" />
        <div class="page">
            <div class="page-header">
                <h1>"Pools"</h1>
                <ObjectToolbar kind=ConfigKind::Pool selected />
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading pools…"</p> }>
                {move || rows.get().map(|r| view! {
                    <GridSearch path=PATH query=grid.get() placeholder="Search: words, type:… template:… cluster:…"
                    hint="Words match names and descriptions; add type:, template: or cluster: terms."
                        error=search_error(r.clone()) />
                    {match r {
                    Err(e) if search_message(&e).is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(page) if page.total == 0 => view! { <p class="empty">"No pools match. Use New to create one."</p> }.into_any(),
                    Ok(page) => {
                        // The page shown may differ from the URL's (a selected row's page).
                        let g = GridQuery { page: page.page, focus: None, ..grid.get() };
                        let sel = selected.get();
                        let header = |label: &'static str, key: &'static str| view! { <SortHeader label key path=PATH query=g.clone() selected=sel.clone() /> };
                        view! {
                            <table class="grid" id="pools-grid" aria-label="Pools">
                                <thead><tr>
                                    {header("Type", "type")}
                                    {header("Name", "name")}
                                    {header("Template", "template")}
                                    {header("Cluster", "cluster")}
                                    {header("Size", "size")}
                                    {header("Running VMs", "running")}
                                    {header("Description", "description")}
                                </tr></thead>
                                <tbody>
                                    {page.rows.iter().map(|p| {
                                        let is_selected = sel.as_deref() == Some(p.id.to_string().as_str());
                                        view! {
                                            <tr data-id=p.id.to_string() data-type=p.optimized_for.as_str() aria-selected=is_selected.to_string() class:selected=is_selected>
                                                <td><TypeIcon kind=p.optimized_for stateless=p.stateless in_pool=true /></td>
                                                <td><a href=grid_href(PATH, &g, Some(&p.id.to_string()), |_| {})>{p.name.clone()}</a></td>
                                                <td>{p.template_name.clone()}</td>
                                                <td>{p.cluster_name.clone()}</td>
                                                <td class="num">{p.size}</td>
                                                <td class="num">{format!("{} of {}", p.running, p.vm_count)}</td>
                                                <td class="desc">{p.description.clone()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager path=PATH query=g.clone() total=page.total noun="pools" selected=sel.clone() />
                        }.into_any()
                    }
                }}
                })}
            </Transition>
            <Show when=dialog>
                <ConfigDialog kind=ConfigKind::Pool />
            </Show>
        </div>
    }
}
