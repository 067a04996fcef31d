//! The `seed` command's bulk insert: many VMs in one statement (columns as arrays, `UNNEST`ed into
//! rows), so 100,000 VMs cost a few dozen round trips instead of 100,000. The rows' triggers run as
//! for any insert (disk and NIC references; the one change notification per transaction).

use super::{internal, Repository};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;
use vireo_app::authz::Actor;
use vireo_app::domain::vm_config::VmConfig;
use vireo_app::error::AppError;

/// New VMs of one cluster and template, column by column (every vector the same length).
#[derive(Default)]
pub struct NewVmRows<'a> {
    pub ids: Vec<Uuid>,
    pub names: Vec<String>,
    pub descriptions: Vec<String>,
    pub pool_ids: Vec<Option<Uuid>>,
    pub configs: Vec<Json<&'a VmConfig>>,
    pub next_runs: Vec<Option<Json<&'a VmConfig>>>,
}

impl NewVmRows<'_> {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl Repository {
    /// Inserts the rows (down, on no host) in `cluster_id` from `template_id`; returns how many.
    pub async fn insert_vm_rows(
        conn: &mut PgConnection,
        _actor: &Actor,
        cluster_id: Uuid,
        template_id: Uuid,
        rows: &NewVmRows<'_>,
    ) -> Result<u64, AppError> {
        let lengths = [
            rows.names.len(),
            rows.descriptions.len(),
            rows.pool_ids.len(),
            rows.configs.len(),
            rows.next_runs.len(),
        ];
        if lengths.iter().any(|n| *n != rows.len()) {
            return Err(AppError::Internal);
        }
        sqlx::query(
            "INSERT INTO vms (id, name, description, cluster_id, template_id, pool_id, config, next_run_config)
             SELECT u.id, u.name, u.description, $6, $7, u.pool_id, u.config, u.next_run
             FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[], $8::jsonb[])
                  AS u (id, name, description, pool_id, config, next_run)",
        )
        .bind(&rows.ids)
        .bind(&rows.names)
        .bind(&rows.descriptions)
        .bind(&rows.pool_ids)
        .bind(&rows.configs)
        .bind(cluster_id)
        .bind(template_id)
        .bind(&rows.next_runs)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
        .map_err(internal)
    }

    /// Fresh planner statistics and visibility map for `vms` after a bulk insert.
    pub async fn vacuum_analyze_vms(&self) -> Result<(), AppError> {
        sqlx::query("VACUUM (ANALYZE) vms")
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(internal)
    }
}
