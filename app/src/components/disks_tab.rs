//! A VM's or Template's Disks sub-tab: its attachments with their disks (pending ones marked), and
//! for those who may manage VMs, Attach, Edit and Detach. Dialogs live in the URL
//! (`disk_dialog=attach`, `disk_dialog=edit|detach&disk=<id>`, beside the page's own `selected` and
//! `tab=disks`; the page draws them with `DiskDialogs`, outside the grid its live updates redraw),
//! and after a
//! change the server function sends the browser back here with where it took effect
//! (`disk_outcome=live|next_run&disk_reason=…`), hydrated and with JavaScript off alike.

mod attach_dialog;
mod detach_dialog;
mod disk_dialogs;
mod edit_attachment_dialog;

pub(crate) use disk_dialogs::preload_dialogs;
pub use disk_dialogs::DiskDialogs;

use crate::api::storage::attached_disks;
use crate::authz::Permission;
use crate::components::change_outcome::change_outcome_notice;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_updates::live_tick_when;
use crate::components::table_head::table_head;
use crate::domain::draft::ConfigKind;
use crate::domain::live_changes::{should_refetch, LiveTables, Shown};
use crate::domain::storage::iothread_text;
use crate::models::AttachedDisk;
use crate::pages::storage_domains::bytes;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

/// `base`: the link to this sub-tab (the page with the object selected and `tab=disks`).
#[component]
pub fn DisksTab(kind: ConfigKind, id: String, base: String) -> impl IntoView {
    let url = use_query_map();
    // The object's row (its configuration's disks) and the disks and domains it names.
    let live = LiveTables::rows(kind.table(), &["disks", "storage_domains"]);
    let owner = id.clone();
    let tick = live_tick_when(move |changes| should_refetch(changes, &live, Shown::Row(&owner)));
    let id_for_fetch = id.clone();
    // Refetched on live updates of those and whenever the URL changes (an attach or detach lands back here).
    let disks = Resource::new(
        move || (id_for_fetch.clone(), tick.get(), url.get()),
        move |(id, ..)| attached_disks(kind.as_str().to_string(), id),
    );
    let manage = may(Permission::ManageVms);
    let toolbar = manage.then(|| {
        view! {
            <div class="toolbar" role="toolbar" aria-label="Disk attachment actions">
                <a class="btn" role="button" href=format!("{base}&disk_dialog=attach")>
                    "Attach"
                </a>
            </div>
        }
    });
    let notice = move || {
        url.with(|q| {
            change_outcome_notice(
                q.get("disk_outcome"),
                q.get("disk_reason"),
                "Done: the change applies now.",
                "disk-outcome",
            )
        })
    };
    let base_rows = base.clone();
    let rows = move |list: Vec<AttachedDisk>| {
        if list.is_empty() {
            return view! { <p class="empty">"No disks attached."</p> }.into_any();
        }
        let base = base_rows.clone();
        view! {
            <table class="grid compact" data-testid="attached-disks" aria-label="Attached disks">
                {table_head([
                    "Name",
                    "Size",
                    "Interface",
                    "Bootable",
                    "Read only",
                    "IO thread",
                    "Storage Domain",
                    "Pending",
                    "",
                ])}
                <tbody>
                    {list
                        .into_iter()
                        .map(|a| {
                            let actions = manage
                                .then(|| {
                                    view! {
                                        <a
                                            class="btn"
                                            role="button"
                                            href=format!("{base}&disk_dialog=edit&disk={}", a.disk.id)
                                            aria-label=format!("Edit {}", a.disk.name)
                                        >
                                            "Edit"
                                        </a>
                                        " "
                                        <a
                                            class="btn btn-danger-outline"
                                            role="button"
                                            href=format!("{base}&disk_dialog=detach&disk={}", a.disk.id)
                                            aria-label=format!("Detach {}", a.disk.name)
                                        >
                                            "Detach"
                                        </a>
                                    }
                                });
                            view! {
                                <tr data-id=a.disk.id.to_string() data-pending=a.pending.to_string()>
                                    <td>{a.disk.name.clone()}</td>
                                    <td class="num">{bytes(a.disk.provisioned_bytes)}</td>
                                    <td>{a.attachment.interface.label()}</td>
                                    <td>{yes_no(a.attachment.bootable)}</td>
                                    <td>{yes_no(a.attachment.read_only)}</td>
                                    <td>{iothread_text(a.attachment.iothread)}</td>
                                    <td>{a.disk.storage_domain_name.clone()}</td>
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
            view! { <p class="loading">"Loading disks…"</p> }
        }>
            {move || {
                disks
                    .get()
                    .map(|r| match r {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(list) => rows(list),
                    })
            }}
        </Transition>
    }
}
