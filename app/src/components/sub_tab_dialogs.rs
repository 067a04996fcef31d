//! What the Disks and Network Interfaces sub-tabs' dialogs share: the page draws them beside its
//! grid (not in the selected row's details, which a live update redraws and would empty a
//! half-filled dialog) while the URL names one, for those who may manage VMs; their code and data
//! are the details' wasm chunk's.

use crate::authz::Permission;
use crate::components::current_role::may;
use crate::components::grid_controls::encode;
use crate::components::modal::cannot_open;
use crate::components::split_part::split_part;
use crate::domain::draft::ConfigKind;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use std::future::Future;

/// The dialogs of a sub-tab whose URL parameter is `param`, drawn by `part` (a split point's
/// call) while the URL has it; `params` are all the sub-tab's dialog parameters, which Cancel drops.
pub fn sub_tab_dialogs<Fut>(
    kind: ConfigKind,
    param: &'static str,
    params: &'static [&'static str],
    part: impl Fn(ConfigKind) -> Fut + Copy + Send + Sync + 'static,
) -> impl IntoView
where
    Fut: Future<Output = Result<AnyView, AppError>> + Send + 'static,
{
    let url = use_query_map();
    let manage = may(Permission::ManageVms);
    view! {
        <Show when=move || {
            manage && url.with(|q| q.get(param).is_some())
        }>
            {split_part(
                move || part(kind),
                move |error| cannot_open("lazy-dialog-error", close_href(url, kind, params), error),
            )}
        </Show>
    }
}

/// Where a dialog's Cancel leads: the same view without the sub-tab's dialog parameters.
pub fn close_href(url: Memo<ParamsMap>, kind: ConfigKind, params: &[&str]) -> String {
    let query = url.with(|q| {
        q.clone()
            .into_iter()
            .filter(|(k, _)| !params.contains(&k.as_ref()))
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    });
    format!("{}?{query}", kind.page())
}
