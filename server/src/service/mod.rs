//! `VireoService`: the service behind the server functions, the form posts, the REST API and the
//! command line. It validates, talks to libvirt through the `Hypervisor`, persists through the
//! `Repository` and writes an audit event for every write, successful or not. Each area implements
//! its `vireo_app::backend` trait in its own file: `hosts.rs` (`HostBackend`), `clusters.rs`,
//! `configs.rs` (with `config_save.rs` and `config_checks.rs`), `lifecycle.rs`, `grids.rs`, `users.rs`.

pub mod audit;
pub mod bootstrap;
pub mod clusters;
mod config_checks;
pub mod config_save;
pub mod configs;
pub mod consoles;
pub mod dashboard;
pub mod data_centers;
mod disk_save;
pub mod disk_upload;
pub mod grids;
pub mod host_monitor;
pub mod hosts;
pub mod instance_types;
pub mod leadership;
pub mod lifecycle;
pub mod networks;
pub mod operations;
pub mod passwords;
pub mod reconcile;
pub mod removal;
pub mod seed;
pub mod storage;
pub mod usage;
pub mod users;
mod vm_disks;

use crate::hypervisor::Hypervisor;
use crate::repository::Repository;
use crate::service::audit::{Object, Outcome};
use crate::service::operations::Operations;
use crate::web::login_throttle::LoginThrottle;
use std::sync::Arc;
use uuid::Uuid;
use vireo_app::authz::{self, Actor, Permission};
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

pub struct VireoService {
    pub repo: Repository,
    pub hypervisor: Arc<dyn Hypervisor>,
    pub ops: Operations,
    /// Whether this replica leads (reconcile, HA, host monitoring): `leadership.rs`.
    pub leadership: leadership::Leadership,
    /// The login throttle: also guards checking a current password (`users.rs`).
    pub throttle: Arc<LoginThrottle>,
    /// The MAC addresses NICs get (`VIREO_MAC_RANGE`).
    pub mac_range: vireo_app::domain::network::MacRange,
    /// Open consoles, their one-time tickets and who holds each (`consoles.rs`).
    pub consoles: consoles::Consoles,
    /// The usage sampler's previous readings and latest snapshot (`usage.rs`).
    pub usage: usage::UsageSampler,
    /// Vireo's SSH key and the pinned host keys' files (`<data dir>/ssh`); `None` in commands
    /// that never connect to an SSH host.
    pub ssh: Option<crate::ssh::SshFiles>,
}

impl VireoService {
    pub fn new(repo: Repository, hypervisor: Arc<dyn Hypervisor>, shutdown_timeout: std::time::Duration) -> Self {
        let ops = Operations::new(repo.clone(), shutdown_timeout);
        let throttle = Arc::new(LoginThrottle::shared(repo.clone()));
        let leadership = leadership::Leadership::new(repo.clone());
        Self {
            repo,
            hypervisor,
            ops,
            leadership,
            throttle,
            mac_range: vireo_app::domain::network::MacRange::default(),
            consoles: consoles::Consoles::new(std::time::Duration::from_secs(900)),
            usage: usage::UsageSampler::new(usage::DEFAULT_INTERVAL),
            ssh: None,
        }
    }

    /// The service with Vireo's SSH folder under `data_dir` (remote hosts over SSH).
    pub fn with_ssh(mut self, data_dir: &std::path::Path) -> Self {
        self.ssh = Some(crate::ssh::SshFiles::new(data_dir));
        self
    }

    /// The service sampling usage every `interval` (`Config::sample_interval`).
    pub fn with_sample_interval(mut self, interval: std::time::Duration) -> Self {
        self.usage = usage::UsageSampler::new(interval);
        self
    }

    /// The service handing out MACs from `range` (`Config::mac_range`).
    pub fn with_mac_range(mut self, range: vireo_app::domain::network::MacRange) -> Self {
        self.mac_range = range;
        self
    }

    /// The service closing consoles idle for `timeout` (`Config::console_idle_timeout`).
    pub fn with_console_idle_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.consoles = consoles::Consoles::new(timeout);
        self
    }

    /// Writes an audit event (`audit.rs`). `user` None: Vireo itself (first-run setup, the
    /// reconciler, HA).
    pub(crate) async fn audit(&self, user: Option<&CurrentUser>, action: &str, object: Object<'_>, outcome: Outcome) {
        self.repo
            .record_event(audit::event(user, action, object, outcome))
            .await;
    }

    /// The event of an operation `actor` ran on `object`: done when `success`, else failed
    /// underneath (libvirt, the host).
    pub(crate) async fn operation_event(
        &self,
        actor: &Actor,
        action: &str,
        object: Object<'_>,
        success: bool,
        message: String,
    ) {
        self.audit(actor.user(), action, object, Outcome::or_failed(success, message))
            .await;
    }

    /// The role check every write of the service starts with (`vireo_app::authz`): whatever the entry
    /// point — server function, form post, REST, command line — the same check, and a refusal is
    /// audited like any other failed write.
    pub async fn authorize(
        &self,
        user: &CurrentUser,
        permission: Permission,
        action: &str,
        object_kind: &str,
        object_id: Option<Uuid>,
        object_name: &str,
    ) -> Result<Actor, AppError> {
        match authz::authorize(user, permission) {
            Ok(actor) => Ok(actor),
            Err(e) => {
                let message = format!(
                    "{} ({}) may not do {action}: refused.",
                    user.username,
                    user.role.as_str()
                );
                let object = Object::new(object_kind, object_id, object_name);
                self.audit(Some(user), action, object, Outcome::Refused(message)).await;
                Err(e)
            }
        }
    }
}
