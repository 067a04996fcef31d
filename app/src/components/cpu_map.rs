//! The CPU map drawn: sockets → NUMA cells → cores, each core a box with its sibling threads side
//! by side, each CPU a `<rect>` coloured by the VM pinned there (a `<title>` says how), the host's
//! CPUs grey, conflicts outlined red, free huge pages beside each cell. Server-rendered SVG from
//! `view!` (no markup strings), so it reads the same with JavaScript off; a visually hidden table
//! carries the same facts for screen readers (and the end-to-end tests).

use crate::domain::cpu_map::{build, CpuMap, MapCell, MapCpu, MapScope, PALETTE_LEN};
use crate::domain::host_topology::page_size_label;
use crate::models::CpuMapData;
use leptos::prelude::*;

/// One colour per palette slot (Tableau 10: distinct, and dark text reads on each).
const PALETTE: [&str; PALETTE_LEN] = [
    "#8cb4e0", "#f6a95a", "#ee8a8b", "#9fd4cf", "#8cc97f", "#f1d877", "#cca3c2", "#ffc1c8", "#c9a88f", "#a7d0ff",
];
const HOST_FILL: &str = "#d4d4d4";
const FREE_FILL: &str = "#ffffff";
const CONFLICT_STROKE: &str = "#c00000";

const CPU_W: u32 = 44;
const CPU_H: u32 = 26;
const GAP: u32 = 4;
const PAD: u32 = 4;
const MARGIN: u32 = 8;
const HEADER_H: u32 = 22;
const CORES_PER_ROW: usize = 8;

fn colour(slot: usize) -> &'static str {
    PALETTE.get(slot % PALETTE_LEN).copied().unwrap_or(FREE_FILL)
}

fn cpu_fill(map: &CpuMap, cpu: &MapCpu) -> &'static str {
    match cpu.uses.first() {
        Some(u) => map.vms.get(u.vm).map_or(FREE_FILL, |v| colour(v.colour)),
        None if cpu.host => HOST_FILL,
        None => FREE_FILL,
    }
}

fn cpu_title(map: &CpuMap, cpu: &MapCpu) -> String {
    let labels = map.labels(cpu);
    if !labels.is_empty() {
        labels.join("\n")
    } else if cpu.host {
        format!("cpu {}: host", cpu.id)
    } else {
        format!("cpu {}: not pinned by this VM", cpu.id)
    }
}

fn huge_pages_text(cell: &MapCell) -> String {
    cell.huge_pages
        .iter()
        .map(|p| format!("{}: {} free", page_size_label(p.size_kib), p.free))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The widest core of the map (threads per core), in pixels with its padding.
fn core_width(threads: usize) -> u32 {
    let n = u32::try_from(threads.max(1)).unwrap_or(1);
    n * CPU_W + (n - 1) * GAP + 2 * PAD
}

/// The map of `data` (whole host or one VM's pins). `caption` heads it.
#[component]
pub fn CpuMapDiagram(data: CpuMapData, scope: MapScope, caption: String) -> impl IntoView {
    let map = build(&data.topology, &data.vms, scope.clone());
    let threads = map
        .sockets
        .iter()
        .flat_map(|s| s.cells.iter())
        .flat_map(|c| c.cores.iter())
        .map(|c| c.cpus.len())
        .max()
        .unwrap_or(1);
    let core_w = core_width(threads);
    let core_h = CPU_H + 2 * PAD;
    let row_w = CORES_PER_ROW as u32 * (core_w + GAP);
    let width = row_w + 2 * MARGIN + 2 * PAD;

    // Lay out top to bottom: a socket header, then its cells (header + rows of cores).
    let mut y = MARGIN;
    let mut blocks = Vec::new();
    for socket in &map.sockets {
        let socket_top = y;
        y += HEADER_H;
        let mut cells_view = Vec::new();
        for cell in &socket.cells {
            let cell_top = y;
            y += HEADER_H;
            let rows = cell.cores.len().div_ceil(CORES_PER_ROW).max(1) as u32;
            let cores = cell
                .cores
                .iter()
                .enumerate()
                .map(|(i, core)| {
                    let cx = MARGIN + 2 * PAD + (i % CORES_PER_ROW) as u32 * (core_w + GAP);
                    let cy = y + (i / CORES_PER_ROW) as u32 * (core_h + GAP);
                    let core_conflict = core.cpus.iter().any(|c| c.conflict);
                    let cpus = core
                        .cpus
                        .iter()
                        .enumerate()
                        .map(|(t, cpu)| {
                            let x = cx + PAD + t as u32 * (CPU_W + GAP);
                            let names = map.vm_names(cpu).join(", ");
                            view! {
                                <g class="cpu">
                                    <rect
                                        x=x
                                        y=cy + PAD
                                        width=CPU_W
                                        height=CPU_H
                                        rx="3"
                                        fill=cpu_fill(&map, cpu)
                                        stroke=if cpu.conflict { CONFLICT_STROKE } else { "#555555" }
                                        stroke-width=if cpu.conflict { "3" } else { "1" }
                                        data-cpu=cpu.id
                                        data-vm=(!names.is_empty()).then_some(names)
                                        data-host=cpu.host.then_some("true")
                                        data-conflict=cpu.conflict.then_some("true")
                                    >
                                        <title>{cpu_title(&map, cpu)}</title>
                                    </rect>
                                    <text
                                        x=x + CPU_W / 2
                                        y=cy + PAD + CPU_H / 2 + 4
                                        text-anchor="middle"
                                        font-size="12"
                                        aria-hidden="true"
                                        pointer-events="none"
                                    >
                                        {cpu.id}
                                    </text>
                                </g>
                            }
                        })
                        .collect_view();
                    view! {
                        <g class="core" data-core=core.id>
                            <rect
                                x=cx
                                y=cy
                                width=core_w
                                height=core_h
                                rx="4"
                                fill="#f4f4f4"
                                stroke=if core_conflict { CONFLICT_STROKE } else { "#999999" }
                                stroke-dasharray=core_conflict.then_some("4 2")
                            />
                            {cpus}
                        </g>
                    }
                })
                .collect_view();
            y += rows * (core_h + GAP) + PAD;
            let pages = huge_pages_text(cell);
            cells_view.push(view! {
                <g class="cell" data-cell=cell.id>
                    <rect
                        x=MARGIN + PAD
                        y=cell_top
                        width=row_w + PAD
                        height=y - cell_top
                        fill="none"
                        stroke="#7a7a7a"
                    />
                    <text x=MARGIN + 2 * PAD y=cell_top + 15 font-size="12" font-weight="bold">
                        {format!("NUMA cell {}", cell.id)}
                    </text>
                    <text x=MARGIN + 2 * PAD + 110 y=cell_top + 15 font-size="12" data-huge-pages=cell.id>
                        {if pages.is_empty() { "no huge pages".to_string() } else { pages }}
                    </text>
                    {cores}
                </g>
            });
            y += GAP;
        }
        blocks.push(view! {
            <g class="socket" data-socket=socket.id>
                <rect
                    x=MARGIN
                    y=socket_top
                    width=width - 2 * MARGIN
                    height=y - socket_top
                    fill="none"
                    stroke="#333333"
                />
                <text x=MARGIN + PAD y=socket_top + 15 font-size="13" font-weight="bold">
                    {format!("Socket {}", socket.id)}
                </text>
                {cells_view}
            </g>
        });
        y += GAP;
    }
    let height = y + MARGIN;

    let aria = format!(
        "CPU map of host {}: {} CPUs, {} pinned by {} VMs{}",
        data.host_name,
        map.total_cpus(),
        map.cpus().filter(|c| !c.uses.is_empty()).count(),
        map.vms.len(),
        if map.conflicts.is_empty() {
            String::new()
        } else {
            format!(", {} conflicts", map.conflicts.len())
        },
    );
    let legend = map
        .vms
        .iter()
        .map(|vm| {
            view! {
                <li data-vm=vm.name.clone()>
                    <svg width="14" height="14" aria-hidden="true">
                        <rect width="14" height="14" fill=colour(vm.colour) stroke="#555555" />
                    </svg>
                    " "
                    {vm.name.clone()}
                </li>
            }
        })
        .collect_view();
    let conflicts = (!map.conflicts.is_empty()).then(|| {
        let items = map
            .conflicts
            .iter()
            .map(|c| view! { <li>{c.message()}</li> })
            .collect_view();
        view! {
            <div class="alert alert-warning" role="status" data-testid="cpu-map-conflicts">
                "Conflicts: "
                <ul>{items}</ul>
            </div>
        }
    });
    let outside = (!map.outside.is_empty()).then(|| {
        view! {
            <p class="alert alert-warning" data-testid="cpu-map-outside">
                {format!("Pinned to CPUs this host does not have: {}", map.outside.join("; "))}
            </p>
        }
    });
    let host_legend = match scope {
        MapScope::Host => "host (not pinned by any VM)",
        MapScope::Vm => "host (CPU 0 and its siblings)",
    };
    let rows = map
        .sockets
        .iter()
        .flat_map(|s| s.cells.iter().map(move |c| (s.id, c)))
        .flat_map(|(socket, cell)| cell.cores.iter().map(move |core| (socket, cell.id, core)))
        .flat_map(|(socket, cell, core)| core.cpus.iter().map(move |cpu| (socket, cell, core.id, cpu)))
        .map(|(socket, cell, core, cpu)| {
            let names = map.vm_names(cpu).join(", ");
            view! {
                <tr data-cpu=cpu.id data-vm=(!names.is_empty()).then_some(names) data-host=cpu.host.then_some("true")>
                    <td>{cpu.id}</td>
                    <td>{socket}</td>
                    <td>{cell}</td>
                    <td>{core}</td>
                    <td>{map.labels(cpu).join("; ")}</td>
                    <td>{if cpu.host { "yes" } else { "no" }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="cpu-map" data-testid="cpu-map" data-host-name=data.host_name.clone()>
            <figcaption>{caption}</figcaption>
            {conflicts}
            {outside}
            <ul class="cpu-map-legend" aria-label="CPU map legend">
                {legend}
                <li data-host="true">
                    <svg width="14" height="14" aria-hidden="true">
                        <rect width="14" height="14" fill=HOST_FILL stroke="#555555" />
                    </svg>
                    " "
                    {host_legend}
                </li>
            </ul>
            <svg
                class="cpu-map-svg"
                role="img"
                aria-label=aria.clone()
                viewBox=format!("0 0 {width} {height}")
                width=width
                height=height
                font-family="sans-serif"
            >
                {blocks}
            </svg>
            <table class="visually-hidden" aria-label=aria>
                <thead>
                    <tr>
                        <th scope="col">"CPU"</th>
                        <th scope="col">"Socket"</th>
                        <th scope="col">"NUMA cell"</th>
                        <th scope="col">"Core"</th>
                        <th scope="col">"Pinned"</th>
                        <th scope="col">"Host's"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </figure>
    }
}
