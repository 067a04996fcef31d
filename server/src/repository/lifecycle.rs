//! The VM status and host placement writes the lifecycle and the reconciler make.

use super::{internal, Repository};
use sqlx::types::Json;
use uuid::Uuid;
use vireo_app::domain::vm_config::VmConfig;
use vireo_app::error::AppError;

/// What the reconciler needs of a VM.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VmRuntime {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub host_id: Option<Uuid>,
    pub high_availability: bool,
}

impl Repository {
    /// After a successful start: the configuration it runs with becomes current, the pending one
    /// is cleared.
    pub async fn mark_vm_started(&self, id: Uuid, host_id: Uuid, config: &VmConfig) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE vms SET status = 'up', host_id = $2, config = $3, next_run_config = NULL,
                    status_changed_at = now(), version = version + 1, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(host_id)
        .bind(Json(config))
        .execute(&self.pool)
        .await
        .map_err(internal)
        .map(|_| ())
    }

    /// Sets the status; returns the previous one when it changed.
    pub async fn set_vm_status(&self, id: Uuid, status: &str) -> Result<Option<String>, AppError> {
        let previous: Option<(String,)> = sqlx::query_as(
            "UPDATE vms v SET status = $2, status_changed_at = now()
             FROM (SELECT id, status FROM vms WHERE id = $1 FOR UPDATE) old
             WHERE v.id = old.id AND old.status <> $2
             RETURNING old.status",
        )
        .bind(id)
        .bind(status)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)?;
        Ok(previous.map(|(s,)| s))
    }

    pub async fn delete_vm(&self, id: Uuid) -> Result<(), AppError> {
        sqlx::query("DELETE FROM vms WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(internal)
            .map(|_| ())
    }

    /// VMs Vireo believes are on `host_id` (placed there, or pinned there).
    pub async fn vms_on_host(&self, host_id: Uuid) -> Result<Vec<VmRuntime>, AppError> {
        sqlx::query_as(
            "SELECT id, name, status, host_id, COALESCE((config ->> 'high_availability')::boolean, false) AS high_availability
             FROM vms WHERE host_id = $1 ORDER BY name",
        )
        .bind(host_id)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)
    }

    pub async fn vm_runtime(&self, id: Uuid) -> Result<Option<VmRuntime>, AppError> {
        sqlx::query_as(
            "SELECT id, name, status, host_id, COALESCE((config ->> 'high_availability')::boolean, false) AS high_availability
             FROM vms WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(internal)
    }
}

impl Repository {
    /// A pending next-run configuration (seeding).
    pub async fn set_next_run_by_name(
        &self,
        conn: &mut sqlx::PgConnection,
        name: &str,
        next: &VmConfig,
    ) -> Result<(), AppError> {
        sqlx::query("UPDATE vms SET next_run_config = $2 WHERE name = $1")
            .bind(name)
            .bind(Json(next))
            .execute(conn)
            .await
            .map_err(internal)
            .map(|_| ())
    }
}
