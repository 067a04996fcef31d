#![recursion_limit = "512"]
//! Vireo's server: configuration, the embedded PostgreSQL cluster, the repository (all SQL), the
//! libvirt pool, sessions and login, the service behind server functions, and the router.

pub mod cli;
pub mod config;
pub mod embedded_pg;
pub mod hypervisor;
pub mod logging;
pub mod metrics;
pub mod operations;
pub mod ovirt;
pub mod repository;
pub mod service;
pub mod ssh;
pub mod web;

use crate::config::Config;
use crate::hypervisor::Hypervisor;
use crate::repository::Repository;
use crate::service::passwords::{hash_password, random_password};
use crate::service::VireoService;
use crate::web::state::AppState;
use leptos::config::{Env, LeptosOptions};
use sqlx::PgPool;
use std::sync::Arc;
use tower_sessions::CachingSessionStore;
use tower_sessions_moka_store::MokaStore;
use tower_sessions_sqlx_store::PostgresStore;

/// Sessions kept in memory; beyond this the least used are read from PostgreSQL again.
const SESSION_CACHE_CAPACITY: u64 = 10_000;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("session store: {0}")]
    Sessions(String),
    #[error("first-run setup failed: {0}")]
    Bootstrap(vireo_app::error::AppError),
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    // The bundle's content-hashed names, when the site's build listed them (web/static_assets.rs).
    let (hash_files, hash_file) = crate::web::static_assets::hashing(&config.site_root);
    LeptosOptions::builder()
        .output_name("vireo")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .hash_files(hash_files)
        .hash_file(hash_file.into())
        .site_addr(config.addr)
        .env(if cfg!(debug_assertions) { Env::DEV } else { Env::PROD })
        .build()
}

/// Migrates, runs first-run setup and builds the router: everything between "have a database" and
/// "serve", shared by `main` and the integration tests.
pub async fn assemble(
    config: &Config,
    pool: PgPool,
    hypervisor: Arc<dyn Hypervisor>,
) -> Result<(AppState, axum::Router), StartupError> {
    MIGRATOR.run(&pool).await?;
    let durable = PostgresStore::new(pool.clone());
    durable
        .migrate()
        .await
        .map_err(|e| StartupError::Sessions(e.to_string()))?;

    let repo = Repository::new(pool);
    let service = Arc::new(
        VireoService::new(repo.clone(), hypervisor.clone(), config.shutdown_timeout)
            .with_mac_range(config.mac_range)
            .with_console_idle_timeout(config.console_idle_timeout)
            .with_sample_interval(config.sample_interval)
            .with_ssh(&config.data_dir),
    );
    // One replica at a time: each step of first-run setup happens only when its table is empty.
    let first_run = repository::replicas::lock_session(&service.repo, repository::replicas::FIRST_RUN_LOCK)
        .await
        .map_err(|e| StartupError::Bootstrap(repository::internal_error(e)))?;
    let bootstrapped = service::bootstrap::run(&service, config).await;
    // Closing the session releases the lock.
    if let Err(e) = sqlx::Connection::close(first_run).await {
        tracing::debug!(error = %e, "the first-run lock's session did not close cleanly");
    }
    bootstrapped.map_err(StartupError::Bootstrap)?;
    // Vireo's SSH key (made on first run) and each SSH host's pinned key, before any connection.
    service.route_ssh_hosts().await;
    // The database may be behind libvirt (or libvirt behind the database, after a host restart).
    // Only the leader does this: a replica joining a running leader must not reconcile (nor
    // release disks another replica is uploading). One attempt now; `serve` keeps trying
    // (`Leadership::run`), and the one process of an embedded cluster always wins.
    if service.leadership.refresh().await {
        service.reconcile_all().await;
        service.release_interrupted_disks().await;
        service.sync_all_storage().await;
        service.sync_all_networks().await;
    }

    let dummy_hash = tokio::task::spawn_blocking(|| hash_password(&random_password()))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    // One throttle for logins and for checking a current password when it is changed.
    let throttle = service.throttle.clone();
    let state = AppState {
        throttle,
        leptos_options: leptos_options(config),
        repo,
        service,
        hypervisor,
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        metrics_access: Arc::new(config.metrics.clone()),
        dummy_hash: dummy_hash.into(),
        changes: crate::web::live::channel(),
        vnc_relays: Arc::new(web::vnc_relay::VncRelays::new(config.addr.ip())),
    };
    let router = if config.database_url.is_some() {
        // Replicas may share this database: a session ended on one (Log out) must end on every
        // one, so each request reads it from PostgreSQL — a per-process cache would keep a
        // logged-out session alive on the replicas that had it cached.
        web::routes::build_router(state.clone(), durable, config.secure_cookies, &config.limits)
    } else {
        // One process: sessions are read on every request, and an in-memory cache in front of
        // PostgreSQL saves that round trip (measured with scripts/bench-grid.sh); PostgreSQL
        // keeps them across restarts.
        let store = CachingSessionStore::new(MokaStore::new(Some(SESSION_CACHE_CAPACITY)), durable);
        web::routes::build_router(state.clone(), store, config.secure_cookies, &config.limits)
    };
    Ok((state, router))
}
