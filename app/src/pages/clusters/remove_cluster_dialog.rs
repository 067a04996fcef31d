use crate::api::clusters::RemoveCluster;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::models::ClusterView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before removing a cluster. The service refuses while hosts, VMs, templates or pools use it,
/// naming them; the dialog shows that refusal above its question.
#[component]
pub fn RemoveClusterDialog(cluster: ClusterView) -> impl IntoView {
    let action = ServerAction::<RemoveCluster>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("{}?selected={}", super::PATH, cluster.id);
    let mut message = format!(
        "Remove cluster {} of data center {} and its networks?",
        cluster.name, cluster.data_center_name
    );
    if cluster.host_count > 0 || cluster.vm_count > 0 {
        message.push_str(&format!(
            " It has {} host(s) and {} VM(s): Vireo refuses until they are moved or removed.",
            cluster.host_count, cluster.vm_count
        ));
    }
    view! {
        <ConfirmDialog title="Remove Cluster" message cancel_href=close error>
            <ActionForm action attr:class="inline-form" attr:id="remove-cluster-form">
                <input type="hidden" name="id" value=cluster.id.to_string() />
                <button type="submit" class="btn btn-danger" disabled=move || action.pending().get()>
                    "Remove"
                </button>
            </ActionForm>
        </ConfirmDialog>
    }
}
