use crate::api::data_centers::DATA_CENTERS_PATH;
use crate::components::host_topology_card::fact;
use crate::models::ClusterView;
use leptos::prelude::*;

/// The selected cluster's details: a General sub-tab (the only one so far, drawn as a tab so the
/// page reads like the others) with its data center linked, version, architecture and optimisation.
/// `base`: the grid's link with the cluster selected.
#[component]
pub fn ClusterDetail(cluster: ClusterView, base: String) -> impl IntoView {
    let c = cluster;
    let on_off = |on: bool| if on { "Enabled" } else { "Disabled" };
    let description = if c.description.is_empty() {
        "—".to_string()
    } else {
        c.description.clone()
    };
    let data_center =
        view! { <a href=format!("{DATA_CENTERS_PATH}?selected={}", c.data_center_id)>{c.data_center_name.clone()}</a> };
    view! {
        <section class="detail" aria-label=format!("Cluster {}", c.name)>
            <h2>{c.name.clone()}</h2>
            <nav class="sub-tabs" role="tablist" aria-label="Cluster details">
                <a role="tab" href=format!("{base}&tab=general") aria-selected="true">
                    "General"
                </a>
            </nav>
            <div role="tabpanel">
                <dl class="facts" data-testid="general">
                    {fact("Name", None, c.name.clone())}
                    {fact("Description", None, description)}
                    {fact("Data Center", Some("data-center"), data_center)}
                    {fact("Compatibility Version", None, c.compat_version.to_string())}
                    {fact("CPU Architecture", None, c.cpu_arch.clone())}
                    {fact("KSM", None, on_off(c.ksm_enabled))}
                    {fact("Memory Ballooning", None, on_off(c.ballooning_enabled))}
                    {fact("Hosts", None, c.host_count)}
                    {fact("VMs", None, c.vm_count)}
                </dl>
            </div>
        </section>
    }
}
