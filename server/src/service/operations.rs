//! Per-VM operation bookkeeping, shared by every replica on the database: one lifecycle operation
//! per VM at a time ("operation in progress" for a second caller, on any replica), and which VMs
//! Vireo itself is stopping (not a crash for HA).
//!
//! The lock is a session-level PostgreSQL advisory lock per VM, taken on one session of this
//! process's own (not a pooled one: a pooled session could be handed on with the lock still held,
//! and holding a pooled connection per running operation could starve the pool). It is crash-safe:
//! when a replica dies, PostgreSQL ends its session and drops its locks, so no VM stays "in
//! progress" for good — a lock table would need a lease and a clock instead. Advisory locks are
//! re-entrant within a session, so this process also keeps the VMs it is operating on in memory.
//! When and whether a VM is being stopped are rows (`vm_operation_state`), because the reconciling
//! leader must see them after the operation ended too (see the migration for why they are safe).

use crate::repository::replicas::{self, OperationMarks, VM_OPERATION_LOCK_CLASS};
use crate::repository::Repository;
use sqlx::PgConnection;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;
use vireo_app::error::AppError;

/// How long an expected-down mark is believed beyond the shutdown timeout: a replica that died
/// between marking a VM and stopping it must not keep that VM out of HA for good.
const EXPECTED_DOWN_GRACE: Duration = Duration::from_secs(60);

struct Inner {
    repo: Repository,
    /// VMs this process is operating on (the advisory lock alone would let this session in twice).
    in_progress: Mutex<HashSet<Uuid>>,
    /// The session the per-VM locks are held on; opened on first use, again after it failed.
    session: tokio::sync::Mutex<Option<PgConnection>>,
}

/// Per-VM bookkeeping shared by the lifecycle calls and the reconciler.
pub struct Operations {
    inner: Arc<Inner>,
    pub shutdown_timeout: Duration,
}

/// What a reconcile pass must leave alone, read after it read libvirt.
pub struct Busy {
    local: HashSet<Uuid>,
    marks: OperationMarks,
}

impl Busy {
    /// Whether an operation on the VM is running (on any replica), or began or ended after the
    /// pass read libvirt: it owns the VM's status, set from newer facts than the pass's read.
    pub fn busy(&self, id: Uuid) -> bool {
        self.local.contains(&id)
            || self.marks.touched.contains(&id)
            || self.marks.locked.contains(&replicas::vm_lock_key(id))
    }

    /// Whether some replica is stopping the VM.
    pub fn expected_down(&self, id: Uuid) -> bool {
        self.marks.expected_down.contains(&id)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn busy_error(name: &str) -> AppError {
    AppError::Busy {
        message: format!("Another operation on VM {name} is in progress; try again when it has finished."),
    }
}

impl Operations {
    pub fn new(repo: Repository, shutdown_timeout: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                repo,
                in_progress: Mutex::default(),
                session: tokio::sync::Mutex::new(None),
            }),
            shutdown_timeout,
        }
    }

    /// The database's time now: a reconcile pass notes it before it reads libvirt.
    pub async fn now(&self) -> Result<OffsetDateTime, AppError> {
        self.inner.repo.database_now().await
    }

    /// What the pass that read libvirt after `read_at` must leave alone.
    pub async fn busy_since(&self, read_at: OffsetDateTime) -> Result<Busy, AppError> {
        let trusted = (self.shutdown_timeout + EXPECTED_DOWN_GRACE).as_secs_f64();
        let marks = self.inner.repo.operation_marks(read_at, trusted).await?;
        Ok(Busy {
            local: lock(&self.inner.in_progress).clone(),
            marks,
        })
    }

    /// Marks the VM as being stopped by Vireo (or not). Marking must succeed before a stop: a VM
    /// stopped unmarked would be restarted by HA.
    pub async fn expect_down(&self, id: Uuid, yes: bool) -> Result<(), AppError> {
        self.inner.repo.set_expected_down(id, yes).await
    }

    /// Clears a mark where failing only leaves a mark that expires (logged).
    pub async fn no_longer_expect_down(&self, id: Uuid) {
        if let Err(e) = self.expect_down(id, false).await {
            tracing::warn!(vm = %id, error = %e, "could not clear the VM's expected-down mark");
        }
    }

    /// Takes the VM for one operation, or answers "operation in progress" when any replica has it.
    pub async fn begin(&self, id: Uuid, name: &str) -> Result<OpGuard, AppError> {
        if !lock(&self.inner.in_progress).insert(id) {
            return Err(busy_error(name));
        }
        // From here on the guard frees the VM however this ends, also when the caller goes away
        // while PostgreSQL is being asked (then the lock may be held: `locked`).
        let mut guard = OpGuard {
            inner: self.inner.clone(),
            id,
            locked: false,
            released: false,
        };
        let taken = {
            let mut session = self.inner.session.lock().await;
            if session.is_none() {
                match replicas::dedicated_session(&self.inner.repo).await {
                    Ok(conn) => *session = Some(conn),
                    Err(e) => {
                        tracing::warn!(error = %e, "no session for the VM operation locks");
                        guard.abandon();
                        return Err(AppError::Unavailable);
                    }
                }
            }
            let Some(conn) = session.as_mut() else {
                guard.abandon();
                return Err(AppError::Unavailable);
            };
            guard.locked = true;
            match replicas::try_lock(conn, key(id)).await {
                Ok(taken) => taken,
                Err(e) => {
                    // Closing the session releases whatever it held.
                    tracing::warn!(error = %e, "the VM operation locks' session failed");
                    *session = None;
                    guard.abandon();
                    return Err(AppError::Unavailable);
                }
            }
        };
        if !taken {
            // Another replica's: nothing of ours to release, and the VM is free here at once.
            guard.abandon();
            return Err(busy_error(name));
        }
        self.inner.repo.touch_vm_operation(id).await?;
        Ok(guard)
    }
}

fn key(id: Uuid) -> (i32, i32) {
    (VM_OPERATION_LOCK_CLASS, replicas::vm_lock_key(id))
}

/// Held while an operation runs on a VM. [`OpGuard::release`] frees it before the caller answers
/// (so a next operation finds it free); a guard dropped without (a cancelled request) frees it in
/// the background.
pub struct OpGuard {
    inner: Arc<Inner>,
    id: Uuid,
    locked: bool,
    released: bool,
}

impl OpGuard {
    /// The operation never began (no lock taken): the VM is free here again at once.
    fn abandon(&mut self) {
        self.released = true;
        lock(&self.inner.in_progress).remove(&self.id);
    }

    pub async fn release(mut self) {
        // Disarms Drop: this path frees the VM itself, before the caller answers.
        self.released = true;
        free(self.inner.clone(), self.id, self.locked).await;
    }
}

/// The operation ended: its time noted, the lock released, the VM free in this process. A lock
/// that cannot be released closes its session, which releases it.
async fn free(inner: Arc<Inner>, id: Uuid, locked: bool) {
    if locked {
        if let Err(e) = inner.repo.touch_vm_operation(id).await {
            tracing::warn!(vm = %id, error = %e, "could not note the end of the VM's operation");
        }
        let mut session = inner.session.lock().await;
        // `false` (not held: the session was replaced meanwhile, or a cancelled begin never got
        // it) needs nothing; a failed session is closed, which releases its locks.
        let failed = match session.as_mut() {
            Some(conn) => replicas::unlock(conn, key(id)).await.is_err(),
            None => false,
        };
        if failed {
            *session = None;
        }
    }
    lock(&inner.in_progress).remove(&id);
}

impl Drop for OpGuard {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let (inner, id, locked) = (self.inner.clone(), self.id, self.locked);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(free(inner, id, locked));
            }
            Err(_) => {
                // No runtime to release it on: the session goes, and its locks with it.
                if let Ok(mut session) = inner.session.try_lock() {
                    *session = None;
                }
                lock(&inner.in_progress).remove(&id);
            }
        }
    }
}
