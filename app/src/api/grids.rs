//! The grids' data: one page, server-side searched, sorted and paged.

use crate::error::AppError;
use crate::models::{
    ClusterView, DataCenterView, EventView, GridPage, GridQuery, HostView, PoolRow, TemplateView, VmDetails, VmRow,
};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "vm_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn vm_grid(query: GridQuery) -> Result<GridPage<VmRow>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.vm_grid(&query).await)
}

#[server(prefix = "/api", endpoint = "template_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn template_grid(query: GridQuery) -> Result<GridPage<TemplateView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.template_grid(&query).await)
}

#[server(prefix = "/api", endpoint = "pool_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn pool_grid(query: GridQuery) -> Result<GridPage<PoolRow>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.pool_grid(&query).await)
}

#[server(prefix = "/api", endpoint = "host_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn host_grid(query: GridQuery) -> Result<GridPage<HostView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.host_grid(&query).await)
}

#[server(prefix = "/api", endpoint = "cluster_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn cluster_grid(query: GridQuery) -> Result<GridPage<ClusterView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.cluster_grid(&query).await)
}

#[server(prefix = "/api", endpoint = "data_center_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn data_center_grid(query: GridQuery) -> Result<GridPage<DataCenterView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.data_center_grid(&query).await)
}

/// Events; `object` (an id) narrows them to one object's.
#[server(prefix = "/api", endpoint = "event_grid", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn event_grid(query: GridQuery, object: Option<String>) -> Result<GridPage<EventView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let object = match object.filter(|o| !o.is_empty()) {
        Some(o) => Some(
            uuid::Uuid::parse_str(&o).map_err(|_| with_status(AppError::validation("object", "Not a valid id.")))?,
        ),
        None => None,
    };
    respond(backend()?.event_grid(&query, object).await)
}

#[server(prefix = "/api", endpoint = "vm_details", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn get_vm_details(id: String) -> Result<VmDetails, AppError> {
    use super::ssr::*;
    authorize_read()?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    respond(backend()?.vm_details(id).await)
}
