mod grow_disk_dialog;
mod new_disk_dialog;
mod remove_disk_dialog;

use crate::api::storage::disk_grid;
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::disk_upload::DiskUploadDialog;
use crate::components::modal::Modal;
use crate::components::object_grid::{data, url_dialog, Column, GridState, ObjectGrid};
use crate::components::object_toolbar::needs_selection;
use crate::domain::collections;
use crate::models::DiskView;
use crate::pages::storage_domains::{bytes, RefreshButton};
use grow_disk_dialog::GrowDiskDialog;
use leptos::prelude::*;
use new_disk_dialog::NewDiskDialog;
use remove_disk_dialog::RemoveDiskDialog;

const PATH: &str = "/disks";

/// "vm web1, template base": what a disk is attached to.
pub fn attached_text(d: &DiskView) -> String {
    d.attached_to
        .iter()
        .map(|a| format!("{} {}", a.kind.label(), a.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Disks: every volume Vireo keeps in a storage domain. Operators and admins create, upload, grow
/// and remove them (an attached disk is refused by the service). Selection and dialogs live in the
/// URL, so every action also works as a plain form with JavaScript off.
#[component]
pub fn DisksPage() -> impl IntoView {
    let grid = GridState::new("name", false, true, disk_grid);
    let chosen = move || grid.selected_row(|d: &DiskView| d.id.to_string());
    let columns = vec![
        Column::link("Name", "name", |d: &DiskView| d.name.clone()),
        Column::num("Size", "size", |d: &DiskView| bytes(d.provisioned_bytes)),
        Column::num("Actual Size", "actual", |d: &DiskView| bytes(d.actual_bytes)),
        Column::text("Format", "format", |d: &DiskView| d.format.label()),
        Column::text("Storage Domain", "domain", |d: &DiskView| d.storage_domain_name.clone()),
        Column::text("Attached to", None, attached_text),
        Column::sorted("Status", "status", |d: &DiskView| {
            view! {
                <td>
                    <span class=format!("status status-{}", d.status.as_str())>{d.status.label()}</span>
                </td>
            }
        }),
    ];
    let toolbar = move || {
        may(Permission::ManageVms).then(|| {
            view! {
                <div class="toolbar" role="toolbar" aria-label="Disk actions">
                    <a class="btn btn-primary" role="button" href=format!("{PATH}?dialog=new")>
                        "New"
                    </a>
                    <a class="btn" role="button" href=format!("{PATH}?dialog=upload")>
                        "Upload"
                    </a>
                    <Transition fallback=|| ()>
                        {move || match chosen() {
                            Some(d) => {
                                let href = |dialog: &str| format!("{PATH}?dialog={dialog}&selected={}", d.id);
                                view! {
                                    <a class="btn" role="button" href=href("grow")>
                                        "Grow"
                                    </a>
                                    <a class="btn btn-danger-outline" role="button" href=href("remove")>
                                        "Remove"
                                    </a>
                                }
                                    .into_any()
                            }
                            None => {
                                ["Grow", "Remove"].map(|label| needs_selection(label, "Select a disk first")).into_any()
                            }
                        }}
                    </Transition>
                    <RefreshButton page=PATH />
                </div>
            }
        })
    };
    view! {
        <ObjectGrid
            fields=collections::DISKS
            title="Disks"
            path=PATH
            noun="disks"
            grid
            columns
            toolbar
            row_id=|d| d.id.to_string()
            row_attrs=|d: &DiskView| {
                vec![data("data-status", d.status.as_str()), data("data-format", d.format.as_str())]
            }
            placeholder="Search: words, format:qcow2 status:ok domain:…"
            hint="Words match names and descriptions; add format:, status: or domain: terms."
            empty="No disks match. Use New, or give a new VM a disk."
        >
            {url_dialog(move |mode| {
                match mode.as_str() {
                    "new" => return Some(view! { <NewDiskDialog /> }.into_any()),
                    "upload" => {
                        return Some(
                            view! {
                                <Modal title="Upload Image" id="upload-disk-dialog" close_href=PATH>
                                    <div class="modal-body">
                                        <DiskUploadDialog close_href=PATH />
                                    </div>
                                </Modal>
                            }
                                .into_any(),
                        );
                    }
                    _ => {}
                }
                let disk = chosen()?;
                Some(
                    match mode.as_str() {
                        "grow" => view! { <GrowDiskDialog disk /> }.into_any(),
                        "remove" => view! { <RemoveDiskDialog disk /> }.into_any(),
                        _ => ().into_any(),
                    },
                )
            })}
        </ObjectGrid>
    }
}
