//! General's "Instance Images": the object's disks. A new VM or Template gets a boot disk by
//! default ("Create boot disk": size, storage domain, format, thin); a new VM from a template with
//! disks gets thin overlays on them or full copies ("Thin" / "Clone"); an edited object lists what
//! is attached (the Disks sub-tab attaches and detaches). The attachments travel as the hidden
//! `disks_json`, the boot disk as its own fields, so a plain form post keeps all of it.

use super::state::DialogState;
use crate::domain::draft::{add_new_disk, drop_new_disk, gib_text, ConfigKind, NewDisk};
use crate::domain::storage::{disk_bytes_from_gib, DiskFormat};
use leptos::prelude::*;

/// Changes the boot disk block's disk, and the draft's copy of it while "Create boot disk" is on.
fn edit_disk(s: DialogState, change: impl Fn(&mut NewDisk)) {
    let Some(id) = s.spare_disk.with_untracked(|d| d.as_ref().map(|d| d.id)) else {
        return;
    };
    s.spare_disk.update(|d| d.iter_mut().for_each(&change));
    s.draft
        .update(|d| d.new_disks.iter_mut().filter(|n| n.id == id).for_each(&change));
}

#[component]
fn DiskErrors(field: &'static str) -> impl IntoView {
    let s = expect_context::<DialogState>();
    move || {
        s.field_errors(field)
            .into_iter()
            .map(|m| {
                view! {
                    <p class="field-error" role="alert">
                        {m}
                    </p>
                }
            })
            .collect_view()
    }
}

/// Thin overlays on the template's disks, or full copies.
#[component]
fn CloneChoice() -> impl IntoView {
    let s = expect_context::<DialogState>();
    let clone = s.draft.with_untracked(|d| d.clone_disks);
    let radio = move |value: &'static str, label: &'static str, on: bool| {
        let id = format!("f-clone_disks-{value}");
        let label_for = id.clone();
        view! {
            <label class="check" for=label_for>
                <input
                    id=id
                    type="radio"
                    name="clone_disks"
                    value=value
                    checked=clone == on
                    prop:checked=move || s.draft.with(|d| d.clone_disks == on)
                    on:change=move |_| s.draft.update(|d| d.clone_disks = on)
                />
                {label}
            </label>
        }
    };
    view! {
        <div class="field" data-field="clone_disks" role="radiogroup" aria-label="Template disks">
            <span class="label">"Template disks"</span>
            {radio("thin", "Thin (a QCOW2 overlay on each template disk)", false)}
            {radio("clone", "Clone (a full copy of each template disk)", true)}
        </div>
    }
}

/// "Create boot disk" and its fields.
#[component]
fn BootDisk(initial: NewDisk) -> impl IntoView {
    let s = expect_context::<DialogState>();
    let id = initial.id;
    let created = move || s.draft.with(|d| d.new_disks.iter().any(|n| n.id == id));
    let created_now = s.draft.with_untracked(|d| d.new_disks.iter().any(|n| n.id == id));
    let domains = move || {
        s.options.with(|o| {
            o.storage_domains
                .iter()
                .map(|sd| {
                    view! {
                        <option value=sd.id.to_string() selected=sd.id == initial.storage_domain_id>
                            {format!("{} ({})", sd.name, sd.host_name)}
                        </option>
                    }
                })
                .collect_view()
        })
    };
    let formats = [DiskFormat::Qcow2, DiskFormat::Raw]
        .into_iter()
        .map(|f| {
            view! {
                <option value=f.as_str() selected=f == initial.format>
                    {f.label()}
                </option>
            }
        })
        .collect_view();
    let toggle = move |on: bool| {
        let Some(disk) = s.spare_disk.get_untracked() else {
            return;
        };
        s.draft.update(|d| {
            if on {
                add_new_disk(d, disk);
            } else {
                drop_new_disk(d, disk.id);
            }
        });
        s.clear_error("new_disks");
    };
    view! {
        <input type="hidden" name="disk_id" value=id.to_string() />
        <div class="field check-field" data-field="disk_create">
            <label class="check" for="f-disk_create">
                <input
                    id="f-disk_create"
                    type="checkbox"
                    name="disk_create"
                    value="on"
                    checked=created_now
                    prop:checked=created
                    on:change=move |ev| toggle(event_target_checked(&ev))
                />
                "Create boot disk"
            </label>
            <p class="hint">"A new disk, attached on VirtIO and bootable."</p>
        </div>
        <div class="field-row">
            <div class="field" data-field="disk_size_gib">
                <label for="f-disk_size_gib">"Disk Size (GiB)"</label>
                <input
                    id="f-disk_size_gib"
                    type="text"
                    inputmode="decimal"
                    name="disk_size_gib"
                    value=gib_text(initial.size_bytes)
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        match v.trim().parse::<f64>().ok().and_then(disk_bytes_from_gib) {
                            Some(bytes) => {
                                edit_disk(s, |d| d.size_bytes = bytes);
                                s.clear_error("new_disks");
                            }
                            None => s.set_error("new_disks", format!("Disk size must be a number of GiB, not '{v}'.")),
                        }
                    }
                />
            </div>
            <div class="field" data-field="disk_storage_domain">
                <label for="f-disk_storage_domain">"Storage Domain"</label>
                <select
                    id="f-disk_storage_domain"
                    name="disk_storage_domain"
                    on:change=move |ev| {
                        if let Ok(domain) = uuid::Uuid::parse_str(&event_target_value(&ev)) {
                            edit_disk(s, |d| d.storage_domain_id = domain);
                        }
                    }
                >
                    {domains}
                </select>
            </div>
            <div class="field" data-field="disk_format">
                <label for="f-disk_format">"Format"</label>
                <select
                    id="f-disk_format"
                    name="disk_format"
                    on:change=move |ev| {
                        if let Some(format) = DiskFormat::parse(&event_target_value(&ev)) {
                            edit_disk(s, |d| d.format = format);
                        }
                    }
                >
                    {formats}
                </select>
            </div>
        </div>
        <div class="field check-field" data-field="disk_sparse">
            <label class="check" for="f-disk_sparse">
                <input
                    id="f-disk_sparse"
                    type="checkbox"
                    name="disk_sparse"
                    value="on"
                    checked=initial.sparse
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        edit_disk(s, |d| d.sparse = on);
                    }
                />
                "Thin provision"
            </label>
        </div>
    }
}

#[component]
pub fn InstanceImages(kind: ConfigKind) -> impl IntoView {
    let s = expect_context::<DialogState>();
    let editing = s.draft.with_untracked(|d| d.id.is_some());
    let json = |d: &crate::domain::draft::VmDraft| serde_json::to_string(&d.config.disks).unwrap_or_default();
    // Attachments that are not the dialog's new disk: the template's, or the edited object's.
    let existing = move || {
        s.draft.with(|d| {
            d.config
                .disks
                .iter()
                .filter(|a| !d.new_disks.iter().any(|n| n.id == a.disk_id))
                .count()
        })
    };
    let summary = move || {
        let n = existing();
        (n > 0).then(|| {
            let text = if editing {
                format!("{n} disk(s) attached; attach and detach them on the Disks sub-tab.")
            } else {
                format!("{n} disk(s) from the template.")
            };
            view! {
                <p class="hint" data-testid="attached-disk-count">
                    {text}
                </p>
            }
        })
    };
    let clone_choice = (kind == ConfigKind::Vm && !editing).then(|| {
        view! {
            <Show when=move || { existing() > 0 }>
                <CloneChoice />
            </Show>
        }
    });
    let boot_disk = match (editing || kind == ConfigKind::Pool, s.spare_disk.get_untracked()) {
        (false, Some(initial)) => view! { <BootDisk initial /> }.into_any(),
        (false, None) => view! { <p class="hint">"No active storage domain: add one under Storage Domains to give the VM a disk."</p> }
        .into_any(),
        (true, _) => ().into_any(),
    };
    view! {
        <fieldset class="instance-images" data-testid="instance-images">
            <legend>"Instance Images"</legend>
            <input
                type="hidden"
                name="disks_json"
                value=s.draft.with_untracked(json)
                prop:value=move || s.draft.with(json)
            />
            {summary}
            {clone_choice}
            {boot_disk}
            <DiskErrors field="new_disks" />
            <DiskErrors field="disks" />
        </fieldset>
    }
}
