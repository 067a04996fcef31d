//! All SQL lives here: one repository over the pool, split by table. Services call these methods and
//! never write SQL themselves.

mod api_search;
mod api_tokens;
mod catalog;
mod clusters;
mod collection_sql;
mod configs;
mod dashboard;
mod data_centers;
mod events;
mod grids;
mod hosts;
mod lifecycle;
mod networks;
mod removals;
pub mod replicas;
mod schema_state;
mod seed;
mod storage;
mod usage;
mod users;

pub use api_search::{ApiCollection, ApiSummary};
pub use clusters::ClusterFields;
pub use collection_sql::TableColumn;
pub use configs::{ConfigRecord, ConfigWrite, RuntimePins};
pub use data_centers::DEFAULT_DATA_CENTER;
pub use events::{clip, NewEvent, EVENT_TEXT_MAX};
pub use grids::{grid_page_sql, never_null_sort_columns, PlannedGrid};
pub use hosts::{HostChoice, NewHost};
pub use lifecycle::{CpuHolderRow, StartRecorded, VmRuntime};
pub use networks::{mac_taken_error, BackingRow, HostBacking, NewNetworkRow, NicUser, ProfileFields, ProfileTarget};
pub use removals::Usage;
pub use schema_state::AppliedMigration;
pub use seed::NewVmRows;
pub use storage::{DiskRecord, NewDiskRow, PoolRow, StorageDomainRecord};
pub use usage::NewUsageSample;
pub use users::{UserChange, UserRecord};

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::{Query, QueryAs};
use sqlx::{FromRow, PgPool, Postgres};
use uuid::Uuid;
use vireo_app::error::AppError;

/// A statement with its parameters bound, ready to run on the pool.
type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

#[derive(Clone)]
pub struct Repository {
    pool: PgPool,
}

impl Repository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// Runs a write on the pool; how many rows it touched.
    async fn execute(&self, query: PgQuery<'_>) -> Result<u64, AppError> {
        query
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(internal)
    }

    /// Runs a write that stores the `kind` named `name`: a unique violation is a conflict naming it
    /// (see [`db_error`]); how many rows it touched.
    async fn execute_named(&self, query: PgQuery<'_>, kind: &str, name: &str) -> Result<u64, AppError> {
        query
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_error(kind, name))
    }

    /// Deletes the row `sql` names by its `$1` = `id`; whether there was one.
    async fn delete_row(&self, sql: &str, id: Uuid) -> Result<bool, AppError> {
        Ok(self.execute(sqlx::query(sql).bind(id)).await? > 0)
    }

    /// The one number a query without parameters answers (a `count(*)`).
    async fn count(&self, sql: &str) -> Result<i64, AppError> {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.map_err(internal)
    }

    /// Every row `query` selects.
    async fn fetch_all<R>(&self, query: QueryAs<'_, Postgres, R, PgArguments>) -> Result<Vec<R>, AppError>
    where
        R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        query.fetch_all(&self.pool).await.map_err(internal)
    }

    /// The row `query` selects, if any.
    async fn fetch_optional<R>(&self, query: QueryAs<'_, Postgres, R, PgArguments>) -> Result<Option<R>, AppError>
    where
        R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        query.fetch_optional(&self.pool).await.map_err(internal)
    }
}

/// Maps database failures to the app's error: unique violations become a conflict naming the
/// object, everything else is logged and hidden.
pub(crate) fn db_error<'a>(kind: &'a str, name: &'a str) -> impl FnOnce(sqlx::Error) -> AppError + 'a {
    let kind = kind.to_string();
    move |e| {
        if let Some(mac) = networks::mac_taken(&e) {
            return networks::mac_taken_error(&mac);
        }
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return AppError::conflict(format!("A {kind} named '{name}' already exists."));
            }
        }
        internal(e)
    }
}

pub(crate) fn internal(e: sqlx::Error) -> AppError {
    internal_error(e)
}

pub fn internal_error(e: sqlx::Error) -> AppError {
    // PostgreSQL's text cannot hold NUL (22021, "invalid byte sequence"): that is the caller's
    // input reaching a query, whatever the query, so a 400 rather than a 500.
    if let sqlx::Error::Database(db) = &e {
        if db.code().as_deref() == Some("22021") {
            return AppError::validation("request", "Text may not contain NUL characters.");
        }
    }
    if is_unavailable(&e) {
        tracing::warn!(error = %e, "the database is unavailable");
        return AppError::Unavailable;
    }
    tracing::error!(error = %e, "database error");
    AppError::Internal
}

/// The database could not be reached or went away mid-query (not a problem with the query): no
/// connection within the pool's acquire timeout, a broken socket, or the server shutting down,
/// crashing or still starting. Such failures are temporary and answered with 503.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exceptions; 57P01-57P03: admin/crash shutdown, cannot connect now.
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}
