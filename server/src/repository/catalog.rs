//! OS types and instance types: the catalogues the dialogs choose from.

use super::{internal, Repository};
use sqlx::types::Json;
use uuid::Uuid;
use vireo_app::domain::instance_type::InstanceTypeSpec;
use vireo_app::domain::vm_config::{OsFamily, OsType};
use vireo_app::error::AppError;
use vireo_app::models::InstanceTypeOption;

impl Repository {
    pub async fn list_os_types(&self) -> Result<Vec<OsType>, AppError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, name, family FROM os_types ORDER BY sort_order, id")
                .fetch_all(&self.pool)
                .await
                .map_err(internal)?;
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
        let rows: Vec<(Uuid, String, String, Json<InstanceTypeSpec>)> = sqlx::query_as(
            "SELECT id, name, description, spec FROM instance_types ORDER BY (spec->>'memory_mib')::bigint, name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
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
}
