//! The one error type every server function, service and REST handler returns. It crosses the network
//! intact (JSON), so the UI matches on variants instead of parsing strings; validation failures carry
//! one entry per field.

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Log in again.")]
    Unauthorized,
    #[error("Your role does not allow this action.")]
    Forbidden,
    #[error("{kind} not found.")]
    NotFound { kind: String },
    /// Someone else changed the object first (version check), or a unique name is taken.
    #[error("{message}")]
    Conflict { message: String },
    #[error("{}", summary(errors))]
    Validation { errors: Vec<FieldError> },
    /// A host or libvirt refused; the message is libvirt's own, shown to the user as is.
    #[error("{message}")]
    Host { message: String },
    /// Another lifecycle operation on the same object is still running.
    #[error("{message}")]
    Busy { message: String },
    /// The database cannot be reached (it is restarting, or gone); nothing was done. Temporary:
    /// the same request works again once Vireo has reconnected. Not a reason to log anyone out.
    #[error("The database is unavailable; Vireo is reconnecting. Try again in a few seconds.")]
    Unavailable,
    /// Anything unexpected. Details are logged on the server, never sent to the browser.
    #[error("Something went wrong on the server; the details are in its log.")]
    Internal,
    /// The request never reached a server function body (network, decoding).
    #[error("Request failed: {message}")]
    Transport { message: String },
}

/// A lazily loaded part of the browser's code (a wasm chunk, `scripts/build.sh`) that did not
/// download. Nothing was sent to the server; the next try downloads it again.
impl From<leptos::wasm_split::SplitLoaderError> for AppError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        AppError::Transport {
            message: "the browser could not download this part of Vireo. Try again.".into(),
        }
    }
}

/// A problem with one field of a form or API request. `field` names the `VmConfig`/form field
/// (`memory_mib`, `cpu_pinning`, `name`), so the UI can mark the input and the tab that holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

fn summary(errors: &[FieldError]) -> String {
    match errors {
        [] => "The input is not valid.".into(),
        [one] => one.message.clone(),
        [first, rest @ ..] => format!("{} (and {} more problems)", first.message, rest.len()),
    }
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn not_found(kind: impl Into<String>) -> Self {
        Self::NotFound { kind: kind.into() }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }

    pub fn host(message: impl Into<String>) -> Self {
        Self::Host {
            message: message.into(),
        }
    }

    /// Messages for one field, for forms that show errors beside their inputs.
    pub fn field_messages(&self, field: &str) -> Vec<String> {
        match self {
            Self::Validation { errors } => errors
                .iter()
                .filter(|e| e.field == field)
                .map(|e| e.message.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } | Self::Busy { .. } => 409,
            Self::Validation { .. } => 400,
            Self::Host { .. } => 502,
            Self::Internal | Self::Transport { .. } => 500,
            Self::Unavailable => 503,
        }
    }
}

impl FromServerFnError for AppError {
    // Decoded as the answers are (`api::json_text`), so the browser holds one JSON reader.
    type Encoder = crate::api::json_text::JsonTextEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // On the server these three mean the request's arguments did not parse: the caller's fault,
        // so 400 rather than the 500 every other server-function error gets.
        #[cfg(feature = "ssr")]
        if matches!(
            value,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_)
        ) {
            if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                options.set_status(http::StatusCode::BAD_REQUEST);
            }
        }
        Self::Transport {
            message: value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_summary_and_field_lookup() {
        let err = AppError::Validation {
            errors: vec![
                FieldError::new("name", "Name is required."),
                FieldError::new("memory_mib", "Memory must be at least 1 MiB."),
            ],
        };
        assert_eq!(err.to_string(), "Name is required. (and 1 more problems)");
        assert_eq!(err.field_messages("name"), vec!["Name is required.".to_string()]);
        assert!(err.field_messages("os_type").is_empty());
        assert_eq!(err.http_status(), 400);
        assert_eq!(AppError::validation("x", "bad").to_string(), "bad");
    }

    #[test]
    fn crosses_the_wire_as_tagged_json() {
        let err = AppError::conflict("VM db1 was changed by someone else.");
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
        assert_eq!(err.http_status(), 409);
        assert_eq!(AppError::Unauthorized.http_status(), 401);
        assert_eq!(AppError::Unavailable.http_status(), 503);
    }
}
