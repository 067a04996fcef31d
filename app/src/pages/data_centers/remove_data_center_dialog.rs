use crate::api::data_centers::{RemoveDataCenter, DATA_CENTERS_PATH};
use crate::components::confirm_dialog::ConfirmDialog;
use crate::models::DataCenterView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Asks before removing a data center. The service refuses while it owns clusters (oVirt's engine
/// does the same), naming them; the dialog shows that refusal above its question.
#[component]
pub fn RemoveDataCenterDialog(dc: DataCenterView) -> impl IntoView {
    let action = ServerAction::<RemoveDataCenter>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let close = format!("{DATA_CENTERS_PATH}?selected={}", dc.id);
    let mut message = format!("Remove data center {}?", dc.name);
    if dc.cluster_count > 0 {
        message.push_str(&format!(
            " It owns {} cluster(s): Vireo refuses until they are moved or removed.",
            dc.cluster_count
        ));
    }
    view! {
        <ConfirmDialog title="Remove Data Center" message cancel_href=close error>
            <ActionForm action attr:class="inline-form" attr:id="remove-data-center-form">
                <input type="hidden" name="id" value=dc.id.to_string() />
                <button type="submit" class="btn btn-danger" disabled=move || action.pending().get()>
                    "Remove"
                </button>
            </ActionForm>
        </ConfirmDialog>
    }
}
