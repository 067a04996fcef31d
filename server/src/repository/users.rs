use super::{internal, Repository};
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, Role, UserView};

/// A user row with its password hash: server-side only, never serialised to a browser.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    /// A disabled user cannot log in; their sessions and API tokens are refused.
    pub disabled: bool,
    /// Bumped when the password changes or the user is disabled; a session made in an older epoch
    /// is void.
    pub auth_epoch: i32,
}

impl UserRecord {
    pub fn to_current(&self) -> Option<CurrentUser> {
        Some(CurrentUser {
            id: self.id,
            username: self.username.clone(),
            role: Role::parse(&self.role)?,
        })
    }
}

const USER_COLUMNS: &str = "id, username, password_hash, role, disabled, auth_epoch";

/// What a guarded account change does; see [`Repository::change_user`].
#[derive(Clone, Debug)]
pub enum UserChange<'a> {
    Role(Role),
    Disabled(bool),
    Password(&'a str),
}

/// A user as the Users grid reads it.
#[derive(sqlx::FromRow)]
pub(super) struct UserGridRow {
    id: Uuid,
    username: String,
    role: String,
    disabled: bool,
    created: String,
}

/// The Users grid's columns, for [`UserGridRow`].
const USER_GRID_SELECT: &str = "SELECT id, username, role, disabled,
                    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created FROM users";

impl UserGridRow {
    /// The row as the grid shows it; `None` for a role this code does not know (the column's
    /// CHECK admits only known ones).
    pub(super) fn view(self) -> Option<UserView> {
        Some(UserView {
            id: self.id,
            username: self.username,
            role: Role::parse(&self.role)?,
            disabled: self.disabled,
            created: self.created,
        })
    }
}

impl Repository {
    pub async fn count_users(&self) -> Result<i64, AppError> {
        self.count("SELECT count(*) FROM users").await
    }

    pub async fn insert_user(
        &self,
        _actor: &Actor,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::new_v4();
        let query = sqlx::query("INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(username)
            .bind(password_hash)
            .bind(role.as_str());
        self.execute_named(query, "user", username).await?;
        Ok(id)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, AppError> {
        self.fetch_optional(
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1")).bind(username),
        )
        .await
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, AppError> {
        self.fetch_optional(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")).bind(id))
            .await
    }

    /// Changes a user's role, enabled state or password hash in one transaction that also keeps at
    /// least one enabled admin: the enabled admins are locked first, so two admins demoting each
    /// other at the same moment cannot both succeed. Disabling and a new password bump the user's
    /// `auth_epoch` (their sessions end) and delete their API tokens. Returns the updated row.
    pub async fn change_user(&self, _actor: &Actor, id: Uuid, change: UserChange<'_>) -> Result<UserRecord, AppError> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let admins: Vec<Uuid> =
            sqlx::query_scalar("SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE")
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?;
        let current: Option<UserRecord> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?;
        let Some(current) = current else {
            return Err(AppError::not_found("User"));
        };
        let stops_being_admin = match &change {
            UserChange::Role(role) => *role != Role::Admin,
            UserChange::Disabled(disabled) => *disabled,
            UserChange::Password(_) => false,
        };
        if stops_being_admin && admins.len() == 1 && admins[0] == id {
            return Err(AppError::conflict(format!(
                "{} is the last enabled administrator; make another user an administrator first.",
                current.username
            )));
        }
        let updated: UserRecord = match change {
            UserChange::Role(role) => {
                sqlx::query_as(&format!(
                    "UPDATE users SET role = $2 WHERE id = $1 RETURNING {USER_COLUMNS}"
                ))
                .bind(id)
                .bind(role.as_str())
                .fetch_one(&mut *tx)
                .await
            }
            UserChange::Disabled(disabled) => {
                // Only disabling moves the epoch: enabling again must not revive old sessions,
                // and it does not, because disabling already moved it.
                sqlx::query_as(&format!(
                    "UPDATE users SET disabled = $2,
                            auth_epoch = CASE WHEN $2 AND NOT disabled THEN auth_epoch + 1 ELSE auth_epoch END
                     WHERE id = $1 RETURNING {USER_COLUMNS}"
                ))
                .bind(id)
                .bind(disabled)
                .fetch_one(&mut *tx)
                .await
            }
            UserChange::Password(hash) => {
                sqlx::query_as(&format!(
                    "UPDATE users SET password_hash = $2, auth_epoch = auth_epoch + 1 WHERE id = $1
                     RETURNING {USER_COLUMNS}"
                ))
                .bind(id)
                .bind(hash)
                .fetch_one(&mut *tx)
                .await
            }
        }
        .map_err(internal)?;
        if updated.auth_epoch != current.auth_epoch {
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(updated)
    }
}

impl Repository {
    /// One user as the Users grid shows it.
    pub async fn user_view(&self, id: Uuid) -> Result<Option<UserView>, AppError> {
        let row: Option<UserGridRow> = self
            .fetch_optional(sqlx::query_as(&format!("{USER_GRID_SELECT} WHERE id = $1")).bind(id))
            .await?;
        Ok(row.and_then(UserGridRow::view))
    }
}
