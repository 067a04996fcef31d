//! `/macpools`: the one pool NICs take their MACs from — Vireo's `VIREO_MAC_RANGE`, read from its
//! configuration — under the engine's id and name for its default pool ("Default"). Every cluster
//! uses it. MACs are unique across VMs (`allow_duplicates` false). Read-only: the range is set in
//! Vireo's configuration, not through the API.

use super::fault::Fault;
use super::href::{object, reference};
use super::read::Ref;
use super::response::ok;
use super::xml::El;
use crate::web::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;
use vireo_app::domain::network::MacRange;

/// The engine's id of its default MAC pool.
pub const DEFAULT: Uuid = Uuid::from_u128(0x58ca604b_017d_0374_0220_00000000014e);
pub const DEFAULT_NAME: &str = "Default";

fn pool_element(range: &MacRange) -> El {
    object("mac_pool", "macpools", DEFAULT)
        .text("name", DEFAULT_NAME)
        .text(
            "description",
            "Vireo's MAC range (VIREO_MAC_RANGE in its configuration); every cluster's NICs get their MACs from it",
        )
        .text("allow_duplicates", false)
        .text("default_pool", true)
        .child(El::new("ranges").child(El::new("range").text("from", range.first).text("to", range.last)))
}

/// The `<mac_pool href id/>` every cluster (and data center) carries.
pub fn pool_reference() -> El {
    reference("mac_pool", "macpools", DEFAULT)
}

/// A `<mac_pool>` in a request: the Default pool (by id or name) is the only one.
pub fn check_choice(r: &Ref) -> Result<(), Fault> {
    match r {
        Ref::Id(id) if *id == DEFAULT => Ok(()),
        Ref::Name(n) if n == DEFAULT_NAME => Ok(()),
        Ref::Id(id) => Err(Fault::not_found(&format!("MAC pool {id}"))),
        Ref::Name(n) => Err(Fault::not_found(&format!("MAC pool '{n}'"))),
    }
}

/// `GET /macpools`.
pub async fn list(State(state): State<AppState>) -> Response {
    ok(El::new("mac_pools").child(pool_element(&state.service.mac_range)))
}

/// `GET /macpools/{id}`.
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Fault> {
    if id == DEFAULT.to_string() {
        Ok(ok(pool_element(&state.service.mac_range)))
    } else {
        Err(Fault::not_found(&format!("MAC pool {id}")))
    }
}

/// Adding, changing or removing a pool: the range is configuration.
async fn read_only() -> Fault {
    Fault::new(
        StatusCode::CONFLICT,
        "Operation Failed",
        "[Vireo has one MAC pool, its configured VIREO_MAC_RANGE: change the range there and restart Vireo.]",
    )
}

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/macpools", get(list).post(read_only))
        .route("/macpools/{id}", get(get_one).put(read_only).delete(read_only))
}
