use super::super::inputs::{
    config_check, config_select, enum_choices, pick_parsed, CheckField, Choice, NumberField, SelectField, TextField,
};
use super::super::state::DialogState;
use crate::domain::cpu_set::CpuSet;
use crate::domain::host_topology::{page_size_label, HUGE_PAGE_1G_KIB, HUGE_PAGE_2M_KIB};
use crate::domain::pinning::{format_io_thread_pins, format_vcpu_pins, parse_io_thread_pins, parse_vcpu_pins};
use crate::domain::realtime::default_mask;
use crate::domain::vm_config::{CpuPinningPolicy, EmulatorThreadPolicy, HugePages, OptimizedFor};
use leptos::prelude::*;

#[component]
pub fn ResourceAllocationTab() -> impl IntoView {
    let s = expect_context::<DialogState>();
    let page_sizes = Signal::derive(|| {
        let mut v = vec![Choice::new("none", "Off")];
        v.extend([HUGE_PAGE_2M_KIB, HUGE_PAGE_1G_KIB].map(|k| Choice::new(k.to_string(), page_size_label(k))));
        v
    });
    let pick_size = Callback::new(move |v: String| {
        s.draft.update(|d| {
            d.config.huge_pages = v.parse::<u64>().ok().map(|size_kib| HugePages {
                size_kib,
                // The count follows the memory; validation says so if the user changes it badly.
                count: (d.config.memory_mib * 1024) / size_kib,
            });
        });
        s.clear_error("huge_pages");
    });
    // Text fields that parse: a bad value stays in the input with its message and leaves the
    // draft as it was.
    let set_pins: fn(&mut crate::domain::draft::VmDraft, String) = |d, v| {
        if let Ok(p) = parse_vcpu_pins(&v) {
            d.config.cpu_pinning = p;
        }
    };
    let set_emulator: fn(&mut crate::domain::draft::VmDraft, String) = |d, v| {
        if v.trim().is_empty() {
            d.config.emulator_pin = None;
        } else if let Ok(set) = CpuSet::parse(&v) {
            d.config.emulator_pin = Some(set);
        }
    };
    let set_io_pins: fn(&mut crate::domain::draft::VmDraft, String) = |d, v| {
        if let Ok(p) = parse_io_thread_pins(&v) {
            d.config.io_thread_pins = p;
        }
    };
    // Real-time: ticking proposes every vCPU but vCPU 0 (a mask already typed is kept); the mask
    // only reaches the draft while the box is ticked.
    let rt_on: fn(&crate::domain::draft::VmDraft) -> bool = |d| d.config.realtime_vcpus.is_some();
    let set_rt_on: fn(&mut crate::domain::draft::VmDraft, bool) = |d, v| {
        d.config.realtime_vcpus = if v {
            d.config
                .realtime_vcpus
                .take()
                .or_else(|| default_mask(d.config.vcpus()))
                .or(Some(CpuSet::new()))
        } else {
            None
        };
    };
    let set_rt_mask: fn(&mut crate::domain::draft::VmDraft, String) = |d, v| {
        if d.config.realtime_vcpus.is_some() {
            if let Ok(set) = CpuSet::parse(&v) {
                d.config.realtime_vcpus = Some(set);
            }
        }
    };
    let high_performance = move || {
        s.draft
            .with(|d| d.config.optimized_for == OptimizedFor::HighPerformance)
    };
    let io_on: fn(&crate::domain::draft::VmDraft) -> bool = |d| d.config.io_threads != 0;
    let set_io_on: fn(&mut crate::domain::draft::VmDraft, bool) =
        |d, v| d.config.io_threads = if v { d.config.io_threads.max(1) } else { 0 };
    view! {
        <SelectField
            label="CPU Pinning Policy"
            name="cpu_pinning_policy"
            field="cpu_pinning_policy"
            choices=enum_choices(&CpuPinningPolicy::ALL, CpuPinningPolicy::as_str, CpuPinningPolicy::label)
            get=|d| d.config.cpu_pinning_policy.as_str().to_string()
            on_pick=pick_parsed(CpuPinningPolicy::parse, |d, v| d.config.cpu_pinning_policy = v)
            hint="Manual uses the CPU Pinning Topology below; Dedicated, Isolate Threads and Resize and Pin NUMA pick free host CPUs at each start and release them at stop."
        />
        {config_select!("Emulator Thread Policy", emulator_thread_policy, EmulatorThreadPolicy)}
        <TextField
            label="CPU Pinning Topology"
            name="cpu_pinning"
            field="cpu_pinning"
            placeholder="0#2_1#18"
            get=|d| format_vcpu_pins(&d.config.cpu_pinning)
            set=set_pins
            check=|t| parse_vcpu_pins(t).map(|_| ()).map_err(|e| format!("CPU Pinning Topology: {e}"))
            hint="vCPU#host CPUs pairs joined by '_', e.g. 0#2_1#18 or 0#2-3,^3."
        />
        <TextField
            label="Emulator Thread Pinning"
            name="emulator_pin"
            field="emulator_pin"
            placeholder="4,20"
            get=|d| d.config.emulator_pin.as_ref().map(|e| e.to_string()).unwrap_or_default()
            set=set_emulator
            check=|t| {
                if t.trim().is_empty() {
                    Ok(())
                } else {
                    CpuSet::parse(t).map(|_| ()).map_err(|e| format!("Emulator Thread Pinning: {e}"))
                }
            }
            hint="Host CPUs for QEMU's emulator threads (emulatorpin)."
        />
        <CheckField label="Enable IO Threads" name="io_threads_enabled" field="io_threads" get=io_on set=set_io_on />
        <NumberField
            label="Num Of IO Threads"
            name="io_threads"
            field="io_threads"
            min=1
            get=|d| d.config.io_threads.max(1) as u64
            set=|d, v| d.config.io_threads = (v as u32).max(1)
        />
        <TextField
            label="IO Thread Pinning"
            name="io_thread_pins"
            field="io_thread_pins"
            placeholder="1#4,20"
            get=|d| format_io_thread_pins(&d.config.io_thread_pins)
            set=set_io_pins
            check=|t| parse_io_thread_pins(t).map(|_| ()).map_err(|e| format!("IO Thread Pinning: {e}"))
            hint="IO thread#host CPUs, numbered from 1 (iothreadpin)."
        />
        // Real-time vCPUs are High Performance only (the rules refuse them elsewhere).
        <Show when=high_performance>
            <CheckField
                label="Real-time"
                name="realtime"
                field="realtime"
                get=rt_on
                set=set_rt_on
                hint="The masked vCPUs run SCHED_FIFO on the host, the memory is locked; needs pinning and huge pages."
            />
            <TextField
                label="Real-time vCPU Mask"
                name="realtime_vcpus"
                field="realtime_vcpus"
                placeholder="1-3"
                get=|d| d.config.realtime_vcpus.as_ref().map(|m| m.to_string()).unwrap_or_default()
                set=set_rt_mask
                check=|t| {
                    if t.trim().is_empty() {
                        Ok(())
                    } else {
                        CpuSet::parse(t).map(|_| ()).map_err(|e| format!("Real-time vCPUs: {e}"))
                    }
                }
                hint="The vCPUs that run in real time; leave at least one out for the guest's housekeeping."
            />
        </Show>
        {config_check!("Memory Balloon Device", memory_balloon)}
        {config_check!(
            "Multi Queues Enabled", multi_queues_enabled, hint = "virtio NICs on a multiqueue profile get a queue per vCPU (up to 16)."
        )}
        {config_check!(
            "Disable KSM for this VM", ksm_disabled, hint = "Never merge this VM's memory pages (nosharepages)."
        )}
        <div class="field-row">
            <SelectField
                label="Huge Pages"
                name="huge_page_size"
                field="huge_pages"
                choices=page_sizes
                get=|d| d.config.huge_pages.map(|h| h.size_kib.to_string()).unwrap_or_else(|| "none".into())
                on_pick=pick_size
            />
            <NumberField
                label="Huge Page Count"
                name="huge_page_count"
                field="huge_pages"
                get=|d| d.config.huge_pages.map_or(0, |h| h.count)
                set=|d, v| {
                    if let Some(h) = d.config.huge_pages.as_mut() {
                        h.count = v;
                    }
                }
            />
        </div>
    }
}
