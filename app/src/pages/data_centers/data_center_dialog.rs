use crate::api::data_centers::{SaveDataCenter, DATA_CENTERS_PATH};
use crate::components::error_notice::{field_errors, other_field_errors};
use crate::components::modal::{DialogBody, Modal};
use crate::domain::vm_config::CompatVersion;
use crate::models::DataCenterView;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The fields this dialog shows errors beside; any other field's message is shown at the end.
const FIELDS: &[&str] = &["name", "description", "compat_version"];

/// New/Edit Data Center: name, description and compatibility version. Posts to the
/// `save_data_center` server function, so it works as a plain form too. The service enforces the
/// engine's rule (a data center may not be above any of its clusters' versions) and the dialog
/// shows that beside the version.
#[component]
pub fn DataCenterDialog(dc: Option<DataCenterView>, on_saved: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let action = ServerAction::<SaveDataCenter>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            on_saved();
        }
    });
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field_error = move |field: &'static str| move || field_errors(error.get(), field);
    let close = match &dc {
        Some(d) => format!("{DATA_CENTERS_PATH}?selected={}", d.id),
        None => DATA_CENTERS_PATH.to_string(),
    };
    let editing = dc.is_some();
    let (name, description, current) = dc
        .as_ref()
        .map_or((String::new(), String::new(), CompatVersion::LATEST), |d| {
            (d.name.clone(), d.description.clone(), d.compat_version)
        });
    let versions = CompatVersion::SUPPORTED
        .iter()
        .rev()
        .map(|v| {
            view! {
                <option value=v.to_string() selected=*v == current>
                    {v.to_string()}
                </option>
            }
        })
        .collect_view();
    view! {
        <Modal
            title=if editing { "Edit Data Center" } else { "New Data Center" }
            id="data-center-dialog"
            close_href=close.clone()
        >
            <ActionForm action attr:class="form" attr:id="data-center-form">
                <DialogBody error close_href=close submit="OK" pending=action.pending()>
                    {dc
                        .as_ref()
                        .map(|d| {
                            view! {
                                <input type="hidden" name="id" value=d.id.to_string() />
                                <input type="hidden" name="version" value=d.version.to_string() />
                            }
                        })}
                    <label for="data-center-name">"Name"</label>
                    <input id="data-center-name" name="name" type="text" required maxlength="64" value=name />
                    {field_error("name")}
                    <label for="data-center-description">"Description"</label>
                    <input id="data-center-description" name="description" type="text" value=description />
                    {field_error("description")}
                    <label for="data-center-version">"Compatibility Version"</label>
                    <select id="data-center-version" name="compat_version">
                        {versions}
                    </select>
                    <p class="hint">
                        "Its clusters may not be below it; raise the clusters first, then the data center."
                    </p>
                    {field_error("compat_version")}
                    {move || other_field_errors(error.get(), FIELDS)}
                </DialogBody>
            </ActionForm>
        </Modal>
    }
}
