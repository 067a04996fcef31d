use super::actions::{apply_alternative, apply_fix, save_anyway, SaveButton};
use super::state::DialogState;
use crate::components::cpu_map::CpuMapDiagram;
use crate::domain::cpu_map::{MapScope, VmPins};
use crate::domain::recommendations::{ConfigPatch, Fix, Recommendation};
use crate::domain::rule_context::RuleContext;
use crate::domain::vm_config::VmConfig;
use crate::models::CpuMapData;
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use uuid::Uuid;

/// "High Performance Settings": every unmet recommendation, each with "Apply fix" where Vireo
/// computed one, plus "Save anyway" and "Back to edit". It sits inside the dialog's form, so with
/// JavaScript off its buttons post the whole draft (`/dialog/apply-fix`, `/dialog/save`).
#[component]
pub fn Review(done: Callback<Uuid>) -> impl IntoView {
    let s = expect_context::<DialogState>();
    move || {
        s.review.get().map(|recs| {
            let kind = s.draft.with_untracked(|d| d.kind);
            let title = format!("High Performance {} Settings", if kind == crate::domain::draft::ConfigKind::Vm { "Virtual Machine" } else { kind.label() });
            let all_met = recs.is_empty();
            let label = title.clone();
            // The fixes are computed one after another on the configuration as the earlier ones
            // leave it, so each proposed map is drawn on that same projection.
            let ctx = s.ctx.get_untracked();
            let (id, name, mut projected) = s.draft.with_untracked(|d| (d.id.unwrap_or_default(), d.name.clone(), d.config.clone()));
            let items = recs
                .into_iter()
                .map(|r| {
                    let proposed = r.fix.as_ref().and_then(|fix| {
                        fix.patch.apply(&mut projected);
                        touches_pinning(&fix.patch)
                            .then(|| ctx.as_ref().and_then(|ctx| proposed_map(&projected, ctx, id, &name)))
                            .flatten()
                    });
                    view! { <RecommendationItem rec=r proposed /> }
                })
                .collect_view();
            view! {
                <div class="modal-backdrop nested">
                    <section class="modal wide" role="dialog" aria-modal="true" aria-label=label id="review-dialog">
                        <header class="modal-header">
                            <h2>{title}</h2>
                        </header>
                        <div class="modal-body">
                            {if all_met {
                                view! {
                                    <p class="alert alert-success" role="status">
                                        "All High Performance recommendations are met."
                                    </p>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <p>
                                        "These recommended settings for running High Performance as close to bare metal as the host allows are not in place yet. Apply the fixes Vireo computed, save anyway, or go back to edit."
                                    </p>
                                    <ol class="recommendations">{items}</ol>
                                }
                                    .into_any()
                            }}
                        </div>
                        <footer class="modal-footer">
                            <button
                                type="submit"
                                class="btn"
                                name="op"
                                value="edit"
                                on:click=move |ev: MouseEvent| {
                                    ev.prevent_default();
                                    s.review.set(None);
                                }
                            >
                                "Back to edit"
                            </button>
                            <SaveButton
                                class=if all_met { "btn btn-primary" } else { "btn" }
                                name="save_anyway"
                                value="1"
                                save=save_anyway
                                done
                            >
                                {if all_met { "Save" } else { "Save anyway" }}
                            </SaveButton>
                        </footer>
                    </section>
                </div>
            }
        })
    }
}

/// Whether a fix changes where the VM's threads run (pinning, IO threads, vNUMA): those show on the map.
fn touches_pinning(patch: &ConfigPatch) -> bool {
    patch.cpu_pinning.is_some()
        || patch.emulator_pin.is_some()
        || patch.io_thread_pins.is_some()
        || patch.numa_nodes.is_some()
}

/// The pinned host's CPU map with the configuration as the fix leaves it, beside the CPUs other VMs
/// already hold there (the rule context's claims). `None` without a pinned host of the cluster.
fn proposed_map(cfg: &VmConfig, ctx: &RuleContext, id: uuid::Uuid, name: &str) -> Option<CpuMapData> {
    let host = ctx.pinned_host(cfg)?;
    let this = if name.trim().is_empty() { "this VM" } else { name };
    let mut vms = vec![VmPins::of(id, this, cfg)];
    vms.extend(host.claims.iter().map(|c| VmPins::claim(&c.vm_name, c.cpus.clone())));
    Some(CpuMapData {
        host_id: host.id,
        host_name: host.name.clone(),
        topology: host.topology.clone(),
        vms,
    })
}

#[component]
fn RecommendationItem(rec: Recommendation, proposed: Option<CpuMapData>) -> impl IntoView {
    let id = rec.id.as_str();
    let fix = rec.fix.clone().map(|fix| {
        let label = if fix.host_action.is_some() {
            "Allocate pages and apply fix"
        } else {
            "Apply fix"
        };
        view! { <FixBlock rec=rec.clone() fix label alternative=false proposed /> }
    });
    // A second way to meet it (R1: dedicated CPUs at each start instead of pinning now).
    let alternative = rec.alternative.clone().map(
        |fix| view! { <FixBlock rec=rec.clone() fix label="Apply this instead" alternative=true proposed=None /> },
    );
    view! {
        <li class="recommendation" data-recommendation=id>
            <h3>{format!("{} · {}", id, rec.title)}</h3>
            <p>{rec.message.clone()}</p>
            {alternative}
            {match fix {
                Some(v) => v.into_any(),
                None => {
                    view! {
                        <p class="hint">"No automatic fix: change the settings on the " {rec.tab.label()} " tab."</p>
                    }
                        .into_any()
                }
            }}
        </li>
    }
}

/// One fix of a recommendation: what it does, the fields it changes and its button. With
/// JavaScript off the button posts the draft to `/dialog/apply-fix` as `fix=R1` (or `fix_alt=R1`
/// for the alternative).
#[component]
fn FixBlock(
    rec: Recommendation,
    fix: Fix,
    label: &'static str,
    alternative: bool,
    proposed: Option<CpuMapData>,
) -> impl IntoView {
    let s = expect_context::<DialogState>();
    let id = rec.id.as_str();
    let changes = fix
        .changes
        .iter()
        .map(|c| {
            view! {
                <li>
                    <span class="field-name">{c.label.clone()}</span>
                    ": "
                    <code>{c.new.clone()}</code>
                </li>
            }
        })
        .collect_view();
    let aria = if alternative {
        format!("Apply the other fix: {}", rec.title)
    } else {
        format!("Apply fix: {}", rec.title)
    };
    view! {
        <div class="fix" data-alternative=alternative.then_some("1")>
            <p class="fix-summary">{fix.summary.clone()}</p>
            <ul class="fix-changes">{changes}</ul>
            {proposed
                .map(|data| {
                    let caption = format!("With this fix, on the CPUs of {}:", data.host_name);
                    view! { <CpuMapDiagram data scope=MapScope::Host caption /> }
                })}
            <button
                type="submit"
                class=if alternative { "btn" } else { "btn btn-primary" }
                formmethod="post"
                formaction="/dialog/apply-fix"
                name=if alternative { "fix_alt" } else { "fix" }
                value=id
                aria-label=aria
                disabled=move || s.busy.get()
                on:click=move |ev: MouseEvent| {
                    ev.prevent_default();
                    if alternative {
                        apply_alternative(s, rec.clone());
                    } else {
                        apply_fix(s, rec.clone());
                    }
                }
            >
                {label}
            </button>
        </div>
    }
}
