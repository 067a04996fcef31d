mod add_host_dialog;
mod host_cpu_map;
mod ssh_host_key;

use crate::api::grids::host_grid;
use crate::api::hosts::SetHostKsm;
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::host_topology_card::{fact, HostTopologyCard};
use crate::components::object_detail::{prefetch_object_detail, DetailPart, ObjectDetail, SPLIT_NAME};
use crate::components::object_grid::{data, Column, GridState, ObjectGrid, RowSelection};
use crate::components::usage_chart::UsageChart;
use crate::domain::collections;
use crate::domain::host_topology::page_size_label;
use crate::domain::usage::UsageKind;
use crate::models::HostView;
use add_host_dialog::AddHostDialog;
use host_cpu_map::HostCpuMap;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Hosts with their topology. The selected host and the open dialog live in the URL
/// (`/hosts?selected=<id>`, `/hosts?dialog=add`), so links reproduce the view and Back works.
#[component]
pub fn HostsPage() -> impl IntoView {
    let url = use_query_map();
    let grid = GridState::new("name", false, false, host_grid);
    prefetch_object_detail();
    provide_context(HostsReload(grid.reload));
    let columns = vec![
        Column::sorted("Status", "status", |h: &HostView| {
            view! { <td><span class=format!("status status-{}", h.status.as_str())>{h.status.label()}</span></td> }
        }),
        Column::link("Name", "name", |h: &HostView| h.name.clone()),
        Column::sorted(
            "URI",
            "uri",
            |h: &HostView| view! { <td class="mono">{h.uri.clone()}</td> },
        ),
        Column::text("Cluster", "cluster", |h: &HostView| h.cluster_name.clone()),
        Column::text("Sockets / Cores / Threads", None, |h: &HostView| {
            let t = &h.topology;
            format!("{} / {} / {}", t.sockets, t.cores_per_socket, t.threads_per_core)
        }),
        Column::text("NUMA cells", "cpus", |h: &HostView| h.topology.cells.len()),
        Column::text("Free huge pages", None, free_huge_pages),
        Column::text("VMs", "vms", |h: &HostView| h.vm_count),
    ];
    view! {
        <ObjectGrid
            fields=collections::HOSTS
            title="Hosts"
            path="/hosts"
            noun="hosts"
            grid
            columns
            selection=RowSelection::FromUrlOrFirst
            toolbar=|| {
                may(Permission::ManageInfrastructure)
                    .then(|| {
                        view! {
                            <div class="toolbar">
                                <a class="btn btn-primary" href="/hosts?dialog=add" role="button">
                                    "Add host"
                                </a>
                            </div>
                        }
                    })
            }
            row_id=|h| h.id.to_string()
            row_attrs=|h: &HostView| vec![data("data-status", h.status.as_str())]
            detail=|host: HostView| view! { <ObjectDetail part=DetailPart::Host { host } /> }.into_any()
            placeholder="Search: words, status:up cluster:Default"
            hint="Words match names and URIs; add status: or cluster: terms."
            empty="No hosts match. Add one to run virtual machines."
        >
            <Show when=move || url.with(|q| q.get("dialog").as_deref() == Some("add"))>
                <AddHostDialog on_added=move || grid.refetch() />
            </Show>
        </ObjectGrid>
    }
}

fn free_huge_pages(h: &HostView) -> String {
    let t = &h.topology;
    t.huge_page_sizes()
        .into_iter()
        .map(|s| format!("{}: {}", page_size_label(s), t.free_pages(s, &[])))
        .collect::<Vec<_>>()
        .join(", ")
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
            <button type="submit" class="btn">
                {if running { "Stop KSM" } else { "Start KSM" }}
            </button>
            {host
                .simulated_topology
                .is_some()
                .then(|| view! { <span class="hint">" Simulated host: Vireo records the KSM state itself."</span> })}
            {move || error().map(|error| view! { <ErrorNotice error /> })}
        </ActionForm>
    }
}

/// The selected host's details (a part of the browser's code of its own: `object_detail`).
#[component]
pub(crate) fn HostDetail(host: HostView) -> impl IntoView {
    let ksm = match host.ksm_running {
        Some(true) => "running",
        Some(false) => "stopped",
        None => "unknown",
    };
    // Hosts are infrastructure: other roles see the KSM state but not the form that changes it.
    let ksm_form = may(Permission::ManageInfrastructure).then(|| view! { <KsmForm host=host.clone() /> });
    view! {
        <section class="detail" data-split=SPLIT_NAME aria-label=format!("Host {}", host.name)>
            <h2>{host.name.clone()}</h2>
            {host
                .last_error
                .clone()
                .map(|e| {
                    view! {
                        <div class="alert alert-warning" role="status">
                            {e}
                        </div>
                    }
                })}
            <dl class="facts">
                <div>
                    <dt>"URI"</dt>
                    <dd class="mono">{host.uri.clone()}</dd>
                </div>
                {fact("Cluster", None, host.cluster_name.clone())}
                {fact("KSM", Some("ksm"), ksm)}
            </dl>
            {ksm_form}
            <UsageChart kind=UsageKind::Host id=host.id.to_string() />
            <HostTopologyCard topology=host.topology.clone() simulated=host.simulated_topology.clone() />
            <HostCpuMap host_id=host.id />
        </section>
    }
}
