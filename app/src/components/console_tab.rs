//! A VM's Console sub-tab (`tab=console`; `console=serial|vnc` picks the console when it has both):
//! each console as a `<section data-console=…>` that `public/console.js` brings to life (xterm.js
//! for the serial console, noVNC for the display) once the page has hydrated, or the reason it
//! cannot be opened now (no console on the VM, the VM is down, its host's driver has none). The
//! sections carry no terminal of their own: without JavaScript there is nothing to type into, so
//! the tab says the console needs it. A console is root access to the guest: only roles with
//! `Permission::UseConsole` see one; "Reset" (a hard reset, asked first in the URL's
//! `console_dialog=reset`) is for those who may manage VMs.

mod console_section;
mod reset_dialog;

use crate::api::consoles::vm_consoles;
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_updates::live_tick_when;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use crate::models::{ConsoleAvailability, ConsoleKind};
use console_section::ConsoleSection;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use reset_dialog::ResetDialog;

/// Shown in a `<noscript>`: the browser runs no scripts, so no terminal can work.
const NEEDS_JAVASCRIPT: &str =
    "<p class=\"alert alert-info\" data-testid=\"console-needs-js\">The console runs in the browser and needs \
     JavaScript, which is turned off here. Turn it on for this site to use the console.</p>";

/// `base`: the VM's details with `tab=console` (grid state and selection kept); `name`: the VM's.
#[component]
pub fn ConsoleTab(id: String, name: String, base: String) -> impl IntoView {
    if !may(Permission::UseConsole) {
        return view! {
            <p class="alert alert-info" role="status" data-testid="console-not-allowed">
                "Consoles are for administrators and operators: a console gives full access to the guest."
            </p>
        }
        .into_any();
    }
    let url = use_query_map();
    // The VM's row (its status) and its host.
    const LIVE: LiveTables = LiveTables::rows("vms", &["hosts"]);
    let vm = id.clone();
    let tick = live_tick_when(move |changes| should_refetch(changes, &LIVE, Shown::Row(&vm)));
    let id_for_fetch = id.clone();
    // Refetched on live updates of the VM, so a VM that starts gets its console without a reload
    // (console.js keeps an open console across the redraw).
    let consoles = Resource::new(move || (id_for_fetch.clone(), tick.get()), |(id, _)| vm_consoles(id));
    let wanted = move || url.with(|q| q.get("console")).and_then(|k| ConsoleKind::parse(&k));
    let reset = may(Permission::ManageVms).then(|| {
        let href = format!("{base}&console_dialog=reset");
        let href = move || match wanted() {
            Some(kind) => format!("{href}&console={}", kind.as_str()),
            None => href.clone(),
        };
        view! {
            <a class="btn btn-danger-outline" role="button" href=href>
                "Reset"
            </a>
        }
    });
    let dialog = {
        let (id, name, base) = (id.clone(), name.clone(), base.clone());
        move || {
            (url.with(|q| q.get("console_dialog")).as_deref() == Some("reset") && may(Permission::ManageVms)).then(
                || {
                    let close = match wanted() {
                        Some(kind) => format!("{base}&console={}", kind.as_str()),
                        None => base.clone(),
                    };
                    view! { <ResetDialog id=id.clone() name=name.clone() close /> }
                },
            )
        }
    };
    let base_for_list = base.clone();
    let list = move |all: Vec<ConsoleAvailability>| {
        if all.is_empty() {
            return view! {
                <p class="empty" role="status" data-testid="no-consoles">
                    "This VM has no console: it has no serial console and no display (a headless VM without a serial console)."
                </p>
            }
            .into_any();
        }
        let shown = wanted()
            .and_then(|k| all.iter().find(|c| c.kind == k))
            .or_else(|| all.first())
            .cloned();
        let switch = (all.len() > 1).then(|| {
            all.iter()
                .map(|c| {
                    let current = shown.as_ref().is_some_and(|s| s.kind == c.kind);
                    view! {
                        <a
                            class="btn"
                            href=format!("{base_for_list}&console={}", c.kind.as_str())
                            aria-current=current.then_some("page")
                        >
                            {c.kind.label()}
                        </a>
                    }
                })
                .collect_view()
        });
        view! {
            <nav class="console-switch" aria-label="Consoles">
                {switch}
            </nav>
            {shown.map(|c| view! { <ConsoleSection vm_id=id.clone() console=c /> })}
        }
        .into_any()
    };
    view! {
        <div class="toolbar" role="toolbar" aria-label="Console actions">
            {reset}
        </div>
        <noscript inner_html=NEEDS_JAVASCRIPT></noscript>
        <Transition fallback=|| {
            view! { <p class="loading">"Loading consoles…"</p> }
        }>
            {move || {
                consoles
                    .get()
                    .map(|r| match r {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(all) => list(all),
                    })
            }}
        </Transition>
        {dialog}
    }
    .into_any()
}
