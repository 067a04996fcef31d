use crate::api::grids::template_grid;
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

const PATH: &str = "/templates";

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let query = use_query_map();
    let grid = Memo::new(move |_| query.with(|q| GridQuery::from_params(|k| q.get(k), "name", false)));
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let dialog = move || query.with(|q| q.get("dialog").is_some());
    let tick = live_tick();
    let rows = Resource::new(move || (grid.get(), tick.get()), |(q, _)| template_grid(q));
    view! {
        <Title text="Templates" />
        <div class="page">
            <div class="page-header">
                <h1>"Templates"</h1>
                <ObjectToolbar kind=ConfigKind::Template selected />
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading templates…"</p> }>
                {move || rows.get().map(|r| view! {
                    <GridSearch path=PATH query=grid.get() placeholder="Search: words, type:high_performance cluster:Default"
                    hint="Words match names and descriptions; add type: or cluster: terms."
                        error=search_error(r.clone()) />
                    {match r {
                    Err(e) if search_message(&e).is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(page) => {
                        // The page shown may differ from the URL's (a selected row's page).
                        let g = GridQuery { page: page.page, focus: None, ..grid.get() };
                        let sel = selected.get();
                        let header = |label: &'static str, key: &'static str| view! { <SortHeader label key path=PATH query=g.clone() selected=sel.clone() /> };
                        view! {
                            <table class="grid" id="templates-grid" aria-label="Templates">
                                <thead><tr>
                                    {header("Type", "type")}
                                    {header("Name", "name")}
                                    {header("Description", "description")}
                                    {header("Cluster", "cluster")}
                                    {header("Memory", "memory")}
                                    {header("vCPUs", "vcpus")}
                                </tr></thead>
                                <tbody>
                                    {page.rows.iter().map(|t| {
                                        let is_selected = sel.as_deref() == Some(t.id.to_string().as_str());
                                        view! {
                                            <tr data-id=t.id.to_string() data-type=t.optimized_for.as_str() aria-selected=is_selected.to_string() class:selected=is_selected>
                                                <td><TypeIcon kind=t.optimized_for stateless=t.stateless /></td>
                                                <td><a href=grid_href(PATH, &g, Some(&t.id.to_string()), |_| {})>{t.name.clone()}</a></td>
                                                <td class="desc">{t.description.clone()}</td>
                                                <td>{t.cluster_name.clone().unwrap_or_else(|| "—".into())}</td>
                                                <td class="num">{format!("{} MiB", t.memory_mib)}</td>
                                                <td class="num">{t.vcpus}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager path=PATH query=g.clone() total=page.total noun="templates" selected=sel.clone() />
                        }.into_any()
                    }
                }}
                })}
            </Transition>
            <Show when=dialog>
                <ConfigDialog kind=ConfigKind::Template />
            </Show>
        </div>
    }
}
