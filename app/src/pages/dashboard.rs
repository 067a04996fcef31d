//! The Dashboard at `/`: the overview oVirt, Proxmox VE and Cockpit open on. Every number links to
//! the grid search that lists what it counts. Rendered fully on the server (works without
//! JavaScript); hydrated, it refetches on live updates of what it counts (VMs, hosts, clusters).

mod capacity;
mod counts;
mod huge_pages;
mod recommendations;

use crate::api::dashboard::get_dashboard;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_updates::live_tick_when;
use crate::domain::dashboard::Dashboard;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use capacity::CapacityCard;
use counts::CountsCard;
use huge_pages::HugePagesCard;
use leptos::prelude::*;
use leptos_meta::Title;
use recommendations::RecommendationsCard;

/// What the Dashboard counts: any VM's change may move a count (status, type, host).
const LIVE: LiveTables = LiveTables {
    table: "vms",
    by_row: false,
    also: &["hosts", "clusters", "data_centers"],
};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let tick = live_tick_when(|changes| should_refetch(changes, &LIVE, Shown::All));
    let data = Resource::new(move || tick.get(), |_| get_dashboard());
    view! {
        <Title text="Dashboard" />
        <div class="page dashboard">
            <h1>"Dashboard"</h1>
            // A Transition, not a Suspense: a live refetch keeps the old numbers until the new ones come.
            <Transition fallback=|| {
                view! { <p class="loading">"Loading the overview…"</p> }
            }>
                {move || {
                    data.get()
                        .map(|result| match result {
                            Ok(d) => cards(d).into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        })
                }}
            </Transition>
        </div>
    }
}

fn cards(d: Dashboard) -> impl IntoView {
    let hosts: Vec<(String, String, u64, String)> = d
        .hosts_by_status
        .iter()
        .map(|(s, n)| {
            (
                s.as_str().to_string(),
                s.label().to_string(),
                *n,
                format!("/hosts?q=status:{}", s.as_str()),
            )
        })
        .collect();
    let vm_status: Vec<(String, String, u64, String)> = d
        .vms_by_status
        .iter()
        .map(|(s, n)| {
            (
                s.as_str().to_string(),
                s.label().to_string(),
                *n,
                format!("/vms?q=status:{}", s.as_str()),
            )
        })
        .collect();
    let vm_type: Vec<(String, String, u64, String)> = d
        .vms_by_type
        .iter()
        .map(|(t, n)| {
            (
                t.as_str().to_string(),
                t.label().to_string(),
                *n,
                format!("/vms?q=type:{}", t.as_str()),
            )
        })
        .collect();
    view! {
        <RecommendationsCard missing=d.hp_missing />
        <div class="dash-cards">
            <CountsCard title="Hosts by status" id="hosts-by-status" items=hosts />
            <CountsCard title="VMs by status" id="vms-by-status" items=vm_status />
            <CountsCard title="VMs by type" id="vms-by-type" items=vm_type />
        </div>
        <CapacityCard clusters=d.clusters />
        <HugePagesCard hosts=d.huge_pages />
    }
}
