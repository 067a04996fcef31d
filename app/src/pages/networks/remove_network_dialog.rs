use crate::api::networks::{RemoveNetwork, NETWORKS_PATH};
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::models::NetworkView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before removing a network and its vNIC profiles. Nothing changes on the hosts (their
/// libvirt network or bridge stays). The service refuses while a NIC uses the network, naming the
/// VMs, and the dialog shows that answer.
#[component]
pub fn RemoveNetworkDialog(network: NetworkView) -> impl IntoView {
    let action = ServerAction::<RemoveNetwork>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("{NETWORKS_PATH}?selected={}", network.id);
    let mut message = format!(
        "Remove network {} of cluster {} and its vNIC profiles? The {} stays on the hosts.",
        network.name,
        network.cluster_name,
        super::backing_text(&network)
    );
    if network.nic_count > 0 {
        message.push_str(&format!(
            " {} NIC(s) use it: Vireo refuses until they are moved or removed.",
            network.nic_count
        ));
    }
    view! {
        <Modal title=format!("Remove {}", network.name) id="remove-network-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="remove-network-form">
                <DialogBody error close_href=close submit="Remove" pending=action.pending() danger=true>
                    {move || field_errors(error.get(), "id")}
                    <p>{message}</p>
                    <input type="hidden" name="id" value=network.id.to_string() />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
