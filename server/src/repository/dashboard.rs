//! The Dashboard's aggregate: VMs counted and summed by (cluster, status, type) in one query; the
//! pure `domain::dashboard::summarize` turns the groups into the page's numbers.

use super::Repository;
use uuid::Uuid;
use vireo_app::domain::dashboard::VmTally;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::error::AppError;
use vireo_app::models::VmStatus;

impl Repository {
    /// Every VM, grouped by cluster, status and type: how many, their vCPUs and memory. At most
    /// clusters × 7 statuses × 3 types rows, whatever the number of VMs.
    pub async fn vm_tallies(&self) -> Result<Vec<VmTally>, AppError> {
        let sql = "SELECT cluster_id, status, optimized_for, count(*)::bigint, COALESCE(sum(vcpus), 0)::bigint,
                          COALESCE(sum(memory_mib), 0)::bigint
                   FROM vms GROUP BY cluster_id, status, optimized_for";
        let rows: Vec<(Uuid, String, Option<String>, i64, i64, i64)> = self.fetch_all(sqlx::query_as(sql)).await?;
        Ok(rows
            .into_iter()
            .map(
                |(cluster_id, status, optimized_for, count, vcpus, memory_mib)| VmTally {
                    cluster_id,
                    // A status the code does not know cannot be stored (the column is checked); Unknown
                    // keeps the count honest if one ever were.
                    status: VmStatus::parse(&status).unwrap_or(VmStatus::Unknown),
                    optimized_for: optimized_for
                        .as_deref()
                        .and_then(OptimizedFor::parse)
                        .unwrap_or_default(),
                    count: u64::try_from(count).unwrap_or(0),
                    vcpus: u64::try_from(vcpus).unwrap_or(0),
                    memory_mib: u64::try_from(memory_mib).unwrap_or(0),
                },
            )
            .collect())
    }
}
