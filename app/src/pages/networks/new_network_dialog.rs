use crate::api::clusters::list_clusters;
use crate::api::networks::{AddNetwork, NETWORKS_PATH};
use crate::components::error_notice::{field_errors, other_field_errors};
use crate::components::modal::{DialogBody, Modal};
use crate::domain::network::{NetworkBacking, MAX_BRIDGE_NAME_LEN, MAX_NETWORK_NAME_LEN};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The fields this dialog shows errors beside.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "cluster_id",
    "backing",
    "backing_name",
    "vlan_id",
];

/// "New": a network of a cluster, backed on its hosts by a libvirt network or a host bridge (named
/// as the network unless "Backing name" says otherwise), with an optional VLAN tag. Nothing is made
/// on the hosts: the grid then shows where the backing is present and where it is missing. Its
/// default vNIC profile (named as the network) comes with it. Posts to the `add_network` server
/// function (a plain form with JavaScript off).
#[component]
pub fn NewNetworkDialog() -> impl IntoView {
    let action = ServerAction::<AddNetwork>::new();
    let clusters = Resource::new(|| (), |_| list_clusters());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let pending = action.pending();
    // "Backing name" shows the network's name as its placeholder: what an empty field means.
    let name = RwSignal::new(String::new());
    let placeholder = move || {
        name.with(|n| {
            if n.is_empty() {
                "the network's name".to_string()
            } else {
                n.clone()
            }
        })
    };
    let backings = NetworkBacking::ALL
        .into_iter()
        .map(|b| view! { <option value=b.as_str()>{b.label()}</option> })
        .collect_view();
    view! {
        <Modal title="New Network" id="new-network-dialog" close_href=NETWORKS_PATH>
            <ActionForm action attr:class="form" attr:id="new-network-form">
                <DialogBody
                    error
                    close_href=NETWORKS_PATH
                    pending
                    submit=move || if pending.get() { "Creating…" } else { "OK" }
                >
                    <label for="network-name">"Name"</label>
                    <input
                        id="network-name"
                        name="name"
                        type="text"
                        required
                        maxlength=MAX_NETWORK_NAME_LEN.to_string()
                        autocomplete="off"
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <p class="hint">"Letters, digits, '.', '_' and '-'."</p>
                    {move || field_errors(error.get(), "name")}
                    <label for="network-description">"Description"</label>
                    <input
                        id="network-description"
                        name="description"
                        type="text"
                        maxlength="4000"
                        autocomplete="off"
                    />
                    {move || field_errors(error.get(), "description")}
                    <label for="network-cluster">"Cluster"</label>
                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading clusters…"</p> }
                    }>
                        {move || {
                            clusters
                                .get()
                                .map(|clusters| {
                                    view! {
                                        <select id="network-cluster" name="cluster_id">
                                            {clusters
                                                .unwrap_or_default()
                                                .into_iter()
                                                .map(|c| view! { <option value=c.id.to_string()>{c.name}</option> })
                                                .collect_view()}
                                        </select>
                                    }
                                })
                        }}
                    </Suspense>
                    {move || field_errors(error.get(), "cluster_id")}
                    <label for="network-backing">"Backing type"</label>
                    <select id="network-backing" name="backing">
                        {backings}
                    </select>
                    <p class="hint">
                        "What carries the network on each host of the cluster: a libvirt network, or a Linux bridge the host already has."
                    </p>
                    {move || field_errors(error.get(), "backing")}
                    <label for="network-backing-name">"Backing name"</label>
                    <input
                        id="network-backing-name"
                        name="backing_name"
                        type="text"
                        maxlength=MAX_NETWORK_NAME_LEN.to_string()
                        autocomplete="off"
                        placeholder=placeholder
                    />
                    <p class="hint">
                        {format!(
                            "Empty: the network's name. A bridge name has at most {MAX_BRIDGE_NAME_LEN} characters (e.g. br0).",
                        )}
                    </p>
                    {move || field_errors(error.get(), "backing_name")}
                    <label for="network-vlan">"VLAN tag"</label>
                    <input id="network-vlan" name="vlan_id" type="text" inputmode="numeric" autocomplete="off" />
                    <p class="hint">"Optional, 1–4094: the tag the bridge or libvirt network carries."</p>
                    {move || field_errors(error.get(), "vlan_id")}
                    {move || other_field_errors(error.get(), FIELDS)}
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
