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
                {fact("Architecture", None, topology.arch.clone())}
                {fact("CPU model", None, topology.cpu_model.clone().unwrap_or_else(|| "—".into()))}
                {fact("Sockets", Some("sockets"), topology.sockets)}
                {fact("Cores per socket", Some("cores"), topology.cores_per_socket)}
                {fact("Threads per core", Some("threads"), topology.threads_per_core)}
                {fact("Logical CPUs", None, topology.total_cpus())}
                {fact("NUMA cells", Some("numa-cells"), topology.cells.len())} {fact("invtsc", Some("invtsc"), invtsc)}
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

/// One fact of a `<dl class="facts">`: the term, and its value (with `data-testid` when given).
pub fn fact(label: &'static str, testid: Option<&'static str>, value: impl IntoView) -> impl IntoView {
    view! {
        <div>
            <dt>{label}</dt>
            <dd data-testid=testid>{value}</dd>
        </div>
    }
}
