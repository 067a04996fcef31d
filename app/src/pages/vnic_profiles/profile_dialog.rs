use super::NO_FILTER;
use crate::api::networks::{network_grid, AddVnicProfile, UpdateVnicProfile, PROFILES_PATH};
use crate::components::error_notice::{field_errors, other_field_errors};
use crate::components::modal::{DialogBody, Modal};
use crate::domain::network::{MAX_NETWORK_NAME_LEN, NETWORK_FILTERS};
use crate::error::AppError;
use crate::models::{GridQuery, VnicProfileView};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The fields this dialog shows errors beside.
const FIELDS: &[&str] = &["name", "description", "network_id", "network_filter", "multiqueue"];

/// "New" (`profile` None) or "Edit" a vNIC profile: Name, Description, Network (fixed once made),
/// Network filter (one of libvirt's, or none), Multiqueue. Posts to `add_vnic_profile` or
/// `update_vnic_profile` (a plain form with JavaScript off).
#[component]
pub fn ProfileDialog(profile: Option<VnicProfileView>) -> impl IntoView {
    match profile {
        None => {
            let action = ServerAction::<AddVnicProfile>::new();
            let error = Signal::derive(move || action.value().get().and_then(Result::err));
            view! {
                <Modal title="New vNIC Profile" id="profile-dialog" close_href=PROFILES_PATH>
                    <ActionForm action attr:class="form" attr:id="profile-form">
                        <DialogBody error close_href=PROFILES_PATH submit="OK" pending=action.pending()>
                            <ProfileFields profile=None error />
                        </DialogBody>
                    </ActionForm>
                </Modal>
            }
            .into_any()
        }
        Some(profile) => {
            let action = ServerAction::<UpdateVnicProfile>::new();
            let error = Signal::derive(move || action.value().get().and_then(Result::err));
            let close = format!("{PROFILES_PATH}?selected={}", profile.id);
            view! {
                <Modal title=format!("Edit {}", profile.name) id="profile-dialog" close_href=close.clone()>
                    <ActionForm action attr:class="form" attr:id="profile-form">
                        <DialogBody error close_href=close submit="OK" pending=action.pending()>
                            <input type="hidden" name="id" value=profile.id.to_string() />
                            <input type="hidden" name="version" value=profile.version.to_string() />
                            <ProfileFields profile=Some(profile) error />
                        </DialogBody>
                    </ActionForm>
                </Modal>
            }
            .into_any()
        }
    }
}

#[component]
fn ProfileFields(profile: Option<VnicProfileView>, error: Signal<Option<AppError>>) -> impl IntoView {
    let networks = Resource::new(
        || (),
        |_| {
            network_grid(GridQuery {
                page_size: 200,
                ..GridQuery::new("name")
            })
        },
    );
    let current = profile.clone();
    let network = move || {
        let current = current.clone();
        networks.get().map(move |page| {
            let rows = page.map(|p| p.rows).unwrap_or_default();
            match current {
                // The network of a profile cannot change: shown, and sent as a hidden field.
                Some(p) => view! {
                    <select id="profile-network" disabled>
                        <option selected>{p.network_name.clone()}</option>
                    </select>
                    <input type="hidden" name="network_id" value=p.network_id.to_string() />
                    <p class="hint">"A profile stays on its network."</p>
                }
                .into_any(),
                None => view! {
                    <select id="profile-network" name="network_id" required>
                        {rows
                            .into_iter()
                            .map(|n| {
                                view! {
                                    <option value=n.id.to_string()>{format!("{} ({})", n.name, n.cluster_name)}</option>
                                }
                            })
                            .collect_view()}
                    </select>
                }
                .into_any(),
            }
        })
    };
    let filter_now = profile.as_ref().and_then(|p| p.network_filter.clone());
    let filters = std::iter::once((String::new(), NO_FILTER.to_string()))
        .chain(NETWORK_FILTERS.iter().map(|f| (f.to_string(), f.to_string())))
        .map(|(value, label)| {
            let selected = filter_now.as_deref().unwrap_or_default() == value;
            view! {
                <option value=value selected=selected>
                    {label}
                </option>
            }
        })
        .collect_view();
    let (name, description, multiqueue) = profile
        .as_ref()
        .map(|p| (p.name.clone(), p.description.clone(), p.multiqueue))
        .unwrap_or_default();
    view! {
        <label for="profile-name">"Name"</label>
        <input
            id="profile-name"
            name="name"
            type="text"
            required
            maxlength=MAX_NETWORK_NAME_LEN.to_string()
            autocomplete="off"
            value=name
        />
        {move || field_errors(error.get(), "name")}
        <label for="profile-description">"Description"</label>
        <input
            id="profile-description"
            name="description"
            type="text"
            maxlength="4000"
            autocomplete="off"
            value=description
        />
        {move || field_errors(error.get(), "description")}
        <label for="profile-network">"Network"</label>
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading networks…"</p> }
        }>{network}</Suspense>
        {move || field_errors(error.get(), "network_id")}
        <label for="profile-filter">"Network filter"</label>
        <select id="profile-filter" name="network_filter">
            {filters}
        </select>
        <p class="hint">"libvirt's nwfilter on every NIC of this profile (clean-traffic stops spoofing)."</p>
        {move || field_errors(error.get(), "network_filter")}
        <label class="check">
            <input id="profile-multiqueue" type="checkbox" name="multiqueue" value="on" checked=multiqueue />
            " Multiqueue"
        </label>
        <p class="hint">"virtio NICs on this profile get a queue per vCPU when their VM has Multi Queues Enabled."</p>
        <p class="hint">"Port mirroring: off (Vireo does not mirror ports)."</p>
        {move || other_field_errors(error.get(), FIELDS)}
    }
}
