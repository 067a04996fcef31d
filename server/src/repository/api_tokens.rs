//! Bearer tokens of the oVirt-compatible API, stored as SHA-256 hashes.

use super::{internal, Repository, UserRecord};
use time::OffsetDateTime;
use uuid::Uuid;
use vireo_app::error::AppError;

impl Repository {
    /// Stores a new token (and drops expired ones, so the table stays small without a sweeper).
    pub async fn insert_api_token(
        &self,
        hash: &[u8],
        user_id: Uuid,
        expires_at: OffsetDateTime,
    ) -> Result<(), AppError> {
        self.execute(sqlx::query("DELETE FROM api_tokens WHERE expires_at < now()"))
            .await?;
        let sql = "INSERT INTO api_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)";
        self.execute(sqlx::query(sql).bind(hash).bind(user_id).bind(expires_at))
            .await?;
        Ok(())
    }

    /// The user a live token belongs to; none for a disabled user (disabling also deletes their
    /// tokens, this is the second line).
    pub async fn api_token_user(&self, hash: &[u8]) -> Result<Option<UserRecord>, AppError> {
        let sql = "SELECT u.id, u.username, u.password_hash, u.role, u.disabled, u.auth_epoch
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.expires_at > now() AND NOT u.disabled";
        self.fetch_optional(sqlx::query_as(sql).bind(hash)).await
    }

    pub async fn delete_api_token(&self, hash: &[u8]) -> Result<bool, AppError> {
        let deleted = self
            .execute(sqlx::query("DELETE FROM api_tokens WHERE token_hash = $1").bind(hash))
            .await?;
        Ok(deleted > 0)
    }

    /// How many live tokens a user has (tests and the command line's report).
    pub async fn count_api_tokens(&self, user_id: Uuid) -> Result<i64, AppError> {
        sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE user_id = $1 AND expires_at > now()")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .map_err(internal)
    }
}
