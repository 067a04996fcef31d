//! The one way the service writes an audit event: `self.audit(user, action, object, outcome)`
//! (`VireoService::audit` in `mod.rs`, which writes the row `event` makes).
//! Every write of the service ends with one, successful or not (a refusal by the role check
//! included); the texts are the callers' own.

use crate::repository::NewEvent;
use uuid::Uuid;
use vireo_app::models::CurrentUser;

/// What an event is about: the object's kind (`"vm"`, `"host"`, ...), its id when it has one, and
/// its name.
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    pub kind: &'a str,
    pub id: Option<Uuid>,
    pub name: &'a str,
}

impl<'a> Object<'a> {
    pub fn new(kind: &'a str, id: Option<Uuid>, name: &'a str) -> Self {
        Self { kind, id, name }
    }
}

/// How it went, with the event's message: done (severity `info`), refused — the write was not
/// allowed or not valid (`warning`) — or failed underneath, in libvirt or on a host (`error`).
#[derive(Debug)]
pub enum Outcome {
    Done(String),
    Refused(String),
    Failed(String),
}

impl Outcome {
    /// `Done` when `success`, else `Refused`.
    pub fn or_refused(success: bool, message: String) -> Self {
        if success {
            Self::Done(message)
        } else {
            Self::Refused(message)
        }
    }

    /// `Done` when `success`, else `Failed`.
    pub fn or_failed(success: bool, message: String) -> Self {
        if success {
            Self::Done(message)
        } else {
            Self::Failed(message)
        }
    }
}

/// The event row for `VireoService::audit` (`mod.rs`).
pub(crate) fn event<'a>(
    user: Option<&'a CurrentUser>,
    action: &'a str,
    object: Object<'a>,
    outcome: Outcome,
) -> NewEvent<'a> {
    let (severity, success, message) = match outcome {
        Outcome::Done(m) => ("info", true, m),
        Outcome::Refused(m) => ("warning", false, m),
        Outcome::Failed(m) => ("error", false, m),
    };
    NewEvent {
        user,
        username: None,
        severity,
        action,
        object_kind: object.kind,
        object_id: object.id,
        object_name: Some(object.name),
        success,
        message,
    }
}
