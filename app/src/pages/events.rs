use crate::api::grids::event_grid;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::{search_error, search_message, GridSearch, Pager, SortHeader};
use crate::components::live_updates::live_tick;
use crate::models::GridQuery;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const PATH: &str = "/events";

/// The audit log: every write, with who did it and whether it worked. Newest first.
#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let grid = Memo::new(move |_| query.with(|q| GridQuery::from_params(|k| q.get(k), "time", true)));
    let tick = live_tick();
    let events = Resource::new(move || (grid.get(), tick.get()), |(q, _)| event_grid(q, None));
    view! {
        <Title text="Events" />
        <div class="page">
            <h1>"Events"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading events…"</p> }>
                {move || events.get().map(|result| view! {
                    <GridSearch path=PATH query=grid.get() placeholder="Search: words, severity:error result:failure object:vm user:admin"
                    hint="Words match messages and object names; add severity:, result:, object: or user: terms."
                        error=search_error(result.clone()) />
                    {match result {
                    Err(e) if search_message(&e).is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(page) if page.total == 0 => view! { <p class="empty">"No events match."</p> }.into_any(),
                    Ok(page) => {
                        // The page shown may differ from the URL's (a selected row's page).
                        let g = GridQuery { page: page.page, focus: None, ..grid.get() };
                        let header = |label: &'static str, key: &'static str| view! { <SortHeader label key path=PATH query=g.clone() selected=None /> };
                        view! {
                            <table class="grid" id="events-grid" aria-label="Events">
                                <thead>
                                    <tr>
                                        {header("Time", "time")}
                                        {header("Severity", "severity")}
                                        {header("User", "user")}
                                        {header("Object", "object")}
                                        {header("Action", "action")}
                                        <th scope="col">"Result"</th>
                                        <th scope="col">"Message"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page.rows.iter().map(|e| view! {
                                        <tr data-id=e.id.to_string() data-result=e.result.clone()>
                                            <td class="mono">{e.at.clone()}</td>
                                            <td><span class=format!("sev sev-{}", e.severity)>{e.severity.clone()}</span></td>
                                            <td>{e.username.clone().unwrap_or_else(|| "system".into())}</td>
                                            <td>{format!("{} {}", e.object_kind, e.object_name.clone().unwrap_or_default())}</td>
                                            <td>{e.action.clone()}</td>
                                            <td>{e.result.clone()}</td>
                                            <td class="desc">{e.message.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager path=PATH query=g.clone() total=page.total noun="events" selected=None />
                        }.into_any()
                    }
                }}
                })}
            </Transition>
        </div>
    }
}
