//! The Dashboard's data: one read, any logged-in role.

use crate::domain::dashboard::Dashboard;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "dashboard", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.dashboard().await)
}
