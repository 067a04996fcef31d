use super::{internal, Repository};
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::error::AppError;
use vireo_app::models::{CurrentUser, Role};

/// A user row with its password hash: server-side only, never serialised to a browser.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub role: String,
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

impl Repository {
    pub async fn count_users(&self) -> Result<i64, AppError> {
        sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(internal)
    }

    pub async fn insert_user(
        &self,
        _actor: &Actor,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::new_v4();
        sqlx::query("INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(username)
            .bind(password_hash)
            .bind(role.as_str())
            .execute(&self.pool)
            .await
            .map_err(super::db_error("user", username))?;
        Ok(id)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, AppError> {
        sqlx::query_as("SELECT id, username, password_hash, role FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, AppError> {
        sqlx::query_as("SELECT id, username, password_hash, role FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)
    }
}
