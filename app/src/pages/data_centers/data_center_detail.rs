use crate::api::clusters::list_clusters;
use crate::components::error_notice::ErrorNotice;
use crate::components::host_topology_card::fact;
use crate::components::live_updates::live_tick_when;
use crate::components::table_head::table_head;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use crate::models::{ClusterView, DataCenterView};
use leptos::prelude::*;

/// The selected data center's sub-tabs: General (the default) and Clusters, in the URL as
/// `tab=general|clusters`. `base`: the grid's link with the data center selected.
#[component]
pub fn DataCenterDetail(dc: DataCenterView, base: String, tab: String) -> impl IntoView {
    let clusters = tab == "clusters";
    let tabs = [("general", "General", !clusters), ("clusters", "Clusters", clusters)]
        .into_iter()
        .map(|(key, label, selected)| {
            view! {
                <a role="tab" href=format!("{base}&tab={key}") aria-selected=selected.to_string()>
                    {label}
                </a>
            }
        })
        .collect_view();
    let name = dc.name.clone();
    let body = if clusters {
        view! { <ClustersTab id=dc.id /> }.into_any()
    } else {
        general(dc).into_any()
    };
    view! {
        <section class="detail" aria-label=format!("Data center {name}")>
            <h2>{name.clone()}</h2>
            <nav class="sub-tabs" role="tablist" aria-label="Data center details">
                {tabs}
            </nav>
            <div role="tabpanel">{body}</div>
        </section>
    }
}

fn general(dc: DataCenterView) -> impl IntoView {
    let description = if dc.description.is_empty() {
        "—".to_string()
    } else {
        dc.description
    };
    view! {
        <dl class="facts" data-testid="general">
            {fact("Name", None, dc.name)}
            {fact("Description", None, description)}
            {fact("Compatibility Version", None, dc.compat_version.to_string())}
            {fact("Status", None, dc.status.label())}
            {fact("Clusters", None, dc.cluster_count)}
            {fact("Hosts", None, dc.host_count)}
            {fact("VMs", None, dc.vm_count)}
        </dl>
    }
}

/// The data center's clusters, each a link to it on the Clusters page. Few per data center, so
/// the list is read whole and narrowed here; it follows live updates like the grid.
#[component]
fn ClustersTab(id: uuid::Uuid) -> impl IntoView {
    const LIVE: LiveTables = LiveTables {
        table: "clusters",
        by_row: false,
        also: &["data_centers"],
    };
    let tick = live_tick_when(|changes| should_refetch(changes, &LIVE, Shown::All));
    let clusters = Resource::new(move || tick.get(), |_| list_clusters());
    view! {
        <Transition fallback=|| {
            view! { <p class="loading">"Loading clusters…"</p> }
        }>
            {move || {
                clusters
                    .get()
                    .map(|result| match result {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(all) => {
                            clusters_table(all.into_iter().filter(|c| c.data_center_id == id).collect()).into_any()
                        }
                    })
            }}
        </Transition>
    }
}

fn clusters_table(clusters: Vec<ClusterView>) -> impl IntoView {
    if clusters.is_empty() {
        return view! { <p class="empty">"No clusters in this data center."</p> }.into_any();
    }
    let rows = clusters
        .into_iter()
        .map(|c| {
            view! {
                <tr data-id=c.id.to_string()>
                    <td>
                        <a href=format!("/clusters?selected={}", c.id)>{c.name}</a>
                    </td>
                    <td>{c.compat_version.to_string()}</td>
                    <td class="num">{c.host_count}</td>
                    <td class="num">{c.vm_count}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid compact" aria-label="Clusters of the data center">
            {table_head(["Name", "Compatibility Version", "Hosts", "VMs"])}
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
