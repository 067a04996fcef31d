//! `/operatingsystems`: the OS types VMs, Templates and Pools may name in `os/type`, as oVirt's
//! `OperatingSystemInfo` (the engine's osinfo catalogue). `name` is the unique name `os/type`
//! takes and `description` the label; the id is the same unique name, because Vireo's catalogue
//! is keyed by it (the engine's are osinfo's numbers, which no request takes: `os/type` names the
//! OS). Vireo keeps no icons (`large_icon`/`small_icon`, optional in the model).

use super::fault::Fault;
use super::href::API;
use super::response::ok;
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use vireo_app::domain::vm_config::OsType;

/// Every OS type is for x86_64, the architecture of every Vireo cluster's hosts.
const ARCHITECTURE: &str = "x86_64";

fn os_element(os: &OsType) -> El {
    El::new("operating_system")
        .attr("href", format!("{API}/operatingsystems/{}", os.id))
        .attr("id", &os.id)
        .text("name", &os.id)
        .text("description", &os.name)
        .text("architecture", ARCHITECTURE)
}

pub async fn list(State(state): State<AppState>) -> Result<Response, Fault> {
    let all = state.repo.list_os_types().await?;
    Ok(ok(El::new("operating_systems").children(all.iter().map(os_element))))
}

pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Fault> {
    let all = state.repo.list_os_types().await?;
    all.iter()
        .find(|os| os.id == id)
        .map(|os| ok(os_element(os)))
        .ok_or_else(|| Fault::not_found(&format!("operating system '{id}'")))
}
