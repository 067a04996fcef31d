//! Which replica leads: the one holding a PostgreSQL advisory lock ([`LEADER_LOCK`]) on a session
//! of its own. The leader alone reconciles, restarts HA VMs, syncs storage and networks and samples
//! usage (`host_monitor.rs`); every replica serves pages, REST and live updates.
//!
//! Why an advisory lock on a dedicated connection: PostgreSQL releases it the moment the session
//! ends — the process killed, the machine gone, the connection broken — with no lease to time out
//! and no clock to trust; and it cannot be a pooled connection, which the pool may close or hand to
//! another caller. A leader whose session fails a check stops leading at once and tries again
//! later like any follower. With the embedded cluster there is one process, which simply wins.

use crate::repository::replicas::{self, LEADER_LOCK};
use crate::repository::Repository;
use sqlx::PgConnection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often a follower tries to take the lock.
pub const FOLLOWER_RETRY: Duration = Duration::from_secs(2);
/// How often the leader checks that its session (and so its lock) is still there.
pub const LEADER_CHECK: Duration = Duration::from_secs(1);
/// How long a check or an attempt may take before the session is given up as broken.
const DEADLINE: Duration = Duration::from_secs(2);

pub struct Leadership {
    repo: Repository,
    session: tokio::sync::Mutex<Option<PgConnection>>,
    leader: AtomicBool,
}

impl Leadership {
    pub fn new(repo: Repository) -> Self {
        Self {
            repo,
            session: tokio::sync::Mutex::new(None),
            leader: AtomicBool::new(false),
        }
    }

    /// Whether this replica led at its last check (for `/healthz` and the monitor's ticks).
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::SeqCst)
    }

    /// Checks the lock (a leader) or tries to take it (a follower); whether this replica leads now.
    pub async fn refresh(&self) -> bool {
        let mut session = self.session.lock().await;
        if self.is_leader() {
            return self.check(&mut session).await;
        }
        if session.is_none() {
            match tokio::time::timeout(DEADLINE, replicas::dedicated_session(&self.repo)).await {
                Ok(Ok(conn)) => *session = Some(conn),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "no session for the leader election");
                    return false;
                }
                Err(_) => return false,
            }
        }
        let Some(conn) = session.as_mut() else {
            return false;
        };
        match tokio::time::timeout(DEADLINE, replicas::try_lock(conn, LEADER_LOCK)).await {
            Ok(Ok(true)) => {
                self.leader.store(true, Ordering::SeqCst);
                tracing::info!("this replica is the leader: it reconciles, restarts HA VMs and monitors hosts");
                true
            }
            Ok(Ok(false)) => false,
            Ok(Err(_)) | Err(_) => {
                *session = None;
                false
            }
        }
    }

    /// Whether this replica still leads, asked of PostgreSQL now (before an HA restart): false at
    /// once when the session fails, and the session is dropped (releasing the lock if PostgreSQL
    /// still had it) so that another replica can take over.
    pub async fn confirm(&self) -> bool {
        if !self.is_leader() {
            return false;
        }
        let mut session = self.session.lock().await;
        self.check(&mut session).await
    }

    async fn check(&self, session: &mut Option<PgConnection>) -> bool {
        let held = match session.as_mut() {
            Some(conn) => matches!(
                tokio::time::timeout(DEADLINE, replicas::holds(conn, LEADER_LOCK)).await,
                Ok(Ok(true))
            ),
            None => false,
        };
        if !held {
            self.leader.store(false, Ordering::SeqCst);
            *session = None;
            tracing::warn!("this replica lost the leadership (its database session failed); it will try again");
        }
        held
    }

    /// Stops leading now (shutting down): the lock is released on the session and the session
    /// closed, so a follower takes over at its next attempt rather than after this process is gone.
    ///
    /// Why unlock before closing: closing only tells the server the session is over; its backend
    /// releases the locks when it exits, a moment later. A follower trying in that moment (or a
    /// caller that resigned and expects the lock free) would find it still held.
    pub async fn resign(&self) {
        let mut session = self.session.lock().await;
        self.leader.store(false, Ordering::SeqCst);
        if let Some(mut conn) = session.take() {
            if let Ok(Err(e)) = tokio::time::timeout(DEADLINE, replicas::unlock(&mut conn, LEADER_LOCK)).await {
                tracing::debug!(error = %e, "the leader's lock was not released before closing");
            }
            if let Err(e) = sqlx::Connection::close(conn).await {
                tracing::debug!(error = %e, "the leader's session did not close cleanly");
            }
        }
    }

    /// Keeps leading, or keeps trying to: a leader checks every [`LEADER_CHECK`], a follower
    /// tries every [`FOLLOWER_RETRY`].
    pub async fn run(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            let wait = if self.refresh().await {
                LEADER_CHECK
            } else {
                FOLLOWER_RETRY
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => break,
            }
        }
        self.resign().await;
    }
}
