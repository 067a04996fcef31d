//! One console as `public/console.js` expects it (the agreed markup): a `<section>` named after the
//! console, with `data-console` (its kind), `data-vm-id` and `data-state`, a `role="status"` line
//! and, when it can be opened, two empty containers the script fills (its buttons, then the
//! terminal or the display). Leptos renders them empty and never touches their insides, so the
//! script's nodes survive hydration and redraws.

use crate::models::ConsoleAvailability;
use leptos::prelude::*;

#[component]
pub fn ConsoleSection(vm_id: String, console: ConsoleAvailability) -> impl IntoView {
    let kind = console.kind;
    let held = console
        .held_by
        .as_ref()
        .map(|who| format!("{who} has this console open; connecting takes it over."));
    match console.unavailable {
        Some(reason) => view! {
            <section
                class="console console-unavailable"
                aria-label=kind.label()
                data-console=kind.as_str()
                data-vm-id=vm_id
                data-state="unavailable"
            >
                <p class="alert alert-info console-status" role="status">
                    {reason}
                </p>
            </section>
        }
        .into_any(),
        // "closed" until the script connects: without JavaScript it never does.
        None => view! {
            <section
                class="console"
                aria-label=kind.label()
                data-console=kind.as_str()
                data-vm-id=vm_id
                data-state="closed"
                data-held-by=console.held_by.clone()
            >
                <p class="console-status" role="status">
                    {held}
                </p>
                <div class="console-controls" data-console-controls></div>
                <div class="console-screen" data-console-screen></div>
            </section>
        }
        .into_any(),
    }
}
