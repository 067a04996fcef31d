//! Pages inside the app's shell that load their browser code when shown, so the VM grid (the page
//! Vireo is about) hydrates without downloading them (issue 16: the first load). Three parts, each
//! a wasm chunk of its own:
//! - `home`: the Dashboard, where a login lands: small, so the landing does not fetch the rest
//!   (the login page prefetches it);
//! - `grids`: the Template, Pool and Host grids, the VM grid's neighbours in the navigation;
//! - `page`: data centers, clusters, storage domains, disks, networks, vNIC profiles, events, users
//!   and password.
//!
//! The login page stays in the main part: it is the first page a browser ever loads, and the main
//! part is all it needs. A page whose chunk is there is drawn without a boundary around it, as the
//! main part's pages are (see `LazyPage`): hydration then numbers its resources as the server did.
//!
//! `home`, `grids` and `page` are split points: in the browser's build `scripts/build.sh` moves each,
//! with what only it reaches, into a wasm chunk (and code two of them share into chunks of their
//! own). Not one per page: wasm-split-cli makes a chunk for every set of split points that share
//! code, and fifteen page splits made 385 files, a page needing dozens. The shell fetches the
//! chunks once the page is interactive (`prefetch_pages`). A page of a chunk that arrives from the
//! server names itself (`data-page` on its wrapper) and `hydrate` in lib.rs fetches its chunk
//! first: hydration walks the server's HTML in one pass and cannot wait halfway through for a
//! download. On the server they are plain calls.

use crate::components::error_notice::ErrorNotice;
use crate::components::object_detail::prefetch_when_interactive;
use crate::error::AppError;
use crate::pages::clusters::ClustersPage;
use crate::pages::dashboard::DashboardPage;
use crate::pages::data_centers::DataCentersPage;
use crate::pages::disk_upload::DiskUploadPage;
use crate::pages::disks::DisksPage;
use crate::pages::events::EventsPage;
use crate::pages::hosts::HostsPage;
use crate::pages::networks::NetworksPage;
use crate::pages::password::PasswordPage;
use crate::pages::pools::PoolsPage;
use crate::pages::storage_domains::StorageDomainsPage;
use crate::pages::templates::TemplatesPage;
use crate::pages::users::UsersPage;
use crate::pages::vnic_profiles::VnicProfilesPage;
use futures::FutureExt;
use leptos::prelude::*;

/// A page whose code is a chunk's: every page inside the shell but the VM grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageId {
    Dashboard,
    Templates,
    Pools,
    Hosts,
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
    /// Every page of the chunks, in the navigation's order.
    pub const ALL: &[PageId] = &[
        PageId::Dashboard,
        PageId::Templates,
        PageId::Pools,
        PageId::Hosts,
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
            PageId::Dashboard => "dashboard",
            PageId::Templates => "templates",
            PageId::Pools => "pools",
            PageId::Hosts => "hosts",
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

    /// The part whose chunk holds the page.
    fn part(self) -> Part {
        match self {
            PageId::Dashboard => Part::Home,
            PageId::Templates | PageId::Pools | PageId::Hosts => Part::Grids,
            _ => Part::Pages,
        }
    }

    /// Fetches the page's chunk (`hydrate` does, before hydrating a page of a chunk).
    pub async fn preload(self) -> Result<(), AppError> {
        match self.part() {
            Part::Home => preload_home().await?,
            Part::Grids => preload_grids().await?,
            Part::Pages => preload_pages().await?,
        }
        Ok(())
    }

    /// The page, once its chunk is there.
    async fn view(self) -> Result<AnyView, AppError> {
        match self.part() {
            Part::Home => home().await,
            Part::Grids => grids(self).await,
            Part::Pages => page(self).await,
        }
    }
}

/// The wasm chunks, each a split point below.
enum Part {
    Home,
    Grids,
    Pages,
}

/// Fetches the chunks once the page is interactive (the shell asks on every page), so a click in
/// the navigation does not wait for the network. A failed fetch is left for the next `LazyPage` to
/// retry and report.
pub fn prefetch_pages() {
    prefetch_when_interactive(preload_home);
    prefetch_when_interactive(preload_grids);
    prefetch_when_interactive(preload_pages);
}

/// Fetches the Dashboard's chunk once the login page is interactive (a login lands there).
pub fn prefetch_home() {
    prefetch_when_interactive(preload_home);
}

/// The Dashboard's split point (see the module's comment).
#[leptos::wasm_split::wasm_split(
    vireo_home,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_home)
)]
fn home() -> Result<AnyView, AppError> {
    Ok(view! { <DashboardPage /> }.into_any())
}

/// The Template, Pool and Host grids' split point (see the module's comment).
#[leptos::wasm_split::wasm_split(
    vireo_grids,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_grids)
)]
fn grids(page: PageId) -> Result<AnyView, AppError> {
    Ok(match page {
        PageId::Templates => view! { <TemplatesPage /> }.into_any(),
        PageId::Pools => view! { <PoolsPage /> }.into_any(),
        PageId::Hosts => view! { <HostsPage /> }.into_any(),
        // `PageId::view` sends the others to their own parts.
        _ => return Err(AppError::not_found("page")),
    })
}

/// The other pages' split point (see the module's comment).
#[leptos::wasm_split::wasm_split(
    vireo_pages,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(#[doc(hidden)] preload_pages)
)]
fn page(page: PageId) -> Result<AnyView, AppError> {
    Ok(match page {
        // `PageId::view` sends these to their own parts.
        PageId::Dashboard | PageId::Templates | PageId::Pools | PageId::Hosts => {
            return Err(AppError::not_found("page"))
        }
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
///
/// Why the page is drawn without a boundary when its chunk is there (always on the server, when
/// hydrating — `hydrate` fetched it — and after the shell's prefetch): inside a Suspense the
/// server walks the page's view again before writing it (`dry_resolve`, twice), running every
/// closure in it again. A closure that makes a resource (a dialog under `Show`) then makes it
/// again on the server, with another serialization id, while the browser makes it once: ids after
/// it differ on the two sides, a resource reads another's data, and hydration stops. Hosts,
/// Templates and Pools did that here. Drawn as the main part draws its pages, a page of a chunk
/// hydrates as they do. Only a navigation that beats the download waits in a Suspense.
#[component]
pub fn LazyPage(page: PageId) -> impl IntoView {
    let body = match page.view().now_or_never() {
        Some(Ok(view)) => view,
        Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
        None => view! {
            <Suspense fallback=|| {
                view! {
                    <p class="page-loading" role="status">
                        "Loading…"
                    </p>
                }
            }>
                {Suspend::new(async move {
                    page.view().await.unwrap_or_else(|error| view! { <ErrorNotice error /> }.into_any())
                })}
            </Suspense>
        }
        .into_any(),
    };
    view! {
        <div class="page-part" data-page=page.name()>
            {body}
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
