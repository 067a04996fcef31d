//! Keeps the embedded PostgreSQL server running: a postmaster that dies (killed, crashed, OOM) is
//! started again within about a second — PostgreSQL's crash recovery makes that safe — and an
//! event records it. While it is away, requests answer 503 (`AppError::Unavailable`) and sessions
//! stay. If it cannot be started again, Vireo gives up and exits with an error so that its service
//! manager restarts the whole thing (an unsupervised Vireo without a database helps nobody).

use crate::embedded_pg::{EmbeddedPostgres, PgError};
use crate::repository::{NewEvent, Repository};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// How often the postmaster is checked (a look at a channel; free).
pub const POLL: Duration = Duration::from_secs(1);
/// Restart attempts in a row before giving up.
pub const MAX_ATTEMPTS: u32 = 5;

pub const RESTARTED_MESSAGE: &str = "The embedded database stopped unexpectedly and was restarted.";

/// Runs until the cluster is stopped on purpose or `shutdown` resolves (`Ok`), or returns the
/// last error after `MAX_ATTEMPTS` failed restarts in a row. `pool` is the application's pool (for
/// the event). `shutdown` is Vireo's own stop signal: a service manager stopping Vireo signals the
/// postmaster too (the whole control group), and that is no crash to repair.
pub async fn supervise(
    pg: Arc<EmbeddedPostgres>,
    pool: PgPool,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), PgError> {
    if !pg.owned() {
        return Ok(()); // another Vireo process runs (and supervises) this cluster
    }
    tokio::pin!(shutdown);
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = &mut shutdown => return Ok(()),
        }
        // `stopping` first: `stop` holds the postmaster's lock while it waits for the shutdown.
        if pg.stopping() {
            return Ok(());
        }
        if pg.postmaster_alive() {
            continue;
        }
        let dead = pg.postmaster_pid();
        let how = pg.postmaster_exit().unwrap_or_default();
        tracing::error!(pid = dead, exit = %how, "the embedded PostgreSQL server stopped unexpectedly; restarting it");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = std::time::Instant::now();
            let restarted = tokio::select! {
                r = pg.restart() => r,
                _ = &mut shutdown => return Ok(()),
            };
            match restarted {
                Ok(true) => {
                    tracing::warn!(
                        pid = pg.postmaster_pid(),
                        seconds = started.elapsed().as_secs_f64(),
                        "the embedded PostgreSQL server was restarted"
                    );
                    record_restart(&pool).await;
                    break;
                }
                Ok(false) if pg.stopping() => return Ok(()),
                Ok(false) => break, // already running again
                Err(e) if attempt >= MAX_ATTEMPTS => {
                    tracing::error!(error = %e, attempt, "the embedded PostgreSQL server cannot be restarted; giving up");
                    return Err(e);
                }
                Err(e) => {
                    tracing::error!(error = %e, attempt, "restarting the embedded PostgreSQL server failed; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(POLL * 2u32.pow(attempt - 1)) => {}
                        _ = &mut shutdown => return Ok(()),
                    }
                }
            }
        }
    }
}

/// The audit event, once the database takes writes again (the pool's old connections were cut by
/// the crash and are replaced on first use; a few tries cover a slow first connection).
async fn record_restart(pool: &PgPool) {
    let repo = Repository::new(pool.clone());
    for _ in 0..5 {
        if repo.ping().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    repo.record_event(NewEvent {
        user: None,
        username: None,
        severity: "warning",
        action: "system.database_restart",
        object_kind: "system",
        object_id: None,
        object_name: Some("database"),
        success: true,
        message: RESTARTED_MESSAGE.to_string(),
    })
    .await;
}
