use super::nic_dialog::{NicDialog, NicDialogData};
use super::remove_nic_dialog::RemoveNicDialog;
use crate::api::configs::load_draft;
use crate::api::networks::{default_vnic_profile, list_vnic_profiles, vm_nics};
use crate::components::error_notice::ErrorNotice;
use crate::components::modal::{cannot_open, Modal};
use crate::components::object_detail::prefetch_when_interactive;
use crate::components::split_data::{from_text, load_as_text};
use crate::components::sub_tab_dialogs::{close_href, sub_tab_dialogs};
use crate::domain::draft::ConfigKind;
use crate::error::AppError;
use crate::models::AttachedNic;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The URL parameters of the Network Interfaces sub-tab's dialogs and notices.
const NIC_PARAMS: [&str; 4] = ["nic_dialog", "nic", "nic_outcome", "nic_reason"];

/// What a NIC dialog needs: the object's NICs, the profiles of its cluster and that cluster's
/// default profile.
async fn load(kind: ConfigKind, id: String) -> Result<NicDialogData, AppError> {
    let nics = vm_nics(kind.as_str().to_string(), id.clone()).await?;
    let cluster = load_draft(kind.as_str().to_string(), id).await?.draft.cluster_id;
    let profiles = list_vnic_profiles()
        .await?
        .into_iter()
        .filter(|p| cluster.is_none_or(|c| p.cluster_id == c))
        .collect();
    let default_profile = default_vnic_profile(cluster.map(|c| c.to_string()).unwrap_or_default()).await?;
    Ok(NicDialogData {
        nics,
        profiles,
        default_profile,
    })
}

/// The Network Interfaces sub-tab's dialogs for the URL's selected VM or Template: a page puts this
/// beside its grid (not in the selected row's details, which a live update redraws and would empty
/// a half-filled dialog). Only for those who may manage VMs, and only while the URL has a
/// `nic_dialog`: the rest is the details' wasm chunk's (`nic_dialogs`).
#[component]
pub fn NicDialogs(kind: ConfigKind) -> impl IntoView {
    prefetch_when_interactive(preload_nic_dialogs);
    sub_tab_dialogs(kind, "nic_dialog", &NIC_PARAMS, nic_dialogs)
}

/// Fetches the dialogs' chunk for `nic_dialogs` (`object_detail::preload_detail_chunk`).
pub(crate) async fn preload_dialogs() -> Result<(), AppError> {
    Ok(preload_nic_dialogs().await?)
}

/// The dialogs, with their data and code, are in the details' wasm chunk, with the Disks sub-tab's
/// (`disk_dialogs` says why). The page fetches it once interactive (`NicDialogs`); `hydrate`
/// fetches it first when the URL has a `nic_dialog`. On the server it is a plain call.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_nic_dialogs)
)]
fn nic_dialogs(kind: ConfigKind) -> Result<AnyView, AppError> {
    Ok(view! { <OpenNicDialog kind /> }.into_any())
}

/// The dialog the URL opens, once its data is there.
#[component]
fn OpenNicDialog(kind: ConfigKind) -> impl IntoView {
    let url = use_query_map();
    let wanted = move || url.with(|q| (q.get("selected"), q.get("nic_dialog")));
    // As JSON text (`split_data`: the resource's type is one the main part has anyway).
    let data = Resource::new(wanted, move |(selected, mode)| async move {
        match (selected, mode) {
            (Some(id), Some(_)) => load_as_text(load(kind, id)).await.map(Some),
            _ => Ok(None),
        }
    });
    let close = move || close_href(url, kind, &NIC_PARAMS);
    let dialog = move || {
        let (id, mode) = wanted();
        let id = id?;
        let mode = mode?;
        let data = match data.get()? {
            Ok(data) => data?,
            Err(error) => {
                return Some(
                    view! {
                        <Modal title="Network Interface" id="nic-dialog-error" close_href=close()>
                            <div class="modal-body">
                                <ErrorNotice error />
                            </div>
                        </Modal>
                    }
                    .into_any(),
                );
            }
        };
        if !matches!(mode.as_str(), "new" | "edit" | "remove") {
            return None;
        }
        let nic = url.with(|q| q.get("nic"));
        Some(
            nic_dialog(kind, id, close(), mode, nic, data)
                .unwrap_or_else(|error| cannot_open("lazy-dialog-error", close(), error)),
        )
    };
    view! { <Transition fallback=|| ()>{dialog}</Transition> }
}

/// `mode` is the URL's `nic_dialog` (New, Edit or Remove), `nic` its `nic`, `data` what `load`
/// loaded, as JSON text. An Edit or Remove of a NIC the object no longer has shows nothing.
fn nic_dialog(
    kind: ConfigKind,
    id: String,
    close: String,
    mode: String,
    nic: Option<String>,
    data: String,
) -> Result<AnyView, AppError> {
    let data: NicDialogData = from_text(&data)?;
    let nic: Option<AttachedNic> =
        nic.and_then(|want| data.nics.iter().find(|a| a.nic.id.to_string() == want).cloned());
    Ok(match (mode.as_str(), nic) {
        ("new", _) => view! { <NicDialog kind id data nic=None close /> }.into_any(),
        ("edit", Some(nic)) => view! { <NicDialog kind id data nic=Some(nic) close /> }.into_any(),
        ("remove", Some(nic)) => view! { <RemoveNicDialog kind id nic close /> }.into_any(),
        _ => ().into_any(),
    })
}
