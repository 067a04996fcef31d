//! The VM grid's toolbar: New, Edit, Remove, Console (the selected VM's Console sub-tab), Run,
//! Shutdown, Power Off, Restart over the selected rows. Hydrated, each VM is acted on by its own call and its row shows the progress; failures
//! become toasts with libvirt's message. Without JavaScript the toolbar posts the checked rows to
//! `/vms/bulk`, which does the same and reports back. Power Off and Remove ask first.

use super::{Progress, PATH};
use crate::api::lifecycle::{remove_vm, vm_action};
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::modal::{cannot_open, Modal};
use crate::components::object_detail::prefetch_when_interactive;
use crate::components::split_part::split_part;
use crate::components::toasts::Toasts;
use crate::error::AppError;
use crate::models::{GridQuery, VmAction, VmRow, VmStatus};
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Clone, Copy)]
pub struct Selection(RwSignal<BTreeSet<Uuid>>);

impl Selection {
    pub fn new(initial: Option<Uuid>) -> Self {
        Self(RwSignal::new(initial.into_iter().collect()))
    }
    /// Whether the VM's box is ticked. Not, once the page is gone: the server may still be
    /// writing the rows of a page whose request was dropped (a client that hung up under load
    /// panicked the render task here, in `bench-grid`).
    pub fn has(&self, id: Uuid) -> bool {
        self.0.try_with(|s| s.contains(&id)).unwrap_or(false)
    }
    pub fn set(&self, id: Uuid, on: bool) {
        self.0.update(|s| {
            if on {
                s.insert(id);
            } else {
                s.remove(&id);
            }
        });
    }
    pub fn set_all(&self, ids: &[Uuid], on: bool) {
        for id in ids {
            self.set(*id, on);
        }
    }
    pub fn only(&self, id: Uuid) {
        self.0.set(BTreeSet::from([id]));
    }
    pub fn ids(&self) -> Vec<Uuid> {
        self.0.with(|s| s.iter().copied().collect())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkOp {
    Action(VmAction),
    Remove,
}

impl BulkOp {
    fn value(self) -> &'static str {
        match self {
            Self::Action(a) => a.as_str(),
            Self::Remove => "remove",
        }
    }
    fn parse(text: &str) -> Option<Self> {
        if text == "remove" {
            Some(Self::Remove)
        } else {
            VmAction::parse(text).map(Self::Action)
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Action(a) => a.label(),
            Self::Remove => "Remove",
        }
    }
    fn doing(self) -> (&'static str, &'static str) {
        match self {
            Self::Action(VmAction::Run) => ("Starting…", "Started"),
            Self::Action(VmAction::Shutdown) => ("Shutting down…", "Shut down"),
            Self::Action(VmAction::PowerOff) => ("Powering off…", "Powered off"),
            Self::Action(VmAction::Restart) => ("Restarting…", "Restarted"),
            Self::Action(VmAction::Reset) => ("Resetting…", "Reset"),
            Self::Remove => ("Removing…", "Removed"),
        }
    }
    fn destructive(self) -> bool {
        matches!(self, Self::Action(VmAction::PowerOff | VmAction::Reset) | Self::Remove)
    }
    /// Whether the op makes sense for a VM in `status`.
    fn applies(self, status: VmStatus) -> bool {
        match self {
            Self::Action(VmAction::Run) => matches!(status, VmStatus::Down | VmStatus::Unknown),
            Self::Action(_) => status.is_active(),
            Self::Remove => true,
        }
    }
}

/// A VM a confirmation names: id, name, status (`None` for a VM the page no longer lists).
type Target = (Uuid, String, Option<VmStatus>);

/// Waiting for the user to confirm a destructive op (hydrated).
#[derive(Clone, Copy)]
struct PendingConfirm(RwSignal<Option<(BulkOp, Vec<Target>)>>);

/// Called by the page, above both the toolbar and the confirmation they share.
pub fn provide_bulk_confirm() {
    provide_context(PendingConfirm(RwSignal::new(None)));
}

/// Starts `op` on each target (`run_bulk`); `remove_disks`: Remove takes the VMs' own disks too.
fn start_bulk(op: BulkOp, targets: Vec<(Uuid, String)>, remove_disks: bool, on_done: Callback<()>) {
    let progress = expect_context::<Progress>();
    let toasts = expect_context::<Toasts>();
    spawn_local(async move {
        if let Err(error) = run_bulk(op, targets, remove_disks, on_done, progress, toasts).await {
            toasts.push(
                false,
                format!("{} could not start.", op.label()),
                Some(error.to_string()),
            );
        }
    });
}

/// Fetches the chunk for `run_bulk` and `bulk_confirm` (`object_detail::preload_detail_chunk`).
pub(crate) async fn preload_bulk() -> Result<(), AppError> {
    let (run, confirm) = futures::join!(preload_run_bulk(), preload_bulk_confirm());
    run?;
    confirm?;
    Ok(())
}

/// Runs `op` on each target, each by its own call, its row showing the progress and a failure
/// becoming a toast. In the details' wasm chunk with the confirmation (`bulk_confirm`), not in the
/// main part (issue 16: the VM grid's first load); the toolbar fetches it once interactive.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_run_bulk)
)]
fn run_bulk(
    op: BulkOp,
    targets: Vec<(Uuid, String)>,
    remove_disks: bool,
    on_done: Callback<()>,
    progress: Progress,
    toasts: Toasts,
) -> Result<(), AppError> {
    let (doing, done) = op.doing();
    progress.0.update(|p| p.clear());
    for (id, name) in targets {
        progress.0.update(|p| {
            p.insert(id, (true, doing.to_string()));
        });
        spawn_local(async move {
            let result = match op {
                BulkOp::Action(a) => vm_action(id.to_string(), a.as_str().to_string()).await,
                BulkOp::Remove => remove_vm(id.to_string(), true, Some(remove_disks)).await,
            };
            match result {
                Ok(()) => progress.0.update(|p| {
                    p.insert(id, (true, done.to_string()));
                }),
                Err(e) => {
                    progress.0.update(|p| {
                        p.insert(id, (false, "Failed".to_string()));
                    });
                    toasts.push(false, format!("{} VM {name} failed.", op.label()), Some(e.to_string()));
                }
            }
            on_done.run(());
        });
    }
    Ok(())
}

#[component]
pub fn BulkToolbar(
    rows: Signal<Vec<VmRow>>,
    grid: Signal<GridQuery>,
    selected: Signal<Option<String>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let selection = expect_context::<Selection>();
    let pending = expect_context::<PendingConfirm>();
    // The ops' and the confirmation's code, so the first click is as fast as the next.
    prefetch_when_interactive(preload_run_bulk);
    prefetch_when_interactive(preload_bulk_confirm);
    // Without JavaScript the server cannot know which boxes will be ticked, so nothing is disabled
    // until the page is hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // The rows the toolbar acts on: the checked ones on this page.
    let chosen = move || {
        let ids = selection.ids();
        rows.with(|rows| rows.iter().filter(|r| ids.contains(&r.id)).cloned().collect::<Vec<_>>())
    };
    let enabled = move |op: BulkOp| {
        let chosen = chosen();
        !chosen.is_empty() && chosen.iter().any(|r| op.applies(r.status))
    };
    let click = move |op: BulkOp| {
        move |ev: MouseEvent| {
            ev.prevent_default();
            let targets: Vec<VmRow> = chosen().into_iter().filter(|r| op.applies(r.status)).collect();
            if targets.is_empty() {
                return;
            }
            if op.destructive() {
                pending.0.set(Some((
                    op,
                    targets.into_iter().map(|r| (r.id, r.name, Some(r.status))).collect(),
                )));
            } else {
                start_bulk(
                    op,
                    targets.into_iter().map(|r| (r.id, r.name)).collect(),
                    false,
                    on_done,
                );
            }
        }
    };
    let button = move |op: BulkOp| {
        view! {
            <button
                type="submit"
                class=if op == BulkOp::Remove { "btn btn-danger-outline" } else { "btn" }
                name="action"
                value=op.value()
                disabled=move || hydrated.get() && !enabled(op)
                on:click=click(op)
            >
                {op.label()}
            </button>
        }
    };
    let edit_href = move || {
        let ids = selection.ids();
        (ids.len() == 1).then(|| format!("{PATH}?dialog=edit&id={}&selected={}", ids[0], ids[0]))
    };
    // The selected VM's Console sub-tab (a link once one VM is chosen; without JavaScript the form
    // post sends the browser there).
    let console_button = may(Permission::UseConsole).then(|| {
        let href = move || {
            let ids = selection.ids();
            (ids.len() == 1).then(|| {
                format!(
                    "{}&tab=console",
                    super::grid_href(PATH, &grid.get(), Some(&ids[0].to_string()), |_| {})
                )
            })
        };
        move || match href() {
            Some(href) => view! {
                <a class="btn" role="button" href=href>
                    "Console"
                </a>
            }
            .into_any(),
            None => view! {
                <button
                    type="submit"
                    class="btn"
                    name="action"
                    value="console"
                    disabled=move || hydrated.get() && selection.ids().len() != 1
                >
                    "Console"
                </button>
            }
            .into_any(),
        }
    });
    let g = move || grid.get();
    view! {
        <form id="vm-bulk" method="post" action="/vms/bulk" class="toolbar" role="toolbar" aria-label="VM actions">
            <input type="hidden" name="q" value=move || g().search />
            <input type="hidden" name="sort" value=move || g().sort />
            <input type="hidden" name="dir" value=move || if g().desc { "desc" } else { "asc" } />
            <input type="hidden" name="page" value=move || g().page.to_string() />
            <input type="hidden" name="size" value=move || g().page_size.to_string() />
            <input type="hidden" name="selected" value=move || selected.get().unwrap_or_default() />
            <a class="btn btn-primary" role="button" href=format!("{PATH}?dialog=new")>
                "New"
            </a>
            {move || match edit_href() {
                Some(href) => {
                    view! {
                        <a class="btn" role="button" href=href data-grid-edit="">
                            "Edit"
                        </a>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <button
                            type="submit"
                            class="btn"
                            name="action"
                            value="edit"
                            disabled=move || hydrated.get() && selection.ids().len() != 1
                        >
                            "Edit"
                        </button>
                    }
                        .into_any()
                }
            }}
            {button(BulkOp::Remove)}
            <span class="toolbar-sep" aria-hidden="true"></span>
            {console_button}
            <span class="toolbar-sep" aria-hidden="true"></span>
            {button(BulkOp::Action(VmAction::Run))}
            {button(BulkOp::Action(VmAction::Shutdown))}
            {button(BulkOp::Action(VmAction::PowerOff))}
            {button(BulkOp::Action(VmAction::Restart))}
        </form>
    }
}

/// Asks before Power Off or Remove: hydrated, from the toolbar; without JavaScript, when the URL
/// says `confirm=power_off|remove&ids=…` (where `/vms/bulk` sent the browser). Only the condition
/// is in the main part: the dialog is the details' wasm chunk's (`bulk_confirm`); `hydrate` fetches
/// it first when the URL has a `confirm`.
#[component]
pub fn BulkConfirm(rows: Signal<Vec<VmRow>>, grid: Signal<GridQuery>, on_done: Callback<()>) -> impl IntoView {
    let query = use_query_map();
    let pending = use_context::<PendingConfirm>();
    let open = move || pending.is_some_and(|p| p.0.with(Option::is_some)) || query.with(|q| q.get("confirm").is_some());
    view! {
        <Show when=open>
            {split_part(
                move || bulk_confirm(rows, grid, on_done),
                move |error| {
                    let close = super::grid_href(PATH, &grid.get(), None, |_| {});
                    // Its code did not download. Asked from the toolbar, the question is in the page's
                    // state, not its URL: a click on the error (its Close among it) drops it.
                    view! {
                        <div on:click=move |_| {
                            if let Some(p) = pending {
                                p.0.set(None);
                            }
                        }>{cannot_open("confirm-dialog-error", close, error)}</div>
                    }
                        .into_any()
                },
            )}
        </Show>
    }
}

/// The confirmation's split point (see `BulkConfirm`). On the server it is a plain call.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_bulk_confirm)
)]
fn bulk_confirm(rows: Signal<Vec<VmRow>>, grid: Signal<GridQuery>, on_done: Callback<()>) -> Result<AnyView, AppError> {
    Ok(view! { <ConfirmDialog rows grid on_done /> }.into_any())
}

/// The confirmation the toolbar or the URL asks for.
#[component]
fn ConfirmDialog(rows: Signal<Vec<VmRow>>, grid: Signal<GridQuery>, on_done: Callback<()>) -> impl IntoView {
    let query = use_query_map();
    let pending = use_context::<PendingConfirm>();
    move || {
        let from_url = query.with(|q| {
            let op = q.get("confirm").as_deref().and_then(BulkOp::parse)?;
            let ids: Vec<Uuid> = q
                .get("ids")?
                .split(',')
                .filter_map(|s| Uuid::parse_str(s).ok())
                .collect();
            Some((op, ids))
        });
        let (op, targets): (BulkOp, Vec<Target>) = match (pending.and_then(|p| p.0.get()), from_url) {
            (Some(p), _) => p,
            (None, Some((op, ids))) => {
                let named = rows.with(|rows| {
                    ids.iter()
                        .map(|id| match rows.iter().find(|r| r.id == *id) {
                            Some(r) => (r.id, r.name.clone(), Some(r.status)),
                            None => (*id, id.to_string(), None),
                        })
                        .collect()
                });
                (op, named)
            }
            (None, None) => return None,
        };
        let names = targets.iter().map(|(_, n, _)| n.clone()).collect::<Vec<_>>().join(", ");
        let running = targets.iter().any(|(_, _, s)| *s != Some(VmStatus::Down));
        let (title, message) = match op {
            BulkOp::Remove => (
                "Remove Virtual Machines".to_string(),
                format!(
                    "Remove {names}?{} They are removed from Vireo and from their hosts.",
                    if running { " Running ones are powered off first." } else { "" }
                ),
            ),
            _ => (
                "Power Off Virtual Machines".to_string(),
                format!("Power off {names} now? The guests get no chance to shut down cleanly; unsaved data in them is lost."),
            ),
        };
        let cancel = super::grid_href(PATH, &grid.get(), None, |_| {});
        let ids_field = targets.iter().map(|(id, _, _)| id.to_string()).collect::<Vec<_>>();
        let hydrated_targets: Vec<(Uuid, String)> = targets.iter().map(|(id, n, _)| (*id, n.clone())).collect();
        let g = grid.get();
        let selected_now = query.with(|q| q.get("selected")).unwrap_or_default();
        // oVirt's "Remove Disks", ticked by default: the VMs' own disks go with them.
        let remove_disks = RwSignal::new(true);
        let disks_box = (op == BulkOp::Remove).then(|| {
            view! {
                <label class="check" for="confirm-remove-disks">
                    <input
                        id="confirm-remove-disks"
                        type="checkbox"
                        name="remove_disks"
                        value="on"
                        checked
                        on:change=move |ev| remove_disks.set(event_target_checked(&ev))
                    />
                    "Remove disks"
                </label>
            }
        });
        Some(view! {
            <Modal title=title id="confirm-dialog" close_href=cancel.clone()>
                <form method="post" action="/vms/bulk">
                    <div class="modal-body">
                        <p>{message}</p>
                        {disks_box}
                    </div>
                    {ids_field
                        .into_iter()
                        .map(|id| view! { <input type="hidden" name="ids" value=id /> })
                        .collect_view()}
                    <input type="hidden" name="action" value=op.value() />
                    <input type="hidden" name="confirmed" value="1" />
                    <input type="hidden" name="selected" value=selected_now.clone() />
                    <input type="hidden" name="q" value=g.search.clone() />
                    <input type="hidden" name="sort" value=g.sort.clone() />
                    <input type="hidden" name="dir" value=if g.desc { "desc" } else { "asc" } />
                    <input type="hidden" name="page" value=g.page.to_string() />
                    <input type="hidden" name="size" value=g.page_size.to_string() />
                    <footer class="modal-footer">
                        <a
                            class="btn"
                            href=cancel
                            on:click=move |ev: MouseEvent| {
                                if let Some(p) = pending {
                                    ev.prevent_default();
                                    p.0.set(None);
                                }
                            }
                        >
                            "Cancel"
                        </a>
                        <button
                            type="submit"
                            class="btn btn-danger"
                            on:click=move |ev: MouseEvent| {
                                ev.prevent_default();
                                if let Some(p) = pending {
                                    p.0.set(None);
                                }
                                start_bulk(op, hydrated_targets.clone(), remove_disks.get_untracked(), on_done);
                            }
                        >
                            {op.label()}
                        </button>
                    </footer>
                </form>
            </Modal>
        })
    }
}
