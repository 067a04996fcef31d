use crate::api::auth::whoami;
use crate::authz::Permission;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// Top bar (product, user, "Log out") and the left navigation around every page but login.
#[component]
pub fn AppShell() -> impl IntoView {
    crate::components::live_updates::provide_live_updates();
    crate::components::lazy_page::prefetch_pages();
    let user = Resource::new(|| (), |_| whoami());
    let user = move || user.get().and_then(Result::ok);
    view! {
        <div class="shell">
            <header class="topbar">
                <a class="brand" href="/">
                    <img src="/icons/vireo.svg" alt="" width="24" height="24" />
                    <span>"Vireo"</span>
                </a>
                <div class="topbar-user">
                    <Suspense fallback=|| ()>
                        {move || {
                            user()
                                .map(|u| {
                                    view! {
                                        <span class="user" data-testid="current-user">
                                            {u.username}
                                            " "
                                            <span class="role">{u.role.as_str()}</span>
                                        </span>
                                    }
                                })
                        }}
                    </Suspense>
                    <a class="btn btn-plain" href="/account/password">
                        "Change password"
                    </a>
                    <form method="post" action="/logout" class="logout">
                        <button type="submit" class="btn btn-plain">
                            "Log out"
                        </button>
                    </form>
                </div>
            </header>
            <nav class="sidenav" aria-label="Main">
                <ul>{nav_link("/", "Dashboard")}</ul>
                <div class="nav-group">"Compute"</div>
                <ul>
                    {nav_link("/vms", "Virtual Machines")} {nav_link("/templates", "Templates")}
                    {nav_link("/pools", "Pools")} {nav_link("/hosts", "Hosts")}
                    // Before Clusters, as in oVirt's WebAdmin: data center → clusters → hosts.
                    {nav_link("/datacenters", "Data Centers")} {nav_link("/clusters", "Clusters")}
                </ul>
                <div class="nav-group">"Storage"</div>
                <ul>{nav_link("/storage-domains", "Storage Domains")} {nav_link("/disks", "Disks")}</ul>
                <div class="nav-group">"Network"</div>
                <ul>{nav_link("/networks", "Networks")} {nav_link("/vnic-profiles", "vNIC Profiles")}</ul>
                <ul class="nav-bottom">
                    // Only admins manage users; the service refuses everyone else anyway.
                    <Suspense fallback=|| ()>
                        {move || {
                            user().filter(|u| u.may(Permission::ManageUsers)).map(|_| nav_link("/users", "Users"))
                        }}
                    </Suspense>
                    {nav_link("/events", "Events")}
                </ul>
            </nav>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

/// An entry of the left navigation.
fn nav_link(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li>
            <A href=href>{label}</A>
        </li>
    }
}
