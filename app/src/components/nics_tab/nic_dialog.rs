use super::EMPTY_PROFILE;
use crate::api::networks::{AddNic, UpdateNic};
use crate::components::error_notice::{field_errors, other_field_errors};
use crate::components::modal::{DialogBody, Modal};
use crate::domain::draft::ConfigKind;
use crate::domain::network::{next_nic_name, NicModel, MAX_NETWORK_NAME_LEN};
use crate::error::AppError;
use crate::models::{AttachedNic, VnicProfileView};
use leptos::form::ActionForm;
use leptos::prelude::*;
use uuid::Uuid;

/// The fields this dialog shows errors beside.
const FIELDS: &[&str] = &["name", "vnic_profile_id", "model", "mac", "linked", "plugged", "nic_id"];

/// What the NIC dialogs offer: the object's NICs (for a new NIC's name), its cluster's profiles and
/// the cluster's default profile (a new NIC's).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NicDialogData {
    pub nics: Vec<AttachedNic>,
    pub profiles: Vec<VnicProfileView>,
    pub default_profile: Option<Uuid>,
}

/// "network/profile", as oVirt lists profiles.
pub fn profile_label(p: &VnicProfileView) -> String {
    format!("{}/{}", p.network_name, p.name)
}

/// The profile select's options: "<Empty>" (no network), then the profiles by network and name.
pub fn profile_options(profiles: &[VnicProfileView], chosen: Option<Uuid>) -> impl IntoView {
    let mut profiles = profiles.to_vec();
    profiles.sort_by(|a, b| (&a.network_name, &a.name).cmp(&(&b.network_name, &b.name)));
    let empty = view! {
        <option value="" selected=chosen.is_none()>
            {EMPTY_PROFILE}
        </option>
    };
    let rest = profiles
        .into_iter()
        .map(|p| {
            view! {
                <option value=p.id.to_string() selected=chosen == Some(p.id)>
                    {profile_label(&p)}
                </option>
            }
        })
        .collect_view();
    view! {
        {empty}
        {rest}
    }
}

/// "New" (`nic` None) or "Edit" a NIC: Name, Profile, Type, Custom MAC address (VMs only), Link
/// State, Card Status. Posts to `add_nic` or `update_nic` (a plain form with JavaScript off), which
/// send the browser back to the sub-tab saying whether the running VM took the change at once.
#[component]
pub fn NicDialog(
    kind: ConfigKind,
    id: String,
    data: NicDialogData,
    nic: Option<AttachedNic>,
    close: String,
) -> impl IntoView {
    match nic {
        None => {
            let action = ServerAction::<AddNic>::new();
            let error = Signal::derive(move || action.value().get().and_then(Result::err));
            view! {
                <Modal title="New Network Interface" id="nic-dialog" close_href=close.clone()>
                    <ActionForm action attr:class="form" attr:id="nic-form">
                        <DialogBody error close_href=close submit="OK" pending=action.pending()>
                            <NicFields kind id data nic=None error />
                        </DialogBody>
                    </ActionForm>
                </Modal>
            }
            .into_any()
        }
        Some(nic) => {
            let action = ServerAction::<UpdateNic>::new();
            let error = Signal::derive(move || action.value().get().and_then(Result::err));
            view! {
                <Modal title=format!("Edit {}", nic.nic.name) id="nic-dialog" close_href=close.clone()>
                    <ActionForm action attr:class="form" attr:id="nic-form">
                        <DialogBody error close_href=close submit="OK" pending=action.pending()>
                            <input type="hidden" name="nic_id" value=nic.nic.id.to_string() />
                            <NicFields kind id data nic=Some(nic) error />
                        </DialogBody>
                    </ActionForm>
                </Modal>
            }
            .into_any()
        }
    }
}

/// A pair of radios ("Up"/"Down", "Plugged"/"Unplugged") named `name`.
fn radios(
    legend: &'static str,
    name: &'static str,
    on: (&'static str, &'static str),
    off: (&'static str, &'static str),
    value: bool,
) -> impl IntoView {
    let radio = move |(v, label): (&'static str, &'static str), checked: bool| {
        let id = format!("nic-{name}-{v}");
        let label_for = id.clone();
        view! {
            <label class="check" for=label_for>
                <input id=id type="radio" name=name value=v checked=checked />
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="radio-group" role="radiogroup" aria-label=legend>
            <legend>{legend}</legend>
            {radio(on, value)}
            {radio(off, !value)}
        </fieldset>
    }
}

#[component]
fn NicFields(
    kind: ConfigKind,
    id: String,
    data: NicDialogData,
    nic: Option<AttachedNic>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let current = nic.map(|a| a.nic);
    let name = current.as_ref().map_or_else(
        || next_nic_name(&data.nics.iter().map(|a| a.nic.clone()).collect::<Vec<_>>()),
        |n| n.name.clone(),
    );
    let chosen = match &current {
        Some(n) => n.vnic_profile_id,
        None => data
            .default_profile
            .filter(|d| data.profiles.iter().any(|p| p.id == *d))
            .or_else(|| data.profiles.first().map(|p| p.id)),
    };
    let model = current.as_ref().map(|n| n.model).unwrap_or_default();
    let models = NicModel::ALL
        .into_iter()
        .map(|m| {
            view! {
                <option value=m.as_str() selected=m == model>
                    {m.label()}
                </option>
            }
        })
        .collect_view();
    let mac = current
        .as_ref()
        .and_then(|n| n.mac)
        .map(|m| m.to_string())
        .unwrap_or_default();
    let editing = current.is_some();
    let mac_field = (kind == ConfigKind::Vm).then(|| {
        view! {
            <label for="nic-mac">"Custom MAC address"</label>
            <input
                id="nic-mac"
                name="mac"
                type="text"
                maxlength="17"
                autocomplete="off"
                placeholder="56:6f:…"
                value=mac
            />
            <p class="hint">
                {if editing {
                    "Empty keeps the address the NIC has."
                } else {
                    "Empty: the next free address of Vireo's MAC range."
                }}
            </p>
            {move || field_errors(error.get(), "mac")}
        }
    });
    let linked = current.as_ref().is_none_or(|n| n.linked);
    let plugged = current.as_ref().is_none_or(|n| n.plugged);
    view! {
        <input type="hidden" name="kind" value=kind.as_str() />
        <input type="hidden" name="id" value=id />
        <label for="nic-name">"Name"</label>
        <input
            id="nic-name"
            name="name"
            type="text"
            required
            maxlength=MAX_NETWORK_NAME_LEN.to_string()
            autocomplete="off"
            value=name
        />
        {move || field_errors(error.get(), "name")}
        <label for="nic-profile">"Profile"</label>
        <select id="nic-profile" name="vnic_profile_id">
            {profile_options(&data.profiles, chosen)}
        </select>
        <p class="hint">"The vNIC profile, shown as network/profile; <Empty> connects to no network."</p>
        {move || field_errors(error.get(), "vnic_profile_id")}
        <label for="nic-model">"Type"</label>
        <select id="nic-model" name="model">
            {models}
        </select>
        {move || field_errors(error.get(), "model")}
        {mac_field}
        {radios("Link State", "linked", ("up", "Up"), ("down", "Down"), linked)}
        {radios("Card Status", "plugged", ("plugged", "Plugged"), ("unplugged", "Unplugged"), plugged)}
        {move || other_field_errors(error.get(), FIELDS)}
    }
}
