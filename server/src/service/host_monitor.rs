//! The background loop that keeps hosts' and VMs' statuses true to libvirt (`reconcile.rs`), and
//! samples their usage (`usage.rs`). Every replica runs it, but only the leader (`leadership.rs`)
//! acts: two reconcilers would each restart a crashed HA VM, and one could undo the other's view.

use crate::hypervisor::LifecycleEvent;
use crate::web::state::AppState;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use uuid::Uuid;

/// Often enough that an HA VM is back within seconds of a crash (events bring most changes sooner);
/// one bulk state read per host URI and one query for all hosts' VMs each time.
pub const INTERVAL: Duration = Duration::from_secs(2);

/// Storage pools' sizes and states change slowly and listing them costs more: read them less often
/// (with the hosts' networks and bridges, and running guests' addresses).
pub const STORAGE_INTERVAL: Duration = Duration::from_secs(30);

pub async fn check_all(state: &AppState) {
    state.service.reconcile_all().await;
}

/// Reconciles every host on a tick, and a VM at once when libvirt reports a lifecycle event for its
/// domain (started, stopped or crashed — by Vireo or by anyone else).
pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut storage = tokio::time::interval_at(tokio::time::Instant::now() + STORAGE_INTERVAL, STORAGE_INTERVAL);
    storage.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Sampling runs beside this loop, never in it: a pass over many hosts must not hold back a
    // libvirt event or the next reconcile (a status change waited behind it, `make bench-scale`).
    let sampler = tokio::spawn(sample(state.clone(), shutdown.clone()));
    let mut events = state.hypervisor.take_lifecycle_events();
    // The leader flag is read at each wake-up: a replica that stops leading stops acting at its
    // next step (the HA restart itself asks PostgreSQL again); events heard meanwhile are dropped,
    // the leader hears them too.
    let leads = |state: &AppState| state.service.leadership.is_leader();
    loop {
        tokio::select! {
            _ = ticker.tick() => if leads(&state) { check_all(&state).await },
            _ = storage.tick() => if leads(&state) {
                state.service.sync_all_storage().await;
                state.service.sync_all_networks().await;
                state.service.throttle.prune_shared().await;
            },
            Some(burst) = next_events(&mut events) => if leads(&state) {
                state.service.reconcile_events(&burst).await
            },
            _ = shutdown.changed() => break,
        }
    }
    let _ = sampler.await;
}

/// Usage sampling, by the leader only, every sampling interval; the first pass at once, so a chart
/// has its first point as soon as Vireo is up.
async fn sample(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut usage = tokio::time::interval(state.service.usage.interval);
    usage.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = usage.tick() => if state.service.leadership.is_leader() { state.service.sample_usage().await },
            _ = shutdown.changed() => break,
        }
    }
}

/// The next burst of events, by host URI: one reconcile however many events a start or stop emits
/// (define, start, resume …). Never resolves without an event source.
async fn next_events(
    events: &mut Option<tokio::sync::mpsc::UnboundedReceiver<LifecycleEvent>>,
) -> Option<BTreeMap<String, BTreeSet<Uuid>>> {
    let Some(rx) = events else {
        return std::future::pending().await;
    };
    let mut burst = BTreeMap::new();
    let mut add = |e: LifecycleEvent| {
        burst.entry(e.uri).or_insert_with(BTreeSet::new).insert(e.domain);
    };
    add(rx.recv().await?);
    while let Ok(more) = rx.try_recv() {
        add(more);
    }
    Some(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_of_events_is_one_reconcile_per_uri_naming_each_domain_once() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let event = |uri: &str, domain| LifecycleEvent {
            uri: uri.into(),
            domain,
        };
        // A start emits "defined" then "started"; another host's VM stops meanwhile.
        for e in [event("test+unix:///default", a), event("test+unix:///default", a)] {
            tx.send(e).unwrap();
        }
        tx.send(event("qemu+ssh://kvm2/system", b)).unwrap();
        tx.send(event("test+unix:///default", b)).unwrap();
        let mut events = Some(rx);
        let burst = next_events(&mut events).await.expect("a burst");
        assert_eq!(
            burst,
            BTreeMap::from([
                ("qemu+ssh://kvm2/system".to_string(), BTreeSet::from([b])),
                ("test+unix:///default".to_string(), BTreeSet::from([a, b])),
            ])
        );
        drop(tx);
        assert_eq!(next_events(&mut events).await, None, "the source closed");
    }
}
