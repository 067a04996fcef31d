use super::{internal, Repository};
use uuid::Uuid;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::error::AppError;
use vireo_app::models::TemplateView;

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: Uuid,
    name: String,
    description: String,
    cluster_name: Option<String>,
    optimized_for: Option<String>,
    memory_mib: Option<i64>,
    vcpus: Option<i32>,
}

impl Repository {
    pub async fn list_templates(&self) -> Result<Vec<TemplateView>, AppError> {
        let rows: Vec<TemplateRow> = sqlx::query_as(
            "SELECT t.id, t.name, t.description, c.name AS cluster_name, t.optimized_for, t.memory_mib, t.vcpus
             FROM templates t LEFT JOIN clusters c ON c.id = t.cluster_id
             ORDER BY t.name = 'Blank' DESC, t.name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|r| TemplateView {
                id: r.id,
                name: r.name,
                description: r.description,
                cluster_name: r.cluster_name,
                optimized_for: r
                    .optimized_for
                    .as_deref()
                    .and_then(OptimizedFor::parse)
                    .unwrap_or_default(),
                memory_mib: r.memory_mib.unwrap_or_default(),
                vcpus: r.vcpus.unwrap_or_default(),
            })
            .collect())
    }
}
