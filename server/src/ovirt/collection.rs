//! What every top-level collection shares: `?search`/`?max` into ids (the repository's search),
//! and — for the collections whose objects are read, written and removed the same way (clusters,
//! hosts, templates, pools, instance types, storage domains, disks) — the list, get, add, update
//! and remove handlers and their routes, given each collection's `ApiObject`.

use super::extract::kind::{Document, Kind};
use super::extract::{ApiId, ApiUser, XmlBody};
use super::fault::Fault;
use super::follow::{follow_list, follow_one, FollowParam};
use super::query::{flag, ListParams};
use super::read::Obj;
use super::response::{action_complete, created, ok};
use super::xml::El;
use crate::repository::ApiCollection;
use crate::web::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::future::Future;
use uuid::Uuid;
use vireo_app::domain::ovirt_search::{parse_ovirt_search, MAX_PAGE_SIZE};
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

/// Parses `?search`/`?max` into matching ids for a collection.
pub async fn search_ids(state: &AppState, c: ApiCollection, p: &ListParams) -> Result<Vec<Uuid>, Fault> {
    let mut q = parse_ovirt_search(p.search.as_deref().unwrap_or(""), c.fields())
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

/// The objects of `all` that `ids` name, in the order of `ids` (for collections read whole).
pub fn in_search_order<T>(ids: &[Uuid], all: Vec<T>, id: impl Fn(&T) -> Uuid) -> Vec<T> {
    let mut by_id: HashMap<Uuid, T> = all.into_iter().map(|t| (id(&t), t)).collect();
    ids.iter().filter_map(|i| by_id.remove(i)).collect()
}

/// A request body as `update` gets it: a body that does not read is a `Fault` the collection
/// answers only after it has answered for the path.
pub type Body<K> = Result<XmlBody<K>, Fault>;

/// Where a collection lives on the wire.
pub struct Collection {
    /// Its path under the API (`vmpools`).
    pub path: &'static str,
    /// The list's root element (`vm_pools`).
    pub list: &'static str,
    /// Its `?search=`.
    pub search: ApiCollection,
}

/// A collection served by the shared handlers: how its objects are found, shown, added, changed
/// and removed. Implemented on the object's `kind` marker, in the collection's own file.
pub trait ApiObject: Kind + Document + Sized {
    /// The object as the service returns it.
    type Object: Send + Sync;
    /// Where it lives and how it is listed and searched.
    const COLLECTION: Collection;

    /// The object as XML.
    fn element(object: &Self::Object) -> El;

    /// The objects `ids` names, in that order.
    fn load(state: &AppState, ids: &[Uuid]) -> impl Future<Output = Result<Vec<Self::Object>, AppError>> + Send;

    /// The object `id`, if there is one.
    fn find(state: &AppState, id: Uuid) -> impl Future<Output = Result<Option<Self::Object>, AppError>> + Send;

    /// Adds the object a request describes.
    fn add(
        state: &AppState,
        user: &CurrentUser,
        obj: &Obj<'_>,
    ) -> impl Future<Output = Result<Self::Object, Fault>> + Send;

    /// Applies a request to object `id`. The body comes as a `Result` so that a collection that
    /// answers for its path first (a missing object is a 404 before anything about the body) can
    /// look the object up before it applies `?`.
    fn update(
        state: &AppState,
        user: &CurrentUser,
        id: Uuid,
        body: Body<Self>,
    ) -> impl Future<Output = Result<Self::Object, Fault>> + Send;

    /// Removes object `id`.
    fn remove(state: &AppState, user: &CurrentUser, id: Uuid) -> impl Future<Output = Result<(), Fault>> + Send;

    /// The object `id`, or a 404 `<fault>` naming it.
    fn existing(state: &AppState, id: Uuid) -> impl Future<Output = Result<Self::Object, Fault>> + Send {
        async move { Self::find(state, id).await?.ok_or_else(|| Self::missing(id)) }
    }
}

/// What every `ApiObject` impl declares first, in one line: the object type, where the collection
/// lives (`path`, list root, `?search=`), its element function, and how its objects are read —
/// `configs(KIND)`: stored configurations of that kind, read by id; `whole(all, one)`: a small
/// collection read whole (`all`), the search's ids picking from it, and one object by id (`one`);
/// `by_hand`: the impl writes `load` and `find` itself.
macro_rules! api_object {
    ($object:ty, $path:literal listed as $list:literal, $search:ident, $element:path, $($read:tt)*) => {
        type Object = $object;
        const COLLECTION: $crate::ovirt::collection::Collection = $crate::ovirt::collection::Collection {
            path: $path,
            list: $list,
            search: $crate::repository::ApiCollection::$search,
        };

        fn element(object: &$object) -> $crate::ovirt::xml::El {
            $element(object)
        }

        $crate::ovirt::collection::api_object!(@read $object, $($read)*);
    };
    (@read $object:ty, configs($kind:expr)) => {
        async fn load(
            state: &$crate::web::state::AppState,
            ids: &[uuid::Uuid],
        ) -> Result<Vec<$object>, vireo_app::error::AppError> {
            state.repo.config_records($kind, ids).await
        }

        async fn find(
            state: &$crate::web::state::AppState,
            id: uuid::Uuid,
        ) -> Result<Option<$object>, vireo_app::error::AppError> {
            state.repo.config_record($kind, id).await
        }
    };
    (@read $object:ty, by_hand) => {};
    (@read $object:ty, whole($all:ident, $one:ident)) => {
        async fn load(
            state: &$crate::web::state::AppState,
            ids: &[uuid::Uuid],
        ) -> Result<Vec<$object>, vireo_app::error::AppError> {
            let all = state.repo.$all().await?;
            Ok($crate::ovirt::collection::in_search_order(ids, all, |o| o.id))
        }

        async fn find(
            state: &$crate::web::state::AppState,
            id: uuid::Uuid,
        ) -> Result<Option<$object>, vireo_app::error::AppError> {
            state.repo.$one(id).await
        }
    };
}
pub(super) use api_object;

/// `GET /{path}`: the objects the search finds, in its order.
pub async fn list<K: ApiObject>(State(state): State<AppState>, Query(p): Query<ListParams>) -> Result<Response, Fault> {
    let ids = search_ids(&state, K::COLLECTION.search, &p).await?;
    let found = K::load(&state, &ids).await?;
    let list = El::new(K::COLLECTION.list).children(found.iter().map(K::element));
    Ok(ok(follow_list(&state, &p, K::ROOT, list).await?))
}

/// `GET /{path}/{id}`.
pub async fn get_one<K: ApiObject>(
    State(state): State<AppState>,
    Query(f): Query<FollowParam>,
    ApiId { id, .. }: ApiId<K>,
) -> Result<Response, Fault> {
    let el = K::element(&K::existing(&state, id).await?);
    Ok(ok(follow_one(&state, f.follow.as_deref(), el).await?))
}

/// `POST /{path}`: 201 with the object added.
pub async fn add<K: ApiObject>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: XmlBody<K>,
) -> Result<Response, Fault> {
    Ok(created(K::element(&K::add(&state, &user, &body.obj()).await?)))
}

/// `PUT /{path}/{id}`: the object as changed.
pub async fn update<K: ApiObject>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<K>,
    body: Result<XmlBody<K>, Fault>,
) -> Result<Response, Fault> {
    Ok(ok(K::element(&K::update(&state, &user, id, body).await?)))
}

/// `DELETE /{path}/{id}`.
pub async fn remove<K: ApiObject>(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiId { id, .. }: ApiId<K>,
) -> Result<Response, Fault> {
    K::remove(&state, &user, id).await?;
    Ok(action_complete())
}

/// `/{path}` and `/{path}/{id}` with the shared handlers.
pub fn routes<K: ApiObject>(router: Router<AppState>) -> Router<AppState> {
    router
        .route(&format!("/{}", K::COLLECTION.path), get(list::<K>).post(add::<K>))
        .route(
            &format!("/{}/{{id}}", K::COLLECTION.path),
            get(get_one::<K>).put(update::<K>).delete(remove::<K>),
        )
}
