//! The selected VM's, Template's or host's details below its grid (a VM's sub-tabs: General with its
//! usage chart and CPU map, Disks, Network Interfaces, Console, Domain XML, Events; a host's usage
//! chart, topology and CPU map), loaded as a part of the browser's code of its own. The Disks and
//! Network Interfaces sub-tabs' dialogs are in the same chunk (`disk_dialogs`, `nic_dialogs`), and
//! so are the VM grid's bulk operations with their confirmation and the toasts that report them.
//!
//! A grid page without a selection never runs this code, and it is a large part of the browser's
//! bundle (issue 16: what the first load downloads). `object_detail` is a split point: in the
//! browser's build `scripts/build.sh` moves it, with what only it reaches, into a wasm chunk
//! fetched once the page is interactive (`prefetch_object_detail`), so the first click on a row
//! shows its details as fast as the next. A page that arrives with a row selected fetches the chunk
//! before hydrating (`hydrate` in lib.rs finds `data-split="object-detail"` in the page): hydration
//! walks the server's HTML in one pass and numbers the resources in the order they are created, so
//! the details must be there at once, not after a download. On the server it is a plain call.

use crate::components::error_notice::ErrorNotice;
use crate::error::AppError;
use crate::models::{GridQuery, HostView, TemplateView, VmRow};
use crate::pages::hosts::HostDetail;
use crate::pages::templates::detail::TemplateDetail;
use crate::pages::vms::details::VmDetail;
use leptos::prelude::*;

/// The attribute value `hydrate` looks for: the page shows a part of this chunk.
pub const SPLIT_NAME: &str = "object-detail";

/// Whose details, with what their page gives them.
pub enum DetailPart {
    /// A VM: its id, its grid row (when on the page shown), the sub-tab and the grid's state.
    Vm {
        id: String,
        row: Option<VmRow>,
        tab: String,
        grid: GridQuery,
    },
    /// A Template: it, the grid's link with it selected, and the sub-tab.
    Template {
        template: TemplateView,
        base: String,
        tab: String,
    },
    /// A host: its facts, KSM, usage chart, topology and CPU map.
    Host { host: HostView },
}

/// The details, once their code is there. Placed in a Transition (as the grids' details are), so
/// a click on another row keeps the shown details until the next are ready.
#[component]
pub fn ObjectDetail(part: DetailPart) -> impl IntoView {
    Suspend::new(async move {
        object_detail(part).await.unwrap_or_else(|error| {
            view! {
                <section class="detail" aria-label="Details">
                    <ErrorNotice error />
                </section>
            }
            .into_any()
        })
    })
}

/// Fetches the details' chunk once the page is interactive. A failed fetch is left for the next
/// `ObjectDetail` to retry and report.
pub fn prefetch_object_detail() {
    prefetch_when_interactive(preload_object_detail);
}

/// Fetches the chunk for every split function in it — the details, the sub-tabs' dialogs and the
/// VM grid's bulk operations with their confirmation —
/// before hydrating a page that shows one (`hydrate` in lib.rs). Each split function has a loader
/// of its own: one that did not ask for the chunk learns it arrived only a turn of the event loop
/// later, too late for hydration, which then draws nothing where the server drew the dialog.
pub async fn preload_detail_chunk() -> Result<(), AppError> {
    let (detail, disks, nics, bulk) = futures::join!(
        preload_object_detail(),
        crate::components::disks_tab::preload_dialogs(),
        crate::components::nics_tab::preload_dialogs(),
        crate::pages::vms::preload_bulk()
    );
    detail?;
    disks?;
    nics?;
    bulk?;
    Ok(())
}

/// Fetches a split point's chunk once the page is interactive (effects run in the browser only),
/// given its `preload` function. A failed fetch is left for the part's next use to retry.
pub fn prefetch_when_interactive<F, E>(preload: fn() -> F)
where
    F: std::future::Future<Output = Result<(), E>> + 'static,
{
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            _ = preload().await;
        })
    });
}

/// The split point (see the module's comment). A failed download is an error shown in place of the
/// details, not a panic, and the next selection tries again.
#[leptos::wasm_split::wasm_split(
    vireo_object_detail,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_object_detail)
)]
pub fn object_detail(part: DetailPart) -> Result<AnyView, AppError> {
    Ok(match part {
        DetailPart::Vm { id, row, tab, grid } => view! { <VmDetail id row tab grid /> }.into_any(),
        DetailPart::Template { template, base, tab } => view! { <TemplateDetail template base tab /> }.into_any(),
        DetailPart::Host { host } => view! { <HostDetail host /> }.into_any(),
    })
}
