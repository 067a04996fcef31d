//! Per-VM operation bookkeeping: one lifecycle operation per VM at a time ("operation in progress"
//! for a second caller), and which VMs Vireo itself is stopping (not a crash for HA).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;
use vireo_app::error::AppError;

/// Per-VM bookkeeping shared by the lifecycle calls and the reconciler.
pub struct Operations {
    in_progress: Mutex<HashSet<Uuid>>,
    /// VMs Vireo itself is stopping: their going down is not a crash for HA.
    expected_down: Mutex<HashSet<Uuid>>,
    pub shutdown_timeout: Duration,
}

impl Operations {
    pub fn new(shutdown_timeout: Duration) -> Self {
        Self {
            in_progress: Mutex::default(),
            expected_down: Mutex::default(),
            shutdown_timeout,
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn busy(&self, id: Uuid) -> bool {
        Self::lock(&self.in_progress).contains(&id)
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
        Ok(OpGuard { ops: self, id })
    }
}
