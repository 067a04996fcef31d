use crate::config::TrustedProxies;
use crate::hypervisor::Hypervisor;
use crate::repository::Repository;
use crate::service::VireoService;
use crate::web::login_throttle::LoginThrottle;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Everything a request handler may need, cloned cheaply per request.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub repo: Repository,
    pub service: Arc<VireoService>,
    pub hypervisor: Arc<dyn Hypervisor>,
    pub throttle: Arc<LoginThrottle>,
    /// Proxies whose `X-Forwarded-For` names the client (`VIREO_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Who may read `/metrics` (`VIREO_METRICS_TOKEN`, `VIREO_METRICS_NETWORKS`).
    pub metrics_access: Arc<crate::config::MetricsAccess>,
    /// An argon2 hash of a random password, verified against when a login names no existing user
    /// so that "no such user" and "wrong password" take the same time.
    pub dummy_hash: Arc<str>,
    /// What changed (a change set's text form), from PostgreSQL's notifications (`live.rs`), for
    /// server-sent events.
    pub changes: tokio::sync::broadcast::Sender<crate::web::live::Changes>,
    /// The REST API's one-time VNC relays (`vnc_relay.rs`), on the address Vireo serves on.
    pub vnc_relays: Arc<crate::web::vnc_relay::VncRelays>,
}
