//! The logged-in user's role, known at once on both sides, so that pages leave out the actions the
//! role may not take (a viewer sees no "New", "Run" or "Add host"). On the server it comes from the
//! request (the auth middleware put the user there); the server writes it into the page's
//! `<meta name="vireo-role">`, where the browser reads it before hydrating, so both render the same
//! markup. No resource is involved: nothing waits for it. This only hides; every write is checked
//! again by the service (`crate::authz`).

use crate::authz::Permission;
use crate::models::Role;
use leptos::prelude::*;

/// The name of the `<meta>` the role travels in.
pub const ROLE_META: &str = "vireo-role";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CurrentRole(Option<Role>);

/// Called once by the app, before any page.
pub fn provide_current_role() {
    provide_context(CurrentRole(role_of_this_request()));
}

/// Whether the logged-in user's role may do this (false when nobody is logged in).
pub fn may(permission: Permission) -> bool {
    use_context::<CurrentRole>()
        .and_then(|CurrentRole(role)| role)
        .is_some_and(|role| role.allows(permission))
}

/// The role as the page's `<meta>` carries it ("" for nobody).
pub fn role_meta_content() -> &'static str {
    role_of_this_request().map_or("", |role| role.as_str())
}

#[cfg(feature = "ssr")]
fn role_of_this_request() -> Option<Role> {
    crate::api::ssr::current_user().ok().map(|u| u.role)
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn role_of_this_request() -> Option<Role> {
    let meta = web_sys::window()?
        .document()?
        .query_selector(&format!("meta[name=\"{ROLE_META}\"]"))
        .ok()??;
    Role::parse(&meta.get_attribute("content")?)
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn role_of_this_request() -> Option<Role> {
    None
}
