//! Users: the grid, Add user, change role, disable/enable, reset a password (admins), and changing
//! one's own password (everyone). Every write starts with the role check, keeps at least one enabled
//! admin (in the repository's transaction), and ends with an audit event — which never holds a
//! password. The command line (`vireo-server user …`) uses the `command_line_*` entries: the same
//! checks and events, done as Vireo itself (`Actor::vireo()`), for recovery without the UI.

use crate::repository::{clip, UserChange};
use crate::service::audit::{Object, Outcome};
use crate::service::grids::grid_search;
use crate::service::passwords::hash_password;
use crate::service::VireoService;
use crate::web::auth::{plausible_username, retry_after_secs, MAX_USERNAME_CHARS};
use uuid::Uuid;
use vireo_app::authz::{Actor, Permission};
use vireo_app::backend::UserBackend;
use vireo_app::domain::collections;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{
    CurrentUser, GridPage, GridQuery, NewPassword, NewUserRequest, Role, UserView, MIN_PASSWORD_CHARS,
};

/// Longer passwords are refused: hashing megabytes is work an attacker would like us to do.
const MAX_PASSWORD_CHARS: usize = 1024;

/// Field errors for a user name, per the `users` table's check.
pub fn username_errors(name: &str) -> Vec<FieldError> {
    if name.is_empty() {
        vec![FieldError::new("username", "Enter a user name.")]
    } else if !plausible_username(name) {
        vec![FieldError::new(
            "username",
            format!("Use 1 to {MAX_USERNAME_CHARS} letters, digits and . _ @ - (no spaces)."),
        )]
    } else {
        Vec::new()
    }
}

/// Field errors for a new password and its repetition (`password`, `confirm`).
pub fn password_errors(p: &NewPassword) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let n = p.password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            "password",
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    } else if n > MAX_PASSWORD_CHARS {
        errors.push(FieldError::new(
            "password",
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    if p.password != p.confirm {
        errors.push(FieldError::new("confirm", "The two passwords differ."));
    }
    errors
}

fn parse_role(text: &str) -> Result<Role, AppError> {
    Role::parse(text.trim()).ok_or_else(|| AppError::validation("role", "Choose a role: admin, operator or viewer."))
}

fn check(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation { errors })
    }
}

async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| AppError::Internal)?
}

impl VireoService {
    /// Records the outcome of a user write and passes it on.
    async fn audited<T>(
        &self,
        actor: &Actor,
        action: &str,
        target: (Option<Uuid>, &str),
        result: Result<T, AppError>,
        done: impl FnOnce(&T) -> String,
    ) -> Result<T, AppError> {
        let name = clip(target.1, MAX_USERNAME_CHARS);
        let (success, message) = match &result {
            Ok(value) => (true, done(value)),
            Err(e) => (false, format!("{action} for {name} refused: {e}")),
        };
        self.audit(
            actor.user(),
            action,
            Object::new("user", target.0, &name),
            Outcome::or_refused(success, message),
        )
        .await;
        result
    }

    /// A user write refused before it started: audited like any other refusal.
    async fn refused(
        &self,
        actor: &Actor,
        action: &str,
        target: (Option<Uuid>, &str),
        error: AppError,
    ) -> Result<UserView, AppError> {
        self.audited(actor, action, target, Err(error), |_: &UserView| String::new())
            .await
    }

    /// The role check for a write to user `id` by an administrator, and the name the events give
    /// that user.
    async fn user_to_manage(&self, user: &CurrentUser, id: Uuid, action: &str) -> Result<(Actor, String), AppError> {
        let name = self.target_name(id).await;
        let actor = self
            .authorize(user, Permission::ManageUsers, action, "user", Some(id), &name)
            .await?;
        Ok((actor, name))
    }

    async fn view(&self, id: Uuid) -> Result<UserView, AppError> {
        self.repo
            .user_view(id)
            .await?
            .ok_or_else(|| AppError::not_found("User"))
    }

    /// The target's name for refusals and events (the id when there is no such user).
    async fn target_name(&self, id: Uuid) -> String {
        match self.repo.user_by_id(id).await {
            Ok(Some(u)) => u.username,
            _ => id.to_string(),
        }
    }

    async fn add_user_as(&self, actor: &Actor, request: NewUserRequest) -> Result<UserView, AppError> {
        let username = request.username.trim().to_string();
        let result = async {
            let mut errors = username_errors(&username);
            let role = parse_role(&request.role);
            if let Err(AppError::Validation { errors: e }) = &role {
                errors.extend(e.iter().cloned());
            }
            errors.extend(password_errors(&NewPassword {
                password: request.password.clone(),
                confirm: request.confirm.clone(),
            }));
            if errors.is_empty() && self.repo.user_by_name(&username).await?.is_some() {
                errors.push(FieldError::new(
                    "username",
                    format!("A user named '{username}' already exists."),
                ));
            }
            check(errors)?;
            let role = role?;
            let hash = hash(request.password.clone()).await?;
            let id = self.repo.insert_user(actor, &username, &hash, role).await?;
            self.view(id).await
        }
        .await;
        self.audited(
            actor,
            "user.create",
            (result.as_ref().ok().map(|u| u.id), &username),
            result,
            |u| format!("User {} added as {}.", u.username, u.role.label()),
        )
        .await
    }

    async fn set_disabled_as(&self, actor: &Actor, id: Uuid, name: &str, disabled: bool) -> Result<UserView, AppError> {
        let action = if disabled { "user.disable" } else { "user.enable" };
        let result = async {
            self.repo.change_user(actor, id, UserChange::Disabled(disabled)).await?;
            if disabled {
                // Their open consoles end too (the bridge closes them with 4004).
                self.consoles.drop_user(id, crate::service::consoles::USER_DISABLED);
            }
            self.view(id).await
        }
        .await;
        self.audited(actor, action, (Some(id), name), result, |u| {
            if u.disabled {
                format!("{} disabled; their sessions and API tokens ended.", u.username)
            } else {
                format!("{} enabled.", u.username)
            }
        })
        .await
    }

    async fn set_password_as(
        &self,
        actor: &Actor,
        id: Uuid,
        name: &str,
        password: NewPassword,
    ) -> Result<UserView, AppError> {
        let result = async {
            check(password_errors(&password))?;
            let hash = hash(password.password).await?;
            self.repo.change_user(actor, id, UserChange::Password(&hash)).await?;
            self.view(id).await
        }
        .await;
        self.audited(actor, "user.password", (Some(id), name), result, |u| {
            format!("Password of {} reset; their sessions and API tokens ended.", u.username)
        })
        .await
    }

    // --- the command line (`vireo-server user …`): recovery without the UI, as Vireo itself.

    /// `vireo-server user add NAME --role ROLE`.
    pub async fn command_line_add_user(
        &self,
        username: &str,
        role: &str,
        password: String,
    ) -> Result<UserView, AppError> {
        let request = NewUserRequest {
            username: username.into(),
            role: role.into(),
            confirm: password.clone(),
            password,
        };
        self.add_user_as(&Actor::vireo(), request).await
    }

    /// `vireo-server user passwd NAME`: ends the user's sessions and tokens.
    pub async fn command_line_set_password(&self, username: &str, password: String) -> Result<UserView, AppError> {
        let id = self.command_line_user(username).await?;
        let password = NewPassword {
            confirm: password.clone(),
            password,
        };
        self.set_password_as(&Actor::vireo(), id, username, password).await
    }

    /// `vireo-server user disable NAME` (the last enabled admin stays enabled here too).
    pub async fn command_line_disable_user(&self, username: &str) -> Result<UserView, AppError> {
        let id = self.command_line_user(username).await?;
        self.set_disabled_as(&Actor::vireo(), id, username, true).await
    }

    async fn command_line_user(&self, username: &str) -> Result<Uuid, AppError> {
        self.repo
            .user_by_name(username)
            .await?
            .map(|u| u.id)
            .ok_or_else(|| AppError::not_found(format!("User '{}'", clip(username, MAX_USERNAME_CHARS))))
    }
}

#[async_trait::async_trait]
impl UserBackend for VireoService {
    async fn user_grid(&self, user: &CurrentUser, q: &GridQuery) -> Result<GridPage<UserView>, AppError> {
        self.authorize(user, Permission::ManageUsers, "user.list", "user", None, "users")
            .await?;
        self.repo.user_grid(q, &grid_search(q, &collections::USERS)?).await
    }

    async fn add_user(&self, user: &CurrentUser, request: NewUserRequest) -> Result<UserView, AppError> {
        let name = clip(request.username.trim(), MAX_USERNAME_CHARS).to_string();
        let actor = self
            .authorize(user, Permission::ManageUsers, "user.create", "user", None, &name)
            .await?;
        self.add_user_as(&actor, request).await
    }

    async fn set_user_role(&self, user: &CurrentUser, id: Uuid, role: String) -> Result<UserView, AppError> {
        let (actor, name) = self.user_to_manage(user, id, "user.role").await?;
        let result = async {
            if id == user.id {
                return Err(AppError::validation("role", "You cannot change your own role."));
            }
            let role = parse_role(&role)?;
            self.repo.change_user(&actor, id, UserChange::Role(role)).await?;
            self.view(id).await
        }
        .await;
        self.audited(&actor, "user.role", (Some(id), &name), result, |u| {
            format!("{} is now {}.", u.username, u.role.label())
        })
        .await
    }

    async fn set_user_disabled(&self, user: &CurrentUser, id: Uuid, disabled: bool) -> Result<UserView, AppError> {
        let action = if disabled { "user.disable" } else { "user.enable" };
        let (actor, name) = self.user_to_manage(user, id, action).await?;
        if disabled && id == user.id {
            let refused = AppError::validation("disabled", "You cannot disable yourself.");
            return self.refused(&actor, action, (Some(id), &name), refused).await;
        }
        self.set_disabled_as(&actor, id, &name, disabled).await
    }

    async fn reset_user_password(
        &self,
        user: &CurrentUser,
        id: Uuid,
        password: NewPassword,
    ) -> Result<UserView, AppError> {
        let (actor, name) = self.user_to_manage(user, id, "user.password").await?;
        if id == user.id {
            let refused = AppError::validation(
                "password",
                "Change your own password with \"Change password\" in the top bar.",
            );
            return self.refused(&actor, "user.password", (Some(id), &name), refused).await;
        }
        self.set_password_as(&actor, id, &name, password).await
    }

    async fn change_own_password(
        &self,
        user: &CurrentUser,
        current: String,
        password: NewPassword,
    ) -> Result<i32, AppError> {
        let actor = self
            .authorize(
                user,
                Permission::ChangeOwnPassword,
                "user.own_password",
                "user",
                Some(user.id),
                &user.username,
            )
            .await?;
        let result = async {
            check(password_errors(&password))?;
            // Someone at an unlocked screen may not guess the current password faster than a login.
            let attempt = self
                .throttle
                .admit_shared(Some(&user.username), None)
                .await?
                .map_err(|wait| {
                    AppError::validation(
                        "current",
                        format!("Too many attempts; try again in {} seconds.", retry_after_secs(wait)),
                    )
                })?;
            let record = self.repo.user_by_id(user.id).await?.ok_or(AppError::Unauthorized)?;
            match self.throttle.verify(current, record.password_hash).await {
                Ok(true) => self.throttle.succeeded_shared(attempt).await,
                Ok(false) => {
                    return Err(AppError::validation("current", "That is not your current password."));
                }
                Err(_) => {
                    self.throttle.refund_shared(attempt).await;
                    return Err(AppError::Busy {
                        message: "Vireo is busy checking passwords; try again in a few seconds.".into(),
                    });
                }
            }
            let hash = hash(password.password).await?;
            Ok(self
                .repo
                .change_user(&actor, user.id, UserChange::Password(&hash))
                .await?
                .auth_epoch)
        }
        .await;
        self.audited(
            &actor,
            "user.own_password",
            (Some(user.id), &user.username),
            result,
            |_| {
                format!(
                    "{} changed their password; their other sessions and API tokens ended.",
                    user.username
                )
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_get_field_errors() {
        assert!(username_errors("alice").is_empty());
        assert_eq!(username_errors("")[0].field, "username");
        assert_eq!(username_errors("a b").len(), 1);
        assert_eq!(username_errors(&"a".repeat(65)).len(), 1);
        let ok = NewPassword {
            password: "twelve chars".into(),
            confirm: "twelve chars".into(),
        };
        assert!(password_errors(&ok).is_empty());
        let short = NewPassword {
            password: "eleven char".into(),
            confirm: "other".into(),
        };
        let fields: Vec<_> = password_errors(&short).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["password", "confirm"]);
        assert!(parse_role("operator").is_ok());
        assert!(parse_role("root").is_err());
    }
}
