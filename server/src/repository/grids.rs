//! Server-side search, sort and paging for every grid. Sort columns and filter columns are fixed
//! lists (never user text); search words and values are bound parameters. The total comes from
//! `count(*) OVER ()` in the same query.

use super::{internal, Repository};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use vireo_app::domain::host_topology::HostTopology;
use vireo_app::domain::search::Search;
use vireo_app::domain::vm_config::{CompatVersion, OptimizedFor};
use vireo_app::error::AppError;
use vireo_app::models::{
    ClusterView, EventView, GridPage, GridQuery, HostStatus, HostView, PoolRow, TemplateView, VmRow,
};

/// How one grid maps search and sort onto SQL.
struct GridSql {
    /// The select list (without the total, which is added).
    columns: &'static str,
    /// `FROM …` with joins, no WHERE.
    from: &'static str,
    /// The row's id, for finding the page that holds a selected row.
    id: &'static str,
    /// Columns free words are matched against.
    words: &'static [&'static str],
    /// `field` → SQL expression compared with the term's value, and how.
    terms: &'static [(&'static str, &'static str, Compare)],
    /// Sort keys → SQL expressions; the first is the default.
    sorts: &'static [(&'static str, &'static str)],
    /// Appended to every ORDER BY so pages are stable.
    tie: &'static str,
}

/// How a `field:value` term compares. Codes (`status`, `type`) are stored lower-case, so the column
/// is compared as is and its (filter, sort) index serves the query; names compare case-insensitively.
#[derive(Clone, Copy)]
enum Compare {
    Code,
    Name,
}
use Compare::{Code, Name};

fn like_pattern(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// `WHERE …` for the search (and an optional `column = id` scope: an object's own events).
fn push_where(
    qb: &mut QueryBuilder<'_, Postgres>,
    grid: &GridSql,
    search: &Search,
    scope: Option<(&'static str, Uuid)>,
) {
    qb.push(" WHERE true");
    if let Some((column, id)) = scope {
        qb.push(" AND ").push(column).push(" = ").push_bind(id);
    }
    for word in &search.words {
        qb.push(" AND (");
        for (i, col) in grid.words.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push(*col).push(" ILIKE ").push_bind(like_pattern(word));
        }
        qb.push(")");
    }
    for (field, value) in &search.terms {
        // parse_search only admits the grid's own fields.
        match grid.terms.iter().find(|(f, _, _)| f == field) {
            Some((_, expr, Code)) => {
                qb.push(" AND ").push(*expr).push(" = ").push_bind(value.to_lowercase());
            }
            Some((_, expr, Name)) => {
                qb.push(" AND lower(")
                    .push(*expr)
                    .push(") = lower(")
                    .push_bind(value.clone())
                    .push(")");
            }
            None => {}
        }
    }
}

fn order_by(grid: &GridSql, q: &GridQuery) -> String {
    let sort = grid
        .sorts
        .iter()
        .find(|(k, _)| *k == q.sort)
        .unwrap_or(&grid.sorts[0])
        .1;
    format!(
        "{sort} {} NULLS LAST, {}",
        if q.desc { "DESC" } else { "ASC" },
        grid.tie
    )
}

fn build<'a>(
    grid: &GridSql,
    q: &GridQuery,
    search: &'a Search,
    scope: Option<(&'static str, Uuid)>,
) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {}, count(*) OVER () AS total FROM {}",
        grid.columns, grid.from
    ));
    push_where(&mut qb, grid, search, scope);
    qb.push(" ORDER BY ").push(order_by(grid, q));
    qb.push(" LIMIT ")
        .push_bind(i64::from(q.page_size))
        .push(" OFFSET ")
        .push_bind(q.offset());
    qb
}

/// The page (under this search and sort) that holds row `focus`, if it matches at all.
async fn focus_page(
    pool: &sqlx::PgPool,
    grid: &GridSql,
    q: &GridQuery,
    search: &Search,
    focus: Uuid,
) -> Result<Option<u32>, AppError> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT rn FROM (SELECT {} AS fid, row_number() OVER (ORDER BY {}) AS rn FROM {}",
        grid.id,
        order_by(grid, q),
        grid.from
    ));
    push_where(&mut qb, grid, search, None);
    qb.push(") ranked WHERE fid = ").push_bind(focus);
    let rn: Option<i64> = qb.build_query_scalar().fetch_optional(pool).await.map_err(internal)?;
    Ok(rn.map(|rn| ((rn - 1) / i64::from(q.page_size.max(1))) as u32 + 1))
}

/// `q` with its page moved to the one holding `q.focus`, when there is a focus.
async fn focused(pool: &sqlx::PgPool, grid: &GridSql, q: &GridQuery, search: &Search) -> Result<GridQuery, AppError> {
    let mut q = q.clone();
    if let Some(focus) = q.focus.take() {
        if let Some(page) = focus_page(pool, grid, &q, search, focus).await? {
            q.page = page;
        }
    }
    Ok(q)
}

const VMS: GridSql = GridSql {
    columns: "v.id, v.name, v.description, v.status, c.name AS cluster_name, h.name AS host_name,
                    t.name AS template_name, p.name AS pool_name, v.optimized_for, v.stateless, v.memory_mib, v.vcpus,
                    v.next_run_config IS NOT NULL AS next_run,
                    CASE WHEN v.status = 'up' THEN extract(epoch FROM now() - v.status_changed_at)::bigint END AS uptime_secs",
            from: "vms v JOIN clusters c ON c.id = v.cluster_id JOIN templates t ON t.id = v.template_id
                  LEFT JOIN hosts h ON h.id = v.host_id LEFT JOIN vm_pools p ON p.id = v.pool_id",
            id: "v.id",
    words: &["v.name", "v.description"],
    terms: &[
        ("type", "v.optimized_for", Code),
        ("status", "v.status", Code),
        ("cluster", "c.name", Name),
        ("host", "h.name", Name),
        ("pool", "p.name", Name),
        ("template", "t.name", Name),
    ],
    sorts: &[
        ("name", "v.name"),
        ("status", "v.status"),
        ("type", "v.optimized_for"),
        ("description", "v.description"),
        ("cluster", "c.name"),
        ("host", "h.name"),
        ("template", "t.name"),
        ("pool", "p.name"),
        ("memory", "v.memory_mib"),
        ("vcpus", "v.vcpus"),
        ("uptime", "CASE WHEN v.status = 'up' THEN v.status_changed_at END"),
    ],
    tie: "v.name, v.id",
};

#[derive(sqlx::FromRow)]
struct VmGridRow {
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
    total: i64,
}

fn profile(text: Option<&str>) -> OptimizedFor {
    text.and_then(OptimizedFor::parse).unwrap_or_default()
}

fn page<T>(rows: Vec<T>, total: Option<i64>, q: &GridQuery) -> GridPage<T> {
    GridPage {
        rows,
        total: total.unwrap_or(0),
        page: q.page,
        page_size: q.page_size,
    }
}

impl Repository {
    pub async fn vm_grid(&self, q: &GridQuery, search: &Search) -> Result<GridPage<VmRow>, AppError> {
        let q = focused(&self.pool, &VMS, q, search).await?;
        self.vm_rows(&q, search, None).await
    }

    /// One VM as its grid row.
    pub async fn vm_grid_row(&self, id: Uuid) -> Result<Option<VmRow>, AppError> {
        let q = GridQuery::new("name");
        Ok(self
            .vm_rows(&q, &Search::default(), Some(("v.id", id)))
            .await?
            .rows
            .pop())
    }

    async fn vm_rows(
        &self,
        q: &GridQuery,
        search: &Search,
        scope: Option<(&'static str, Uuid)>,
    ) -> Result<GridPage<VmRow>, AppError> {
        let rows: Vec<VmGridRow> = build(&VMS, q, search, scope)
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        let total = rows.first().map(|r| r.total);
        let rows = rows
            .into_iter()
            .map(|r| VmRow {
                id: r.id,
                name: r.name,
                description: r.description,
                status: r.status,
                cluster_name: r.cluster_name,
                host_name: r.host_name,
                template_name: r.template_name,
                pool_name: r.pool_name,
                optimized_for: profile(r.optimized_for.as_deref()),
                stateless: r.stateless.unwrap_or(false),
                memory_mib: r.memory_mib.unwrap_or(0),
                vcpus: r.vcpus.unwrap_or(0),
                next_run: r.next_run,
                uptime_secs: r.uptime_secs,
            })
            .collect();
        Ok(page(rows, total, q))
    }

    pub async fn template_grid(&self, q: &GridQuery, search: &Search) -> Result<GridPage<TemplateView>, AppError> {
        const GRID: GridSql = GridSql {
            columns: "t.id, t.name, t.description, c.name AS cluster_name, t.optimized_for, t.stateless,
                            t.memory_mib, t.vcpus",
            from: "templates t LEFT JOIN clusters c ON c.id = t.cluster_id",
            id: "t.id",
            words: &["t.name", "t.description"],
            terms: &[("type", "t.optimized_for", Code), ("cluster", "c.name", Name)],
            sorts: &[
                ("name", "(t.name <> 'Blank'), t.name"),
                ("type", "t.optimized_for"),
                ("description", "t.description"),
                ("cluster", "c.name"),
                ("memory", "t.memory_mib"),
                ("vcpus", "t.vcpus"),
            ],
            tie: "t.name, t.id",
        };
        #[derive(sqlx::FromRow)]
        struct Row {
            id: Uuid,
            name: String,
            description: String,
            cluster_name: Option<String>,
            optimized_for: Option<String>,
            stateless: Option<bool>,
            memory_mib: Option<i64>,
            vcpus: Option<i32>,
            total: i64,
        }
        let q = &focused(&self.pool, &GRID, q, search).await?;
        let rows: Vec<Row> = build(&GRID, q, search, None)
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        let total = rows.first().map(|r| r.total);
        let rows = rows
            .into_iter()
            .map(|r| TemplateView {
                id: r.id,
                name: r.name,
                description: r.description,
                cluster_name: r.cluster_name,
                optimized_for: profile(r.optimized_for.as_deref()),
                stateless: r.stateless.unwrap_or(false),
                memory_mib: r.memory_mib.unwrap_or(0),
                vcpus: r.vcpus.unwrap_or(0),
            })
            .collect();
        Ok(page(rows, total, q))
    }

    pub async fn pool_grid(&self, q: &GridQuery, search: &Search) -> Result<GridPage<PoolRow>, AppError> {
        const GRID: GridSql = GridSql {
            columns: "p.id, p.name, p.description, t.name AS template_name, c.name AS cluster_name, p.optimized_for,
                            COALESCE((p.config ->> 'stateless')::boolean, true) AS stateless, p.size,
                            (SELECT count(*) FROM vms v WHERE v.pool_id = p.id) AS vm_count,
                            (SELECT count(*) FROM vms v WHERE v.pool_id = p.id AND v.status = 'up') AS running",
            from: "vm_pools p JOIN templates t ON t.id = p.template_id JOIN clusters c ON c.id = p.cluster_id",
            id: "p.id",
            words: &["p.name", "p.description"],
            terms: &[
                ("type", "p.optimized_for", Code),
                ("template", "t.name", Name),
                ("cluster", "c.name", Name),
            ],
            sorts: &[
                ("name", "p.name"),
                ("type", "p.optimized_for"),
                ("template", "t.name"),
                ("cluster", "c.name"),
                ("size", "p.size"),
                (
                    "running",
                    "(SELECT count(*) FROM vms v WHERE v.pool_id = p.id AND v.status = 'up')",
                ),
                ("description", "p.description"),
            ],
            tie: "p.name, p.id",
        };
        #[derive(sqlx::FromRow)]
        struct Row {
            id: Uuid,
            name: String,
            description: String,
            template_name: String,
            cluster_name: String,
            optimized_for: Option<String>,
            stateless: bool,
            size: i32,
            vm_count: i64,
            running: i64,
            total: i64,
        }
        let q = &focused(&self.pool, &GRID, q, search).await?;
        let rows: Vec<Row> = build(&GRID, q, search, None)
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        let total = rows.first().map(|r| r.total);
        let rows = rows
            .into_iter()
            .map(|r| PoolRow {
                id: r.id,
                name: r.name,
                description: r.description,
                template_name: r.template_name,
                cluster_name: r.cluster_name,
                optimized_for: profile(r.optimized_for.as_deref()),
                stateless: r.stateless,
                size: r.size,
                vm_count: r.vm_count,
                running: r.running,
            })
            .collect();
        Ok(page(rows, total, q))
    }

    pub async fn host_grid(&self, q: &GridQuery, search: &Search) -> Result<GridPage<HostView>, AppError> {
        const GRID: GridSql = GridSql {
            columns: "h.id, h.name, h.cluster_id, c.name AS cluster_name, h.uri, h.status, h.simulated_topology,
                            h.topology, h.ksm_running, h.last_error, h.version,
                            (SELECT count(*) FROM vms v WHERE v.host_id = h.id) AS vm_count",
            from: "hosts h JOIN clusters c ON c.id = h.cluster_id",
            id: "h.id",
            words: &["h.name", "h.uri"],
            terms: &[("status", "h.status", Code), ("cluster", "c.name", Name)],
            sorts: &[
                ("name", "h.name"),
                ("status", "h.status"),
                ("uri", "h.uri"),
                ("cluster", "c.name"),
                ("cpus", "jsonb_array_length(h.topology -> 'cells')"),
                ("vms", "(SELECT count(*) FROM vms v WHERE v.host_id = h.id)"),
            ],
            tie: "h.name, h.id",
        };
        #[derive(sqlx::FromRow)]
        struct Row {
            id: Uuid,
            name: String,
            cluster_id: Uuid,
            cluster_name: String,
            uri: String,
            status: String,
            simulated_topology: Option<String>,
            topology: Json<HostTopology>,
            ksm_running: Option<bool>,
            last_error: Option<String>,
            vm_count: i64,
            version: i32,
            total: i64,
        }
        let q = &focused(&self.pool, &GRID, q, search).await?;
        let rows: Vec<Row> = build(&GRID, q, search, None)
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        let total = rows.first().map(|r| r.total);
        let rows = rows
            .into_iter()
            .map(|r| HostView {
                id: r.id,
                name: r.name,
                cluster_id: r.cluster_id,
                cluster_name: r.cluster_name,
                uri: r.uri,
                status: HostStatus::parse(&r.status).unwrap_or(HostStatus::NonResponsive),
                simulated_topology: r.simulated_topology,
                topology: r.topology.0,
                ksm_running: r.ksm_running,
                last_error: r.last_error,
                vm_count: r.vm_count,
                version: r.version,
            })
            .collect();
        Ok(page(rows, total, q))
    }

    pub async fn cluster_grid(&self, q: &GridQuery, search: &Search) -> Result<GridPage<ClusterView>, AppError> {
        const GRID: GridSql = GridSql {
            columns: "c.id, c.name, c.description, c.compat_version, c.cpu_arch, c.ksm_enabled, c.ballooning_enabled,
                            c.version,
                            (SELECT count(*) FROM hosts h WHERE h.cluster_id = c.id) AS host_count,
                            (SELECT count(*) FROM vms v WHERE v.cluster_id = c.id) AS vm_count",
            from: "clusters c",
            id: "c.id",
            words: &["c.name", "c.description"],
            terms: &[],
            sorts: &[
                ("name", "c.name"),
                ("version", "c.compat_version"),
                ("hosts", "(SELECT count(*) FROM hosts h WHERE h.cluster_id = c.id)"),
                ("vms", "(SELECT count(*) FROM vms v WHERE v.cluster_id = c.id)"),
            ],
            tie: "c.name, c.id",
        };
        #[derive(sqlx::FromRow)]
        struct Row {
            id: Uuid,
            name: String,
            description: String,
            compat_version: String,
            cpu_arch: String,
            ksm_enabled: bool,
            ballooning_enabled: bool,
            version: i32,
            host_count: i64,
            vm_count: i64,
            total: i64,
        }
        let q = &focused(&self.pool, &GRID, q, search).await?;
        let rows: Vec<Row> = build(&GRID, q, search, None)
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        let total = rows.first().map(|r| r.total);
        let rows = rows
            .into_iter()
            .map(|r| ClusterView {
                id: r.id,
                name: r.name,
                description: r.description,
                compat_version: CompatVersion::parse(&r.compat_version).unwrap_or(CompatVersion::LATEST),
                cpu_arch: r.cpu_arch,
                ksm_enabled: r.ksm_enabled,
                ballooning_enabled: r.ballooning_enabled,
                host_count: r.host_count,
                vm_count: r.vm_count,
                version: r.version,
            })
            .collect();
        Ok(page(rows, total, q))
    }

    /// The audit log; `object` narrows it to one object's events (the Events sub-tabs).
    pub async fn event_grid(
        &self,
        q: &GridQuery,
        search: &Search,
        object: Option<Uuid>,
    ) -> Result<GridPage<EventView>, AppError> {
        const GRID: GridSql = GridSql {
            columns:
                "id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at_text, username, severity,
                            action, object_kind, object_name, result, message",
            from: "events",
            id: "id",
            words: &["message", "object_name"],
            terms: &[
                ("severity", "severity", Code),
                ("result", "result", Code),
                ("object", "object_kind", Code),
                ("user", "username", Name),
            ],
            sorts: &[
                ("time", "at"),
                ("severity", "severity"),
                ("user", "username"),
                ("object", "object_name"),
                ("action", "action"),
            ],
            tie: "id DESC",
        };
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            at_text: String,
            username: Option<String>,
            severity: String,
            action: String,
            object_kind: String,
            object_name: Option<String>,
            result: String,
            message: String,
            total: i64,
        }
        let qb = build(&GRID, q, search, object.map(|id| ("object_id", id)));
        let rows: Vec<Row> = {
            let mut qb = qb;
            qb.build_query_as().fetch_all(&self.pool).await.map_err(internal)?
        };
        let total = rows.first().map(|r| r.total);
        let rows = rows
            .into_iter()
            .map(|r| EventView {
                id: r.id,
                at: r.at_text,
                username: r.username,
                severity: r.severity,
                action: r.action,
                object_kind: r.object_kind,
                object_name: r.object_name,
                result: r.result,
                message: r.message,
            })
            .collect();
        Ok(page(rows, total, q))
    }
}
