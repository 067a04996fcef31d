//! Assembles the axum router: static assets, health, metrics, login/logout, the Leptos pages and server
//! functions, all behind sessions and the auth gate; around all of it the path normalisation and
//! the HTTP layer's defences (`web_guard`), with request tracing. Everything a request passes
//! through is in the router this returns, so the integration tests run what production runs.

use crate::config::HttpLimits;
use crate::web::auth;
use crate::web::console;
use crate::web::dialog_forms;
use crate::web::disk_upload;
use crate::web::guard;
use crate::web::health;
use crate::web::metrics_endpoint;
use crate::web::page_deadline;
use crate::web::state::AppState;
use crate::web::static_assets;
use crate::web::{bulk_forms, live};
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use leptos::prelude::*;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower::Layer as _;
use tower_http::services::ServeDir;
use tower_sessions::cookie::{time::Duration as CookieDuration, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};
use vireo_app::backend::SharedBackend;
use vireo_app::{shell, App};

/// Sessions end after 8 hours without a request.
const SESSION_IDLE: CookieDuration = CookieDuration::hours(8);

pub fn build_router<S: SessionStore + Clone>(
    state: AppState,
    session_store: S,
    secure_cookies: bool,
    limits: &HttpLimits,
) -> Router {
    let options = state.leptos_options.clone();
    let backend: SharedBackend = state.service.clone();
    let routes = generate_route_list(App);
    let context = {
        let backend = backend.clone();
        move || {
            provide_context(backend.clone());
            guard::provide_csp_nonce();
        }
    };
    let streams = live::StreamGate::new(limits.streams_per_session, limits.streams_total);

    let sessions = SessionManagerLayer::new(session_store)
        .with_name("vireo_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    // The built bundle and stylesheet: hashed names, pre-compressed, cached (see `static_assets`).
    let pkg = static_assets::pkg_service(&options.site_root);
    let icons = ServeDir::new(format!("{}/icons", options.site_root));

    // The pages, each rendered within a deadline (see `page_deadline`).
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .route_layer(axum::middleware::from_fn_with_state(
            page_deadline::PAGE_RENDER_DEADLINE,
            page_deadline::render_within_deadline,
        ));

    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route(metrics_endpoint::METRICS_PATH, get(metrics_endpoint::scrape))
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/dialog/save", post(dialog_forms::save_form))
        .route("/dialog/apply-fix", post(dialog_forms::apply_fix_form))
        .route("/vms/bulk", post(bulk_forms::bulk))
        .route(disk_upload::UPLOAD_PATH, put(disk_upload::upload))
        .route("/api/stream", get(live::stream).layer(Extension(streams)))
        .route(console::CONSOLE_ROUTE, get(console::console_ws))
        .merge(crate::ovirt::router(state.clone()))
        .nest_service("/pkg", pkg)
        .nest_service("/icons", icons)
        .route_service(
            "/favicon.svg",
            tower_http::services::ServeFile::new(format!("{}/favicon.svg", options.site_root)),
        )
        .merge(pages)
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_user))
        .layer(sessions)
        // Outermost of the router's own layers: every routed request is counted by its route
        // template, refusals by the auth gate included.
        .layer(axum::middleware::from_fn(metrics_endpoint::count_requests))
        .with_state(state);

    // Paths are normalised before routing (the oVirt SDK may send `//`). A layer added with
    // `Router::layer` runs after routing, so the normalisation wraps the whole router, which then
    // is wrapped in the defences.
    let app = tower::util::MapRequestLayer::new(crate::ovirt::collapse_slashes::<axum::body::Body>).layer(app);
    guard::protect(app, limits)
}
