use crate::domain::dashboard::{bar_percent, ClusterLoad};
use leptos::prelude::*;

/// Per cluster: vCPUs and memory given to running VMs and to every defined VM, against the CPUs and
/// memory of the cluster's Up hosts, as numbers and bars.
#[component]
pub fn CapacityCard(clusters: Vec<ClusterLoad>) -> impl IntoView {
    let rows = clusters
        .into_iter()
        .map(|c| {
            let gib = |mib: u64| format!("{:.1} GiB", mib as f64 / 1024.0);
            view! {
                <tr data-cluster=c.name.clone()>
                    <th scope="row">
                        <a href=format!("/clusters?selected={}", c.id)>{c.name.clone()}</a>
                        <div class="muted">{format!("{} Up host(s)", c.up_hosts)}</div>
                    </th>
                    <td data-testid="vcpus">
                        <Usage
                            label="vCPUs"
                            running=c.running.vcpus
                            defined=c.defined.vcpus
                            capacity=c.cpus
                            text=format!("{} running / {} defined of {} CPUs", c.running.vcpus, c.defined.vcpus, c.cpus)
                        />
                    </td>
                    <td data-testid="memory">
                        <Usage
                            label="Memory"
                            running=c.running.memory_mib
                            defined=c.defined.memory_mib
                            capacity=c.memory_mib
                            text=format!(
                                "{} running / {} defined of {}",
                                gib(c.running.memory_mib),
                                gib(c.defined.memory_mib),
                                gib(c.memory_mib),
                            )
                        />
                    </td>
                    <td class="num" data-testid="vm-counts">
                        {format!("{} / {}", c.running.vms, c.defined.vms)}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="detail dash-card" id="cluster-capacity" aria-labelledby="cluster-capacity-title">
            <h2 class="panel-title" id="cluster-capacity-title">
                "Allocation per cluster"
            </h2>
            <table class="grid">
                <thead>
                    <tr>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"vCPUs"</th>
                        <th scope="col">"Memory"</th>
                        <th scope="col">"VMs running / defined"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// One bar (server-rendered SVG: no inline style, which the CSP forbids): the defined allocation
/// drawn light, the running one dark over it, both as a share of the capacity (capped at the full
/// bar; the text says by how much it is over).
#[component]
fn Usage(label: &'static str, running: u64, defined: u64, capacity: u64, text: String) -> impl IntoView {
    let over = defined > capacity;
    view! {
        <div class="usage" data-over=over.to_string()>
            <svg
                class="bar"
                viewBox="0 0 100 8"
                preserveAspectRatio="none"
                role="img"
                aria-label=format!("{label}: {text}")
            >
                <rect class="bar-capacity" x="0" y="0" width="100" height="8" />
                <rect class="bar-defined" x="0" y="0" width=bar_percent(defined, capacity).to_string() height="8" />
                <rect class="bar-running" x="0" y="0" width=bar_percent(running, capacity).to_string() height="8" />
            </svg>
            <span class="usage-text">{text}</span>
        </div>
    }
}
