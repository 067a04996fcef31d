use super::{internal, Repository};
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::error::AppError;
use vireo_app::models::ClusterView;

/// A row as every cluster query selects it (also the Clusters grid's).
#[derive(sqlx::FromRow)]
pub(super) struct ClusterRow {
    id: Uuid,
    name: String,
    description: String,
    compat_version: String,
    cpu_arch: String,
    ksm_enabled: bool,
    ballooning_enabled: bool,
    host_count: i64,
    vm_count: i64,
    version: i32,
}

impl From<ClusterRow> for ClusterView {
    fn from(r: ClusterRow) -> Self {
        ClusterView {
            id: r.id,
            name: r.name,
            description: r.description,
            // The column's CHECK constraint only admits supported versions.
            compat_version: CompatVersion::parse(&r.compat_version).unwrap_or(CompatVersion::LATEST),
            cpu_arch: r.cpu_arch,
            ksm_enabled: r.ksm_enabled,
            ballooning_enabled: r.ballooning_enabled,
            host_count: r.host_count,
            vm_count: r.vm_count,
            version: r.version,
        }
    }
}

const SELECT: &str = "SELECT c.id, c.name, c.description, c.compat_version, c.cpu_arch, c.ksm_enabled,
        c.ballooning_enabled, c.version,
        (SELECT count(*) FROM hosts h WHERE h.cluster_id = c.id) AS host_count,
        (SELECT count(*) FROM vms v WHERE v.cluster_id = c.id) AS vm_count
    FROM clusters c";

impl Repository {
    pub async fn list_clusters(&self) -> Result<Vec<ClusterView>, AppError> {
        let rows: Vec<ClusterRow> = sqlx::query_as(&format!("{SELECT} ORDER BY c.name"))
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn cluster(&self, id: Uuid) -> Result<Option<ClusterView>, AppError> {
        let row: Option<ClusterRow> = sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)?;
        Ok(row.map(Into::into))
    }

    pub async fn count_clusters(&self) -> Result<i64, AppError> {
        sqlx::query_scalar("SELECT count(*) FROM clusters")
            .fetch_one(&self.pool)
            .await
            .map_err(internal)
    }

    pub async fn insert_cluster(
        &self,
        _actor: &Actor,
        name: &str,
        description: &str,
        compat_version: CompatVersion,
        cpu_arch: &str,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO clusters (id, name, description, compat_version, cpu_arch) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(compat_version.to_string())
        .bind(cpu_arch)
        .execute(&self.pool)
        .await
        .map_err(super::db_error("cluster", name))?;
        Ok(id)
    }
}

/// What a cluster's dialog edits (its optimization switches are set apart).
#[derive(Clone, Copy)]
pub struct ClusterFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub compat_version: CompatVersion,
    pub cpu_arch: &'a str,
}

impl Repository {
    /// Version-checked update; `Conflict` when someone else saved first.
    pub async fn update_cluster(
        &self,
        _actor: &Actor,
        id: Uuid,
        expected_version: i32,
        fields: ClusterFields<'_>,
    ) -> Result<(), AppError> {
        let ClusterFields {
            name,
            description,
            compat_version,
            cpu_arch,
        } = fields;
        let updated = sqlx::query(
            "UPDATE clusters SET name = $3, description = $4, compat_version = $5, cpu_arch = $6,
                    version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version)
        .bind(name)
        .bind(description)
        .bind(compat_version.to_string())
        .bind(cpu_arch)
        .execute(&self.pool)
        .await
        .map_err(super::db_error("cluster", name))?;
        if updated.rows_affected() == 0 {
            return Err(match self.cluster(id).await? {
                None => AppError::not_found("Cluster"),
                Some(_) => AppError::conflict(format!(
                    "Cluster {name} was changed by someone else after you opened it. Nothing was saved: open it again to see their changes."
                )),
            });
        }
        Ok(())
    }

    pub async fn set_cluster_optimization(
        &self,
        _actor: &Actor,
        id: Uuid,
        ksm_enabled: bool,
        ballooning_enabled: bool,
    ) -> Result<(), AppError> {
        sqlx::query("UPDATE clusters SET ksm_enabled = $2, ballooning_enabled = $3 WHERE id = $1")
            .bind(id)
            .bind(ksm_enabled)
            .bind(ballooning_enabled)
            .execute(&self.pool)
            .await
            .map_err(internal)
            .map(|_| ())
    }
}
