//! OS types and instance types: the catalogues the dialogs choose from.

use super::{internal, Repository};
use sqlx::types::Json;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::instance_type::InstanceTypeSpec;
use vireo_app::domain::vm_config::{OsFamily, OsType};
use vireo_app::error::AppError;
use vireo_app::models::InstanceTypeOption;

impl Repository {
    pub async fn list_os_types(&self) -> Result<Vec<OsType>, AppError> {
        let sql = "SELECT id, name, family FROM os_types ORDER BY sort_order, id";
        let rows: Vec<(String, String, String)> = self.fetch_all(sqlx::query_as(sql)).await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, family)| OsType {
                id,
                name,
                family: OsFamily::parse(&family).unwrap_or(OsFamily::Other),
            })
            .collect())
    }

    pub async fn os_family(&self, os_type: &str) -> Result<Option<OsFamily>, AppError> {
        let family: Option<String> = sqlx::query_scalar("SELECT family FROM os_types WHERE id = $1")
            .bind(os_type)
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)?;
        Ok(family.and_then(|f| OsFamily::parse(&f)))
    }

    pub async fn list_instance_types(&self) -> Result<Vec<InstanceTypeOption>, AppError> {
        let sql = "SELECT id, name, description, spec FROM instance_types ORDER BY (spec->>'memory_mib')::bigint, name";
        let rows: Vec<(Uuid, String, String, Json<InstanceTypeSpec>)> = self.fetch_all(sqlx::query_as(sql)).await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, description, spec)| InstanceTypeOption {
                id,
                name,
                description,
                spec: spec.0,
            })
            .collect())
    }

    pub async fn instance_type(&self, id: Uuid) -> Result<Option<InstanceTypeOption>, AppError> {
        Ok(self.list_instance_types().await?.into_iter().find(|i| i.id == id))
    }

    pub async fn insert_instance_type(
        &self,
        _actor: &Actor,
        name: &str,
        description: &str,
        spec: &InstanceTypeSpec,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::new_v4();
        let sql = "INSERT INTO instance_types (id, name, description, spec) VALUES ($1, $2, $3, $4)";
        self.write_instance_type(sql, id, name, description, spec).await?;
        Ok(id)
    }

    pub async fn update_instance_type(
        &self,
        _actor: &Actor,
        id: Uuid,
        name: &str,
        description: &str,
        spec: &InstanceTypeSpec,
    ) -> Result<(), AppError> {
        let sql = "UPDATE instance_types SET name = $2, description = $3, spec = $4, version = version + 1, updated_at = now()
             WHERE id = $1";
        if self.write_instance_type(sql, id, name, description, spec).await? == 0 {
            return Err(AppError::not_found("Instance type"));
        }
        Ok(())
    }

    /// VMs made with it keep their settings (their reference is cleared).
    pub async fn delete_instance_type(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        self.delete_row("DELETE FROM instance_types WHERE id = $1", id).await
    }

    /// The insert and the update: both take the id and the fields as `$1`…`$4`.
    async fn write_instance_type(
        &self,
        sql: &str,
        id: Uuid,
        name: &str,
        description: &str,
        spec: &InstanceTypeSpec,
    ) -> Result<u64, AppError> {
        let query = sqlx::query(sql).bind(id).bind(name).bind(description).bind(Json(spec));
        self.execute_named(query, "instance type", name).await
    }
}
