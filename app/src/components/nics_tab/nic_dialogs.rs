use super::nic_dialog::{NicDialog, NicDialogData};
use super::remove_nic_dialog::RemoveNicDialog;
use crate::api::configs::load_draft;
use crate::api::networks::{default_vnic_profile, list_vnic_profiles, vm_nics};
use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::error_notice::ErrorNotice;
use crate::components::grid_controls::encode;
use crate::components::modal::{lazy_dialog, Modal};
use crate::components::object_detail::prefetch_when_interactive;
use crate::components::split_data::{from_text, load_as_text, DataAsText};
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
/// a half-filled dialog). Only for those who may manage VMs.
#[component]
pub fn NicDialogs(kind: ConfigKind) -> impl IntoView {
    prefetch_when_interactive(preload_nic_dialogs);
    let url = use_query_map();
    let manage = may(Permission::ManageVms);
    let wanted = move || url.with(|q| (q.get("selected"), q.get("nic_dialog")));
    let data = Resource::new(wanted, move |(selected, mode)| async move {
        match (selected, mode) {
            // As JSON text, loaded by the dialogs' chunk (`split_data` says why).
            (Some(id), Some(_)) if manage => dialog_data(kind, id).await?.await.map(Some),
            _ => Ok(None),
        }
    });
    // Where Cancel leads: the same view without the dialog.
    let close = move || {
        let query = url.with(|q| {
            q.clone()
                .into_iter()
                .filter(|(k, _)| !NIC_PARAMS.contains(&k.as_ref()))
                .map(|(k, v)| format!("{k}={}", encode(&v)))
                .collect::<Vec<_>>()
                .join("&")
        });
        format!("{}?{query}", kind.page())
    };
    let dialog = move || {
        let (id, mode) = wanted();
        let id = id.filter(|_| manage)?;
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
        Some(lazy_dialog(close(), nic_dialog(kind, id, close(), mode, nic, data)))
    };
    view! { <Transition fallback=|| ()>{dialog}</Transition> }
}

/// Fetches the dialogs' chunk for `nic_dialog` (`object_detail::preload_detail_chunk`).
pub(crate) async fn preload_dialogs() -> Result<(), AppError> {
    Ok(preload_nic_dialogs().await?)
}

/// The dialogs' code is in the details' wasm chunk, with the Disks sub-tab's (`disk_dialog` says
/// why). The page fetches it once interactive (`NicDialogs`); `hydrate` fetches it first when the URL has a
/// `nic_dialog`. On the server it is a plain call.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_nic_dialogs)
)]
/// `mode` is the URL's `nic_dialog` (New, Edit or Remove), `nic` its `nic`, `data` what
/// `dialog_data` loaded. An Edit or Remove of a NIC the object no longer has shows nothing.
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

/// The NIC dialogs' data (`load`) as JSON text, loaded by their chunk.
#[leptos::wasm_split::wasm_split(vireo_object_detail, wasm_split_path = ::leptos::wasm_split, fallible)]
fn dialog_data(kind: ConfigKind, id: String) -> Result<DataAsText, AppError> {
    Ok(load_as_text(load(kind, id)))
}
