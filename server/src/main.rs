//! `vireo-server`: parses the command line (`cli.rs`), sets up logging, and runs the command —
//! `serve` when none is given.

use clap::Parser;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::ExpiredDeletion;
use vireo_server::assemble;
use vireo_server::cli::{Cli, Command, UserCommand};
use vireo_server::config::Config;
use vireo_server::embedded_pg::EmbeddedPostgres;
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::operations::check::{self, Finding, Verdict};
use vireo_server::operations::store::Store;
use vireo_server::operations::{backup, OpsError};
use vireo_server::repository::Repository;
use vireo_server::service::host_monitor;

/// mimalloc instead of glibc's malloc: a server-rendered page allocates and frees thousands of
/// small strings and views, which glibc's allocator spent ~15 % of the render on (`perf` on
/// `app/benches/grid_render.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // `--help`, `--version` and usage errors end here (exit 0 or 2).
    let cli = Cli::parse();
    vireo_server::logging::init(cli.settings.log_format);
    let config = match cli.settings.config() {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let config = &config;
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            with_database(config, true, async move |pool, hypervisor| {
                serve(config, pool, hypervisor).await
            })
            .await
        }
        Command::Seed { count, prefix } => {
            with_database(config, false, async move |pool, hypervisor| {
                seed(config, pool, hypervisor, count, &prefix).await
            })
            .await
        }
        Command::SeedHosts { count, vms, prefix } => {
            with_database(config, false, async move |pool, hypervisor| {
                seed_hosts(config, pool, hypervisor, count, vms, &prefix).await
            })
            .await
        }
        Command::User(command) => {
            with_database(config, false, async move |pool, hypervisor| {
                user_command(config, pool, hypervisor, command).await
            })
            .await
        }
        Command::Migrate => with_database(config, false, async move |pool, _| migrate(pool).await).await,
        Command::Backup { file, force } => run_backup(config, &file, force).await,
        Command::Restore { file, force } => run_restore(config, &file, force).await,
        Command::Check => return run_check(config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database as `serve` does (the embedded cluster started or attached to, or
/// `DATABASE_URL`), runs `job` on a pool, then closes both — stopping the cluster if this process
/// started it. `supervise`: restart the embedded cluster if it dies meanwhile (for `serve`).
async fn with_database(
    config: &Config,
    supervise: bool,
    job: impl AsyncFnOnce(sqlx::PgPool, Arc<SharedLibvirtPool>) -> Result<(), String>,
) -> Result<(), String> {
    let store = Store::open(config).await.map_err(|e| e.to_string())?;
    let pool = match store.pool(32).await {
        Ok(pool) => pool,
        Err(e) => {
            store.close().await;
            return Err(e.to_string());
        }
    };
    if let (true, Store::Embedded(pg)) = (supervise, &store) {
        supervise_embedded(pg.clone(), pool.clone());
    }
    let result = job(pool.clone(), Arc::new(SharedLibvirtPool::new())).await;
    if tokio::time::timeout(SHUTDOWN_GRACE, pool.close()).await.is_err() {
        tracing::warn!("database connections did not close in time");
    }
    store.close().await;
    result
}

async fn serve(config: &Config, pool: sqlx::PgPool, hypervisor: Arc<SharedLibvirtPool>) -> Result<(), String> {
    let (state, router) = assemble(config, pool.clone(), hypervisor)
        .await
        .map_err(|e| e.to_string())?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Followers keep trying to lead; the leader keeps checking that it still does.
    let election = {
        let (service, stop) = (state.service.clone(), stop_rx.clone());
        tokio::spawn(async move { service.leadership.run(stop).await })
    };
    let monitor = tokio::spawn(host_monitor::run(state.clone(), stop_rx.clone()));
    let listener_task = tokio::spawn(vireo_server::web::live::listen(
        pool.clone(),
        state.changes.clone(),
        stop_rx.clone(),
    ));
    let session_cleanup = tokio::spawn(
        tower_sessions_sqlx_store::PostgresStore::new(pool).continuously_delete_expired(Duration::from_secs(3600)),
    );

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    tracing::info!("Vireo is serving at http://{}", config.addr);
    vireo_server::web::http_server::serve(listener, router, &config.limits, shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;

    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    // Background tasks stop at their next await; one stuck on an unreachable database (waiting for
    // a pool connection) must not keep Ctrl-C from working, so each gets a few seconds.
    for (name, task) in [
        ("host monitor", monitor),
        ("change listener", listener_task),
        ("leader election", election),
    ] {
        let abort = task.abort_handle();
        if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
            tracing::warn!("the {name} did not stop in time; aborted");
            abort.abort();
        }
    }
    session_cleanup.abort();
    Ok(())
}

/// `vireo-server seed [COUNT] [--prefix NAME]`: adds COUNT VMs for trying the grids.
async fn seed(
    config: &Config,
    pool: sqlx::PgPool,
    hypervisor: Arc<SharedLibvirtPool>,
    count: u32,
    prefix: &str,
) -> Result<(), String> {
    let (state, _) = assemble(config, pool, hypervisor).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let n = vireo_server::service::seed::seed(&state.repo, prefix, count)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "seeded {n} VMs named {prefix}-00001… in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `vireo-server migrate`: what `serve` does to the schema at start, and nothing else — so an
/// upgrade can migrate once, before any server of the new version starts.
async fn migrate(pool: sqlx::PgPool) -> Result<(), String> {
    let repo = Repository::new(pool.clone());
    let before = repo.applied_migrations().await.map_err(|e| e.to_string())?.len();
    vireo_server::MIGRATOR.run(&pool).await.map_err(|e| e.to_string())?;
    tower_sessions_sqlx_store::PostgresStore::new(pool)
        .migrate()
        .await
        .map_err(|e| format!("session store: {e}"))?;
    let after = repo.applied_migrations().await.map_err(|e| e.to_string())?.len();
    tracing::info!("applied {} migrations; {after} in all", after.saturating_sub(before));
    Ok(())
}

/// `vireo-server backup FILE [--force]`.
async fn run_backup(config: &Config, file: &std::path::Path, force: bool) -> Result<(), String> {
    if !Store::exists(config) {
        return Err(format!(
            "there is no Vireo database under {} to back up",
            config.data_dir.display()
        ));
    }
    backup::refuse_existing(file, force).map_err(|e| e.to_string())?;
    let store = Store::open(config).await.map_err(|e| e.to_string())?;
    let result = backup::backup(&store, file, force).await;
    if let Ok(size) = &result {
        tracing::info!(
            "wrote a backup of {} to {} ({size} bytes)",
            store.describe(),
            file.display()
        );
    }
    store.close().await;
    result.map(|_| ()).map_err(|e| e.to_string())
}

/// `vireo-server restore FILE [--force]`; says afterwards what migrations the next start applies.
async fn run_restore(config: &Config, file: &std::path::Path, force: bool) -> Result<(), String> {
    backup::check_archive(file).map_err(|e| e.to_string())?;
    let store = Store::open(config).await.map_err(|e| e.to_string())?;
    let result: Result<Vec<vireo_server::repository::AppliedMigration>, OpsError> = async {
        backup::restore(&store, file, force).await?;
        let pool = store.pool(2).await?;
        let applied = Repository::new(pool.clone()).applied_migrations().await;
        pool.close().await;
        Ok(applied?)
    }
    .await;
    if let Ok(applied) = &result {
        tracing::info!(
            "restored {} into {}; {} migrations recorded in it (the next start or `migrate` applies any newer ones)",
            file.display(),
            store.describe(),
            applied.len()
        );
    }
    store.close().await;
    result.map(|_| ()).map_err(|e| e.to_string())
}

/// `vireo-server check`: one log line per check, the exit code from the worst.
async fn run_check(config: &Config) -> ExitCode {
    let hypervisor = SharedLibvirtPool::new();
    let checks = check::run(config, &hypervisor).await;
    for c in &checks {
        match &c.finding {
            Finding::Ok(text) => tracing::info!(check = c.what, "{}: ok, {text}", c.what),
            Finding::Pending(text) => tracing::warn!(check = c.what, "{}: pending, {text}", c.what),
            Finding::Failed(text) => tracing::error!(check = c.what, "{}: failed, {text}", c.what),
        }
    }
    let verdict = Verdict::of(&checks);
    match verdict {
        Verdict::Ready => tracing::info!("ready"),
        Verdict::Pending => tracing::warn!("not ready: migrations pending"),
        Verdict::Failed => tracing::error!("not ready"),
    }
    ExitCode::from(verdict.exit_code())
}

/// `vireo-server seed-hosts [COUNT] [--vms N] [--prefix NAME]`: COUNT simulated hosts with N VMs
/// each, down; the scale benchmark starts them through the running server.
async fn seed_hosts(
    config: &Config,
    pool: sqlx::PgPool,
    hypervisor: Arc<SharedLibvirtPool>,
    hosts: u32,
    vms: u32,
    prefix: &str,
) -> Result<(), String> {
    let (state, _) = assemble(config, pool, hypervisor).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let made = vireo_server::service::seed::seed_hosts(&state.service, prefix, hosts, vms)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "added {} simulated hosts named {prefix}-h001… with {} VMs in {:.1} s",
        made.hosts,
        made.vms,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `vireo-server user …`: user recovery without the UI (a lost admin password, a user to lock out
/// now). Runs against the same database as the server (a running server notices at once: sessions
/// and tokens are checked against the database on every request). The writes go through the
/// service's `command_line_*` entries — the UI's validation, last-admin rule and audit events, done
/// as Vireo itself.
async fn user_command(
    config: &Config,
    pool: sqlx::PgPool,
    hypervisor: Arc<SharedLibvirtPool>,
    command: UserCommand,
) -> Result<(), String> {
    vireo_server::MIGRATOR.run(&pool).await.map_err(|e| e.to_string())?;
    let service = vireo_server::service::VireoService::new(
        vireo_server::repository::Repository::new(pool),
        hypervisor,
        config.shutdown_timeout,
    );
    let user = match command {
        UserCommand::Add { name, role } => service.command_line_add_user(&name, &role, read_password()?).await,
        UserCommand::Passwd { name } => service.command_line_set_password(&name, read_password()?).await,
        UserCommand::Disable { name } => service.command_line_disable_user(&name).await,
    }
    .map_err(|e| match e {
        vireo_app::error::AppError::Validation { errors } => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
    tracing::info!(
        "user {}: role {}, {}",
        user.username,
        user.role.as_str(),
        if user.disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

/// `VIREO_USER_PASSWORD`, or one line of standard input (without its line ending).
fn read_password() -> Result<String, String> {
    if let Some(p) = std::env::var("VIREO_USER_PASSWORD").ok().filter(|p| !p.is_empty()) {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("no password: set VIREO_USER_PASSWORD or write it to standard input".into());
    }
    Ok(password)
}

/// Restarts the embedded PostgreSQL server when it dies (`embedded_pg::supervisor`). If it cannot be
/// restarted, Vireo exits non-zero at once: its service manager then restarts Vireo, which starts
/// the cluster afresh (serving on without a database would only answer 503 forever).
fn supervise_embedded(pg: Arc<EmbeddedPostgres>, pool: sqlx::PgPool) {
    tokio::spawn(async move {
        if let Err(e) = vireo_server::embedded_pg::supervisor::supervise(pg, pool, shutdown_signal()).await {
            tracing::error!("the embedded database cannot be restarted ({e}); exiting so that Vireo is restarted");
            std::process::exit(3);
        }
    });
}

/// How long shutdown waits for each background part before it moves on.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
