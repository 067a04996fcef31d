mod bulk;
mod details;
mod domain_xml_tab;

use crate::api::grids::vm_grid;
use crate::components::config_dialog::ConfigDialog;
use crate::components::grid_controls::{grid_href, search_message, GridSearch, Pager, SortHeader};
use crate::components::live_updates::live_tick;
use crate::components::toasts::{provide_toasts, ToastArea};
use crate::components::type_icon::TypeIcon;
use crate::domain::draft::ConfigKind;
use crate::models::{GridQuery, VmRow};
use bulk::{BulkConfirm, BulkToolbar, Selection};
use details::VmDetail;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;
use uuid::Uuid;

const PATH: &str = "/vms";

/// What a bulk operation is doing to each VM (shown in its row).
#[derive(Clone, Copy)]
pub struct Progress(pub RwSignal<BTreeMap<Uuid, (bool, String)>>);

pub fn uptime_text(secs: Option<i64>) -> String {
    match secs {
        None => String::new(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        Some(s) => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Virtual Machines: the grid (server-side search, sort, paging; state in the URL), multi-select
/// with a toolbar that follows the selection, the selected VM's sub-tabs, and the New/Edit dialog.
/// Rows update live (server-sent events) and in place.
#[component]
pub fn VmsPage() -> impl IntoView {
    let query = use_query_map();
    let grid = Memo::new(move |_| query.with(|q| GridQuery::from_params(|k| q.get(k), "name", false)));
    let selected = Signal::derive(move || query.with(|q| q.get("selected")));
    let tab = Signal::derive(move || query.with(|q| q.get("tab")).unwrap_or_else(|| "general".into()));
    let dialog = move || query.with(|q| q.get("dialog").is_some());
    let notice = move || query.with(|q| q.get("notice"));
    let tick = live_tick();
    let reload = RwSignal::new(0u32);
    let rows = Resource::new(move || (grid.get(), tick.get(), reload.get()), |(q, _, _)| vm_grid(q));
    let selection = Selection::new(selected.get_untracked().and_then(|s| Uuid::parse_str(&s).ok()));
    provide_context(selection);
    // Selecting a row (a link, or landing on a saved VM) makes it the toolbar's selection too.
    Effect::new(move |_| {
        if let Some(id) = selected.get().and_then(|s| Uuid::parse_str(&s).ok()) {
            selection.only(id);
        }
    });
    let progress = Progress(RwSignal::new(BTreeMap::new()));
    provide_context(progress);
    provide_toasts();
    view! {
        <Title text="Virtual Machines" />
        <div class="page">
            <Transition fallback=|| view! { <h1>"Virtual Machines"</h1><p class="loading">"Loading virtual machines…"</p> }>
                {move || rows.get().map(|result| {
                    let on_done = Callback::new(move |_| reload.update(|n| *n += 1));
                    let page = result.as_ref().ok().cloned();
                    let current_rows = page.as_ref().map(|p| p.rows.clone()).unwrap_or_default();
                    let current = Signal::derive({
                        let r = current_rows.clone();
                        move || r.clone()
                    });
                    let error = result.as_ref().err().and_then(search_message);
                    // The page shown may differ from the URL's (the page holding a selected row).
                    let shown = GridQuery { page: page.as_ref().map_or(1, |p| p.page), focus: None, ..grid.get() };
                    let shown_signal = Signal::derive({
                        let shown = shown.clone();
                        move || shown.clone()
                    });
                    let detail = selected.get().map(|id| {
                        let row = current_rows.iter().find(|r| r.id.to_string() == id).cloned();
                        view! { <VmDetail id row tab=tab.get() grid=shown.clone() /> }
                    });
                    view! {
                        <div class="page-header">
                            <h1>"Virtual Machines"</h1>
                            <BulkToolbar rows=current grid=shown_signal selected on_done />
                        </div>
                        {notice().map(|n| view! { <div class="alert alert-info" role="status" data-testid="bulk-notice">{n}</div> })}
                        <GridSearch path=PATH query=grid.get() placeholder="Search: words, type:high_performance status:up cluster:Default host:… pool:…"
                            hint="Words match names and descriptions; add field:value terms (type, status, cluster, host, pool, template)."
                            error />
                        {match (&result, page) {
                            (Err(e), _) if search_message(e).is_some() => ().into_any(),
                            (Err(e), _) => view! { <crate::components::error_notice::ErrorNotice error=e.clone() /> }.into_any(),
                            (Ok(_), Some(page)) => view! {
                                <VmGrid rows=page.rows.clone() grid=GridQuery { page: page.page, focus: None, ..grid.get() } selected=selected.get() />
                                <Pager path=PATH query=GridQuery { page: page.page, focus: None, ..grid.get() } total=page.total noun="virtual machines" selected=selected.get() />
                            }.into_any(),
                            _ => ().into_any(),
                        }}
                        {detail}
                        <BulkConfirm rows=current grid=shown_signal on_done />
                    }
                })}
            </Transition>
            <Show when=dialog>
                <ConfigDialog kind=ConfigKind::Vm />
            </Show>
            <ToastArea />
        </div>
    }
}

#[component]
fn VmGrid(rows: Vec<VmRow>, grid: GridQuery, selected: Option<String>) -> impl IntoView {
    let selection = expect_context::<Selection>();
    let progress = expect_context::<Progress>();
    if rows.is_empty() {
        return view! { <p class="empty" data-testid="grid-empty">"No virtual machines match."</p> }.into_any();
    }
    let header = |label: &'static str, key: &'static str| {
        view! { <SortHeader label key path=PATH query=grid.clone() selected=selected.clone() /> }
    };
    let all_ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let page_ids = all_ids.clone();
    let all_checked = move || !page_ids.is_empty() && page_ids.iter().all(|id| selection.has(*id));
    let grid_for_rows = grid.clone();
    view! {
        <div class="grid-scroll">
        <table class="grid" id="vms-grid" aria-label="Virtual machines">
            <thead>
                <tr>
                    <th scope="col" class="check-col">
                        <input type="checkbox" aria-label="Select all on this page" prop:checked=all_checked
                            on:change=move |ev| selection.set_all(&all_ids, event_target_checked(&ev)) />
                    </th>
                    {header("Type", "type")}
                    {header("Status", "status")}
                    {header("Name", "name")}
                    {header("Description", "description")}
                    {header("Cluster", "cluster")}
                    {header("Host", "host")}
                    {header("Template", "template")}
                    {header("Pool", "pool")}
                    {header("Memory", "memory")}
                    {header("vCPUs", "vcpus")}
                    {header("Uptime", "uptime")}
                </tr>
            </thead>
            <tbody>
                // Keyed by the row's whole content: a changed row is re-rendered, the others keep
                // their DOM (and the page its scroll position).
                <For each=move || rows.clone() key=|r| format!("{r:?}") let:v>
                    {
                        let id = v.id;
                        let is_selected = selected.as_deref() == Some(id.to_string().as_str());
                        let href = grid_href(PATH, &grid_for_rows, Some(&id.to_string()), |_| {});
                        let op = move || progress.0.with(|p| p.get(&id).cloned());
                        view! {
                            <tr data-id=id.to_string() data-type=v.optimized_for.as_str() data-status=v.status.clone()
                                aria-selected=is_selected.to_string() class:selected=is_selected
                                class:checked=move || selection.has(id)>
                                <td class="check-col">
                                    <input type="checkbox" name="ids" value=id.to_string() form="vm-bulk"
                                        aria-label=format!("Select {}", v.name) checked=is_selected prop:checked=move || selection.has(id)
                                        on:change=move |ev| selection.set(id, event_target_checked(&ev)) />
                                </td>
                                <td><TypeIcon kind=v.optimized_for stateless=v.stateless next_run=v.next_run in_pool=v.pool_name.is_some() /></td>
                                <td>
                                    <span class=format!("status status-{}", v.status)>{v.status.replace('_', " ")}</span>
                                    {move || op().map(|(ok, text)| view! {
                                        <span class=if ok { "op op-ok" } else { "op op-error" } data-testid="op">{text}</span>
                                    })}
                                </td>
                                <td><a href=href on:click=move |_| selection.only(id)>{v.name.clone()}</a></td>
                                <td class="desc">{v.description.clone()}</td>
                                <td>{v.cluster_name.clone()}</td>
                                <td>{v.host_name.clone().unwrap_or_default()}</td>
                                <td>{v.template_name.clone()}</td>
                                <td>{v.pool_name.clone().unwrap_or_default()}</td>
                                <td class="num">{format!("{} MiB", v.memory_mib)}</td>
                                <td class="num">{v.vcpus}</td>
                                <td>{uptime_text(v.uptime_secs)}</td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
        </div>
    }
    .into_any()
}
