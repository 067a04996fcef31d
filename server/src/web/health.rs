//! `GET /healthz`: 200 when the database answers and libvirt answers for the hosts (or there are
//! none yet), 503 otherwise; a small JSON body says which part failed, and whether this replica
//! is the leader.

use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

/// How long `/healthz` waits for the database.
const DATABASE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    // Bounded: a load balancer asking while the database restarts gets its answer at once rather
    // than after the pool's acquire timeout.
    let database = matches!(
        tokio::time::timeout(DATABASE_DEADLINE, state.repo.ping()).await,
        Ok(Ok(()))
    );
    let hosts = if database {
        state.repo.list_hosts().await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut reachable = 0;
    for host in &hosts {
        if state.hypervisor.ping(&host.uri).await.is_ok() {
            reachable += 1;
        }
    }
    let libvirt = hosts.is_empty() || reachable > 0;
    let ok = database && libvirt;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if ok { "ok" } else { "unavailable" },
            "database": if database { "ok" } else { "unreachable" },
            "libvirt": { "hosts": hosts.len(), "reachable": reachable },
            // Whether this replica runs reconcile, HA and host monitoring (`leadership.rs`).
            "leader": state.service.leadership.is_leader(),
        })),
    )
}
