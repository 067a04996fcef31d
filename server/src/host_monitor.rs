//! Checks every host's libvirt connection periodically and records status changes (with an event),
//! so a host that goes away is marked non-responsive instead of failing calls silently.

use crate::repository::NewEvent;
use crate::state::AppState;
use std::time::Duration;
use vireo_app::models::HostStatus;

pub const INTERVAL: Duration = Duration::from_secs(30);

pub async fn check_all(state: &AppState) {
    let Ok(hosts) = state.repo.list_hosts().await else {
        return;
    };
    for host in hosts
        .into_iter()
        .filter(|h| h.status != HostStatus::Maintenance)
    {
        let (status, error) = match state.hypervisor.ping(&host.uri).await {
            Ok(()) => (HostStatus::Up, None),
            Err(e) => (HostStatus::NonResponsive, Some(e.to_string())),
        };
        if let Ok(Some(previous)) = state
            .repo
            .set_host_status(host.id, status, error.as_deref())
            .await
        {
            let message = match &error {
                Some(e) => format!("Host {} is not responding: {e}", host.name),
                None => format!("Host {} is responding again.", host.name),
            };
            tracing::warn!(host = %host.name, from = previous.as_str(), to = status.as_str(), "host status changed");
            state
                .repo
                .record_event(NewEvent {
                    user: None,
                    username: None,
                    severity: if error.is_some() { "error" } else { "info" },
                    action: "host.status",
                    object_kind: "host",
                    object_id: Some(host.id),
                    object_name: Some(&host.name),
                    success: error.is_none(),
                    message,
                })
                .await;
        }
    }
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
