use crate::api::lifecycle::{RemoveVm, RunVmAction};
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::error_notice::ErrorNotice;
use crate::models::{VmAction, VmRow};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Run, Shutdown, Power Off, Restart and Remove for the selected VM, enabled by its state. Power
/// Off and Remove ask first (a confirmation page in the URL, so it works without JavaScript).
/// Long operations show progress on their button; a failure shows libvirt's message.
#[component]
pub fn VmActions(vm: VmRow, on_done: Callback<()>) -> impl IntoView {
    let action = ServerAction::<RunVmAction>::new();
    let pending = action.pending();
    let running_op = RwSignal::new(None::<VmAction>);
    Effect::new(move |_| {
        if action.value().get().is_some() {
            running_op.set(None);
            on_done.run(());
        }
    });
    let error = move || action.value().get().and_then(Result::err);
    let status = vm.status.clone();
    let is_down = status == "down";
    let is_active = matches!(
        status.as_str(),
        "up" | "paused" | "powering_down" | "rebooting" | "powering_up"
    );
    let id = vm.id.to_string();
    let button = move |op: VmAction, enabled: bool, busy_label: &'static str| {
        let id = id.clone();
        view! {
            <ActionForm action attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="action" value=op.as_str() />
                <button type="submit" class="btn" disabled=move || !enabled || pending.get()
                    on:click=move |_| running_op.set(Some(op))>
                    {move || if pending.get() && running_op.get() == Some(op) { busy_label } else { op.label() }}
                </button>
            </ActionForm>
        }
    };
    let confirm_href = |what: &str| format!("/vms?selected={}&confirm={what}", vm.id);
    view! {
        <div class="toolbar lifecycle" role="toolbar" aria-label="VM lifecycle" data-status=status.clone()>
            {button(VmAction::Run, is_down || status == "unknown", "Starting…")}
            {button(VmAction::Shutdown, is_active, "Shutting down…")}
            {if is_active {
                view! { <a class="btn" role="button" href=confirm_href("power_off")>"Power Off"</a> }.into_any()
            } else {
                view! { <span class="btn" role="button" aria-disabled="true">"Power Off"</span> }.into_any()
            }}
            {button(VmAction::Restart, is_active, "Restarting…")}
            <a class="btn btn-danger-outline" role="button" href=confirm_href("remove")>"Remove"</a>
        </div>
        {move || error().map(|error| view! { <ErrorNotice error /> })}
    }
}

/// The confirmation for Power Off or Remove, when the URL asks for one.
#[component]
pub fn VmConfirm(vm: VmRow, what: String, on_done: Callback<()>) -> impl IntoView {
    let cancel = format!("/vms?selected={}", vm.id);
    let running = vm.status != "down";
    match what.as_str() {
        "power_off" => {
            let action = ServerAction::<RunVmAction>::new();
            Effect::new(move |_| {
                if action.value().get().is_some() {
                    on_done.run(());
                }
            });
            let error = move || action.value().get().and_then(Result::err);
            view! {
                <ConfirmDialog title="Power Off Virtual Machine"
                    message=format!("Power off VM {} now? The guest gets no chance to shut down cleanly; unsaved data in it is lost.", vm.name)
                    cancel_href=cancel>
                    {move || error().map(|error| view! { <ErrorNotice error /> })}
                    <ActionForm action attr:class="inline-form">
                        <input type="hidden" name="id" value=vm.id.to_string() />
                        <input type="hidden" name="action" value="power_off" />
                        <button type="submit" class="btn btn-danger" disabled=action.pending()>"Power Off"</button>
                    </ActionForm>
                </ConfirmDialog>
            }
            .into_any()
        }
        "remove" => {
            let action = ServerAction::<RemoveVm>::new();
            Effect::new(move |_| {
                if action.value().get().is_some() {
                    on_done.run(());
                }
            });
            let error = move || action.value().get().and_then(Result::err);
            let message = if running {
                format!(
                    "VM {} is running. Remove it? It is powered off first, then removed from Vireo and from its host.",
                    vm.name
                )
            } else {
                format!("Remove VM {}? It is removed from Vireo and from its host.", vm.name)
            };
            view! {
                <ConfirmDialog title="Remove Virtual Machine" message cancel_href=cancel>
                    {move || error().map(|error| view! { <ErrorNotice error /> })}
                    <ActionForm action attr:class="inline-form">
                        <input type="hidden" name="id" value=vm.id.to_string() />
                        {running.then(|| view! { <input type="hidden" name="force" value="on" /> })}
                        <button type="submit" class="btn btn-danger" disabled=action.pending()>"Remove"</button>
                    </ActionForm>
                </ConfirmDialog>
            }
            .into_any()
        }
        _ => ().into_any(),
    }
}
