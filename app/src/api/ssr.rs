//! Server-side helpers every server function uses.

use crate::backend::SharedBackend;
/// The `Backend` area traits, so that `backend()?.xyz()` resolves in every server function.
pub use crate::backend::{
    ClusterBackend, ConfigBackend, ConsoleBackend, DashboardBackend, DataCenterBackend, GridBackend, HostBackend,
    LifecycleBackend, NetworkBackend, StorageBackend, UsageBackend, UserBackend,
};
use crate::error::AppError;
use crate::models::CurrentUser;
use leptos::prelude::*;

/// The logged-in user, put into the request by the server's auth middleware. Missing means the
/// caller is anonymous (the middleware already answered 401, so this is a second line of defence).
pub fn current_user() -> Result<CurrentUser, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
        .ok_or(AppError::Unauthorized)
}

/// Any logged-in user may read. Writes pass the user on: the service checks the role
/// (`crate::authz`), once for every entry point.
pub fn authorize_read() -> Result<CurrentUser, AppError> {
    current_user().map_err(with_status)
}

pub fn backend() -> Result<SharedBackend, AppError> {
    use_context::<SharedBackend>().ok_or_else(|| {
        tracing::error!("Backend missing from the server function context");
        with_status(AppError::Internal)
    })
}

/// Sets the HTTP status that matches the error, so scripts and tests see 401/403/409 rather than 500.
/// Not for plain form posts (JavaScript off): those are answered with a redirect back to the form
/// carrying the error, and a 4xx/5xx status would stop the browser from following it.
pub fn with_status(err: AppError) -> AppError {
    let form_post = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if form_post {
        return err;
    }
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(err.http_status()) {
            options.set_status(status);
        }
    }
    err
}

/// Maps a service result for the browser.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    result.map_err(with_status)
}

/// Maps a service result for the browser and, on success, sends it to `page` with the object
/// selected: the dialog closes on it, for the hydrated page and a plain form post alike.
pub fn respond_selected<T>(
    page: &str,
    result: Result<T, AppError>,
    id: impl FnOnce(&T) -> uuid::Uuid,
) -> Result<T, AppError> {
    let object = respond(result)?;
    leptos_axum::redirect(&format!("{page}?selected={}", id(&object)));
    Ok(object)
}

/// A form's id field (surrounding blanks ignored); `message` is the field error when it is none.
pub fn parse_id(field: &str, text: &str, message: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(text.trim()).map_err(|_| with_status(AppError::validation(field, message)))
}

/// An optional id field: absent or empty is `None`.
pub fn parse_optional_id(field: &str, text: Option<String>) -> Result<Option<uuid::Uuid>, AppError> {
    text.filter(|t| !t.is_empty())
        .map(|t| parse_id(field, &t, "Not a valid id."))
        .transpose()
}
