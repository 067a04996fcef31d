//! Data centers: oVirt's top level (data center → clusters → hosts). Form fields arrive as strings so
//! each function serves the hydrated dialog and a plain form post alike; the service checks the role
//! (admins) and writes the audit event.

use crate::error::AppError;
use crate::models::DataCenterView;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The Data Centers page.
pub const DATA_CENTERS_PATH: &str = "/datacenters";

/// Every data center (the cluster dialog's choices, a data center's Clusters sub-tab).
#[server(prefix = "/api", endpoint = "list_data_centers", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn list_data_centers() -> Result<Vec<DataCenterView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_data_centers().await)
}

/// New/Edit Data Center: name, description, compatibility version (`id` and `version` on edit).
#[server(prefix = "/api", endpoint = "save_data_center", output = crate::api::json_text::JsonText)]
pub async fn save_data_center(
    id: Option<String>,
    version: Option<String>,
    name: String,
    description: Option<String>,
    compat_version: String,
) -> Result<DataCenterView, AppError> {
    use super::ssr::*;
    use crate::models::DataCenterDraft;
    let actor = authorize_read()?;
    let draft = DataCenterDraft {
        id: parse_optional_id("id", id)?,
        version: version.and_then(|v| v.parse().ok()),
        name: name.trim().to_string(),
        description: description.unwrap_or_default(),
        compat_version,
    };
    respond_selected(
        DATA_CENTERS_PATH,
        backend()?.save_data_center(&actor, draft).await,
        |d| d.id,
    )
}

/// Removes a data center; the service refuses while it owns clusters, naming them.
#[server(prefix = "/api", endpoint = "remove_data_center", output = crate::api::json_text::JsonText)]
pub async fn remove_data_center(id: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    respond(backend()?.remove_data_center(&actor, id).await)?;
    leptos_axum::redirect(DATA_CENTERS_PATH);
    Ok(())
}
