//! Who may do what: the one role check every write goes through, whatever the entry point (server
//! functions, the no-JavaScript form posts, the REST API, the command line).
//!
//! The check is pure (a role against a permission) so the browser can hide what a role may not do,
//! but only the service acts on it: every write method of the service starts with [`authorize`], and
//! the repository's write methods take the [`Actor`] it returns. `Actor` has private fields and no
//! public constructor besides `authorize` (and [`Actor::vireo`] for Vireo's own background work), so
//! a write without a checked actor does not compile.

use crate::error::AppError;
use crate::models::{CurrentUser, Role};

/// A kind of write. Reads need only a logged-in user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Create, edit, run, stop and remove VMs, Templates and Pools.
    ManageVms,
    /// Hosts, their KSM and huge pages, clusters, instance types.
    ManageInfrastructure,
    /// Other users: add, change role, disable, reset password.
    ManageUsers,
    /// One's own password.
    ChangeOwnPassword,
    /// Open a VM's serial or graphical console: root access to the guest.
    UseConsole,
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        match (self, permission) {
            (Role::Admin, _) => true,
            (Role::Operator, Permission::ManageVms | Permission::ChangeOwnPassword | Permission::UseConsole) => true,
            (Role::Operator, Permission::ManageInfrastructure | Permission::ManageUsers) => false,
            (Role::Viewer, Permission::ChangeOwnPassword) => true,
            (Role::Viewer, _) => false,
        }
    }
}

/// Who a write is done for, after the role check. Carried into the repository's writes and the
/// audit log.
#[derive(Clone, Debug)]
pub struct Actor {
    user: Option<CurrentUser>,
}

impl Actor {
    /// Vireo itself (high-availability restarts, reconciling with libvirt, first-run setup): never
    /// for work a request asked for.
    pub fn vireo() -> Self {
        Self { user: None }
    }

    /// The user the write is for; `None` for Vireo's own work.
    pub fn user(&self) -> Option<&CurrentUser> {
        self.user.as_ref()
    }
}

impl CurrentUser {
    /// Whether the UI should offer an action; the service checks again (`authorize`).
    pub fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}

/// The role check. `Forbidden` when the user's role does not allow `permission`.
pub fn authorize(user: &CurrentUser, permission: Permission) -> Result<Actor, AppError> {
    if user.role.allows(permission) {
        Ok(Actor {
            user: Some(user.clone()),
        })
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn user(role: Role) -> CurrentUser {
        CurrentUser {
            id: Uuid::nil(),
            username: "u".into(),
            role,
        }
    }

    #[test]
    fn roles_allow_what_the_readme_says() {
        use Permission::*;
        let table = [
            (Role::Admin, [true, true, true, true, true]),
            (Role::Operator, [true, false, false, true, true]),
            (Role::Viewer, [false, false, false, true, false]),
        ];
        for (role, expected) in table {
            for (permission, allowed) in [
                ManageVms,
                ManageInfrastructure,
                ManageUsers,
                ChangeOwnPassword,
                UseConsole,
            ]
            .into_iter()
            .zip(expected)
            {
                assert_eq!(role.allows(permission), allowed, "{role:?} {permission:?}");
                assert_eq!(authorize(&user(role), permission).is_ok(), allowed);
            }
        }
        let actor = authorize(&user(Role::Operator), ManageVms).unwrap();
        assert_eq!(actor.user().map(|u| u.role), Some(Role::Operator));
        assert!(Actor::vireo().user().is_none());
        assert!(matches!(
            authorize(&user(Role::Viewer), ManageVms),
            Err(AppError::Forbidden)
        ));
    }
}
