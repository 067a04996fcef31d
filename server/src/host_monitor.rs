//! The background loop that keeps hosts' and VMs' statuses true to libvirt (`reconcile.rs`).

use crate::state::AppState;
use std::time::Duration;

/// Often enough that an HA VM is back within seconds of a crash; one cheap `list domains` call per
/// host each time.
pub const INTERVAL: Duration = Duration::from_secs(2);

pub async fn check_all(state: &AppState) {
    state.service.reconcile_all().await;
}

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => check_all(&state).await,
            _ = shutdown.changed() => break,
        }
    }
}
