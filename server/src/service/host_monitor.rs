//! The background loop that keeps hosts' and VMs' statuses true to libvirt (`reconcile.rs`), and
//! samples their usage (`usage.rs`).

use crate::web::state::AppState;
use std::time::Duration;

/// Often enough that an HA VM is back within seconds of a crash; one cheap `list domains` call per
/// host each time.
pub const INTERVAL: Duration = Duration::from_secs(2);

/// Storage pools' sizes and states change slowly and listing them costs more: read them less often
/// (with the hosts' networks and bridges, and running guests' addresses).
pub const STORAGE_INTERVAL: Duration = Duration::from_secs(30);

pub async fn check_all(state: &AppState) {
    state.service.reconcile_all().await;
}

/// Reconciles every host on a tick, and a host at once when libvirt reports a lifecycle event
/// there (a VM started, stopped or crashed — by Vireo or by anyone else).
pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut storage = tokio::time::interval_at(tokio::time::Instant::now() + STORAGE_INTERVAL, STORAGE_INTERVAL);
    storage.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first pass at once: a chart has its first point as soon as Vireo is up.
    let mut usage = tokio::time::interval(state.service.usage.interval);
    usage.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut events = state.hypervisor.take_lifecycle_events();
    loop {
        tokio::select! {
            _ = ticker.tick() => check_all(&state).await,
            _ = storage.tick() => {
                state.service.sync_all_storage().await;
                state.service.sync_all_networks().await;
            }
            _ = usage.tick() => state.service.sample_usage().await,
            Some(uris) = next_events(&mut events) => state.service.reconcile_uris(&uris).await,
            _ = shutdown.changed() => break,
        }
    }
}

/// The hosts of the next burst of events: one reconcile per host however many events a start or
/// stop emits. Never resolves without an event source.
async fn next_events(
    events: &mut Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
) -> Option<std::collections::BTreeSet<String>> {
    let Some(rx) = events else {
        return std::future::pending().await;
    };
    let mut uris = std::collections::BTreeSet::from([rx.recv().await?]);
    while let Ok(more) = rx.try_recv() {
        uris.insert(more);
    }
    Some(uris)
}
