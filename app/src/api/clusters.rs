use crate::error::AppError;
use crate::models::ClusterView;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "list_clusters", input = GetUrl)]
pub async fn list_clusters() -> Result<Vec<ClusterView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_clusters().await)
}
