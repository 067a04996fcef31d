use crate::api::storage::RemoveStorageDomain;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::models::StorageDomainView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before removing a storage domain. libvirt forgets the pool; its files stay on the host. The
/// service refuses while Vireo has disks in it, and the dialog shows why.
#[component]
pub fn RemoveDomainDialog(domain: StorageDomainView) -> impl IntoView {
    let action = ServerAction::<RemoveStorageDomain>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("/storage-domains?selected={}", domain.id);
    let message = format!(
        "Remove storage domain {} on host {}? libvirt forgets the pool; the files in {} stay on the host.",
        domain.name, domain.host_name, domain.path
    );
    view! {
        <Modal title=format!("Remove {}", domain.name) id="remove-domain-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="remove-domain-form">
                <DialogBody error close_href=close submit="Remove" pending=action.pending() danger=true>
                    {move || field_errors(error.get(), "id")}
                    <p>{message}</p>
                    <input type="hidden" name="id" value=domain.id.to_string() />
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
