use crate::api::hosts::host_cpu_map;
use crate::components::cpu_map::CpuMapDiagram;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_updates::live_tick;
use crate::domain::cpu_map::MapScope;
use leptos::prelude::*;
use uuid::Uuid;

/// The host's CPU map: every VM pinned to it or running on it, by CPU. Its own resource (one query
/// over those VMs), refetched on live updates so a saved or started VM shows up.
#[component]
pub fn HostCpuMap(host_id: Uuid) -> impl IntoView {
    let tick = live_tick();
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
