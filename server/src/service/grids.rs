//! The grids behind every list page and the event log: the search text is parsed here (a bad one
//! is a `search` field error), sorting and paging happen in SQL (`repository/grids.rs`).

use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::backend::GridBackend;
use vireo_app::domain::collections;
use vireo_app::domain::search::parse_search;
use vireo_app::error::{AppError, FieldError};
use vireo_app::models::{ClusterView, EventView, GridPage, GridQuery, HostView, PoolRow, TemplateView, VmRow};

fn validation(e: FieldError) -> AppError {
    AppError::Validation { errors: vec![e] }
}

#[async_trait::async_trait]
impl GridBackend for VireoService {
    async fn vm_grid(&self, q: &GridQuery) -> Result<GridPage<VmRow>, AppError> {
        let search = parse_search(&q.search, collections::VMS.grid_terms).map_err(validation)?;
        self.repo.vm_grid(q, &search).await
    }

    async fn template_grid(&self, q: &GridQuery) -> Result<GridPage<TemplateView>, AppError> {
        let search = parse_search(&q.search, collections::TEMPLATES.grid_terms).map_err(validation)?;
        self.repo.template_grid(q, &search).await
    }

    async fn pool_grid(&self, q: &GridQuery) -> Result<GridPage<PoolRow>, AppError> {
        let search = parse_search(&q.search, collections::POOLS.grid_terms).map_err(validation)?;
        self.repo.pool_grid(q, &search).await
    }

    async fn host_grid(&self, q: &GridQuery) -> Result<GridPage<HostView>, AppError> {
        let search = parse_search(&q.search, collections::HOSTS.grid_terms).map_err(validation)?;
        self.repo.host_grid(q, &search).await
    }

    async fn cluster_grid(&self, q: &GridQuery) -> Result<GridPage<ClusterView>, AppError> {
        let search = parse_search(&q.search, collections::CLUSTERS.grid_terms).map_err(validation)?;
        self.repo.cluster_grid(q, &search).await
    }

    async fn event_grid(&self, q: &GridQuery, object: Option<Uuid>) -> Result<GridPage<EventView>, AppError> {
        let search = parse_search(&q.search, collections::EVENTS.grid_terms).map_err(validation)?;
        self.repo.event_grid(q, &search, object).await
    }

    async fn list_events(&self, limit: i64) -> Result<Vec<EventView>, AppError> {
        self.repo.list_events(limit).await
    }
}
