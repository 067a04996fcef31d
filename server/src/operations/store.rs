//! The database Vireo keeps its objects in, opened the way `serve` opens it: the server
//! `DATABASE_URL` names, or else Vireo's own cluster under `$VIREO_DATA_DIR/postgres` — started,
//! or attached to when another Vireo process (a running `serve`) already runs it.

use super::OpsError;
use crate::config::Config;
use crate::embedded_pg::{EmbeddedPostgres, PgSettings, ACQUIRE_TIMEOUT};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The database's name inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "vireo";

pub enum Store {
    Embedded(Arc<EmbeddedPostgres>),
    External { url: String },
}

impl Store {
    /// Starts (initialising on first use) or attaches to the embedded cluster; for `DATABASE_URL`
    /// nothing happens until [`Store::pool`].
    pub async fn open(config: &Config) -> Result<Self, OpsError> {
        let Some(url) = &config.database_url else {
            // Run as root, its cluster runs as `postgres`, which must be able to enter the data
            // folder (a `mktemp -d` one is 0700): Vireo owns that folder, so it opens it itself.
            if let Some(what) = crate::embedded_pg::let_postgres_through(&config.data_dir)? {
                tracing::info!("{what}");
            }
            let root = embedded_root(config);
            tracing::info!("starting the embedded PostgreSQL cluster in {}", root.display());
            let pg = EmbeddedPostgres::start(&root, PgSettings { durable: true }).await?;
            return Ok(Self::Embedded(Arc::new(pg)));
        };
        Ok(Self::External { url: url.clone() })
    }

    /// Whether there is anything to open without creating it: always for `DATABASE_URL`; for the
    /// embedded cluster, whether one was initialised under the data folder (the first `serve` or
    /// `migrate` does that).
    pub fn exists(config: &Config) -> bool {
        config.database_url.is_some() || embedded_root(config).join("pgdata/PG_VERSION").exists()
    }

    /// A pool on Vireo's database (created in the embedded cluster if missing).
    pub async fn pool(&self, max: u32) -> Result<PgPool, OpsError> {
        match self {
            Self::Embedded(pg) => {
                pg.ensure_database(EMBEDDED_DATABASE, None).await?;
                Ok(pg.pool(EMBEDDED_DATABASE, max).await?)
            }
            Self::External { url } => sqlx::postgres::PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await
                .map_err(|e| OpsError::Refused(format!("cannot connect to DATABASE_URL: {e}"))),
        }
    }

    /// What it is, for the log: the cluster's folder, or the server's host and database (never
    /// the URL, which may hold a password).
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded(pg) => format!("the embedded cluster in {}", pg.root().display()),
            Self::External { url } => match url::Url::parse(url) {
                Ok(u) => format!(
                    "DATABASE_URL (host {}, database {})",
                    u.host_str().filter(|h| !h.is_empty()).unwrap_or("local socket"),
                    u.path().trim_start_matches('/')
                ),
                Err(_) => "DATABASE_URL".into(),
            },
        }
    }

    /// Stops the embedded cluster if this process started it (a running `serve`'s stays up).
    pub async fn close(self) {
        if let Self::Embedded(pg) = self {
            if pg.owned() {
                tracing::info!("stopping the embedded PostgreSQL cluster");
                let _ = tokio::task::spawn_blocking(move || pg.stop()).await;
            }
        }
    }
}

fn embedded_root(config: &Config) -> PathBuf {
    Path::new(&config.data_dir).join("postgres")
}
