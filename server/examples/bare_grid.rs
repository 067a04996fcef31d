//! The load benchmark's baselines (scripts/bench-grid.sh): bare axum + sqlx endpoints that return
//! the same page of 100 VMs as Vireo's grid (filtered by type, sorted by name, with the total), with
//! nothing else — no sessions, no auth, no search parsing. `/grid` is the reference (total
//! via `count(*) OVER ()` in one query); `/grid2` uses Vireo's own strategy (the page query and an
//! index-only count side by side), so Vireo's overhead over the same SQL is visible too.
//! The columns are the grid's own (`repository/grids.rs`, `VMS`), the guest agent's IP addresses
//! too: a baseline without them measured less database work than Vireo's page costs.
//! `DATABASE_URL=… BARE_ADDR=127.0.0.1:3951 cargo run --release --example bare_grid`

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Deserialize)]
struct Params {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize, sqlx::FromRow)]
struct PageRow {
    id: Uuid,
    name: String,
    description: String,
    status: String,
    cluster_name: String,
    host_name: Option<String>,
    template_name: String,
    pool_name: Option<String>,
    optimized_for: Option<String>,
    stateless: Option<bool>,
    memory_mib: Option<i64>,
    vcpus: Option<i32>,
    next_run: bool,
    uptime_secs: Option<i64>,
    ip_addresses: String,
}

#[derive(Serialize)]
struct Page {
    rows: Vec<PageRow>,
    total: i64,
}

// The page's columns and its FROM … LIMIT, written once for both endpoints (as string literals, so
// each query stays one static statement).
macro_rules! page_columns {
    () => {
        "v.id, v.name, v.description, v.status, c.name AS cluster_name, h.name AS host_name,
         t.name AS template_name, p.name AS pool_name, v.optimized_for, v.stateless, v.memory_mib, v.vcpus,
         v.next_run_config IS NOT NULL AS next_run,
         CASE WHEN v.status = 'up' THEN extract(epoch FROM now() - v.status_changed_at)::bigint END AS uptime_secs,
         COALESCE((SELECT string_agg(split_part(a.addr, '/', 1), ', ' ORDER BY r.mac, r.name, a.n)
                   FROM vm_reported_nics r CROSS JOIN LATERAL unnest(r.addresses) WITH ORDINALITY a (addr, n)
                   WHERE r.vm_id = v.id), '') AS ip_addresses"
    };
}
macro_rules! page_from {
    () => {
        " FROM vms v JOIN clusters c ON c.id = v.cluster_id JOIN templates t ON t.id = v.template_id
              LEFT JOIN hosts h ON h.id = v.host_id LEFT JOIN vm_pools p ON p.id = v.pool_id
         WHERE v.optimized_for = $1
         ORDER BY v.name, v.id LIMIT 100"
    };
}

async fn grid2(State(pool): State<PgPool>, Query(p): Query<Params>) -> Json<Page> {
    let rows = sqlx::query_as::<_, PageRow>(concat!("SELECT ", page_columns!(), page_from!()))
        .bind(&p.kind)
        .fetch_all(&pool);
    let total = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM vms v WHERE v.optimized_for = $1")
        .bind(&p.kind)
        .fetch_one(&pool);
    let (rows, total) = tokio::join!(rows, total);
    Json(Page {
        rows: rows.unwrap_or_default(),
        total: total.unwrap_or_default(),
    })
}

#[derive(Serialize, sqlx::FromRow)]
struct Row {
    #[serde(flatten)]
    #[sqlx(flatten)]
    row: PageRow,
    total: i64,
}

async fn grid(State(pool): State<PgPool>, Query(p): Query<Params>) -> Json<Vec<Row>> {
    let rows = sqlx::query_as::<_, Row>(concat!(
        "SELECT ",
        page_columns!(),
        ", count(*) OVER () AS total",
        page_from!()
    ))
    .bind(p.kind)
    .fetch_all(&pool)
    .await
    .unwrap_or_default();
    Json(rows)
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let addr = std::env::var("BARE_ADDR").unwrap_or_else(|_| "127.0.0.1:3951".into());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(32)
        .connect(&url)
        .await
        .expect("database");
    let app = Router::new()
        .route("/grid", get(grid))
        .route("/grid2", get(grid2))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
