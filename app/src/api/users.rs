//! Users (admins) and one's own password (everyone). Form fields arrive as strings so each function
//! serves the hydrated dialog and a plain form post with JavaScript off alike; the service checks the
//! role and writes the audit event.

use crate::error::AppError;
use crate::models::{GridPage, GridQuery, UserView};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The session entry holding the `auth_epoch` the session was made (or last re-stamped) in; the
/// server's auth gate refuses the session once the user's epoch has moved on.
#[cfg(feature = "ssr")]
pub const SESSION_EPOCH_KEY: &str = "auth_epoch";

#[server(prefix = "/api", endpoint = "user_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn user_grid(query: GridQuery) -> Result<GridPage<UserView>, AppError> {
    use super::ssr::*;
    let user = authorize_read()?;
    respond(backend()?.user_grid(&user, &query).await)
}

#[server(prefix = "/api", endpoint = "add_user", output = crate::api::json_text::JsonText)]
pub async fn add_user(username: String, role: String, password: String, confirm: String) -> Result<UserView, AppError> {
    use super::ssr::*;
    use crate::models::NewUserRequest;
    let user = authorize_read()?;
    let request = NewUserRequest {
        username,
        role,
        password,
        confirm,
    };
    respond_selected("/users", backend()?.add_user(&user, request).await, |u| u.id)
}

#[server(prefix = "/api", endpoint = "set_user_role", output = crate::api::json_text::JsonText)]
pub async fn set_user_role(id: String, role: String) -> Result<UserView, AppError> {
    use super::ssr::*;
    let user = authorize_read()?;
    let id = parse_id("id", &id, "Choose a user.")?;
    respond_selected("/users", backend()?.set_user_role(&user, id, role).await, |u| u.id)
}

/// `disabled`: "true" disables, anything else enables.
#[server(prefix = "/api", endpoint = "set_user_disabled", output = crate::api::json_text::JsonText)]
pub async fn set_user_disabled(id: String, disabled: String) -> Result<UserView, AppError> {
    use super::ssr::*;
    let user = authorize_read()?;
    let id = parse_id("id", &id, "Choose a user.")?;
    let changed = backend()?.set_user_disabled(&user, id, disabled == "true").await;
    respond_selected("/users", changed, |u| u.id)
}

#[server(prefix = "/api", endpoint = "reset_user_password", output = crate::api::json_text::JsonText)]
pub async fn reset_user_password(id: String, password: String, confirm: String) -> Result<UserView, AppError> {
    use super::ssr::*;
    use crate::models::NewPassword;
    let user = authorize_read()?;
    let id = parse_id("id", &id, "Choose a user.")?;
    let changed = backend()?
        .reset_user_password(&user, id, NewPassword { password, confirm })
        .await;
    respond_selected("/users", changed, |u| u.id)
}

/// Changes the caller's own password. Every other session and API token of theirs ends; this
/// session is re-stamped with the new epoch so the user stays logged in here.
#[server(prefix = "/api", endpoint = "change_own_password", output = crate::api::json_text::JsonText)]
pub async fn change_own_password(current: String, password: String, confirm: String) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::models::NewPassword;
    let user = authorize_read()?;
    let epoch = respond(
        backend()?
            .change_own_password(&user, current, NewPassword { password, confirm })
            .await,
    )?;
    let session = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned());
    // Without the session the password is still changed; the user just logs in again.
    if let Some(session) = session {
        if let Err(e) = session.insert(SESSION_EPOCH_KEY, epoch).await {
            tracing::warn!(error = %e, "could not re-stamp the session after a password change");
        }
    }
    leptos_axum::redirect("/account/password?changed=1");
    Ok(())
}
