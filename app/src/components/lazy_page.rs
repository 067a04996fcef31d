//! The pages inside the app's shell other than the dashboard (where a login lands), the VM,
//! Template and Pool grids and Hosts (data centers, clusters, storage domains, disks, networks,
//! vNIC profiles, events, users, password) as one part of the browser's code of its own, so the
//! pages Vireo is about hydrate without downloading them (issue 16: the first load).
//!
//! Hosts stays in the main part: landing on it with the Add Host dialog open
//! (`/hosts?dialog=add`) inside this chunk's extra Suspense broke hydration (the dialog's resource
//! and the selected host's usage chart got each other's serialization ids), the ordering problem
//! `ObjectGrid` orders its dialogs for; the other pages' dialogs hydrate (hydration.hydrated.spec.ts).
//!
//! `page` is a split point: in the browser's build `scripts/build.sh` moves it, with what only it
//! reaches, into a wasm chunk. One chunk for all of them, not one per page: wasm-split-cli makes a
//! chunk for every set of split points that share code, and fifteen page splits made 385 files, a
//! page needing dozens. The shell fetches the chunk once the page is interactive
//! (`prefetch_pages`). A page of the chunk that arrives from the server names itself (`data-page`
//! on its wrapper) and `hydrate` in lib.rs fetches the chunk first: hydration walks the server's
//! HTML in one pass and cannot wait halfway through for a download. On the server it is a plain
//! call.

use crate::components::error_notice::ErrorNotice;
use crate::components::object_detail::prefetch_when_interactive;
use crate::error::AppError;
use crate::pages::clusters::ClustersPage;
use crate::pages::data_centers::DataCentersPage;
use crate::pages::disk_upload::DiskUploadPage;
use crate::pages::disks::DisksPage;
use crate::pages::events::EventsPage;
use crate::pages::networks::NetworksPage;
use crate::pages::password::PasswordPage;
use crate::pages::storage_domains::StorageDomainsPage;
use crate::pages::users::UsersPage;
use crate::pages::vnic_profiles::VnicProfilesPage;
use leptos::prelude::*;

/// A page in the pages' chunk: every page inside the shell but the dashboard, the VM, Template and
/// Pool grids and Hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageId {
    DataCenters,
    Clusters,
    StorageDomains,
    Disks,
    DiskUpload,
    Networks,
    VnicProfiles,
    Events,
    Users,
    Password,
}

impl PageId {
    /// Every page of the chunk, in the navigation's order.
    pub const ALL: &[PageId] = &[
        PageId::DataCenters,
        PageId::Clusters,
        PageId::StorageDomains,
        PageId::Disks,
        PageId::DiskUpload,
        PageId::Networks,
        PageId::VnicProfiles,
        PageId::Events,
        PageId::Users,
        PageId::Password,
    ];

    /// The name `hydrate` reads off the page (`data-page`).
    pub fn name(self) -> &'static str {
        match self {
            PageId::DataCenters => "data-centers",
            PageId::Clusters => "clusters",
            PageId::StorageDomains => "storage-domains",
            PageId::Disks => "disks",
            PageId::DiskUpload => "disk-upload",
            PageId::Networks => "networks",
            PageId::VnicProfiles => "vnic-profiles",
            PageId::Events => "events",
            PageId::Users => "users",
            PageId::Password => "password",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// Fetches the pages' chunk once the page is interactive (the shell asks on every page), so a
/// click in the navigation does not wait for the network. A failed fetch is left for the next
/// `LazyPage` to retry and report.
pub fn prefetch_pages() {
    prefetch_when_interactive(preload_pages);
}

/// The split point (see the module's comment).
#[leptos::wasm_split::wasm_split(
    vireo_pages,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_pages)
)]
pub fn page(page: PageId) -> Result<AnyView, AppError> {
    Ok(match page {
        PageId::DataCenters => view! { <DataCentersPage /> }.into_any(),
        PageId::Clusters => view! { <ClustersPage /> }.into_any(),
        PageId::StorageDomains => view! { <StorageDomainsPage /> }.into_any(),
        PageId::Disks => view! { <DisksPage /> }.into_any(),
        PageId::DiskUpload => view! { <DiskUploadPage /> }.into_any(),
        PageId::Networks => view! { <NetworksPage /> }.into_any(),
        PageId::VnicProfiles => view! { <VnicProfilesPage /> }.into_any(),
        PageId::Events => view! { <EventsPage /> }.into_any(),
        PageId::Users => view! { <UsersPage /> }.into_any(),
        PageId::Password => view! { <PasswordPage /> }.into_any(),
    })
}

/// The route's view of `page`.
pub fn lazy(page: PageId) -> impl Fn() -> AnyView + Clone + Send + 'static {
    move || view! { <LazyPage page /> }.into_any()
}

/// The page, once its code is there. The wrapper names the page for `hydrate`; a failed download
/// shows the error in the page's place, and following any link tries again.
#[component]
pub fn LazyPage(page: PageId) -> impl IntoView {
    view! {
        <div class="page-part" data-page=page.name()>
            <Suspense fallback=|| {
                view! {
                    <p class="page-loading" role="status">
                        "Loading…"
                    </p>
                }
            }>
                {Suspend::new(async move {
                    self::page(page).await.unwrap_or_else(|error| view! { <ErrorNotice error /> }.into_any())
                })}
            </Suspense>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::PageId;

    #[test]
    fn every_page_has_a_distinct_name_that_finds_it_again() {
        for page in PageId::ALL {
            assert_eq!(PageId::from_name(page.name()), Some(*page));
        }
        let mut names: Vec<_> = PageId::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PageId::ALL.len());
        assert_eq!(PageId::from_name("login"), None);
    }
}
