//! Server-side rendering of the Virtual Machines page (issue 16): the page component the server
//! renders for `/vms` (`pages::vms::vms_page`: toolbar, search, the 13-column table, pager, the
//! closed dialogs), with its grid resource answered at once by rows made up here instead of
//! `vm_grid`'s query, rendered the way leptos_axum renders an `SsrMode::Async` route: a root owner
//! with an SSR shared context, the in-order HTML stream collected, then the resources' serialised
//! data the page carries for hydration. What is left is the rendering itself, so its per-row cost
//! can be followed over time: 100 rows (the page size the issue names) and 1 row (the fixed part).
//! `cargo bench -p vireo-app --features ssr --bench grid_render` (`make bench`).

use criterion::{criterion_group, BenchmarkId, Criterion};
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

const URL: &str = "/vms?sort=name&dir=asc&page=1&size=100";

/// A page of `n` VMs as the grid query returns them: a mix of states, some running on a host with
/// addresses, some in a pool.
fn page(n: usize) -> GridPage<VmRow> {
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
fn request_parts() -> http::request::Parts {
    let user = CurrentUser {
        id: Uuid::from_u128(1),
        username: "admin".into(),
        role: Role::Admin,
    };
    let (parts, ()) = http::Request::builder()
        .uri(URL)
        .extension(user)
        .body(())
        .expect("a valid request")
        .into_parts();
    parts
}

/// The page's HTML and the serialised resources after it, as one string.
async fn render(rows: GridPage<VmRow>) -> String {
    let shared: Arc<dyn SharedContext + Send + Sync> = Arc::new(SsrSharedContext::new());
    let owner = Owner::new_root(Some(Arc::clone(&shared)));
    let stream = owner.with(|| {
        provide_context(RequestUrl::new(&format!("http://leptos.dev{URL}")));
        provide_context(request_parts());
        let (meta, _output) = ServerMetaContext::new();
        provide_context(meta);
        leptos_meta::provide_meta_context();
        provide_current_role();
        let grid = GridState::new("name", false, false, move |_| {
            let rows = rows.clone();
            async move { Ok(rows) }
        });
        view! { <Router>{vms_page(grid)}</Router> }.to_html_stream_in_order()
    });
    let mut html = Sandboxed::new(stream).collect::<String>().await;
    if let Some(data) = shared.pending_data() {
        html.push_str(&Sandboxed::new(data).collect::<String>().await);
    }
    owner.unset();
    html
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let _ = any_spawner::Executor::init_tokio();
    let mut group = c.benchmark_group("vm_grid_page_ssr");
    for n in [1, 100] {
        let rows = page(n);
        // A page whose table is not there (the resource not resolved, a panic caught as an error
        // notice) would render fast and mean nothing: check what is measured.
        let html = runtime.block_on(render(rows.clone()));
        let drawn = html.matches("<tr data-id=").count();
        assert_eq!(drawn, n, "the table has {drawn} rows, not {n}");
        eprintln!("vm_grid_page_ssr/{n}: {} bytes of HTML and data", html.len());
        group.bench_with_input(BenchmarkId::from_parameter(n), &rows, |b, rows| {
            b.iter(|| runtime.block_on(render(rows.clone())))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
