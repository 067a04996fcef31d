//! What every collection's `GET` shares: `?search`/`?max` into ids (the repository's search), the
//! objects found, answered in the search's order.

use super::fault::Fault;
use super::query::{flag, ListParams};
use super::response::ok;
use super::xml::El;
use crate::repository::ApiCollection;
use crate::web::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;
use uuid::Uuid;
use vireo_app::domain::ovirt_search::{parse_ovirt_search, MAX_PAGE_SIZE};

/// Parses `?search`/`?max` into matching ids for a collection.
pub async fn search_ids(state: &AppState, c: ApiCollection, p: &ListParams) -> Result<Vec<Uuid>, Fault> {
    let mut q = parse_ovirt_search(p.search.as_deref().unwrap_or(""), &c.fields())
        .map_err(|m| Fault::new(StatusCode::BAD_REQUEST, "Invalid search", m))?;
    if c == ApiCollection::Vms {
        for cond in q.any_of.iter_mut().flatten().filter(|c| c.field == "status") {
            if cond.value.eq_ignore_ascii_case("reboot_in_progress") {
                cond.value = "rebooting".into();
            }
        }
    }
    // Held to MAX_PAGE_SIZE so that (page − 1) × max is a sane OFFSET (pentest row 8).
    let max = p
        .max
        .filter(|m| *m >= 0)
        .map(|m| m.min(i64::from(MAX_PAGE_SIZE)) as u32);
    if q.page.is_some() && max.is_none() {
        return Err(Fault::new(
            StatusCode::BAD_REQUEST,
            "Invalid search",
            "'page' needs the 'max' parameter (the page size).",
        ));
    }
    Ok(state.repo.api_search(c, &q, max, flag(&p.case_sensitive)).await?)
}

/// A collection's `GET`: searches `collection`, loads what the search found with `load`, and
/// answers `<tag>` with one `element` per object.
pub async fn list<T>(
    state: &AppState,
    params: &ListParams,
    collection: ApiCollection,
    tag: &str,
    load: impl AsyncFnOnce(&[Uuid]) -> Result<Vec<T>, Fault>,
    element: impl Fn(&T) -> El,
) -> Result<Response, Fault> {
    let ids = search_ids(state, collection, params).await?;
    let found = load(&ids).await?;
    Ok(ok(El::new(tag).children(found.iter().map(element))))
}

/// The objects of `all` that `ids` name, in the order of `ids` (for collections read whole).
pub fn in_search_order<T>(ids: &[Uuid], all: Vec<T>, id: impl Fn(&T) -> Uuid) -> Vec<T> {
    let mut by_id: HashMap<Uuid, T> = all.into_iter().map(|t| (id(&t), t)).collect();
    ids.iter().filter_map(|i| by_id.remove(i)).collect()
}
