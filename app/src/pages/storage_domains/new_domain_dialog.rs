use crate::api::hosts::list_hosts;
use crate::api::storage::AddStorageDomain;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// "New Domain": a directory pool at a path on a host, which libvirt builds, starts and autostarts.
/// Posts to the `add_storage_domain` server function (a plain form with JavaScript off).
#[component]
pub fn NewDomainDialog() -> impl IntoView {
    let action = ServerAction::<AddStorageDomain>::new();
    let hosts = Resource::new(|| (), |_| list_hosts());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();
    view! {
        <Modal title="New Storage Domain" id="new-domain-dialog" close_href="/storage-domains">
            <ActionForm action attr:class="form" attr:id="new-domain-form">
                <DialogBody
                    error
                    close_href="/storage-domains"
                    pending
                    submit=move || if pending.get() { "Creating…" } else { "OK" }
                >
                    <label for="domain-host">"Host"</label>
                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading hosts…"</p> }
                    }>
                        {move || {
                            hosts
                                .get()
                                .map(|hosts| {
                                    view! {
                                        <select id="domain-host" name="host_id" required>
                                            {hosts
                                                .unwrap_or_default()
                                                .into_iter()
                                                .map(|h| view! { <option value=h.id.to_string()>{h.name}</option> })
                                                .collect_view()}
                                        </select>
                                    }
                                })
                        }}
                    </Suspense>
                    {move || field_errors(error.get(), "host_id")}
                    <label for="domain-name">"Name"</label>
                    <input id="domain-name" name="name" type="text" required maxlength="64" autocomplete="off" />
                    <p class="hint">"Letters, digits, '-', '_' and '.' (it names the libvirt pool)."</p>
                    {move || field_errors(error.get(), "name")}
                    <label for="domain-path">"Path"</label>
                    <input
                        id="domain-path"
                        name="path"
                        type="text"
                        required
                        maxlength="255"
                        placeholder="/var/lib/vireo/images"
                        autocomplete="off"
                    />
                    <p class="hint">"A directory on the host; libvirt creates it when missing."</p>
                    {move || field_errors(error.get(), "path")}
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
