//! A VM's or Template's Network Interfaces sub-tab: its NICs with their profile and network, model,
//! MAC, link state, card status and the addresses the guest reports (pending ones marked "next
//! run"), and for those who may manage VMs, New, Edit and Remove. Dialogs live in the URL
//! (`nic_dialog=new`, `nic_dialog=edit|remove&nic=<id>`, beside the page's own `selected` and
//! `tab=nics`; the page draws them with `NicDialogs`, outside the grid its live updates redraw),
//! and after a change the server function sends the browser back here with where it took effect
//! (`nic_outcome=live|next_run&nic_reason=…`), hydrated and with JavaScript off alike.

mod nic_dialog;
mod nic_dialogs;
mod remove_nic_dialog;

pub(crate) use nic_dialogs::preload_dialogs;
pub use nic_dialogs::NicDialogs;

use crate::api::networks::vm_nics;
use crate::authz::Permission;
use crate::components::change_outcome::change_outcome_notice;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_updates::live_tick_when;
use crate::components::table_head::table_head;
use crate::domain::draft::ConfigKind;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use crate::models::AttachedNic;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// oVirt's name for a NIC without a profile (on no network).
pub const EMPTY_PROFILE: &str = "<Empty>";

pub fn link_text(linked: bool) -> &'static str {
    if linked {
        "Up"
    } else {
        "Down"
    }
}

pub fn card_text(plugged: bool) -> &'static str {
    if plugged {
        "Plugged"
    } else {
        "Unplugged"
    }
}

/// `base`: the link to this sub-tab (the page with the object selected and `tab=nics`).
#[component]
pub fn NicsTab(kind: ConfigKind, id: String, base: String) -> impl IntoView {
    let url = use_query_map();
    // The object's row (its configuration's NICs, the guest's addresses) and the profiles' names.
    let live = LiveTables::rows(kind.table(), &["networks", "vnic_profiles"]);
    let owner = id.clone();
    let tick = live_tick_when(move |changes| should_refetch(changes, &live, Shown::Row(&owner)));
    let id_for_fetch = id.clone();
    // Refetched on live updates of those and whenever the URL changes (a change lands back here).
    let nics = Resource::new(
        move || (id_for_fetch.clone(), tick.get(), url.get()),
        move |(id, ..)| vm_nics(kind.as_str().to_string(), id),
    );
    let manage = may(Permission::ManageVms);
    let toolbar = manage.then(|| {
        view! {
            <div class="toolbar" role="toolbar" aria-label="Network interface actions">
                <a class="btn" role="button" href=format!("{base}&nic_dialog=new")>
                    "New"
                </a>
            </div>
        }
    });
    let notice = move || {
        url.with(|q| {
            change_outcome_notice(
                q.get("nic_outcome"),
                q.get("nic_reason"),
                "Applied to the running VM.",
                "nic-outcome",
            )
        })
    };
    let vm = kind == ConfigKind::Vm;
    let base_rows = base.clone();
    let rows = move |list: Vec<AttachedNic>| {
        if list.is_empty() {
            return view! { <p class="empty">"No network interfaces."</p> }.into_any();
        }
        let base = base_rows.clone();
        let mut heads = vec!["Name", "Network", "vNIC profile", "Type"];
        if vm {
            heads.push("MAC");
        }
        heads.extend(["Link State", "Card Status"]);
        if vm {
            heads.push("IP Addresses");
        }
        heads.extend(["Pending", ""]);
        view! {
            <table class="grid compact" data-testid="vm-nics" aria-label="Network interfaces">
                {table_head(heads)}
                <tbody>
                    {list
                        .into_iter()
                        .map(|a| {
                            let n = a.nic.clone();
                            let actions = manage
                                .then(|| {
                                    view! {
                                        <a
                                            class="btn"
                                            role="button"
                                            href=format!("{base}&nic_dialog=edit&nic={}", n.id)
                                            aria-label=format!("Edit {}", n.name)
                                        >
                                            "Edit"
                                        </a>
                                        " "
                                        <a
                                            class="btn btn-danger-outline"
                                            role="button"
                                            href=format!("{base}&nic_dialog=remove&nic={}", n.id)
                                            aria-label=format!("Remove {}", n.name)
                                        >
                                            "Remove"
                                        </a>
                                    }
                                });
                            let mac = n.mac.map(|m| m.to_string()).unwrap_or_default();
                            view! {
                                <tr
                                    data-id=n.id.to_string()
                                    data-name=n.name.clone()
                                    data-mac=mac.clone()
                                    data-linked=n.linked.to_string()
                                    data-plugged=n.plugged.to_string()
                                    data-pending=a.pending.to_string()
                                >
                                    <td>{n.name.clone()}</td>
                                    <td>{a.network_name.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td>{a.profile_name.clone().unwrap_or_else(|| EMPTY_PROFILE.into())}</td>
                                    <td>{n.model.label()}</td>
                                    {vm.then(|| view! { <td class="mono">{mac.clone()}</td> })}
                                    <td>
                                        <span class=if n.linked {
                                            "status status-up"
                                        } else {
                                            "status status-down"
                                        }>{link_text(n.linked)}</span>
                                    </td>
                                    <td>{card_text(n.plugged)}</td>
                                    {vm.then(|| view! { <td class="mono">{a.addresses.join(", ")}</td> })}
                                    <td>
                                        {a
                                            .pending
                                            .then(|| {
                                                view! {
                                                    <span class="pending" title="Applied when the VM next starts">
                                                        "next run"
                                                    </span>
                                                }
                                            })}
                                    </td>
                                    <td>{actions}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        {notice}
        {toolbar}
        <Transition fallback=|| {
            view! { <p class="loading">"Loading network interfaces…"</p> }
        }>
            {move || {
                nics.get()
                    .map(|r| match r {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(list) => rows(list),
                    })
            }}
        </Transition>
    }
}
