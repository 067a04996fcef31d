//! Per-VM operation bookkeeping: one lifecycle operation per VM at a time ("operation in progress"
//! for a second caller), and which VMs Vireo itself is stopping (not a crash for HA).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;
use vireo_app::error::AppError;

/// Per-VM bookkeeping shared by the lifecycle calls and the reconciler.
pub struct Operations {
    in_progress: Mutex<HashSet<Uuid>>,
    /// VMs Vireo itself is stopping: their going down is not a crash for HA.
    expected_down: Mutex<HashSet<Uuid>>,
    /// Ticks whenever an operation begins or ends; each VM keeps the tick of its last begin or
    /// end. A reconcile pass notes the tick before it reads libvirt, and leaves alone every VM an
    /// operation touched since: what it read may predate that operation (a Power Off that ran
    /// between the read and the write would otherwise be undone by a stale "running").
    clock: AtomicU64,
    touched: Mutex<HashMap<Uuid, u64>>,
    pub shutdown_timeout: Duration,
}

impl Operations {
    pub fn new(shutdown_timeout: Duration) -> Self {
        Self {
            in_progress: Mutex::default(),
            expected_down: Mutex::default(),
            clock: AtomicU64::new(0),
            touched: Mutex::default(),
            shutdown_timeout,
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn busy(&self, id: Uuid) -> bool {
        Self::lock(&self.in_progress).contains(&id)
    }

    /// The current tick (see `clock`).
    pub fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// Whether an operation on the VM is running, or began or ended after tick `since`.
    pub fn busy_since(&self, id: Uuid, since: u64) -> bool {
        self.busy(id) || Self::lock(&self.touched).get(&id).is_some_and(|t| *t > since)
    }

    fn touch(&self, id: Uuid) {
        let tick = self.clock.fetch_add(1, Ordering::SeqCst) + 1;
        Self::lock(&self.touched).insert(id, tick);
    }

    pub fn expect_down(&self, id: Uuid, yes: bool) {
        let mut set = Self::lock(&self.expected_down);
        if yes {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    pub fn is_expected_down(&self, id: Uuid) -> bool {
        Self::lock(&self.expected_down).contains(&id)
    }
}

/// Held while an operation runs on a VM; dropping it frees the VM.
pub struct OpGuard<'a> {
    ops: &'a Operations,
    id: Uuid,
}

impl Drop for OpGuard<'_> {
    fn drop(&mut self) {
        self.ops.touch(self.id);
        Operations::lock(&self.ops.in_progress).remove(&self.id);
    }
}

impl Operations {
    pub fn begin(&self, id: Uuid, name: &str) -> Result<OpGuard<'_>, AppError> {
        if !Operations::lock(&self.in_progress).insert(id) {
            return Err(AppError::Busy {
                message: format!("Another operation on VM {name} is in progress; try again when it has finished."),
            });
        }
        self.touch(id);
        Ok(OpGuard { ops: self, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_that_ran_after_a_read_makes_the_read_stale_for_its_vm_only() {
        let ops = Operations::new(Duration::from_secs(1));
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let read_at = ops.now();
        assert!(!ops.busy_since(a, read_at) && !ops.busy_since(b, read_at));
        {
            let _guard = ops.begin(a, "a").expect("free");
            assert!(ops.busy_since(a, read_at), "in flight");
            assert!(ops.begin(a, "a").is_err(), "one operation at a time");
        }
        assert!(
            ops.busy_since(a, read_at),
            "ended after the read: what was read predates it"
        );
        assert!(!ops.busy_since(b, read_at), "another VM is not affected");
        let later = ops.now();
        assert!(!ops.busy_since(a, later), "a read after it is fresh");
    }
}
