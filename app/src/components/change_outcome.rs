//! Where a device change (a disk attached or detached, a NIC added, changed or removed) took
//! effect on a VM, as the server function's redirect carries it in the URL
//! (`<prefix>_outcome=live|next_run&<prefix>_reason=…`): the same notice for every sub-tab.

use leptos::prelude::*;

/// The notice for the URL's outcome; `live` is what a live change says, `testid` names the notice.
pub fn change_outcome_notice(
    outcome: Option<String>,
    reason: Option<String>,
    live: &'static str,
    testid: &'static str,
) -> Option<AnyView> {
    let (class, kind, text) = match outcome.as_deref()? {
        "live" => ("alert alert-success", "live", live.to_string()),
        "next_run" => (
            "alert alert-warning",
            "next_run",
            format!(
                "Saved for the next run: {}",
                reason.unwrap_or_else(|| "the VM applies it when it next starts.".into())
            ),
        ),
        _ => return None,
    };
    Some(
        view! {
            <div class=class role="status" data-testid=testid data-outcome=kind>
                {text}
            </div>
        }
        .into_any(),
    )
}
