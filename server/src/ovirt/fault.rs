//! The API's errors on the wire: `<fault><reason/><detail/></fault>` with the engine's status codes
//! (400 bad input, 401/403 auth, 404 missing, 409 refused by the rules or by the object's state,
//! 413 too large), plus Vireo's field-level errors as an extra element oVirt clients ignore.

use super::response::xml_response;
use super::xml::El;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vireo_app::error::{AppError, FieldError};

#[derive(Debug)]
pub struct Fault {
    pub status: StatusCode,
    pub reason: &'static str,
    pub detail: String,
    /// The fields at fault (API paths like `vm/cpu/topology/cores`, or Vireo's field names).
    pub fields: Vec<FieldError>,
}

impl Fault {
    pub fn new(status: StatusCode, reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            detail: detail.into(),
            fields: Vec::new(),
        }
    }

    /// A value that cannot be read (wrong type, unknown element, bad enum value).
    pub fn invalid(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            fields: vec![FieldError::new(path, message.clone())],
            ..Self::new(StatusCode::BAD_REQUEST, "Invalid input", format!("[{path}: {message}]"))
        }
    }

    /// Required elements missing (the engine's wording: `Vm [name, cluster] required for add`).
    pub fn incomplete(entity: &str, missing: &[&str], operation: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Incomplete parameters",
            format!("{entity} [{}] required for {operation}", missing.join(", ")),
        )
    }

    /// `Err(incomplete)` naming each element of `required` (name, present) that is not present.
    pub fn require(entity: &str, operation: &str, required: &[(&str, bool)]) -> Result<(), Self> {
        let missing: Vec<&str> = required
            .iter()
            .filter(|(_, present)| !present)
            .map(|(name, _)| *name)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Self::incomplete(entity, &missing, operation))
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found", format!("Entity not found: {what}"))
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Log in through /ovirt-engine/sso/oauth/token and send the token as 'Authorization: Bearer <token>'.",
        )
    }

    pub fn to_element(&self) -> El {
        let mut fault = El::new("fault")
            .text("reason", self.reason)
            .text("detail", &self.detail);
        if !self.fields.is_empty() {
            fault = fault.child(
                El::new("vireo").child(El::new("field_errors").children(self.fields.iter().map(|f| {
                    El::new("field_error")
                        .text("field", &f.field)
                        .text("message", &f.message)
                }))),
            );
        }
        fault
    }
}

impl From<AppError> for Fault {
    fn from(e: AppError) -> Self {
        let conflict = |detail: String| Fault::new(StatusCode::CONFLICT, "Operation Failed", format!("[{detail}]"));
        match e {
            AppError::Unauthorized => Fault::unauthorized(),
            AppError::Forbidden => Fault::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Your role does not allow this action.",
            ),
            AppError::NotFound { kind } => Fault::not_found(&kind),
            // The engine answers rule violations (its "can do action" checks) with 409.
            AppError::Validation { errors } => Fault {
                detail: format!(
                    "[{}]",
                    errors.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ")
                ),
                fields: errors,
                ..conflict(String::new())
            },
            AppError::Conflict { message } | AppError::Busy { message } | AppError::Host { message } => {
                conflict(message)
            }
            AppError::Unavailable => Fault::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                AppError::Unavailable.to_string(),
            ),
            AppError::Internal | AppError::Transport { .. } => Fault::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "Something went wrong on the server; the details are in its log.",
            ),
        }
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        xml_response(self.status, &self.to_element())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovirt::xml::parse;

    #[test]
    fn rule_violations_are_409_with_every_message_and_their_fields() {
        let f = Fault::from(AppError::Validation {
            errors: vec![
                FieldError::new("optimized_for", "High Performance is not available for Windows guests."),
                FieldError::new("cpu_pinning", "Host CPU 99 does not exist."),
            ],
        });
        assert_eq!(f.status, StatusCode::CONFLICT);
        assert_eq!(f.reason, "Operation Failed");
        assert!(f.detail.starts_with("[High Performance") && f.detail.contains("; Host CPU 99"));
        let doc = parse(std::str::from_utf8(&f.to_element().to_document()).unwrap()).unwrap();
        let errors = doc.child("vireo").unwrap().child("field_errors").unwrap();
        assert_eq!(errors.children.len(), 2);
        assert_eq!(errors.children[1].child("field").unwrap().text, "cpu_pinning");
    }

    #[test]
    fn statuses_follow_the_engine() {
        assert_eq!(Fault::from(AppError::not_found("VM")).status, StatusCode::NOT_FOUND);
        assert_eq!(Fault::from(AppError::conflict("x")).status, StatusCode::CONFLICT);
        assert_eq!(Fault::from(AppError::Forbidden).status, StatusCode::FORBIDDEN);
        assert_eq!(Fault::from(AppError::Unauthorized).status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            Fault::from(AppError::Internal).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let f = Fault::incomplete("Vm", &["name", "cluster"], "add");
        assert_eq!(
            (f.status, f.detail.as_str()),
            (StatusCode::BAD_REQUEST, "Vm [name, cluster] required for add")
        );
        let f = Fault::require("Vm", "add", &[("name", false), ("memory", true), ("cluster", false)]).unwrap_err();
        assert_eq!(f.detail, "Vm [name, cluster] required for add");
        assert!(Fault::require("Vm", "add", &[("name", true)]).is_ok());
        assert_eq!(
            Fault::invalid("vm/memory", "not a number").status,
            StatusCode::BAD_REQUEST
        );
    }
}
