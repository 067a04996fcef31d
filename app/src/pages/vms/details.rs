//! The selected VM's sub-tabs: General (Optimized for and the key settings; for High Performance
//! the pinning, vNUMA, huge pages, IO threads, KSM and pending next-run fields; the addresses the
//! guest reports; the last hour's CPU and memory), Disks, Network Interfaces, Console, Domain XML, Events. The sub-tab is in the URL
//! (`tab=general|disks|nics|console|domain-xml|events`).

use super::domain_xml_tab::DomainXmlTab;
use super::{uptime_text, PATH};
use crate::api::grids::{event_grid, get_vm_details};
use crate::components::console_tab::ConsoleTab;
use crate::components::cpu_map::CpuMapDiagram;
use crate::components::disks_tab::DisksTab;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::grid_href;
use crate::components::live_updates::live_tick_when;
use crate::components::local_time::LocalTime;
use crate::components::nics_tab::NicsTab;
use crate::components::object_detail::SPLIT_NAME;
use crate::components::table_head::table_head;
use crate::components::usage_chart::UsageChart;
use crate::domain::cpu_map::MapScope;
use crate::domain::draft::ConfigKind;
use crate::domain::host_topology::page_size_label;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use crate::domain::pinning::{format_io_thread_pins, format_vcpu_pins};
use crate::domain::usage::UsageKind;
use crate::domain::vm_config::OptimizedFor;
use crate::error::AppError;
use crate::models::{GridQuery, ReportedNic, VmDetails, VmRow};
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

#[component]
pub fn VmDetail(id: String, row: Option<VmRow>, tab: String, grid: GridQuery) -> impl IntoView {
    let base = grid_href(PATH, &grid, Some(&id), |_| {});
    let name = row
        .as_ref()
        .map_or_else(|| "Virtual machine".to_string(), |r| r.name.clone());
    let tabs = [
        ("general", "General"),
        ("disks", "Disks"),
        ("nics", "Network Interfaces"),
        ("console", "Console"),
        ("domain-xml", "Domain XML"),
        ("events", "Events"),
    ]
    .into_iter()
    .map(|(key, label)| {
        view! {
            <a role="tab" href=format!("{base}&tab={key}") aria-selected=(tab == key).to_string()>
                {label}
            </a>
        }
    })
    .collect_view();
    let body = match tab.as_str() {
        "domain-xml" => view! { <DomainXmlTab id=id.clone() /> }.into_any(),
        "disks" => view! { <DisksTab kind=ConfigKind::Vm id=id.clone() base=format!("{base}&tab=disks") /> }.into_any(),
        "nics" => view! { <NicsTab kind=ConfigKind::Vm id=id.clone() base=format!("{base}&tab=nics") /> }.into_any(),
        "console" => {
            view! { <ConsoleTab id=id.clone() name=name.clone() base=format!("{base}&tab=console") /> }.into_any()
        }
        "events" => view! { <ObjectEvents id=id.clone() /> }.into_any(),
        _ => view! { <GeneralTab id=id.clone() /> }.into_any(),
    };
    view! {
        <section class="detail" data-split=SPLIT_NAME aria-label=format!("VM {name}")>
            <h2>{name.clone()}</h2>
            <nav class="sub-tabs" role="tablist" aria-label="VM details">
                {tabs}
            </nav>
            <div role="tabpanel">{body}</div>
        </section>
    }
}

fn fact(label: &'static str, value: String) -> impl IntoView {
    let key = label.to_lowercase().replace(' ', "-");
    view! {
        <div>
            <dt>{label}</dt>
            <dd data-fact=key>{value}</dd>
        </div>
    }
}

/// The General sub-tab: the VM's row, and the names of its host, cluster, template and pool.
const GENERAL: LiveTables = LiveTables::rows("vms", &["hosts", "clusters", "data_centers", "templates", "vm_pools"]);
/// The Events sub-tab: new events name the objects they are about.
const OBJECT_EVENTS: LiveTables = LiveTables {
    table: "events",
    by_row: false,
    also: &[],
};

/// A counter that moves when a live change touches `id` as `tables` reads it.
fn row_tick(tables: &'static LiveTables, id: &str) -> Signal<u64> {
    let id = id.to_string();
    live_tick_when(move |changes| should_refetch(changes, tables, Shown::Row(&id)))
}

#[component]
fn GeneralTab(id: String) -> impl IntoView {
    let tick = row_tick(&GENERAL, &id);
    let usage_id = id.clone();
    let details = Resource::new(move || (id.clone(), tick.get()), |(id, _)| get_vm_details(id));
    view! {
        {loaded(details, "Loading…", |d| general(d).into_any())}
        <UsageChart kind=UsageKind::Vm id=usage_id />
    }
}

fn on_off(v: bool) -> String {
    if v { "on" } else { "off" }.into()
}

fn general(d: VmDetails) -> impl IntoView {
    let c = &d.config;
    let hp = c.optimized_for == OptimizedFor::HighPerformance;
    let row = &d.row;
    let basics = view! {
        <dl class="facts" data-testid="general">
            {fact("Optimized for", c.optimized_for.label().into())}
            {fact("Status", row.status.label().to_string())}
            {fact("Uptime", uptime_text(row.uptime_secs))}
            {fact("Operating System", d.os_name.clone())}
            {fact("Cluster", row.cluster_name.clone())}
            {fact("Host", row.host_name.clone().unwrap_or_else(|| "—".into()))}
            {fact("IP Addresses", if row.ip_addresses.is_empty() { "—".into() } else { row.ip_addresses.clone() })}
            {fact("Template", row.template_name.clone())}
            {fact("Pool", row.pool_name.clone().unwrap_or_else(|| "—".into()))}
            {fact("Memory", format!("{} MiB", c.memory_mib))}
            {fact(
                "CPU topology",
                format!(
                    "{} vCPUs: {} sockets × {} cores × {} threads",
                    c.vcpus(),
                    c.cpu.sockets,
                    c.cpu.cores,
                    c.cpu.threads,
                ),
            )}
            {fact("Stateless", if c.stateless { "yes" } else { "no" }.into())}
            {fact("Highly Available", if c.high_availability { "yes" } else { "no" }.into())}
        </dl>
    };
    let hp_block = hp.then(|| {
        let numa = if c.numa_nodes.is_empty() {
            "not configured".to_string()
        } else {
            c.numa_nodes
                .iter()
                .map(|n| {
                    let cells = n.host_nodes.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",");
                    format!(
                        "node {}: vCPUs {}, {} MiB → host cell {}",
                        n.index,
                        n.cpus,
                        n.memory_mib,
                        if cells.is_empty() { "—".into() } else { cells }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        view! {
            <h3>"High Performance"</h3>
            <dl class="facts" data-testid="high-performance">
                {fact("Pinned host", d.pinned_host.clone().unwrap_or_else(|| "—".into()))}
                {fact(
                    "CPU pinning",
                    if c.cpu_pinning.is_empty() { "—".into() } else { format_vcpu_pins(&c.cpu_pinning) },
                )}
                {fact("Emulator pinning", c.emulator_pin.as_ref().map_or("—".into(), |e| e.to_string()))}
                {fact("IO threads", if c.io_threads == 0 { "off".into() } else { c.io_threads.to_string() })}
                {fact(
                    "IO thread pinning",
                    if c.io_thread_pins.is_empty() { "—".into() } else { format_io_thread_pins(&c.io_thread_pins) },
                )}
                {fact("vNUMA", numa)}
                {fact("NUMA tune", c.numa_tune_mode.as_str().into())}
                {fact(
                    "Huge pages",
                    c.huge_pages.map_or("off".into(), |h| format!("{} × {}", h.count, page_size_label(h.size_kib))),
                )}
                {fact("KSM for this VM", if c.ksm_disabled { "disabled".into() } else { "enabled".into() })}
                {fact("CPU pass-through", on_off(c.cpu_passthrough))}
                {fact("invtsc", on_off(c.invtsc))}
                {fact("Headless", on_off(c.headless))}
            </dl>
        }
    });
    let pending = (!d.pending_next_run.is_empty()).then(|| {
        view! {
            <div class="alert alert-warning" role="status" data-testid="pending-next-run">
                {format!("Pending for the next start: {}.", d.pending_next_run.join(", "))}
            </div>
        }
    });
    let reported = reported_nics(&d.reported_nics);
    // Its own pins on the host's CPU map, when it has pins and a host (pinned, else running on).
    let cpu_map = d
        .cpu_map
        .clone()
        .filter(|m| m.vms.iter().any(|v| !v.is_empty()))
        .map(|data| {
            let caption = format!("This VM's pins on the CPUs of {}.", data.host_name);
            view! {
                <h3>"CPU Map"</h3>
                <CpuMapDiagram data scope=MapScope::Vm caption />
            }
        });
    view! {
        {pending}
        {basics}
        {reported}
        {hp_block}
        {cpu_map}
    }
}

/// The guest's NICs and addresses as libvirt last reported them (running VMs only).
fn reported_nics(nics: &[ReportedNic]) -> impl IntoView {
    let body = if nics.is_empty() {
        view! { <p class="empty">"No addresses reported (the VM is down, or the guest has none yet)."</p> }.into_any()
    } else {
        view! {
            <table class="grid compact" data-testid="reported-nics" aria-label="Reported network interfaces">
                {table_head(["Name", "MAC", "IP Addresses"])}
                <tbody>
                    {nics
                        .iter()
                        .map(|n| {
                            view! {
                                <tr data-mac=n.mac.clone()>
                                    <td>{n.name.clone()}</td>
                                    <td class="mono">{n.mac.clone()}</td>
                                    <td class="mono">{n.addresses.join(", ")}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <h3>"Reported Network Interfaces"</h3>
        {body}
    }
}

#[component]
fn ObjectEvents(id: String) -> impl IntoView {
    let tick = row_tick(&OBJECT_EVENTS, &id);
    let events = Resource::new(
        move || (id.clone(), tick.get()),
        |(id, _)| {
            let mut q = GridQuery::new("time");
            q.desc = true;
            q.page_size = 25;
            event_grid(q, Some(id))
        },
    );
    loaded(events, "Loading events…", |page| {
        if page.rows.is_empty() {
            return view! { <p class="empty">"No events for this VM yet."</p> }.into_any();
        }
        view! {
            <table class="grid compact" data-testid="object-events">
                {table_head(["Time", "Action", "Result", "User", "Message"])}
                <tbody>
                    {page
                        .rows
                        .into_iter()
                        .map(|e| {
                            let result = e.result.clone();
                            let marker = e.result.clone();
                            view! {
                                <tr data-result=marker>
                                    <td class="mono">
                                        <LocalTime utc=e.at />
                                    </td>
                                    <td>{e.action}</td>
                                    <td>{result}</td>
                                    <td>{e.username.unwrap_or_else(|| "system".into())}</td>
                                    <td class="desc">{e.message}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    })
}

/// `resource` in a `<Transition>`: `loading` until it first loads, then `show` of its value, or
/// the error.
fn loaded<T>(resource: Resource<Result<T, AppError>>, loading: &'static str, show: fn(T) -> AnyView) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    view! {
        <Transition fallback=move || {
            view! { <p class="loading">{loading}</p> }
        }>
            {move || {
                resource
                    .get()
                    .map(|r| match r {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(value) => show(value),
                    })
            }}
        </Transition>
    }
}
