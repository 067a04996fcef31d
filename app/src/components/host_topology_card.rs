use crate::domain::host_topology::{page_size_label, HostTopology};
use leptos::prelude::*;

/// The hardware facts the High Performance rules work from: sockets, cores, threads, NUMA cells with
/// their CPUs, memory and huge pages (free / total), and whether the CPU has invtsc.
#[component]
pub fn HostTopologyCard(topology: HostTopology, simulated: Option<String>) -> impl IntoView {
    let sizes = topology.huge_page_sizes();
    let size_headers = sizes
        .iter()
        .map(|s| view! { <th scope="col">{format!("{} pages free / total", page_size_label(*s))}</th> })
        .collect_view();
    let cells = topology
        .cells
        .iter()
        .map(|cell| {
            let pages = sizes
                .iter()
                .map(|s| {
                    let p = cell
                        .pages
                        .iter()
                        .find(|p| p.size_kib == *s)
                        .cloned()
                        .unwrap_or_default();
                    view! { <td data-page-size=s.to_string()>{format!("{} / {}", p.free, p.total)}</td> }
                })
                .collect_view();
            view! {
                <tr data-cell=cell.id.to_string()>
                    <td>{cell.id}</td>
                    <td class="mono">{cell.cpu_ids().to_string()}</td>
                    <td>{format!("{} MiB", cell.memory_kib / 1024)}</td>
                    {pages}
                </tr>
            }
        })
        .collect_view();
    let invtsc = if topology.has_invtsc() { "yes" } else { "no" };
    view! {
        <div class="topology" data-testid="host-topology">
            {simulated
                .map(|file| {
                    view! {
                        <p
                            class="badge badge-info"
                            title=format!(
                                "libvirt's test driver runs this host; its topology comes from the shipped file {file}.xml",
                            )
                        >
                            "simulated topology"
                        </p>
                    }
                })}
            <dl class="facts">
                <div>
                    <dt>"Architecture"</dt>
                    <dd>{topology.arch.clone()}</dd>
                </div>
                <div>
                    <dt>"CPU model"</dt>
                    <dd>{topology.cpu_model.clone().unwrap_or_else(|| "—".into())}</dd>
                </div>
                <div>
                    <dt>"Sockets"</dt>
                    <dd data-testid="sockets">{topology.sockets}</dd>
                </div>
                <div>
                    <dt>"Cores per socket"</dt>
                    <dd data-testid="cores">{topology.cores_per_socket}</dd>
                </div>
                <div>
                    <dt>"Threads per core"</dt>
                    <dd data-testid="threads">{topology.threads_per_core}</dd>
                </div>
                <div>
                    <dt>"Logical CPUs"</dt>
                    <dd>{topology.total_cpus()}</dd>
                </div>
                <div>
                    <dt>"NUMA cells"</dt>
                    <dd data-testid="numa-cells">{topology.cells.len()}</dd>
                </div>
                <div>
                    <dt>"invtsc"</dt>
                    <dd data-testid="invtsc">{invtsc}</dd>
                </div>
            </dl>
            <table class="grid compact">
                <caption>"NUMA cells"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Cell"</th>
                        <th scope="col">"CPUs"</th>
                        <th scope="col">"Memory"</th>
                        {size_headers}
                    </tr>
                </thead>
                <tbody>{cells}</tbody>
            </table>
        </div>
    }
}
