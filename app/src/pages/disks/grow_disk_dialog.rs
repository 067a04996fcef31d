use crate::api::storage::ResizeDisk;
use crate::components::error_notice::field_errors;
use crate::components::modal::{DialogBody, Modal};
use crate::domain::storage::GIB;
use crate::models::DiskView;
use crate::pages::storage_domains::bytes;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// "Grow": a new, larger size in GiB. Disks never shrink (the guest's file system would lose its
/// end); the service refuses a smaller size and a disk of a running VM.
#[component]
pub fn GrowDiskDialog(disk: DiskView) -> impl IntoView {
    let action = ServerAction::<ResizeDisk>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("/disks?selected={}", disk.id);
    let current_gib = disk.provisioned_bytes.max(0) as f64 / GIB as f64;
    let suggested = format!("{}", (current_gib.floor() as u64).saturating_add(1));
    view! {
        <Modal title=format!("Grow {}", disk.name) id="grow-disk-dialog" close_href=close.clone()>
            <ActionForm action attr:class="form" attr:id="grow-disk-form">
                <DialogBody error close_href=close submit="Grow" pending=action.pending()>
                    <input type="hidden" name="id" value=disk.id.to_string() />
                    <p>{format!("Now {}.", bytes(disk.provisioned_bytes))}</p>
                    <label for="grow-size">"New size (GiB)"</label>
                    <input id="grow-size" name="size_gib" type="text" inputmode="decimal" required value=suggested />
                    <p class="hint">"Larger than now: a disk only grows."</p>
                    {move || field_errors(error.get(), "size_gib")}
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
