//! First run: the `admin` user, the "Default" cluster and a default host. Each step only happens
//! when its table is empty, so restarts change nothing.

use crate::config::Config;
use crate::hypervisor::topology_files;
use crate::repository::{ClusterFields, NewHost, DEFAULT_DATA_CENTER};
use crate::service::audit::{Object, Outcome};
use crate::service::passwords::{hash_password, random_password};
use crate::service::VireoService;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use vireo_app::authz::Actor;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::error::AppError;
use vireo_app::models::{HostStatus, Role};

pub const DEFAULT_CLUSTER: &str = "Default";
pub const DEFAULT_HOST: &str = "default-host";

pub async fn run(service: &VireoService, config: &Config) -> Result<(), AppError> {
    let repo = &service.repo;
    if repo.count_users().await? == 0 {
        let (password, generated) = match &config.admin_password {
            Some(p) => (p.clone(), false),
            None => (random_password(), true),
        };
        let hash = tokio::task::spawn_blocking(move || hash_password(&password).map(|h| (h, password)))
            .await
            .map_err(|_| AppError::Internal)??;
        repo.insert_user(&Actor::vireo(), "admin", &hash.0, Role::Admin).await?;
        if generated {
            // The password goes only to a file only the operator can read: never to the log, which
            // is kept, shipped and read by more people than should be able to log in as admin.
            let path = config.data_dir.join("admin-password");
            match write_secret(&config.data_dir, &path, &hash.1) {
                Ok(()) => tracing::info!(
                    "first run: created user 'admin'; its generated password is in {} (readable only by this user)",
                    path.display()
                ),
                Err(e) => tracing::error!(
                    "first run: created user 'admin' but could not write its generated password to {}: {e}; \
                     set one with `vireo-server user passwd admin`",
                    path.display()
                ),
            }
        } else {
            tracing::info!("first run: created user 'admin' with the password from VIREO_ADMIN_PASSWORD");
        }
        system_event(service, "user.create", "user", "admin", "First-run admin user created.").await;
    }

    if repo.count_data_centers().await? == 0 {
        repo.insert_data_center(
            &Actor::vireo(),
            DEFAULT_DATA_CENTER,
            "The default data center",
            CompatVersion::LATEST,
        )
        .await?;
        system_event(
            service,
            "data_center.create",
            "data_center",
            DEFAULT_DATA_CENTER,
            "Default data center created.",
        )
        .await;
    }

    if repo.count_clusters().await? == 0 {
        let data_centers = repo.list_data_centers().await?;
        let data_center = data_centers
            .iter()
            .find(|d| d.name == DEFAULT_DATA_CENTER)
            .or(data_centers.first())
            .ok_or(AppError::Internal)?;
        repo.insert_cluster(
            &Actor::vireo(),
            ClusterFields {
                name: DEFAULT_CLUSTER,
                description: "The default cluster",
                compat_version: CompatVersion::LATEST,
                cpu_arch: "x86_64",
                data_center_id: data_center.id,
            },
        )
        .await?;
        system_event(
            service,
            "cluster.create",
            "cluster",
            DEFAULT_CLUSTER,
            "Default cluster created.",
        )
        .await;
    }

    if repo.count_hosts().await? == 0 {
        let clusters = repo.list_clusters().await?;
        let cluster = clusters
            .iter()
            .find(|c| c.name == DEFAULT_CLUSTER)
            .or(clusters.first())
            .ok_or(AppError::Internal)?;
        let uri = config.default_host_uri.as_str();
        let simulated = topology_files::is_test_driver(uri).then_some(topology_files::DEFAULT_ID);
        // A default host that does not answer is still created, marked non-responsive: the operator
        // sees it and its error instead of a server that refuses to start.
        let (status, topology, error) = match service.read_topology(uri, simulated).await {
            Ok(t) => (HostStatus::Up, t, None),
            Err(e) => (HostStatus::NonResponsive, HostTopology::default(), Some(e.to_string())),
        };
        repo.insert_host(
            &Actor::vireo(),
            NewHost {
                name: DEFAULT_HOST,
                cluster_id: cluster.id,
                uri,
                status,
                simulated_topology: simulated,
                topology: &topology,
                ksm_running: None,
                last_error: error.as_deref(),
                // A default SSH host has no confirmed key: it stays unreachable until added in the dialog.
                ssh_host_key: None,
            },
        )
        .await?;
        system_event(
            service,
            "host.add",
            "host",
            DEFAULT_HOST,
            &format!("Default host added ({uri})."),
        )
        .await;
    }
    Ok(())
}

/// Writes `secret` to `path` created with mode 0600 (an existing file is replaced, not reused, so a
/// looser mode on an old file cannot leak it).
fn write_secret(dir: &std::path::Path, path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    writeln!(f, "{secret}")
}

async fn system_event(service: &VireoService, action: &str, kind: &str, name: &str, message: &str) {
    service
        .audit(
            None,
            action,
            Object::new(kind, None, name),
            Outcome::Done(message.to_string()),
        )
        .await;
}
