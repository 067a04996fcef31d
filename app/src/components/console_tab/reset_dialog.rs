//! Asks before a hard reset (`VmAction::Reset`: the guest restarts at once, like the reset
//! button, without shutting down). Hydrated, the lifecycle server function does it and the page
//! goes back to the console with a notice; without JavaScript the form posts to `/vms/bulk`, which
//! does the same and sends the browser back to the same tab.

use crate::api::lifecycle::vm_action;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::encode;
use crate::error::AppError;
use crate::models::VmAction;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The URL parameters `/vms/bulk` does not need from this form.
const DROPPED: [&str; 2] = ["console_dialog", "notice"];

#[component]
pub fn ResetDialog(id: String, name: String, close: String) -> impl IntoView {
    let url = use_query_map();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    // The page's state (grid, selection, tab) travels along, so the no-JavaScript answer comes back here.
    let carried = url.with_untracked(|q| {
        q.clone()
            .into_iter()
            .filter(|(k, _)| !DROPPED.contains(&k.as_ref()) && k != "action" && k != "ids")
            .collect::<Vec<_>>()
    });
    let notice = format!("Reset sent to {name}.");
    let on_submit = {
        let (id, close) = (id.clone(), close.clone());
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            pending.set(true);
            let (id, close, notice, navigate) = (id.clone(), close.clone(), notice.clone(), navigate.clone());
            spawn_local(async move {
                match vm_action(id, VmAction::Reset.as_str().to_string()).await {
                    Ok(()) => navigate(&format!("{close}&notice={}", encode(&notice)), Default::default()),
                    Err(e) => {
                        error.set(Some(e));
                        pending.set(false);
                    }
                }
            });
        }
    };
    view! {
        <ConfirmDialog
            title="Reset Virtual Machine"
            message=format!(
                "Reset {name} now? Like pressing its reset button: the guest restarts at once without shutting down, and unsaved data in it is lost.",
            )
            cancel_href=close
        >
            {move || error.get().map(|error| view! { <ErrorNotice error /> })}
            <form method="post" action="/vms/bulk" class="inline-form" on:submit=on_submit>
                {carried
                    .iter()
                    .map(|(k, v)| view! { <input type="hidden" name=k.to_string() value=v.clone() /> })
                    .collect_view()}
                <input type="hidden" name="ids" value=id.clone() />
                <input type="hidden" name="action" value=VmAction::Reset.as_str() />
                <input type="hidden" name="confirmed" value="1" />
                <button type="submit" class="btn btn-danger" disabled=move || pending.get()>
                    "Reset"
                </button>
            </form>
        </ConfirmDialog>
    }
}
