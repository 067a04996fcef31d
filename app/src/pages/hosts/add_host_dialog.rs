use crate::api::clusters::list_clusters;
use crate::api::hosts::{topology_files, AddHost};
use crate::components::error_notice::ErrorNotice;
use crate::components::modal::Modal;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// "Add host": a libvirt URI, a name and a cluster. The server connects and reads the topology
/// before storing anything; an unreachable URI comes back as an error here and nothing is stored.
/// Posts to the `add_host` server function, so it also works as a plain form with JavaScript off.
#[component]
pub fn AddHostDialog(on_added: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let action = ServerAction::<AddHost>::new();
    let choices = Resource::new(|| (), |_| async { (list_clusters().await, topology_files().await) });
    let pending = action.pending();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            on_added();
        }
    });
    let error = move || action.value().get().and_then(Result::err);
    let field_error = move |field: &'static str| {
        move || {
            error()
                .map(|e| e.field_messages(field))
                .unwrap_or_default()
                .into_iter()
                .map(|m| view! { <p class="field-error">{m}</p> })
                .collect_view()
        }
    };

    view! {
        <Modal title="Add Host" id="add-host-dialog" close_href="/hosts">
            <ActionForm action attr:class="form" attr:id="add-host-form">
                <div class="modal-body">
                    {move || error().filter(|e| !matches!(e, AppError::Validation { .. })).map(|error| view! { <ErrorNotice error /> })}
                    <label for="host-name">"Name"</label>
                    <input id="host-name" name="name" type="text" required maxlength="64" />
                    {field_error("name")}
                    <label for="host-uri">"libvirt URI"</label>
                    <input id="host-uri" name="uri" type="text" required placeholder="qemu+ssh://root@host/system" />
                    <p class="hint">"qemu:///system, qemu+ssh://user@host/system, or test:///default for a simulated host"</p>
                    {field_error("uri")}
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || choices.get().map(|(clusters, files)| {
                            let clusters = clusters.unwrap_or_default();
                            let files = files.unwrap_or_default();
                            view! {
                                <label for="host-cluster">"Cluster"</label>
                                <select id="host-cluster" name="cluster_id">
                                    {clusters.into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                                </select>
                                <label for="host-topology">"Simulated topology (test:/// hosts only)"</label>
                                <select id="host-topology" name="simulated_topology">
                                    {files.into_iter().map(|f| view! { <option value=f.id>{f.label}</option> }).collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                    {field_error("cluster_id")}
                    {field_error("simulated_topology")}
                </div>
                <footer class="modal-footer">
                    <a class="btn" href="/hosts">"Cancel"</a>
                    <button type="submit" class="btn btn-primary" disabled=pending>
                        {move || if pending.get() { "Connecting…" } else { "OK" }}
                    </button>
                </footer>
            </ActionForm>
        </Modal>
    }
}
