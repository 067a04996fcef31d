//! The service interface server functions call. The server crate implements it over PostgreSQL and
//! the libvirt pool and provides it as context; server functions only authorize, call it and map
//! errors. The REST API calls the same implementation, so both front doors share one behaviour.

use crate::error::AppError;
use crate::models::{
    AddHostRequest, ClusterView, CurrentUser, EventView, HostView, TemplateView, TopologyFile,
};
use std::sync::Arc;

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn list_hosts(&self) -> Result<Vec<HostView>, AppError>;
    /// Connects to the URI, reads its topology and stores the host; stores nothing when that fails.
    async fn add_host(
        &self,
        actor: &CurrentUser,
        request: AddHostRequest,
    ) -> Result<HostView, AppError>;
    fn topology_files(&self) -> Vec<TopologyFile>;
    async fn list_clusters(&self) -> Result<Vec<ClusterView>, AppError>;
    async fn list_templates(&self) -> Result<Vec<TemplateView>, AppError>;
    async fn list_events(&self, limit: i64) -> Result<Vec<EventView>, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;
