use super::super::inputs::{
    config_check, config_select, enum_choices, pick_parsed, CheckField, Choice, NumberField, SelectField,
};
use super::super::state::DialogState;
use crate::components::table_head::table_head;
use crate::domain::cpu_set::CpuSet;
use crate::domain::vm_config::{MigrationMode, NumaTuneMode, VNumaNode};
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub fn HostTab() -> impl IntoView {
    let s = expect_context::<DialogState>();
    let hosts = Signal::derive(move || {
        let cluster = s.draft.with(|d| d.cluster_id);
        let mut v = vec![Choice::new("", "Any host in cluster")];
        s.options.with(|o| {
            v.extend(
                o.hosts
                    .iter()
                    .filter(|h| Some(h.cluster_id) == cluster)
                    .map(|h| Choice::new(h.id.to_string(), format!("Specific host: {}", h.name))),
            )
        });
        v
    });
    let pick_host = Callback::new(move |v: String| {
        s.draft
            .update(|d| d.config.placement_hosts = Uuid::parse_str(&v).ok().into_iter().collect());
    });
    let set_count: fn(&mut crate::domain::draft::VmDraft, u64) = |d, n| {
        let n = n.min(64) as u32;
        d.config.numa_nodes.truncate(n as usize);
        while (d.config.numa_nodes.len() as u32) < n {
            let index = d.config.numa_nodes.len() as u32;
            d.config.numa_nodes.push(VNumaNode {
                index,
                cpus: CpuSet::new(),
                memory_mib: 0,
                host_nodes: vec![],
            });
        }
    };
    let node_rows = move || {
        let count = s.draft.with(|d| d.config.numa_nodes.len());
        (0..count).map(|i| view! { <NumaNodeRow index=i /> }).collect_view()
    };

    view! {
        <SelectField
            label="Start Running On"
            name="placement_host"
            field="placement_hosts"
            choices=hosts
            get=|d| d.config.placement_hosts.first().map(|h| h.to_string()).unwrap_or_default()
            on_pick=pick_host
            hint="High Performance VMs are pinned to one specific host."
        />
        {config_select!("Migration Mode", migration, MigrationMode)}
        {config_check!(
            "Pass-Through Host CPU", cpu_passthrough, hint = "The guest sees the host CPU as it is; needs migration disabled."
        )}
        {config_check!(
            "Invariant TSC (invtsc)", invtsc, hint = "Requires the invtsc CPU flag: only for hosts whose CPU has it."
        )}
        <fieldset class="numa" data-field="numa_nodes">
            <legend>"NUMA"</legend>
            {config_select!("NUMA Tune Mode", numa_tune_mode, NumaTuneMode)}
            <NumberField
                label="NUMA Node Count"
                name="numa_count"
                field="numa_nodes"
                get=|d| d.config.numa_nodes.len() as u64
                set=set_count
                hint="Virtual NUMA nodes: their vCPUs, memory and the host cells they are pinned to."
            />
            <table class="grid compact numa-nodes">
                {table_head(["Node", "vCPUs", "Memory (MiB)", "Host NUMA cells"])} <tbody>{node_rows}</tbody>
            </table>
        </fieldset>
    }
}

/// Applies one input's text to node `index`; `Err` is the message for the NUMA fields.
type NodeEdit = fn(usize, &mut VNumaNode, &str) -> Result<(), String>;

fn edit_cpus(index: usize, n: &mut VNumaNode, t: &str) -> Result<(), String> {
    if t.trim().is_empty() {
        n.cpus = CpuSet::new();
        return Ok(());
    }
    CpuSet::parse(t)
        .map(|c| n.cpus = c)
        .map_err(|e| format!("NUMA node {index} vCPUs: {e}"))
}

fn edit_memory(index: usize, n: &mut VNumaNode, t: &str) -> Result<(), String> {
    t.trim()
        .parse()
        .map(|m| n.memory_mib = m)
        .map_err(|_| format!("NUMA node {index} memory must be a whole number of MiB."))
}

fn edit_host(index: usize, n: &mut VNumaNode, t: &str) -> Result<(), String> {
    let parts: Result<Vec<u32>, _> = t
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::parse)
        .collect();
    parts
        .map(|p| n.host_nodes = p)
        .map_err(|_| format!("NUMA node {index}: host cells are numbers like 0 or 0,1."))
}

/// One vNUMA node's inputs (named `numa_<i>_...` for plain form posts).
#[component]
fn NumaNodeRow(index: usize) -> impl IntoView {
    let s = expect_context::<DialogState>();
    let update = move |edit: NodeEdit, text: String| {
        let mut problem = None;
        s.draft.update(|d| {
            if let Some(n) = d.config.numa_nodes.get_mut(index) {
                if let Err(e) = edit(index, n, &text) {
                    problem = Some(e);
                }
            }
        });
        match problem {
            Some(e) => s.set_error("numa_nodes", e),
            None => s.clear_error("numa_nodes"),
        }
    };
    // One cell: input `numa_<index>_<part>` of the given type, showing `show` of the node.
    let cell = move |kind: &'static str,
                     part: &'static str,
                     label: &'static str,
                     show: fn(&VNumaNode) -> String,
                     edit: NodeEdit| {
        let value = move || {
            s.draft
                .with(|d| d.config.numa_nodes.get(index).map(show).unwrap_or_default())
        };
        view! {
            <td>
                <input
                    type=kind
                    name=format!("numa_{index}_{part}")
                    aria-label=format!("NUMA node {index} {label}")
                    value=value()
                    prop:value=value
                    on:input=move |ev| update(edit, event_target_value(&ev))
                />
            </td>
        }
    };
    view! {
        <tr data-node=index.to_string()>
            <td>{index}</td>
            {cell("text", "cpus", "vCPUs", |n| n.cpus.to_string(), edit_cpus)}
            {cell("number", "memory", "memory", |n| n.memory_mib.to_string(), edit_memory)}
            {cell(
                "text",
                "host",
                "host cells",
                |n| n.host_nodes.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(","),
                edit_host,
            )}
        </tr>
    }
}
