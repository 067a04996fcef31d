//! Server-side rendering of the Virtual Machines page (issue 16): the page component the server
//! renders for `/vms` (`pages::vms::vms_page`: toolbar, search, the 13-column table, pager, the
//! closed dialogs), with its grid resource answered at once by rows made up here instead of
//! `vm_grid`'s query, rendered as leptos_axum renders the route (`tests/support/vm_page.rs`). What
//! is left is the rendering itself, so its per-row cost can be followed over time: 100 rows (the
//! page size the issue names) and 1 row (the fixed part). `vm_grid_page_ssr` is the page as the
//! server renders it (the rows written as HTML text, `components/grid_html.rs`).
//! `cargo bench -p vireo-app --features ssr --bench grid_render` (`make bench`).

use criterion::{criterion_group, BenchmarkId, Criterion};

#[path = "../tests/support/vm_page.rs"]
mod vm_page;

use vm_page::{page, render, URL};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let _ = any_spawner::Executor::init_tokio();
    let name = "vm_grid_page_ssr";
    let mut group = c.benchmark_group(name);
    for n in [1, 100] {
        let rows = page(n);
        // A page whose table is not there (the resource not resolved, a panic caught as an
        // error notice) would render fast and mean nothing: check what is measured.
        let html = runtime.block_on(render(URL, rows.clone()));
        let drawn = html.matches("<tr data-id=").count();
        assert_eq!(drawn, n, "the table has {drawn} rows, not {n}");
        eprintln!("{name}/{n}: {} bytes of HTML and data", html.len());
        group.bench_with_input(BenchmarkId::from_parameter(n), &rows, |b, rows| {
            b.iter(|| runtime.block_on(render(URL, rows.clone())))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
