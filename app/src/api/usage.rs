use crate::domain::usage::UsageHistory;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// A VM's or host's last hour of CPU and memory samples (the General sub-tabs' usage chart).
#[server(prefix = "/api", endpoint = "usage_history", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn get_usage_history(kind: String, id: String) -> Result<UsageHistory, AppError> {
    use super::ssr::*;
    use crate::domain::usage::UsageKind;
    authorize_read()?;
    let kind = UsageKind::parse(&kind).ok_or_else(|| with_status(AppError::validation("kind", "Not vm or host.")))?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    respond(backend()?.usage_history(kind, id).await)
}
