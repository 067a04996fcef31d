use super::super::inputs::NumberField;
use super::super::state::DialogState;
use crate::domain::cpu_policy::pool_capacity;
use crate::domain::vm_config::CpuPinningPolicy;
use leptos::prelude::*;

#[component]
pub fn PoolTab() -> impl IntoView {
    view! {
        <NumberField
            label="Number of VMs"
            name="pool_size"
            field="pool_size"
            min=1
            get=|d| d.pool_size as u64
            set=|d, v| d.pool_size = v as u32
            hint="The pool makes this many stateless VMs from its configuration. It can grow, not shrink."
        />
        <NumberField
            label="Prestarted VMs"
            name="prestarted"
            field="prestarted"
            get=|d| d.prestarted as u64
            set=|d, v| d.prestarted = v as u32
        />
        <PoolCapacity />
    }
}

/// How many of the pool's VMs run side by side on each host of the cluster, under its CPU pinning
/// policy and beside what already runs there (issue 19): computed by the rules from the dialog's
/// context, so it follows the draft as it is edited.
#[component]
fn PoolCapacity() -> impl IntoView {
    let s = expect_context::<DialogState>();
    let lines = move || {
        let cfg = s.draft.with(|d| d.config.clone());
        let policy = cfg.cpu_pinning_policy;
        let caps = s
            .ctx
            .with(|ctx| ctx.as_ref().map(|c| pool_capacity(&cfg, c)).unwrap_or_default());
        (policy, caps)
    };
    view! {
        <section id="pool-capacity" class="pool-capacity" aria-labelledby="pool-capacity-title">
            <h3 id="pool-capacity-title">"VMs that fit on each host"</h3>
            {move || {
                let (policy, caps) = lines();
                let intro = match policy {
                    CpuPinningPolicy::None => {
                        "CPU pinning policy None: pool VMs share host CPUs, so pinning sets no limit.".to_string()
                    }
                    CpuPinningPolicy::Manual => {
                        "Manual pins are the same for every pool VM: one runs per host at most.".to_string()
                    }
                    p => format!("CPU pinning policy {}: each VM gets host CPUs of its own at start.", p.label()),
                };
                view! {
                    <p class="hint">{intro}</p>
                    <ul>
                        {caps
                            .into_iter()
                            .map(|c| {
                                let text = match c.fits {
                                    Some(1) => format!("{}: 1 VM", c.host_name),
                                    Some(n) => format!("{}: {n} VMs", c.host_name),
                                    None => format!("{}: no limit from pinning", c.host_name),
                                };
                                view! {
                                    <li data-host=c.host_name.clone() data-fits=c.fits.map(|n| n.to_string())>
                                        {text}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            }}
        </section>
    }
}
