//! Data centers: oVirt's top level, owning clusters.

use super::collection_sql::data_center_status_sql;
use super::Repository;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::vm_config::CompatVersion;
use vireo_app::error::AppError;
use vireo_app::models::{DataCenterStatus, DataCenterView};

/// A row as every data center query selects it (also the Data Centers grid's).
#[derive(sqlx::FromRow)]
pub(super) struct DataCenterRow {
    id: Uuid,
    name: String,
    description: String,
    compat_version: String,
    status: String,
    cluster_count: i64,
    host_count: i64,
    vm_count: i64,
    version: i32,
}

impl From<DataCenterRow> for DataCenterView {
    fn from(r: DataCenterRow) -> Self {
        DataCenterView {
            id: r.id,
            name: r.name,
            description: r.description,
            // The column's CHECK constraint only admits supported versions.
            compat_version: CompatVersion::parse(&r.compat_version).unwrap_or(CompatVersion::LATEST),
            status: DataCenterStatus::parse(&r.status).unwrap_or(DataCenterStatus::Uninitialized),
            cluster_count: r.cluster_count,
            host_count: r.host_count,
            vm_count: r.vm_count,
            version: r.version,
        }
    }
}

/// The columns of a `DataCenterRow`, from `data_centers dc` (also the grid's).
pub(super) const DATA_CENTER_COLUMNS: &str = concat!(
    "dc.id, dc.name, dc.description, dc.compat_version, dc.version, ",
    data_center_status_sql!(),
    " AS status,
     (SELECT count(*) FROM clusters c WHERE c.data_center_id = dc.id) AS cluster_count,
     (SELECT count(*) FROM hosts h JOIN clusters c ON c.id = h.cluster_id WHERE c.data_center_id = dc.id) AS host_count,
     (SELECT count(*) FROM vms v JOIN clusters c ON c.id = v.cluster_id WHERE c.data_center_id = dc.id) AS vm_count"
);

/// The name every first run gives its data center (and the migration gives existing databases').
pub const DEFAULT_DATA_CENTER: &str = "Default";

impl Repository {
    pub async fn list_data_centers(&self) -> Result<Vec<DataCenterView>, AppError> {
        let sql = format!("SELECT {DATA_CENTER_COLUMNS} FROM data_centers dc ORDER BY dc.name");
        let rows: Vec<DataCenterRow> = self.fetch_all(sqlx::query_as(&sql)).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn data_center(&self, id: Uuid) -> Result<Option<DataCenterView>, AppError> {
        let sql = format!("SELECT {DATA_CENTER_COLUMNS} FROM data_centers dc WHERE dc.id = $1");
        let row: Option<DataCenterRow> = self.fetch_optional(sqlx::query_as(&sql).bind(id)).await?;
        Ok(row.map(Into::into))
    }

    pub async fn count_data_centers(&self) -> Result<i64, AppError> {
        self.count("SELECT count(*) FROM data_centers").await
    }

    /// The lowest compatibility version among a data center's clusters (it may not go above it).
    pub async fn data_center_cluster_version_min(&self, id: Uuid) -> Result<Option<CompatVersion>, AppError> {
        let versions: Vec<String> = sqlx::query_scalar("SELECT compat_version FROM clusters WHERE data_center_id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(super::internal)?;
        Ok(versions.iter().filter_map(|v| CompatVersion::parse(v)).min())
    }

    pub async fn insert_data_center(
        &self,
        _actor: &Actor,
        name: &str,
        description: &str,
        compat_version: CompatVersion,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::new_v4();
        let sql = "INSERT INTO data_centers (id, name, description, compat_version) VALUES ($1, $2, $3, $4)";
        let query = sqlx::query(sql)
            .bind(id)
            .bind(name)
            .bind(description)
            .bind(compat_version.to_string());
        self.execute_named(query, "data center", name).await?;
        Ok(id)
    }

    /// Version-checked update; `Conflict` when someone else saved first.
    pub async fn update_data_center(
        &self,
        _actor: &Actor,
        id: Uuid,
        expected_version: i32,
        name: &str,
        description: &str,
        compat_version: CompatVersion,
    ) -> Result<(), AppError> {
        let sql = "UPDATE data_centers SET name = $2, description = $3, compat_version = $4,
                    version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $5";
        let query = sqlx::query(sql)
            .bind(id)
            .bind(name)
            .bind(description)
            .bind(compat_version.to_string())
            .bind(expected_version);
        if self.execute_named(query, "data center", name).await? == 0 {
            return Err(match self.data_center(id).await? {
                None => AppError::not_found("Data center"),
                Some(_) => AppError::conflict(format!(
                    "Data center {name} was changed by someone else after you opened it. Nothing was saved: open it again to see their changes."
                )),
            });
        }
        Ok(())
    }

    /// Deletes a data center without clusters (the foreign key refuses one with clusters anyway).
    pub async fn delete_data_center(&self, _actor: &Actor, id: Uuid) -> Result<bool, AppError> {
        self.delete_row("DELETE FROM data_centers WHERE id = $1", id).await
    }
}
