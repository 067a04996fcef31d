//! What the operations commands (`check`, `restore`) read about the database itself rather than
//! about Vireo's objects: the migrations applied to it, and whether it holds anything at all.

use super::Repository;

/// One row of sqlx's migration table.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AppliedMigration {
    pub version: i64,
    pub checksum: Vec<u8>,
    /// False when the migration failed half-way (only possible for one run outside a transaction).
    pub success: bool,
}

impl Repository {
    /// The migrations recorded in `_sqlx_migrations` (the table `MIGRATOR.run` keeps), oldest
    /// first; none in a database no Vireo has migrated yet (the table does not exist).
    pub async fn applied_migrations(&self) -> Result<Vec<AppliedMigration>, sqlx::Error> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(self.pool())
            .await?;
        if !exists {
            return Ok(Vec::new());
        }
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(self.pool())
            .await
    }

    /// How many tables, views, sequences and types live outside PostgreSQL's own schemas: 0 for a
    /// database nothing was ever created in (where a restore may go without `--force`).
    pub async fn user_object_count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%') \
                  + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
                       AND t.typtype IN ('e', 'd'))",
        )
        .fetch_one(self.pool())
        .await
    }
}
