use std::sync::Arc;
use std::time::Duration;
use tower_sessions::ExpiredDeletion;
use tracing_subscriber::EnvFilter;
use vireo_server::assemble;
use vireo_server::config::Config;
use vireo_server::embedded_pg::{EmbeddedPostgres, PgSettings};
use vireo_server::hypervisor::SharedLibvirtPool;
use vireo_server::service::host_monitor;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn,tower_sessions=warn")),
        )
        .init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;

    // With no DATABASE_URL, Vireo runs and owns its own cluster under the data folder.
    let (pool, embedded) = match &config.database_url {
        Some(url) => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(32)
                .acquire_timeout(vireo_server::embedded_pg::ACQUIRE_TIMEOUT)
                .connect(url)
                .await
                .map_err(|e| format!("cannot connect to DATABASE_URL: {e}"))?;
            (pool, None)
        }
        None => {
            // Run as root, its cluster runs as `postgres`, which must be able to enter the data
            // folder (a `mktemp -d` one is 0700): Vireo owns that folder, so it opens it itself.
            match vireo_server::embedded_pg::let_postgres_through(&config.data_dir) {
                Ok(Some(what)) => tracing::info!("{what}"),
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            let root = config.data_dir.join("postgres");
            tracing::info!("starting the embedded PostgreSQL cluster in {}", root.display());
            let pg = EmbeddedPostgres::start(&root, PgSettings { durable: true })
                .await
                .map_err(|e| e.to_string())?;
            pg.ensure_database("vireo", None).await.map_err(|e| e.to_string())?;
            let pool = pg.pool("vireo", 32).await.map_err(|e| e.to_string())?;
            let pg = Arc::new(pg);
            supervise_embedded(pg.clone(), pool.clone());
            (pool, Some(pg))
        }
    };

    let hypervisor = Arc::new(SharedLibvirtPool::new());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => serve(&config, pool.clone(), hypervisor).await,
        Some("seed") => seed(&config, pool.clone(), hypervisor, &args[1..]).await,
        Some("seed-hosts") => seed_hosts(&config, pool.clone(), hypervisor, &args[1..]).await,
        Some("user") => user_command(&config, pool.clone(), hypervisor, &args[1..]).await,
        Some(other) => Err(format!("unknown command '{other}'; usage:\n{USAGE}")),
    };

    if tokio::time::timeout(SHUTDOWN_GRACE, pool.close()).await.is_err() {
        tracing::warn!("database connections did not close in time");
    }
    if let Some(pg) = embedded.filter(|pg| pg.owned()) {
        tracing::info!("stopping the embedded PostgreSQL cluster");
        let _ = tokio::task::spawn_blocking(move || pg.stop()).await;
    }
    result
}

async fn serve(config: &Config, pool: sqlx::PgPool, hypervisor: Arc<SharedLibvirtPool>) -> Result<(), String> {
    let (state, router) = assemble(config, pool.clone(), hypervisor)
        .await
        .map_err(|e| e.to_string())?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
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
    for (name, task) in [("host monitor", monitor), ("change listener", listener_task)] {
        let abort = task.abort_handle();
        if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
            tracing::warn!("the {name} did not stop in time; aborted");
            abort.abort();
        }
    }
    session_cleanup.abort();
    Ok(())
}

/// `vireo-server seed [COUNT] [--prefix NAME]`: adds COUNT (default 10,000) VMs for trying the grids.
async fn seed(
    config: &Config,
    pool: sqlx::PgPool,
    hypervisor: Arc<SharedLibvirtPool>,
    args: &[String],
) -> Result<(), String> {
    let mut count = 10_000u32;
    let mut prefix = "vm".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--prefix" => prefix = it.next().cloned().ok_or("--prefix needs a name")?,
            n => count = n.parse().map_err(|_| format!("'{n}' is not a VM count"))?,
        }
    }
    let (state, _) = assemble(config, pool, hypervisor).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let n = vireo_server::service::seed::seed(&state.repo, &prefix, count)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "seeded {n} VMs named {prefix}-00001… in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Most hosts and VMs per host `seed-hosts` makes in one go.
const MAX_SEEDED_HOSTS: u32 = 1_000;
const MAX_SEEDED_VMS_PER_HOST: u32 = 100;

/// `vireo-server seed-hosts [COUNT] [--vms N] [--prefix NAME]`: COUNT (default 200) simulated hosts
/// with N (default 8) VMs each, down; the scale benchmark starts them through the running server.
async fn seed_hosts(
    config: &Config,
    pool: sqlx::PgPool,
    hypervisor: Arc<SharedLibvirtPool>,
    args: &[String],
) -> Result<(), String> {
    let mut hosts = 200u32;
    let mut vms = 8u32;
    let mut prefix = "sim".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--prefix" => prefix = it.next().cloned().ok_or("--prefix needs a name")?,
            "--vms" => {
                let n = it.next().ok_or("--vms needs a count")?;
                vms = n.parse().map_err(|_| format!("'{n}' is not a VM count"))?;
            }
            n => hosts = n.parse().map_err(|_| format!("'{n}' is not a host count"))?,
        }
    }
    if !(1..=MAX_SEEDED_HOSTS).contains(&hosts) || vms > MAX_SEEDED_VMS_PER_HOST {
        return Err(format!(
            "seed-hosts makes 1 to {MAX_SEEDED_HOSTS} hosts with at most {MAX_SEEDED_VMS_PER_HOST} VMs each"
        ));
    }
    let (state, _) = assemble(config, pool, hypervisor).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let made = vireo_server::service::seed::seed_hosts(&state.service, &prefix, hosts, vms)
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

const USAGE: &str = "  vireo-server                                 serve
  vireo-server seed [COUNT] [--prefix NAME]    add COUNT VMs for trying the grids
  vireo-server seed-hosts [COUNT] [--vms N] [--prefix NAME]
                                               add COUNT simulated hosts in the local libvirtd
                                               (test+unix:///default) with N VMs pinned to each
  vireo-server user add NAME --role ROLE       add a user (ROLE: admin, operator, viewer)
  vireo-server user passwd NAME                set a user's password (ends their sessions and API tokens)
  vireo-server user disable NAME               disable a user (ends their sessions and API tokens)
The password is read from VIREO_USER_PASSWORD, or else one line from standard input; never from the
command line, where other users of the machine could see it.";

/// `vireo-server user …`: user recovery without the UI (a lost admin password, a user to lock out
/// now). Runs against the same database as the server (a running server notices at once: sessions
/// and tokens are checked against the database on every request). The writes go through the
/// service's `command_line_*` entries — the UI's validation, last-admin rule and audit events, done
/// as Vireo itself.
async fn user_command(
    config: &Config,
    pool: sqlx::PgPool,
    hypervisor: Arc<SharedLibvirtPool>,
    args: &[String],
) -> Result<(), String> {
    let usage = || format!("usage:\n{USAGE}");
    let (command, name, rest) = match args {
        [command, name, rest @ ..] => (command.as_str(), name.as_str(), rest),
        _ => return Err(usage()),
    };
    vireo_server::MIGRATOR.run(&pool).await.map_err(|e| e.to_string())?;
    let service = vireo_server::service::VireoService::new(
        vireo_server::repository::Repository::new(pool),
        hypervisor,
        config.shutdown_timeout,
    );
    let user = match (command, rest) {
        ("add", [flag, role]) if flag == "--role" => service.command_line_add_user(name, role, read_password()?).await,
        ("passwd", []) => service.command_line_set_password(name, read_password()?).await,
        ("disable", []) => service.command_line_disable_user(name).await,
        _ => return Err(usage()),
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
