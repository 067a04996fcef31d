//! The VM page rendered on the server as leptos_axum renders it (an `SsrMode::Async` route: a root
//! owner with an SSR shared context, the in-order HTML stream collected, then the resources'
//! serialised data the page carries for hydration), with made-up rows instead of `vm_grid`'s query.
//! Shared by the rendering benchmark (`benches/grid_render.rs`) and the test of the rows the page
//! writes as HTML text (`tests/grid_html.rs`).

use futures::StreamExt;
use hydration_context::{SharedContext, SsrSharedContext};
use leptos::prelude::*;
use leptos::reactive::owner::Sandboxed;
use leptos_meta::ServerMetaContext;
use leptos_router::components::Router;
use leptos_router::location::RequestUrl;
use std::sync::Arc;
use uuid::Uuid;
use vireo_app::components::current_role::provide_current_role;
use vireo_app::components::object_grid::GridState;
use vireo_app::domain::vm_config::OptimizedFor;
use vireo_app::models::{CurrentUser, GridPage, Role, VmRow, VmStatus};
use vireo_app::pages::vms::vms_page;

pub const URL: &str = "/vms?sort=name&dir=asc&page=1&size=100";

/// A page of `n` VMs as the grid query returns them: a mix of states, some running on a host with
/// addresses, some in a pool.
pub fn page(n: usize) -> GridPage<VmRow> {
    let statuses = [VmStatus::Down, VmStatus::Up, VmStatus::Up, VmStatus::Paused];
    let kinds = [
        OptimizedFor::Server,
        OptimizedFor::Desktop,
        OptimizedFor::HighPerformance,
    ];
    let rows = (0..n)
        .map(|i| {
            let status = statuses[i % statuses.len()];
            let up = status != VmStatus::Down;
            VmRow {
                id: Uuid::from_u128(0x5eed_0000 + i as u128),
                name: format!("bench-{i:05}"),
                description: if i % 3 == 0 {
                    format!("Seeded VM number {i} for the grid benchmark")
                } else {
                    String::new()
                },
                status,
                cluster_name: "Default".into(),
                host_name: up.then(|| "host-1".to_string()),
                template_name: "Blank".into(),
                pool_name: (i % 10 == 0).then(|| "pool-a".to_string()),
                optimized_for: kinds[i % kinds.len()],
                stateless: i % 7 == 0,
                memory_mib: 1024 << (i % 4),
                vcpus: 1 + (i % 8) as i32,
                next_run: i % 11 == 0,
                uptime_secs: up.then_some(90_061 + i as i64),
                ip_addresses: if up {
                    format!("192.0.2.{}", i % 250)
                } else {
                    String::new()
                },
            }
        })
        .collect();
    GridPage {
        rows,
        total: 10_000,
        page: 1,
        page_size: 100,
    }
}

/// The request as the auth middleware leaves it: an admin's, so the page has its full toolbar.
fn request_parts(url: &str) -> http::request::Parts {
    let user = CurrentUser {
        id: Uuid::from_u128(1),
        username: "admin".into(),
        role: Role::Admin,
    };
    let (parts, ()) = http::Request::builder()
        .uri(url)
        .extension(user)
        .body(())
        .expect("a valid request")
        .into_parts();
    parts
}

/// The page's HTML for `url` and the serialised resources after it, as one string.
pub async fn render(url: &str, rows: GridPage<VmRow>) -> String {
    let shared: Arc<dyn SharedContext + Send + Sync> = Arc::new(SsrSharedContext::new());
    let owner = Owner::new_root(Some(Arc::clone(&shared)));
    let stream = owner.with(|| {
        provide_context(RequestUrl::new(&format!("http://leptos.dev{url}")));
        provide_context(request_parts(url));
        let (meta, _output) = ServerMetaContext::new();
        provide_context(meta);
        leptos_meta::provide_meta_context();
        provide_current_role();
        // Inside the Router, as the route builds it: the grid reads the URL's query.
        view! {
            <Router>
                {
                    let grid = GridState::new(
                        "name",
                        false,
                        false,
                        move |_| {
                            let rows = rows.clone();
                            async move { Ok(rows) }
                        },
                    );
                    vms_page(grid)
                }
            </Router>
        }
        .to_html_stream_in_order()
    });
    let mut html = Sandboxed::new(stream).collect::<String>().await;
    if let Some(data) = shared.pending_data() {
        html.push_str(&Sandboxed::new(data).collect::<String>().await);
    }
    owner.unset();
    html
}
