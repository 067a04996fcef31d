#![recursion_limit = "512"]
//! Vireo's web application: the pure domain rules (`domain`), the Leptos pages and components, and
//! the server functions they call. Compiled twice: with `ssr` into the server, with `hydrate` into
//! the browser's wasm bundle.

pub mod api;
pub mod authz;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod domain;
pub mod error;
pub mod models;
pub mod pages;

use components::app_shell::AppShell;
use components::bundle_scripts::BundleScripts;
use components::current_role;
use components::lazy_page::{lazy, PageId};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name=current_role::ROLE_META content=current_role::role_meta_content() />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // The stylesheet and the bundle by their content-hashed names when the build listed
                // them (server/src/web/static_assets.rs), so browsers may cache them for a year.
                <HashedStylesheet options=options.clone() id="vireo-css" />
                // The bundle is read and compiled while the page is parsed; hydration waits for the
                // whole page (components/bundle_scripts.rs).
                <BundleScripts options />
                // The consoles' glue (a small module; it loads xterm.js or noVNC only on a page
                // that shows a console). Same-origin, so the CSP's script-src 'self' admits it; it
                // carries the nonce as every script tag of the page does (one rule, checked by
                // web_guard's test).
                <script type="module" src="/console.js" nonce=leptos::nonce::use_nonce()></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    current_role::provide_current_role();
    // Browser tests wait for this attribute: effects run only in the browser, after hydration.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    // Every route renders fully on the server before it is sent (SsrMode::Async), so pages work
    // with JavaScript off; hydration then takes over.
    view! {
        <Title formatter=|text| format!("{text} · Vireo") />
        <div id="vireo-root" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
            <Router>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("") view=AppShell ssr=SsrMode::Async>
                        <Route path=path!("/") view=lazy(PageId::Dashboard) ssr=SsrMode::Async />
                        <Route path=path!("/vms") view=pages::vms::VmsPage ssr=SsrMode::Async />
                        <Route path=path!("/templates") view=lazy(PageId::Templates) ssr=SsrMode::Async />
                        <Route path=path!("/pools") view=lazy(PageId::Pools) ssr=SsrMode::Async />
                        <Route path=path!("/hosts") view=lazy(PageId::Hosts) ssr=SsrMode::Async />
                        <Route path=path!("/datacenters") view=lazy(PageId::DataCenters) ssr=SsrMode::Async />
                        <Route path=path!("/clusters") view=lazy(PageId::Clusters) ssr=SsrMode::Async />
                        <Route path=path!("/storage-domains") view=lazy(PageId::StorageDomains) ssr=SsrMode::Async />
                        <Route path=path!("/disks") view=lazy(PageId::Disks) ssr=SsrMode::Async />
                        <Route path=path!("/networks") view=lazy(PageId::Networks) ssr=SsrMode::Async />
                        <Route path=path!("/vnic-profiles") view=lazy(PageId::VnicProfiles) ssr=SsrMode::Async />
                        <Route path=path!("/events") view=lazy(PageId::Events) ssr=SsrMode::Async />
                        <Route path=path!("/disks/upload") view=lazy(PageId::DiskUpload) ssr=SsrMode::Async />
                        <Route path=path!("/users") view=lazy(PageId::Users) ssr=SsrMode::Async />
                        <Route path=path!("/account/password") view=lazy(PageId::Password) ssr=SsrMode::Async />
                    </ParentRoute>
                </Routes>
            </Router>
        </div>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Parts of the browser's code are wasm chunks of their own: the pages inside the shell but the
    // VM grid (components/lazy_page.rs), the New/Edit dialog's form, the selected object's
    // details, the Disks and Network Interfaces sub-tabs' dialogs and the VM grid's bulk operations.
    // The chunks of what the page shows must be there before hydrating: hydration walks the
    // server's HTML in one pass and cannot wait halfway through for a download. The page names
    // itself (`data-page`); a URL that opens a dialog or selects a row leaves its mark too.
    let document = leptos::prelude::document();
    let page = document
        .query_selector("[data-page]")
        .ok()
        .flatten()
        .and_then(|e| e.get_attribute("data-page"))
        .and_then(|name| components::lazy_page::PageId::from_name(&name));
    // The New/Edit dialog, or what it shows when it cannot open (both drawn by its chunk).
    let dialog_open = ["config-dialog", "config-dialog-error"]
        .iter()
        .any(|id| document.get_element_by_id(id).is_some());
    // The Disks and Network Interfaces sub-tabs' dialogs and the VM grid's bulk confirmation (in the
    // details' chunk), named by the URL.
    let sub_tab_dialog_open = leptos::prelude::location().search().is_ok_and(|search| {
        search
            .trim_start_matches('?')
            .split('&')
            .any(|pair| matches!(pair.split('=').next(), Some("disk_dialog" | "nic_dialog" | "confirm")))
    });
    let detail_shown = document
        .query_selector(&format!("[data-split=\"{}\"]", components::object_detail::SPLIT_NAME))
        .ok()
        .flatten()
        .is_some();
    if page.is_none() && !dialog_open && !detail_shown && !sub_tab_dialog_open {
        leptos::mount::hydrate_body(App);
        return;
    }
    // Leptos's executor starts with hydration: the downloads run on wasm-bindgen's own, all at once.
    wasm_bindgen_futures::spawn_local(async move {
        let page = async {
            match page {
                Some(page) => page.preload().await,
                None => Ok(()),
            }
        };
        let dialog = async {
            if dialog_open {
                components::config_dialog::preload_dialog_form()
                    .await
                    .map_err(error::AppError::from)
            } else {
                Ok(())
            }
        };
        let detail = async {
            if detail_shown || sub_tab_dialog_open {
                components::object_detail::preload_detail_chunk().await
            } else {
                Ok(())
            }
        };
        match futures::join!(page, dialog, detail) {
            (Ok(()), Ok(()), Ok(())) => leptos::mount::hydrate_body(App),
            // The page as the server sent it works without JavaScript: it stays that way.
            (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                leptos::logging::error!("not hydrated: {error}")
            }
        }
    });
}
