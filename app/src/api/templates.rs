use crate::error::AppError;
use crate::models::TemplateView;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "list_templates", input = GetUrl)]
pub async fn list_templates() -> Result<Vec<TemplateView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_templates().await)
}
