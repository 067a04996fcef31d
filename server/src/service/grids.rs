//! The grids behind every list page and the event log: the search text is parsed here (a bad one
//! is a `search` field error), sorting and paging happen in SQL (`repository/grids.rs`).

use crate::service::VireoService;
use uuid::Uuid;
use vireo_app::backend::GridBackend;
use vireo_app::domain::collections::{self, CollectionFields};
use vireo_app::domain::search::{parse_search, Search};
use vireo_app::error::AppError;
use vireo_app::models::{ClusterView, EventView, GridPage, GridQuery, HostView, PoolRow, TemplateView, VmRow};

/// A grid's search text parsed against the collection's terms; a bad one is a `search` field error.
pub(crate) fn grid_search(q: &GridQuery, collection: &CollectionFields) -> Result<Search, AppError> {
    parse_search(&q.search, collection.grid_terms).map_err(|e| AppError::Validation { errors: vec![e] })
}

#[async_trait::async_trait]
impl GridBackend for VireoService {
    async fn vm_grid(&self, q: &GridQuery) -> Result<GridPage<VmRow>, AppError> {
        let search = grid_search(q, &collections::VMS)?;
        // `recommendations:missing`: the rules' answer, computed in one pass (see service/dashboard.rs).
        let among = if search.terms.iter().any(|(f, _)| f == "recommendations") {
            Some(self.hp_vms_missing_recommendations().await?)
        } else {
            None
        };
        self.repo.vm_grid(q, &search, among.as_deref()).await
    }

    async fn template_grid(&self, q: &GridQuery) -> Result<GridPage<TemplateView>, AppError> {
        self.repo
            .template_grid(q, &grid_search(q, &collections::TEMPLATES)?)
            .await
    }

    async fn pool_grid(&self, q: &GridQuery) -> Result<GridPage<PoolRow>, AppError> {
        self.repo.pool_grid(q, &grid_search(q, &collections::POOLS)?).await
    }

    async fn host_grid(&self, q: &GridQuery) -> Result<GridPage<HostView>, AppError> {
        self.repo.host_grid(q, &grid_search(q, &collections::HOSTS)?).await
    }

    async fn cluster_grid(&self, q: &GridQuery) -> Result<GridPage<ClusterView>, AppError> {
        self.repo
            .cluster_grid(q, &grid_search(q, &collections::CLUSTERS)?)
            .await
    }

    async fn event_grid(&self, q: &GridQuery, object: Option<Uuid>) -> Result<GridPage<EventView>, AppError> {
        self.repo
            .event_grid(q, &grid_search(q, &collections::EVENTS)?, object)
            .await
    }

    async fn list_events(&self, limit: i64) -> Result<Vec<EventView>, AppError> {
        self.repo.list_events(limit).await
    }
}
