use crate::error::AppError;
use crate::models::ClusterView;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api", endpoint = "list_clusters", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn list_clusters() -> Result<Vec<ClusterView>, AppError> {
    use super::ssr::*;
    authorize_read()?;
    respond(backend()?.list_clusters().await)
}

/// New/Edit Cluster. String fields so the same function serves the hydrated dialog and a plain
/// form post; checkboxes arrive as "on" when ticked.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api", endpoint = "save_cluster", output = crate::api::json_text::JsonText)]
pub async fn save_cluster(
    id: Option<String>,
    version: Option<String>,
    name: String,
    description: Option<String>,
    data_center_id: Option<String>,
    compat_version: String,
    cpu_arch: String,
    ksm_enabled: Option<String>,
    ballooning_enabled: Option<String>,
) -> Result<ClusterView, AppError> {
    use super::ssr::*;
    use crate::models::ClusterDraft;
    let actor = authorize_read()?;
    let id = match id.filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(uuid::Uuid::parse_str(&s).map_err(|_| with_status(AppError::validation("id", "Not a valid id.")))?)
        }
        None => None,
    };
    let data_center_id = parse_optional_id("data_center", data_center_id)?;
    let draft = ClusterDraft {
        id,
        data_center_id,
        version: version.and_then(|v| v.parse().ok()),
        name: name.trim().to_string(),
        description: description.unwrap_or_default(),
        compat_version,
        cpu_arch,
        ksm_enabled: ksm_enabled.is_some_and(|v| v == "on" || v == "true"),
        ballooning_enabled: ballooning_enabled.is_some_and(|v| v == "on" || v == "true"),
    };
    respond_selected("/clusters", backend()?.save_cluster(&actor, draft).await, |c| c.id)
}

/// Removes a cluster; the service refuses while hosts, VMs, templates, pools or networks use it.
#[server(prefix = "/api", endpoint = "remove_cluster", output = crate::api::json_text::JsonText)]
pub async fn remove_cluster(id: String) -> Result<(), AppError> {
    use super::ssr::*;
    let actor = authorize_read()?;
    let id = parse_id("id", &id, "Not a valid id.")?;
    respond(backend()?.remove_cluster(&actor, id).await)?;
    leptos_axum::redirect("/clusters");
    Ok(())
}
