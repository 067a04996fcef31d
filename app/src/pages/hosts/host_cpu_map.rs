use crate::api::hosts::host_cpu_map;
use crate::components::cpu_map::CpuMapDiagram;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_updates::live_tick_when;
use crate::domain::cpu_map::MapScope;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use leptos::prelude::*;
use uuid::Uuid;

/// The host's CPU map: every VM pinned to it or running on it, by CPU. Its own resource (one query
/// over those VMs), refetched on live updates of the host or of any VM (a saved or started VM may
/// pin its CPUs).
#[component]
pub fn HostCpuMap(host_id: Uuid) -> impl IntoView {
    const LIVE: LiveTables = LiveTables::rows("hosts", &["vms"]);
    let host = host_id.to_string();
    let tick = live_tick_when(move |changes| should_refetch(changes, &LIVE, Shown::Row(&host)));
    let data = Resource::new(move || tick.get(), move |_| host_cpu_map(host_id.to_string()));
    view! {
        <section class="host-cpu-map" aria-label="CPU Map">
            <h3>"CPU Map"</h3>
            <Transition fallback=|| {
                view! { <p class="loading">"Loading the CPU map…"</p> }
            }>
                {move || {
                    data.get()
                        .map(|r| match r {
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            Ok(data) => {
                                let caption = format!(
                                    "CPUs of {} and the VMs pinned to them (hover a CPU for its vCPU, emulator or IO thread).",
                                    data.host_name,
                                );
                                view! { <CpuMapDiagram data scope=MapScope::Host caption /> }.into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}
