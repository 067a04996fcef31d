use crate::error::AppError;
use crate::models::EventView;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "list_events", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn list_events() -> Result<Vec<EventView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_events(200).await)
}
