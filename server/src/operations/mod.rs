//! The command line's one-shot operations on Vireo's database (`backup`, `restore`, `migrate`,
//! `check`) and the database they act on: `store.rs` opens the embedded cluster or
//! `DATABASE_URL` exactly as `serve` does, `pg_tools.rs` runs PostgreSQL's own `pg_dump` and
//! `pg_restore` against it, `backup.rs` holds backup and restore, `check.rs` the readiness checks.

pub mod backup;
pub mod check;
pub mod pg_tools;
pub mod store;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(transparent)]
    Embedded(#[from] crate::embedded_pg::PgError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} {}: {source}", .path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{program} failed ({status}): {stderr}")]
    Tool {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("DATABASE_URL: {0}")]
    BadUrl(String),
    /// A refusal that protects data, with what to do instead.
    #[error("{0}")]
    Refused(String),
}
