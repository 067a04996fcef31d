//! The General sub-tabs' usage chart: a VM's or host's last hour of CPU % and memory % as an SVG
//! line chart with labelled axes, drawn on the server from `view!` (no markup strings, no inline
//! styles: the CSP forbids them), so it reads the same with JavaScript off. A visually hidden table
//! carries the same values for screen readers (and the end-to-end tests). Its own resource,
//! refetched when its object changes; the geometry is the pure `domain::usage_chart::build`.

use crate::api::usage::get_usage_history;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_updates::live_tick_when;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use crate::domain::storage::format_bytes;
use crate::domain::usage::{UsageHistory, UsageKind, UsageSample};
use crate::domain::usage_chart::{ago_text, build, points_attr, ChartLines, Plot};
use leptos::prelude::*;

const WIDTH: f32 = 480.0;
const HEIGHT: f32 = 190.0;
const PLOT: Plot = Plot {
    left: 44.0,
    right: 468.0,
    top: 10.0,
    bottom: 160.0,
};
const CPU_STROKE: &str = "#1f6fb2";
const MEMORY_STROKE: &str = "#d9730d";

/// The chart of the object `id` of `kind` (a VM or a host).
#[component]
pub fn UsageChart(kind: UsageKind, id: String) -> impl IntoView {
    // Samples announce nothing (one every few seconds would wake every open page): the chart is
    // refetched when its VM or host changes (started, stopped, moved), and on reload.
    const VM_ROW: LiveTables = LiveTables::rows("vms", &[]);
    const HOST_ROW: LiveTables = LiveTables::rows("hosts", &[]);
    let tables: &'static LiveTables = match kind {
        UsageKind::Vm => &VM_ROW,
        UsageKind::Host => &HOST_ROW,
    };
    let row = id.clone();
    let tick = live_tick_when(move |changes| should_refetch(changes, tables, Shown::Row(&row)));
    let history = Resource::new(
        move || (id.clone(), tick.get()),
        move |(id, _)| get_usage_history(kind.as_str().to_string(), id),
    );
    view! {
        <section class="usage-chart" aria-label="Usage" data-testid="usage-chart">
            <h3>"Usage (last hour)"</h3>
            <Transition fallback=|| {
                view! { <p class="loading">"Loading usage…"</p> }
            }>
                {move || {
                    history
                        .get()
                        .map(|r| match r {
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            Ok(h) if h.samples.is_empty() => {
                                view! {
                                    <p class="empty" data-testid="usage-empty">
                                        "No samples yet. Running VMs and Up hosts are sampled every "
                                        {h.interval_secs}
                                        " s."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(h) => chart(kind, h).into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

fn percent_text(p: Option<f32>) -> String {
    p.map_or_else(|| "—".into(), |p| format!("{p:.1}%"))
}

fn memory_text(s: &UsageSample) -> String {
    match (s.memory_bytes, s.memory_percent) {
        (Some(b), Some(p)) => format!("{} ({p:.1}%)", format_bytes(b)),
        (Some(b), None) => format_bytes(b),
        (None, p) => percent_text(p),
    }
}

fn polylines(runs: &[Vec<(f32, f32)>], stroke: &'static str, series: &'static str) -> impl IntoView {
    runs.iter()
        .map(|run| {
            // A run of one sample is a dot: a polyline of one point draws nothing.
            if let [(x, y)] = run.as_slice() {
                view! { <circle cx=*x cy=*y r="2" fill=stroke data-series=series /> }.into_any()
            } else {
                view! { <polyline points=points_attr(run) fill="none" stroke=stroke stroke-width="2" data-series=series /> }
                .into_any()
            }
        })
        .collect_view()
}

fn chart(kind: UsageKind, history: UsageHistory) -> impl IntoView {
    let lines: ChartLines = build(&history, PLOT);
    let latest = lines.samples.last().cloned();
    let aria = match &latest {
        Some(s) => format!(
            "{} usage over the last hour: {} samples; latest CPU {}, memory {}",
            kind.label(),
            lines.samples.len(),
            percent_text(s.cpu_percent),
            memory_text(s)
        ),
        None => format!("{} usage over the last hour: no samples in the last hour", kind.label()),
    };
    let grid = lines
        .y_ticks
        .iter()
        .map(|(y, label)| {
            view! {
                <line x1=PLOT.left x2=PLOT.right y1=*y y2=*y stroke="#e0e0e0" />
                <text x=PLOT.left - 6.0 y=*y + 4.0 text-anchor="end" font-size="11">
                    {label.clone()}
                </text>
            }
        })
        .collect_view();
    let x_axis = lines
        .x_ticks
        .iter()
        .map(|(x, label)| {
            view! {
                <line x1=*x x2=*x y1=PLOT.bottom y2=PLOT.bottom + 4.0 stroke="#777777" />
                <text x=*x y=PLOT.bottom + 17.0 text-anchor="middle" font-size="11">
                    {label.clone()}
                </text>
            }
        })
        .collect_view();
    let now = history.now;
    let rows = lines
        .samples
        .iter()
        .rev()
        .map(|s| {
            view! {
                <tr data-at=s.at>
                    <td>{ago_text(now, s.at)}</td>
                    <td>{percent_text(s.cpu_percent)}</td>
                    <td>{memory_text(s)}</td>
                </tr>
            }
        })
        .collect_view();
    let latest_text = latest.as_ref().map(|s| {
        view! {
            <p class="usage-latest" data-testid="usage-latest">
                {format!("Latest: CPU {}, memory {}", percent_text(s.cpu_percent), memory_text(s))}
            </p>
        }
    });
    view! {
        <figure class="usage-figure" data-samples=lines.samples.len()>
            <ul class="usage-legend" aria-label="Usage chart legend">
                <li>
                    <svg width="16" height="10" aria-hidden="true">
                        <line x1="0" x2="16" y1="5" y2="5" stroke=CPU_STROKE stroke-width="3" />
                    </svg>
                    " CPU %"
                </li>
                <li>
                    <svg width="16" height="10" aria-hidden="true">
                        <line x1="0" x2="16" y1="5" y2="5" stroke=MEMORY_STROKE stroke-width="3" />
                    </svg>
                    " Memory %"
                </li>
            </ul>
            <svg
                class="usage-svg"
                role="img"
                aria-label=aria.clone()
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                width=WIDTH
                height=HEIGHT
                font-family="sans-serif"
            >
                {grid}
                <line x1=PLOT.left x2=PLOT.right y1=PLOT.bottom y2=PLOT.bottom stroke="#777777" />
                <line x1=PLOT.left x2=PLOT.left y1=PLOT.top y2=PLOT.bottom stroke="#777777" />
                {x_axis}
                <text x=(PLOT.left + PLOT.right) / 2.0 y=HEIGHT - 2.0 text-anchor="middle" font-size="11">
                    "time"
                </text>
                {polylines(&lines.memory, MEMORY_STROKE, "memory")}
                {polylines(&lines.cpu, CPU_STROKE, "cpu")}
            </svg>
            {latest_text}
            <table class="visually-hidden" aria-label=aria data-testid="usage-table">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"CPU"</th>
                        <th scope="col">"Memory"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </figure>
    }
}
