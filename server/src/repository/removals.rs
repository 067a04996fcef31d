//! Removing clusters, hosts, templates and pools: what still uses each (so a refusal can name it),
//! and the deletes themselves. VMs have their own removal in `service/lifecycle.rs` (libvirt first).

use super::{internal, Repository};
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::error::AppError;

/// Names of the objects still using something, by kind (at most a few of each, for messages).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub clusters: Vec<String>,
    pub hosts: Vec<String>,
    pub vms: Vec<String>,
    pub templates: Vec<String>,
    pub pools: Vec<String>,
}

impl Usage {
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
            && self.hosts.is_empty()
            && self.vms.is_empty()
            && self.templates.is_empty()
            && self.pools.is_empty()
    }

    /// Nothing uses it; else a conflict whose message `refusal` makes from `describe()`.
    pub fn unused_or(&self, refusal: impl FnOnce(String) -> String) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::conflict(refusal(self.describe())))
        }
    }

    /// "hosts h1; VMs a, b" — for refusals.
    pub fn describe(&self) -> String {
        [
            ("clusters", &self.clusters),
            ("hosts", &self.hosts),
            ("VMs", &self.vms),
            ("templates", &self.templates),
            ("pools", &self.pools),
        ]
        .iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(kind, names)| format!("{kind} {}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
    }
}

const SHOWN: i64 = 5;

impl Repository {
    async fn names(&self, sql: &str, id: Uuid) -> Result<Vec<String>, AppError> {
        sqlx::query_scalar(sql)
            .bind(id)
            .bind(SHOWN)
            .fetch_all(&self.pool)
            .await
            .map_err(internal)
    }

    pub async fn cluster_usage(&self, id: Uuid) -> Result<Usage, AppError> {
        Ok(Usage {
            hosts: self
                .names(
                    "SELECT name FROM hosts WHERE cluster_id = $1 ORDER BY name LIMIT $2",
                    id,
                )
                .await?,
            vms: self
                .names("SELECT name FROM vms WHERE cluster_id = $1 ORDER BY name LIMIT $2", id)
                .await?,
            templates: self
                .names(
                    "SELECT name FROM templates WHERE cluster_id = $1 ORDER BY name LIMIT $2",
                    id,
                )
                .await?,
            pools: self
                .names(
                    "SELECT name FROM vm_pools WHERE cluster_id = $1 ORDER BY name LIMIT $2",
                    id,
                )
                .await?,
            clusters: Vec::new(),
        })
    }

    pub async fn data_center_usage(&self, id: Uuid) -> Result<Usage, AppError> {
        Ok(Usage {
            clusters: self
                .names(
                    "SELECT name FROM clusters WHERE data_center_id = $1 ORDER BY name LIMIT $2",
                    id,
                )
                .await?,
            ..Usage::default()
        })
    }

    pub async fn template_usage(&self, id: Uuid) -> Result<Usage, AppError> {
        Ok(Usage {
            vms: self
                .names("SELECT name FROM vms WHERE template_id = $1 ORDER BY name LIMIT $2", id)
                .await?,
            pools: self
                .names(
                    "SELECT name FROM vm_pools WHERE template_id = $1 ORDER BY name LIMIT $2",
                    id,
                )
                .await?,
            ..Usage::default()
        })
    }

    /// VMs running on the host or pinned to it (their placement names it).
    pub async fn host_usage(&self, id: Uuid) -> Result<Usage, AppError> {
        Ok(Usage {
            vms: self
                .names(
                    "SELECT name FROM vms
                     WHERE (host_id = $1 AND status <> 'down') OR config -> 'placement_hosts' ? ($1::text)
                     ORDER BY name LIMIT $2",
                    id,
                )
                .await?,
            ..Usage::default()
        })
    }

    pub async fn delete_cluster(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        self.delete_row("DELETE FROM clusters WHERE id = $1", id).await
    }

    pub async fn delete_template(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        self.delete_row("DELETE FROM templates WHERE id = $1", id).await
    }

    pub async fn delete_host(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        self.delete_row("DELETE FROM hosts WHERE id = $1", id).await
    }

    pub async fn delete_pool(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        self.delete_row("DELETE FROM vm_pools WHERE id = $1", id).await
    }
}
