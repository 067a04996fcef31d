use crate::api::storage::{storage_domain_grid, CreateDisk};
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::domain::storage::DiskFormat;
use crate::models::GridQuery;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The active storage domains a new disk can go to (at most a grid page of them).
pub fn active_domains_query() -> GridQuery {
    GridQuery {
        search: "status:active".into(),
        page_size: 200,
        ..GridQuery::new("name")
    }
}

/// "New Disk": a name, a size in GiB, QCOW2 or Raw, a storage domain, thin or preallocated.
/// Posts to the `create_disk` server function (a plain form with JavaScript off).
#[component]
pub fn NewDiskDialog() -> impl IntoView {
    let action = ServerAction::<CreateDisk>::new();
    let domains = Resource::new(|| (), |_| storage_domain_grid(active_domains_query()));
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();
    let formats = [DiskFormat::Qcow2, DiskFormat::Raw]
        .into_iter()
        .map(|f| view! { <option value=f.as_str()>{f.label()}</option> })
        .collect_view();
    view! {
        <Modal title="New Disk" id="new-disk-dialog" close_href="/disks">
            <ActionForm action attr:class="form" attr:id="new-disk-form">
                <DialogBody
                    error
                    close_href="/disks"
                    pending
                    submit=move || if pending.get() { "Creating…" } else { "OK" }
                >
                    <label for="disk-name">"Name"</label>
                    <input id="disk-name" name="name" type="text" required maxlength="64" autocomplete="off" />
                    {move || field_errors(error.get(), "name")}
                    <label for="disk-size">"Size (GiB)"</label>
                    <input id="disk-size" name="size_gib" type="text" inputmode="decimal" required value="10" />
                    {move || field_errors(error.get(), "size_gib")}
                    {move || field_errors(error.get(), "size_bytes")}
                    <label for="disk-format">"Format"</label>
                    <select id="disk-format" name="format">
                        {formats}
                    </select>
                    {move || field_errors(error.get(), "format")}
                    <label for="disk-domain">"Storage Domain"</label>
                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading storage domains…"</p> }
                    }>
                        {move || {
                            domains
                                .get()
                                .map(|page| {
                                    let rows = page.map(|p| p.rows).unwrap_or_default();
                                    view! {
                                        <select id="disk-domain" name="storage_domain_id" required>
                                            {rows
                                                .into_iter()
                                                .map(|d| {
                                                    view! {
                                                        <option value=d
                                                            .id
                                                            .to_string()>
                                                            {format!("{} ({})", d.name, d.host_name)}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()}
                                        </select>
                                    }
                                })
                        }}
                    </Suspense>
                    {move || field_errors(error.get(), "storage_domain_id")}
                    <label class="check">
                        <input id="disk-sparse" type="checkbox" name="sparse" value="on" checked />
                        " Thin provision"
                    </label>
                    <p class="hint">
                        "Thin: space is taken as the guest writes. Off: the whole size is allocated now."
                    </p>
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
