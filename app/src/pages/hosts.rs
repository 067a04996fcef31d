mod add_host_dialog;

use crate::api::grids::host_grid;
use crate::api::hosts::SetHostKsm;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::{grid_href, search_error, search_message, GridSearch, Pager, SortHeader};
use crate::components::host_topology_card::HostTopologyCard;
use crate::components::live_updates::live_tick;
use crate::domain::host_topology::page_size_label;
use crate::models::GridQuery;
use crate::models::HostView;
use add_host_dialog::AddHostDialog;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Hosts with their topology. The selected host and the open dialog live in the URL
/// (`/hosts?selected=<id>`, `/hosts?dialog=add`), so links reproduce the view and Back works.
#[component]
pub fn HostsPage() -> impl IntoView {
    let query = use_query_map();
    let selected = move || query.with(|q| q.get("selected"));
    let dialog_open = move || query.with(|q| q.get("dialog").as_deref() == Some("add"));
    // Refetched after a host is added (the dialog bumps it).
    let grid = Memo::new(move |_| query.with(|q| GridQuery::from_params(|k| q.get(k), "name", false)));
    let reload = RwSignal::new(0u32);
    provide_context(HostsReload(reload));
    let tick = live_tick();
    let hosts = Resource::new(move || (grid.get(), reload.get(), tick.get()), |(q, _, _)| host_grid(q));

    view! {
        <Title text="Hosts" />
        <div class="page">
            <div class="page-header">
                <h1>"Hosts"</h1>
                <div class="toolbar">
                    <a class="btn btn-primary" href="/hosts?dialog=add" role="button">"Add host"</a>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading hosts…"</p> }>
                {move || hosts.get().map(|result| view! {
                    <GridSearch path="/hosts" query=grid.get() placeholder="Search: words, status:up cluster:Default"
                    hint="Words match names and URIs; add status: or cluster: terms."
                        error=search_error(result.clone()) />
                    {match result {
                    Err(e) if search_message(&e).is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(page) => {
                        let rows = page.rows.clone();
                        let chosen = selected()
                            .and_then(|id| rows.iter().find(|h| h.id.to_string() == id).cloned())
                            .or_else(|| rows.first().cloned());
                        let chosen_id = chosen.as_ref().map(|h| h.id);
                        view! {
                            <HostsGrid rows selected=chosen_id grid=GridQuery { page: page.page, focus: None, ..grid.get() } />
                            <Pager path="/hosts" query=GridQuery { page: page.page, focus: None, ..grid.get() } total=page.total noun="hosts" selected=selected() />
                            {chosen.map(|host| view! { <HostDetail host /> })}
                        }.into_any()
                    }
                }}
                })}
            </Transition>
            <Show when=dialog_open>
                <AddHostDialog on_added=move || reload.update(|n| *n += 1) />
            </Show>
        </div>
    }
}

/// Bumped to refetch the hosts after a change made on this page.
#[derive(Clone, Copy)]
struct HostsReload(RwSignal<u32>);

/// Start or stop KSM on the host: through libvirt (`shm_run`) on real hosts; a simulated host keeps
/// the setting in Vireo, and the form says so.
#[component]
fn KsmForm(host: HostView) -> impl IntoView {
    let action = ServerAction::<SetHostKsm>::new();
    let reload = use_context::<HostsReload>();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(HostsReload(r))) = (action.value().get(), reload) {
            r.update(|n| *n += 1);
        }
    });
    let running = host.ksm_running.unwrap_or(true);
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <ActionForm action attr:class="inline-form" attr:id="ksm-form">
            <input type="hidden" name="host_id" value=host.id.to_string() />
            <input type="hidden" name="running" value=if running { "off" } else { "on" } />
            <button type="submit" class="btn">{if running { "Stop KSM" } else { "Start KSM" }}</button>
            {host.simulated_topology.is_some().then(|| view! {
                <span class="hint">" Simulated host: Vireo records the KSM state itself."</span>
            })}
            {move || error().map(|error| view! { <ErrorNotice error /> })}
        </ActionForm>
    }
}

#[component]
fn HostsGrid(rows: Vec<HostView>, selected: Option<uuid::Uuid>, grid: GridQuery) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No hosts match. Add one to run virtual machines."</p> }.into_any();
    }
    let sel = selected.map(|s| s.to_string());
    let header = |label: &'static str, key: &'static str| view! { <SortHeader label key path="/hosts" query=grid.clone() selected=sel.clone() /> };
    view! {
        <table class="grid" id="hosts-grid" aria-label="Hosts">
            <thead>
                <tr>
                    {header("Status", "status")}
                    {header("Name", "name")}
                    {header("URI", "uri")}
                    {header("Cluster", "cluster")}
                    <th scope="col">"Sockets / Cores / Threads"</th>
                    {header("NUMA cells", "cpus")}
                    <th scope="col">"Free huge pages"</th>
                    {header("VMs", "vms")}
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|h| {
                    let is_selected = Some(h.id) == selected;
                    let t = &h.topology;
                    let huge = t.huge_page_sizes().into_iter()
                        .map(|s| format!("{}: {}", page_size_label(s), t.free_pages(s, &[])))
                        .collect::<Vec<_>>()
                        .join(", ");
                    view! {
                        <tr data-id=h.id.to_string() data-status=h.status.as_str() aria-selected=is_selected.to_string()
                            class:selected=is_selected>
                            <td><span class=format!("status status-{}", h.status.as_str())>{h.status.label()}</span></td>
                            <td><a href=grid_href("/hosts", &grid, Some(&h.id.to_string()), |_| {})>{h.name.clone()}</a></td>
                            <td class="mono">{h.uri.clone()}</td>
                            <td>{h.cluster_name.clone()}</td>
                            <td>{format!("{} / {} / {}", t.sockets, t.cores_per_socket, t.threads_per_core)}</td>
                            <td>{t.cells.len()}</td>
                            <td>{huge}</td>
                            <td>{h.vm_count}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn HostDetail(host: HostView) -> impl IntoView {
    let ksm = match host.ksm_running {
        Some(true) => "running",
        Some(false) => "stopped",
        None => "unknown",
    };
    let ksm_form = view! { <KsmForm host=host.clone() /> };
    view! {
        <section class="detail" aria-label=format!("Host {}", host.name)>
            <h2>{host.name.clone()}</h2>
            {host.last_error.clone().map(|e| view! { <div class="alert alert-warning" role="status">{e}</div> })}
            <dl class="facts">
                <div><dt>"URI"</dt><dd class="mono">{host.uri.clone()}</dd></div>
                <div><dt>"Cluster"</dt><dd>{host.cluster_name.clone()}</dd></div>
                <div><dt>"KSM"</dt><dd data-testid="ksm">{ksm}</dd></div>
            </dl>
            {ksm_form}
            <HostTopologyCard topology=host.topology.clone() simulated=host.simulated_topology.clone() />
        </section>
    }
}
